"""Concrete requests that exercise a policy: the points the change checks evaluate both documents on.

Each Allow or Deny statement contributes the actions it names (expanded over
the catalogue), the resources it names (each wildcard filled in two ways),
the principals it names, and a request context that satisfies its Condition.
A check is then a question about the engine's answers on these requests, so a
FAIL always comes with a real request; see docs/analyzer.md for what a PASS
cannot promise.
"""
from __future__ import annotations

import ipaddress
import itertools
import re
from dataclasses import dataclass

from idp.analyzer.catalog import Catalog
from idp.errors import Unprocessable
from idp.policy import (
    Effect,
    Policy,
    PrincipalType,
    RequestContext,
    RequestPrincipal,
    Statement,
)
from idp.policy.conditions import ConditionClause, SetOperator
from idp.policy.operators import parse_date, parse_number
from idp.policy.variables import Template

WITNESS = "w1tness"
OWNER_ACCOUNT = "111122223333"
STRANGER_ACCOUNT = "999988887777"
UNKNOWN_ACTION = "analyzer-witness:UnlistedAction"
UNKNOWN_RESOURCE = "arn:aws:analyzer-witness:::unlisted"
MAX_RESOURCES = 60
MAX_CONTEXTS = 24
MAX_PRINCIPALS = 24
# Beyond this many requests a check answers UnprocessableEntity rather than a PASS it did not earn.
MAX_REQUESTS = 50_000
# Keys that identify the caller: whoever calls carries their own values, so a check for public access
# must not pick them freely.
IDENTIFYING_KEYS = frozenset(k.lower() for k in (
    "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:userid",
    "aws:username", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceVpc", "aws:SourceVpce",
    "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:PrincipalIsAWSService", "aws:PrincipalServiceName",
    "aws:PrincipalType", "aws:PrincipalTag", "aws:FederatedProvider",
))


@dataclass(frozen=True)
class Grant:
    """Whether a policy on its own allows a request, and the Allow statements that do."""

    allowed: bool
    statements: tuple[Statement, ...]


def grants(policy: Policy, request: RequestContext) -> Grant:
    """The policy alone: some Allow applies and no Deny does (the engine's `Statement.applies`)."""
    allows = []
    for statement in policy.statements:
        if statement.applies(request):
            if statement.effect is Effect.DENY:
                return Grant(False, ())
            allows.append(statement)
    return Grant(bool(allows), tuple(allows))


def actions(policies: list[Policy], catalog: Catalog) -> list[str]:
    """Every catalogued action the policies' statements name, and a witness for each pattern outside it."""
    found: dict[str, str] = {}
    everything = False
    for statement in _statements(policies):
        everything |= statement.actions.negated or "*" in statement.actions.patterns
        for pattern in statement.actions.patterns:
            matches = catalog.matching(pattern) if pattern != "*" else []
            for action in matches:
                found.setdefault(action.full_name.lower(), action.full_name)
            if not matches and pattern != "*":
                witness = _fill(pattern)
                found.setdefault(witness.lower(), witness)
    if everything:
        for action in catalog.actions():
            found.setdefault(action.full_name.lower(), action.full_name)
        found.setdefault(UNKNOWN_ACTION.lower(), UNKNOWN_ACTION)
    return list(found.values())


def resources(policies: list[Policy]) -> list[str]:
    """`*`, an unlisted ARN, and each named resource pattern with its wildcards filled in two ways."""
    found = {"*": None, UNKNOWN_RESOURCE: None}
    for statement in _statements(policies):
        for pattern in statement.resources.patterns if statement.resources is not None else ():
            text = pattern.source if isinstance(pattern, Template) else pattern
            text = re.sub(r"\$\{[^}]*\}", WITNESS, text)
            for filled in (_fill(text, ""), _fill(text, WITNESS)):
                if len(filled.split(":", 5)) == 6:
                    found[filled] = None
    return list(found)[:MAX_RESOURCES]


def principals(policies: list[Policy], owner: str = OWNER_ACCOUNT) -> list[RequestPrincipal]:
    """An identity in the owner's account, a stranger, anonymous, and each principal the statements name."""
    found = [_user(owner), _user(STRANGER_ACCOUNT),
             RequestPrincipal.of("", "", PrincipalType.ANONYMOUS)]
    for statement in _statements(policies):
        named = statement.principals
        if named is None:
            continue
        found.extend(_user(account) for account in sorted(named.accounts))
        for arn in sorted(named.roles):
            if arn.startswith("arn:"):
                account = arn.split(":")[4]
                name = arn.rsplit("/", 1)[-1]
                found.append(RequestPrincipal.of(f"arn:aws:sts::{account}:assumed-role/{name}/{WITNESS}", account,
                                                 PrincipalType.ASSUMED_ROLE, role_arn=arn))
        for arn in sorted(named.direct):
            if arn.startswith("arn:"):
                kind = PrincipalType.USER if ":user/" in arn else PrincipalType.ASSUMED_ROLE
                found.append(RequestPrincipal.of(arn, arn.split(":")[4], kind))
        for provider in sorted(named.federated):
            kind = PrincipalType.SAML_USER if ":saml-provider/" in provider else PrincipalType.WEB_IDENTITY_USER
            found.append(RequestPrincipal.of(f"{provider}/{WITNESS}", "", kind, provider=provider))
        found.extend(RequestPrincipal.of(service, "", PrincipalType.SERVICE) for service in sorted(named.services))
    unique = {(p.arn, p.type, p.role_arn, p.provider): p for p in found}
    return list(unique.values())[:MAX_PRINCIPALS]


def contexts(policies: list[Policy], *, free_only: bool = False) -> list[dict[str, object]]:
    """No keys, and for each Condition a context that satisfies it (all of them merged, too)."""
    found: list[dict[str, object]] = [{}]
    for statement in _statements(policies):
        satisfying = satisfying_context(statement, free_only=free_only)
        if satisfying and satisfying not in found:
            found.append(satisfying)
    if len(found) > 2:
        merged: dict[str, object] = {}
        for context in found:
            merged.update(context)
        found.append(merged)
    return found[:MAX_CONTEXTS]


def satisfying_context(statement: Statement, *, free_only: bool = False) -> dict[str, object]:
    """Request keys under which the statement's Condition holds (identifying keys left out when `free_only`)."""
    satisfying: dict[str, object] = {}
    for clause in statement.condition.clauses if statement.condition is not None else ():
        if free_only and _identifying(clause.key):
            continue
        value = satisfying_value(clause)
        if value is not None:
            satisfying[clause.key] = value
    return satisfying


def requests(policies: list[Policy], catalog: Catalog, *, identity: bool, free_only: bool = False,
             only_actions: list[str] | None = None, only_resources: list[str] | None = None):
    """Every combination of the witnesses, as the engine's RequestContexts."""
    who = [_user(OWNER_ACCOUNT)] if identity else principals(policies)
    what = only_actions if only_actions is not None else actions(policies, catalog)
    where = only_resources if only_resources is not None else resources(policies)
    keys = contexts(policies, free_only=free_only)
    bounded(len(who) * len(what) * len(where) * len(keys))
    for principal, action, resource, context in itertools.product(who, what, where, keys):
        # Identity policies are compared as the owner's own: no cross-account rule applies.
        yield RequestContext(principal, action, resource, context, principal.account or OWNER_ACCOUNT)


def bounded(count: int) -> None:
    """Refuse a check that would need more than MAX_REQUESTS requests."""
    if count > MAX_REQUESTS:
        raise Unprocessable(f"The policies are too complex to check: {count} requests would be needed, more than "
                            f"the limit of {MAX_REQUESTS}. Split the policy or name fewer actions and resources.")


def satisfying_value(clause: ConditionClause) -> object | None:
    """A request value for which the clause holds (None: leave the key out)."""
    literal = next((v for v in clause.values if not isinstance(v, Template)), None)
    if clause.base is None:  # Null
        return None if "true" in clause.prepared else WITNESS
    if literal is None:
        return None
    name, negated = clause.base.name, clause.base.negated
    value = _value_for(name, str(literal), negated)
    if clause.set_operator in (SetOperator.FOR_ALL_VALUES, SetOperator.FOR_ANY_VALUE):
        return [value]
    return value


def _value_for(name: str, literal: str, negated: bool) -> str:
    if name.startswith(("String", "Arn")):
        return f"{WITNESS}-other" if negated else _fill(literal, "")
    if name.startswith(("Numeric", "Date")):
        number = parse_number(literal) if name.startswith("Numeric") else parse_date(literal)
        step = {"LessThan": -1, "GreaterThan": 1, "NotEquals": 1}.get(name.split("Numeric")[-1].split("Date")[-1], 0)
        result = number + step
        return str(int(result)) if result == int(result) else str(result)
    if name == "Bool":
        return literal.lower()
    if name.endswith("IpAddress"):
        network = ipaddress.ip_network(literal.strip(), strict=False)
        if negated:
            return "203.0.113.7" if ipaddress.ip_address("203.0.113.7") not in network else "198.51.100.7"
        return str(network.network_address)
    return literal


def _identifying(key: str) -> bool:
    lowered = key.lower()
    return lowered in IDENTIFYING_KEYS or lowered.startswith("aws:principaltag/")


def _fill(pattern: str, filler: str = "X") -> str:
    return pattern.replace("*", filler).replace("?", "w")


def _user(account: str) -> RequestPrincipal:
    return RequestPrincipal.of(f"arn:aws:iam::{account}:user/{WITNESS}", account, PrincipalType.USER,
                               user_id=f"AIDA{WITNESS.upper()}", username=WITNESS)


def _statements(policies: list[Policy]) -> list[Statement]:
    return [statement for policy in policies for statement in policy.statements]
