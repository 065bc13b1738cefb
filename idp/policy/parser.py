"""Policy JSON -> Policy, refusing every document IAM would refuse."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .conditions import parse_condition
from .document import VERSION_2008, VERSIONS, Effect, Policy, Statement
from .errors import MalformedPolicyDocument
from .kinds import MAX_NESTING_DEPTH, PolicyKind
from .matchers import ActionSet, ResourceSet
from .principals import PrincipalSet, parse_principal
from .variables import parse_value

_TOP_LEVEL = ("Version", "Id", "Statement")
_STATEMENT_ELEMENTS = (
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
    "Resource", "NotResource", "Condition",
)  # fmt: skip
_ACTION = re.compile(r"\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?_-]+")


def parse_policy(document: str | Mapping[str, Any], kind: PolicyKind, policy_id: str = "") -> Policy:
    """Parse and validate a policy document of the given kind.

    `policy_id` names the policy in decisions (its ARN, or a label such as
    `user/alice/inline/ReadOnly`).
    """
    if isinstance(document, str):
        _check_size(document, kind)
        decoded = _decode(document)
    elif isinstance(document, Mapping):
        decoded = dict(document)
        _check_depth(decoded)
        _check_size(json.dumps(decoded, ensure_ascii=False, separators=(",", ":")), kind)
    else:
        raise MalformedPolicyDocument("Policy document must be a JSON object")
    if not isinstance(decoded, dict):
        raise MalformedPolicyDocument("Policy document must be a JSON object")
    return _policy(decoded, kind, policy_id)


def _check_size(text: str, kind: PolicyKind) -> None:
    # IAM does not count whitespace towards the quota.
    size = sum(1 for ch in text if not ch.isspace())
    if size > kind.size_limit:
        raise MalformedPolicyDocument(
            f"Cannot exceed quota for PolicySize: {kind.size_limit} ({kind.value} policy has {size} characters)"
        )


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedPolicyDocument(f"Syntax errors in policy: duplicate key {key!r}")
        result[key] = value
    return result


def _decode(text: str) -> Any:
    try:
        decoded = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as error:
        raise MalformedPolicyDocument(
            f"Syntax errors in policy: invalid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    except RecursionError:
        raise MalformedPolicyDocument(f"Policy nesting exceeds the limit of {MAX_NESTING_DEPTH}") from None
    _check_depth(decoded)
    return decoded


def _check_depth(value: Any) -> None:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_NESTING_DEPTH:
                raise MalformedPolicyDocument(f"Policy nesting exceeds the limit of {MAX_NESTING_DEPTH}")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def _policy(decoded: dict[str, Any], kind: PolicyKind, policy_id: str) -> Policy:
    for key in decoded:
        if key not in _TOP_LEVEL:
            raise MalformedPolicyDocument(f"Unknown element {key!r} in policy", key)
    version = decoded.get("Version", VERSION_2008)
    if version not in VERSIONS:
        raise MalformedPolicyDocument(f"Invalid Version {version!r}: expected one of {', '.join(VERSIONS)}", "Version")
    document_id = decoded.get("Id")
    if document_id is not None and not isinstance(document_id, str):
        raise MalformedPolicyDocument("Id must be a string", "Id")
    if "Statement" not in decoded:
        raise MalformedPolicyDocument("Missing required element Statement")
    raw = decoded["Statement"]
    listed = raw if isinstance(raw, list) else [raw]
    if not listed:
        raise MalformedPolicyDocument("Statement must not be empty", "Statement")
    statements = []
    sids: set[str] = set()
    for index, entry in enumerate(listed):
        path = f"Statement[{index}]" if isinstance(raw, list) else "Statement"
        statement = _statement(entry, index, version, kind, path)
        if statement.sid:
            if statement.sid in sids:
                raise MalformedPolicyDocument(
                    f"Statement IDs (SID) in a single policy must be unique: duplicate Sid {statement.sid!r}", path
                )
            sids.add(statement.sid)
        statements.append(statement)
    canonical = json.dumps(decoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Policy(policy_id or document_id or "", kind, version, document_id, canonical, tuple(statements))


def _statement(entry: object, index: int, version: str, kind: PolicyKind, path: str) -> Statement:
    if not isinstance(entry, dict):
        raise MalformedPolicyDocument("Statement must be an object", path)
    for key in entry:
        if key not in _STATEMENT_ELEMENTS:
            raise MalformedPolicyDocument(f"Unknown element {key!r} in statement", f"{path}.{key}")
    sid = entry.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise MalformedPolicyDocument("Sid must be a string", f"{path}.Sid")
    effect = entry.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicyDocument(f"Invalid Effect {effect!r}: expected Allow or Deny", f"{path}.Effect")
    return Statement(
        index=index,
        sid=sid or None,
        effect=Effect(effect),
        actions=_actions(entry, path),
        resources=_resources(entry, version, kind, path),
        principals=_principals(entry, kind, path),
        condition=parse_condition(entry["Condition"], version, f"{path}.Condition") if "Condition" in entry else None,
    )


def _one_of(entry: dict[str, Any], name: str, path: str) -> tuple[str, Any] | None:
    negated = f"Not{name}"
    if name in entry and negated in entry:
        raise MalformedPolicyDocument(f"Statement must not contain both {name} and {negated}", path)
    for key in (name, negated):
        if key in entry:
            return key, entry[key]
    return None


def _strings(value: object, path: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise MalformedPolicyDocument("Element must not be an empty list", path)
    if not all(isinstance(item, str) for item in items):
        raise MalformedPolicyDocument("Element must be a string or a list of strings", path)
    return tuple(items)


def _actions(entry: dict[str, Any], path: str) -> ActionSet:
    found = _one_of(entry, "Action", path)
    if found is None:
        raise MalformedPolicyDocument("Policy statement must contain actions (Action or NotAction)", path)
    key, value = found
    patterns = _strings(value, f"{path}.{key}")
    for position, pattern in enumerate(patterns):
        if not _ACTION.fullmatch(pattern):
            raise MalformedPolicyDocument(
                f"Invalid action {pattern!r}: expected \"*\" or service:action", f"{path}.{key}[{position}]"
            )
    return ActionSet.compile(patterns, negated=key == "NotAction")


def _resources(entry: dict[str, Any], version: str, kind: PolicyKind, path: str) -> ResourceSet | None:
    found = _one_of(entry, "Resource", path)
    if not kind.allows_resource:
        if found is not None:
            raise MalformedPolicyDocument(f"Has prohibited field {found[0]} in a {kind.value} policy", path)
        return None
    if found is None:
        raise MalformedPolicyDocument("Policy statement must contain resources (Resource or NotResource)", path)
    key, value = found
    patterns = _strings(value, f"{path}.{key}")
    for position, pattern in enumerate(patterns):
        parts = pattern.split(":", 5)
        if pattern != "*" and (len(parts) < 6 or parts[0] != "arn" or not parts[1] or not parts[2]):
            raise MalformedPolicyDocument(
                f"Resource {pattern!r} must be in ARN format or \"*\"", f"{path}.{key}[{position}]"
            )
    return ResourceSet.compile(tuple(parse_value(p, version) for p in patterns), negated=key == "NotResource")


def _principals(entry: dict[str, Any], kind: PolicyKind, path: str) -> PrincipalSet | None:
    found = _one_of(entry, "Principal", path)
    if found is None:
        if kind.needs_principal:
            raise MalformedPolicyDocument(f"Missing required field Principal in a {kind.value} policy", path)
        return None
    key, value = found
    if not kind.needs_principal:
        raise MalformedPolicyDocument(
            f"Policy document should not specify a principal ({key} in a {kind.value} policy)", f"{path}.{key}"
        )
    return parse_principal(value, negated=key == "NotPrincipal", path=f"{path}.{key}")
