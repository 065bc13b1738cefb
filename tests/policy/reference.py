"""A deliberately naive evaluator: raw dicts, fnmatch per call, no index, no caches.

It covers the subset of the language the property tests generate (no policy
variables, no NotPrincipal) and is written straight from the IAM User Guide's
flowcharts, so the engine can be checked against it.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from typing import Any


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def action_matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def arn_matches(pattern: str, arn: str) -> bool:
    if pattern == "*":
        return True
    want, have = pattern.split(":", 5), arn.split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return False
    return all(fnmatch.fnmatchcase(h, w) for w, h in zip(want, have))


def _compare(operator: str, policy_value: str, request_value: str) -> bool:
    if operator.startswith("String"):
        if "Like" in operator:
            return fnmatch.fnmatchcase(request_value, policy_value)
        if "IgnoreCase" in operator:
            return request_value.lower() == policy_value.lower()
        return request_value == policy_value
    if operator.startswith("Numeric"):
        try:
            number, limit = float(request_value), float(policy_value)
        except ValueError:
            return False
        if "LessThan" in operator:
            return number < limit or ("Equals" in operator and number == limit)
        if "GreaterThan" in operator:
            return number > limit or ("Equals" in operator and number == limit)
        return number == limit
    if operator == "Bool":
        return request_value.lower() == policy_value.lower()
    if "IpAddress" in operator:
        try:
            return ipaddress.ip_address(request_value) in ipaddress.ip_network(policy_value, strict=False)
        except ValueError:
            return False
    raise AssertionError(operator)


def _negated(operator: str) -> bool:
    return "Not" in operator


def condition_holds(block: dict, context: dict) -> bool:
    lowered = {key.lower(): value for key, value in context.items()}
    for written, keys in block.items():
        qualifier, _, operator = written.rpartition(":")
        if_exists = operator.endswith("IfExists")
        operator = operator.removesuffix("IfExists")
        for key, values in keys.items():
            values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _listed(values)]
            present = lowered.get(key.lower())
            requested = [] if present is None else _listed(present)
            if operator == "Null":
                if not any((value.lower() == "true") == (not requested) for value in values):
                    return False
                continue
            if not requested:
                if qualifier == "ForAllValues":
                    continue
                if qualifier == "ForAnyValue":
                    return False
                if if_exists or _negated(operator):
                    continue
                return False
            base = operator.replace("Not", "") if operator != "NotIpAddress" else "IpAddress"
            per_value = [any(_compare(base, v, r) for v in values) for r in requested]
            if _negated(operator):
                per_value = [not hit for hit in per_value]
            if qualifier == "ForAllValues" or (not qualifier and _negated(operator)):
                ok = all(per_value)
            else:
                ok = any(per_value)
            if not ok:
                return False
    return True


def principal_kind(element: Any, caller: dict) -> str | None:
    """'direct', 'role', 'account' or None, for a Principal element and a caller."""
    if element == "*":
        return "direct"
    found = None
    for entry in _listed(element.get("AWS", [])):
        if entry == "*" or entry == caller["arn"]:
            return "direct"
        if entry == caller.get("role_arn"):
            found = "role"
        elif found is None and entry in (caller["account"], f"arn:aws:iam::{caller['account']}:root"):
            found = "account"
    return found


def statement_applies(statement: dict, request: dict, caller: dict) -> str | None:
    if "Action" in statement:
        if not any(action_matches(p, request["action"]) for p in _listed(statement["Action"])):
            return None
    elif any(action_matches(p, request["action"]) for p in _listed(statement["NotAction"])):
        return None
    if "Resource" in statement:
        if not any(arn_matches(p, request["resource"]) for p in _listed(statement["Resource"])):
            return None
    elif any(arn_matches(p, request["resource"]) for p in _listed(statement["NotResource"])):
        return None
    kind = "direct"
    if "Principal" in statement:
        kind = principal_kind(statement["Principal"], caller)
        if kind is None:
            return None
    if "Condition" in statement and not condition_holds(statement["Condition"], request["context"]):
        return None
    return kind


def decide(request: dict, caller: dict, identity: list, boundary: list, session: list, resource: list) -> str:
    """'Allow', 'ExplicitDeny' or 'ImplicitDeny' for raw policy documents."""

    def verdicts(documents: list) -> list[tuple[str, str]]:
        return [
            (statement["Effect"], kind)
            for document in documents
            for statement in _listed(document["Statement"])
            if (kind := statement_applies(statement, request, caller)) is not None
        ]

    slots = [verdicts(documents) for documents in (identity, boundary, session, resource)]
    if any(effect == "Deny" for slot in slots for effect, _ in slot):
        return "ExplicitDeny"
    identity_allows, boundary_allows, session_allows = (any(e == "Allow" for e, _ in slot) for slot in slots[:3])
    resource_grants = {kind for effect, kind in slots[3] if effect == "Allow"}
    within_limits = (not boundary or boundary_allows) and (not session or session_allows)
    if caller["account"] != request["resource_account"]:
        return "Allow" if identity_allows and within_limits and resource_grants else "ImplicitDeny"
    if "direct" in resource_grants:
        return "Allow"
    if ("role" in resource_grants or identity_allows) and within_limits:
        return "Allow"
    return "ImplicitDeny"
