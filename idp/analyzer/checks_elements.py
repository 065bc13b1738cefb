"""Checks against the catalogue: services, actions, resource ARNs and condition keys."""
from __future__ import annotations

import difflib
import re

from idp.analyzer.catalog import MULTI_VALUED_PREFIX, ActionEntry
from idp.analyzer.review import PolicyReview, StatementUnderReview
from idp.policy import SetOperator

_ACCOUNT = re.compile(r"\d{12}|aws|")
_WEB_IDENTITY_PREFIX = re.compile(r"[^:]*[./][^:]*")  # token.actions.githubusercontent.com, example.com/realm
_ARN_ACCOUNT_SERVICES = ("iam", "sts")


def check_actions(review: PolicyReview, statement: StatementUnderReview) -> None:
    """INVALID_SERVICE, INVALID_ACTION (with the closest real action), WILDCARD_IN_SERVICE_NAME."""
    key = "NotAction" if "NotAction" in statement.raw else "Action"
    for path, pattern in statement.element_paths(key):
        if pattern == "*":
            continue
        prefix, _, name = pattern.partition(":")
        if "*" in prefix or "?" in prefix:
            review.error("WILDCARD_IN_SERVICE_NAME",
                         f"Avoid using wildcards (*, ?) in the service name {prefix!r}: name the service.", path)
            continue
        if not review.catalog.exists(prefix):
            near = review.catalog.suggest_service(prefix)
            hint = f" Did you mean {near}?" if near else ""
            review.error("INVALID_SERVICE", f"The service {prefix} specified in the action does not exist.{hint}",
                         path)
            continue
        if review.catalog.service(prefix) is None or review.catalog.matching(pattern):
            continue
        if "*" in name or "?" in name:
            review.error("INVALID_ACTION", f"The action {pattern} matches no action of the service {prefix}.", path)
        else:
            near = review.catalog.suggestion(pattern)
            hint = f" Did you mean {near}?" if near else ""
            review.error("INVALID_ACTION", f"The action {pattern} does not exist.{hint}", path)


def check_resources(review: PolicyReview, statement: StatementUnderReview) -> None:
    """INVALID_ARN_RESOURCE (unknown resource type), INVALID_ARN_ACCOUNT, INVALID_ARN_REGION."""
    key = "NotResource" if "NotResource" in statement.raw else "Resource"
    for path, pattern in statement.element_paths(key):
        if not isinstance(pattern, str) or pattern == "*":
            continue
        parts = pattern.split(":", 5)
        if len(parts) < 6:
            continue  # the engine already refused it
        _, _, service, region, account, resource = parts
        if service in _ARN_ACCOUNT_SERVICES and not (_ACCOUNT.fullmatch(account) or _wild(account)):
            review.error("INVALID_ARN_ACCOUNT",
                         f"The account ID {account!r} in the resource ARN must be 12 digits.", path)
        if service in _ARN_ACCOUNT_SERVICES and region and not _wild(region):
            review.error("INVALID_ARN_REGION", f"The {service} resource ARN must not name a Region ({region}).", path)
        types = _resource_types(review.catalog.resource_templates(service))
        head = re.split(r"[/:]", resource, maxsplit=1)[0]
        if types and not _wild(head) and head not in types:
            known = ", ".join(sorted(types))
            review.error("INVALID_ARN_RESOURCE",
                         f"The resource type {head!r} does not exist for {service}: expected one of {known}.", path)


def _wild(text: str) -> bool:
    return any(ch in text for ch in "*?$")


def _resource_types(templates: dict[str, str]) -> set[str]:
    heads = set()
    for template in templates.values():
        resource = template.split(":", 5)[-1]
        heads.add(re.split(r"[/:$]", resource, maxsplit=1)[0])
    return heads


def statement_actions(review: PolicyReview, statement: StatementUnderReview) -> list[ActionEntry] | None:
    """The catalogued actions an Action element names; None when some are not catalogued (or NotAction)."""
    parsed = statement.parsed
    if parsed is None or parsed.actions.negated:
        return None
    found: list[ActionEntry] = []
    for pattern in parsed.actions.patterns:
        if pattern == "*" or review.catalog.service(pattern.split(":", 1)[0]) is None:
            return None
        found.extend(review.catalog.matching(pattern))
    return found


def check_condition_keys(review: PolicyReview, statement: StatementUnderReview) -> None:
    """Unknown global/service keys, keys no action supplies, ForAllValues on single-valued keys."""
    parsed = statement.parsed
    if parsed is None or parsed.condition is None:
        return
    actions = statement_actions(review, statement)
    for clause in parsed.condition.clauses:
        where = statement.at(("value", "Condition"), ("value", clause.operator), ("key", clause.key))
        prefix = clause.key.split(":", 1)[0].lower()
        kind = review.catalog.key_type(clause.key)
        if prefix == "aws" and kind is None:
            review.error("INVALID_GLOBAL_CONDITION_KEY",
                         f"The global condition key {clause.key} does not exist.{_near_key(review, clause.key)}", where)
            continue
        service = review.catalog.service(prefix)
        if service is not None and prefix != "aws" and kind is None:
            review.error("INVALID_SERVICE_CONDITION_KEY",
                         f"The condition key {clause.key} does not exist in the service {prefix}.", where)
            continue
        if actions and prefix != "aws" and not _supported(review, actions, clause.key, prefix):
            names = ", ".join(sorted({a.full_name for a in actions})[:5])
            review.warning("UNSUPPORTED_CONDITION_KEY_FOR_ACTION",
                           f"The condition key {clause.key} is not supported by any action of the statement "
                           f"({names}); the condition never holds for them.", where)
        if clause.set_operator is SetOperator.FOR_ALL_VALUES and kind and not kind.startswith(MULTI_VALUED_PREFIX):
            review.warning("FORALLVALUES_WITH_SINGLE_VALUED_KEY",
                           f"ForAllValues with the single-valued key {clause.key} also holds when the key is "
                           f"missing; use {clause.operator.split(':', 1)[1]} without the qualifier.", where)


def _supported(review: PolicyReview, actions: list[ActionEntry], key: str, prefix: str) -> bool:
    if any(review.catalog.action_supports(action, key) for action in actions):
        return True
    if review.catalog.exists(prefix):
        # A real service's key is supplied only by that service's actions.
        return False
    if review.catalog.service(prefix) is None and _WEB_IDENTITY_PREFIX.fullmatch(prefix):
        # An OIDC provider's claims (`<issuer>:sub`) are supplied by AssumeRoleWithWebIdentity only.
        return any(action.full_name.lower() == "sts:assumerolewithwebidentity" for action in actions)
    return review.catalog.service(prefix) is None


def _near_key(review: PolicyReview, key: str) -> str:
    known = list(review.catalog.services["aws"].condition_keys) if "aws" in review.catalog.services else []
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.7)
    return f" Did you mean {close[0]}?" if close else ""
