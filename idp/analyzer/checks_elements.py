"""Checks against the catalogue: services, actions, resource ARNs and condition keys."""
from __future__ import annotations

import re

from idp.analyzer.catalog import MULTI_VALUED_PREFIX, ActionEntry
from idp.analyzer.grammar import arn_problem, data_type
from idp.analyzer.locations import Path
from idp.analyzer.review import PolicyReview, StatementUnderReview
from idp.policy import SetOperator

_ACCOUNT = re.compile(r"\d{12}|aws|")
_ACTION_NAME = re.compile(r"[A-Za-z0-9*?_-]+")
_WEB_IDENTITY_PREFIX = re.compile(r"[^:]*[./][^:]*")  # token.actions.githubusercontent.com, example.com/realm
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
_TAG_KEYS = ("aws:resourcetag", "aws:requesttag", "aws:principaltag")
_EQUALS = ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase")


def check_raw_elements(review: PolicyReview, statement: StatementUnderReview) -> None:
    """Action and Resource entries as written, whether or not the engine accepted the statement."""
    if not isinstance(statement.raw, dict):
        return
    for key, check in (("Action", _check_action), ("NotAction", _check_action),
                       ("Resource", _check_resource), ("NotResource", _check_resource)):
        if key not in statement.raw:
            continue
        value = statement.raw[key]
        if not isinstance(value, (str, list)):
            review.report(*data_type("String"), statement.at(("value", key)))
            continue
        for path, entry in statement.element_paths(key):
            if isinstance(entry, str):
                check(review, path, entry)
            else:  # IAM reads a `null` or a number in the list as matching nothing; AWS reports it
                review.report(*data_type("String"), path)


def _check_action(review: PolicyReview, path: Path, pattern: str) -> None:
    """INVALID_ACTION (with the closest real action), INVALID_SERVICE_IN_ACTION, WILDCARD_IN_SERVICE_NAME."""
    if pattern == "*":
        return
    prefix, colon, name = pattern.partition(":")
    if not colon or not _ACTION_NAME.fullmatch(name):
        # "s3: GetObject", "iam:", "iam:Get,List": IAM stores them, they match no request.
        squeezed = re.sub(r"\s+", "", pattern)  # "iam: GetUser" was surely meant as iam:GetUser
        near = review.catalog.suggestion(squeezed) if colon and _ACTION_NAME.fullmatch(squeezed.partition(":")[2]) \
            else None
        review.report("INVALID_ACTION", f"The action {pattern} does not exist.{_did_you_mean(near)}", path)
        return
    if "*" in prefix or "?" in prefix:
        review.report("WILDCARD_IN_SERVICE_NAME", "Avoid using wildcards (*, ?) in the service name because it might "
                      "grant unintended access to other AWS services with similar names.", path)
        return
    if not review.catalog.exists(prefix):
        near = review.catalog.suggest_service(prefix)
        review.report("INVALID_SERVICE_IN_ACTION",
                      f"The service {prefix} specified in the action does not exist.{_did_you_mean(near)}", path)
        return
    if review.catalog.service(prefix) is None or review.catalog.matching(pattern):
        return
    near = None if ("*" in name or "?" in name) else review.catalog.suggestion(pattern)
    review.report("INVALID_ACTION", f"The action {pattern} does not exist.{_did_you_mean(near)}", path)


def _did_you_mean(near: str | None) -> str:
    return f" Did you mean {near}?" if near else ""


def _check_resource(review: PolicyReview, path: Path, pattern: str) -> None:
    """ARN shape, then the catalogue: Region and account allowed, account ID, resource type."""
    problem = arn_problem(pattern)
    if problem is not None:
        review.report(*problem, path)
        return
    if pattern == "*":
        return
    _, partition, service, region, account, resource = pattern.split(":", 5)
    if partition not in _PARTITIONS and not _wild(partition):
        review.report("INVALID_PARTITION", f"The resource ARN for the service {service} does not support the "
                      f"partition {partition}. Use the supported values: {', '.join(_PARTITIONS)}", path)
        return
    if service != service.lower():
        review.report("INVALID_ARN_SERVICE_CASE",
                      f"Update the service name {service} in the resource ARN to use all lowercase letters.", path)
        return
    templates = review.catalog.resource_templates(service)
    if not templates:
        return
    fields = [template.split(":", 5) for template in templates.values()]
    if region and not _wild(region) and not any(f[3] for f in fields):
        review.report("ARN_REGION_NOT_ALLOWED",
                      f"The service {service} does not support specifying a Region in the resource ARN.", path)
    if account and not _wild(account) and not any(f[4] for f in fields):
        review.report("ARN_ACCOUNT_NOT_ALLOWED",
                      f"The service {service} does not support specifying an account ID in the resource ARN.", path)
    elif not (_ACCOUNT.fullmatch(account) or _wild(account)):
        review.report("INVALID_ARN_ACCOUNT",
                      f"The resource ARN account ID {account} is not valid. Provide a 12-digit account ID.", path)
    head = re.split(r"[/:]", resource, maxsplit=1)[0]
    if not _wild(head) and head not in _resource_types(templates):
        review.report("INVALID_ARN_RESOURCE", "Resource ARN does not match the expected ARN format. Update the "
                      "resource portion of the ARN.", path)


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
    """Unknown or tagless keys, keys no action supplies, set qualifiers that do not fit the key, stray wildcards."""
    parsed = statement.parsed
    if parsed is None or parsed.condition is None:
        return
    actions = statement_actions(review, statement)
    for clause in parsed.condition.clauses:
        at_operator = statement.at(("value", "Condition"), ("value", clause.operator))
        where = (*at_operator, ("key", clause.key))
        prefix = clause.key.split(":", 1)[0].lower()
        kind = review.catalog.key_type(clause.key)
        if ":" not in clause.key or not all(part.strip() for part in clause.key.split(":", 1)):
            review.report("INVALID_CONDITION_KEY_FORMAT", "The condition key format is not valid. Use the format "
                          "service:keyname.", where)
            continue
        if clause.key.lower() in _TAG_KEYS or clause.key.endswith("/"):
            review.report("MISSING_TAG_KEY_IN_CONDITION", f"The condition key {clause.key} must include a tag key to "
                          "control access based on tags. Use the format tag-key and specify a key name for tag-key.",
                          where)
            continue
        if prefix == "aws" and kind is None:
            review.report("INVALID_GLOBAL_CONDITION_KEY",
                          f"The condition key {clause.key} does not exist. Use a valid condition key.", where)
            continue
        service = review.catalog.service(prefix)
        if service is not None and prefix != "aws" and kind is None:
            review.report("INVALID_SERVICE_CONDITION_KEY", f"The condition key {clause.key} does not exist in the "
                          f"service {prefix}. Use a valid condition key.", where)
            continue
        if actions and prefix != "aws" and not _supported(review, actions, clause.key, prefix):
            names = ", ".join(sorted({a.full_name for a in actions})[:5])
            review.report("UNSUPPORTED_CONDITION_KEY_FOR_ACTION",
                          f"The condition key {clause.key} is not supported by any action of the statement "
                          f"({names}); the condition never holds for them.", where)
        multi = bool(kind) and kind.startswith(MULTI_VALUED_PREFIX)
        if clause.set_operator is SetOperator.FOR_ALL_VALUES and kind and not multi:
            review.report("FORALLVALUES_WITH_SINGLE_VALUED_KEY", "Using ForAllValues qualifier with the "
                          f"single-valued condition key {clause.key} can be overly permissive. We recommend that you "
                          "remove ForAllValues:.", where)
        if multi and clause.set_operator is None and clause.base is not None:
            review.report("MISSING_QUALIFIER", f"The request context key {clause.key} has multiple values. Use the "
                          "ForAllValues or ForAnyValue condition key qualifiers in your policy.", where)
        if clause.base is not None and clause.base.name in _EQUALS and any(
                isinstance(v, str) and ("*" in v or "?" in v) for v in clause.values):
            review.report("WILDCARD_WITHOUT_LIKE_OPERATOR", "Your condition value includes a * or ? character. If "
                          "you meant to use a wildcard (*, ?), update the condition operator to include Like.",
                          (*at_operator, ("value", clause.key)))


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
