"""Policy JSON -> Policy, refusing exactly the documents IAM refuses, in IAM's words.

IAM's grammar ("Grammar of the IAM JSON policy language", IAM User Guide) and
what CreatePolicy answers are the reference; the stages of the refusal are in
`errors.Stage`, the strings of Action and Resource in `grammar`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .conditions import parse_condition
from .document import VERSION_2008, VERSION_2012, VERSIONS, Effect, Policy, Statement
from .errors import (
    DUPLICATE_SID, NO_ACTIONS, NO_PRINCIPAL, NO_RESOURCES, VERSION, MalformedPolicyDocument, Problems, Stage, syntax,
)  # fmt: skip
from .grammar import check_action, check_resource, check_trust_action
from .kinds import MAX_NESTING_DEPTH, PolicyKind
from .matchers import ActionSet, ResourceSet
from .principals import PrincipalSet, parse_principal
from .variables import parse_value

_TOP_LEVEL = ("Version", "Id", "Statement")
_STATEMENT_ELEMENTS = (
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
    "Resource", "NotResource", "Condition",
)  # fmt: skip
_PRINCIPAL_NOT_ALLOWED = "Policy document should not specify a principal."


def parse_policy(
    document: str | Mapping[str, Any], kind: PolicyKind, policy_id: str = "", *, entering: bool = False
) -> Policy:
    """Parse and validate a policy document of the given kind.

    `policy_id` names the policy in decisions (its ARN, or a label such as
    `user/alice/inline/ReadOnly`). `entering` adds the rules IAM applies only
    when the document is created or replaced (a managed policy's Version).
    """
    if isinstance(document, str):
        _check_size(document, kind)
        decoded = _decode(document)
    elif isinstance(document, Mapping):
        decoded = dict(document)
        _check_depth(decoded)
        _check_size(json.dumps(decoded, ensure_ascii=False, separators=(",", ":")), kind)
    else:
        raise syntax("", "the policy document must be a JSON object")
    if not isinstance(decoded, dict):
        raise syntax("", "the policy document must be a JSON object")
    return _policy(decoded, kind, policy_id, entering)


def _check_size(text: str, kind: PolicyKind) -> None:
    # IAM does not count whitespace towards the quota.
    size = sum(1 for ch in text if not ch.isspace())
    if size > kind.size_limit:
        raise MalformedPolicyDocument(
            f"Cannot exceed quota for PolicySize: {kind.size_limit}", "", f"{kind.value} policy has {size} characters"
        )


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise syntax("", f"duplicate key {key!r}")
        result[key] = value
    return result


def _decode(text: str) -> Any:
    try:
        decoded = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as error:
        raise syntax("", f"invalid JSON, {error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise syntax("", f"nesting exceeds the limit of {MAX_NESTING_DEPTH}") from None
    _check_depth(decoded)
    return decoded


def _check_depth(value: Any) -> None:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_NESTING_DEPTH:
                raise syntax("", f"nesting exceeds the limit of {MAX_NESTING_DEPTH}")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def _policy(decoded: dict[str, Any], kind: PolicyKind, policy_id: str, entering: bool) -> Policy:
    problems = Problems()
    for key in decoded:
        if key not in _TOP_LEVEL:
            raise syntax(key, f"unknown element {key!r}")
    version = decoded.get("Version", VERSION_2008)
    if version not in VERSIONS:
        raise syntax("Version", f"{version!r} is neither {VERSION_2012} nor {VERSION_2008}")
    if entering and kind.requires_current_version and decoded.get("Version") != VERSION_2012:
        problems.note(VERSION, "Version", f"a {kind.value} policy needs Version {VERSION_2012}", Stage.VERSION)
    document_id = decoded.get("Id")
    if document_id is not None and not isinstance(document_id, str):
        raise syntax("Id", "Id must be a string")
    raw = decoded.get("Statement")
    if not isinstance(raw, (list, dict)) or not raw:
        raise syntax("Statement", "Statement must be an object or a non-empty list of objects")
    listed = raw if isinstance(raw, list) else [raw]
    statements = []
    sids: set[str] = set()
    for index, entry in enumerate(listed):
        path = f"Statement[{index}]" if isinstance(raw, list) else "Statement"
        statement = _statement(entry, index, version, kind, path, problems)
        if statement.sid:
            if statement.sid in sids:
                problems.note(DUPLICATE_SID, f"{path}.Sid", f"duplicate Sid {statement.sid!r}", Stage.SID)
            sids.add(statement.sid)
        statements.append(statement)
    problems.raise_first()
    canonical = json.dumps(decoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Policy(policy_id or document_id or "", kind, version, document_id, canonical, tuple(statements))


def _statement(entry: object, index: int, version: str, kind: PolicyKind, path: str, problems: Problems) -> Statement:
    if not isinstance(entry, dict):
        raise syntax(path, "a statement must be an object")
    for key in entry:
        if key not in _STATEMENT_ELEMENTS:
            raise syntax(f"{path}.{key}", f"unknown element {key!r}")
    sid = entry.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise syntax(f"{path}.Sid", "Sid must be a string")
    return Statement(
        index=index,
        sid=sid or None,
        effect=_effect(entry, path, problems),
        actions=_actions(entry, kind, path, problems),
        resources=_resources(entry, version, kind, path, problems),
        principals=_principals(entry, kind, path, problems),
        condition=parse_condition(entry["Condition"], version, f"{path}.Condition", problems)
        if "Condition" in entry
        else None,
    )


def _effect(entry: dict[str, Any], path: str, problems: Problems) -> Effect:
    effect = entry.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise syntax(f"{path}.Effect", f"Effect must be Allow or Deny, got {effect!r}")
    if effect not in ("Allow", "Deny"):
        # IAM's older parser reads the element case-sensitively.
        problems.note("The policy failed legacy parsing", f"{path}.Effect", f"Effect {effect!r} must be spelled "
                      f"{effect.capitalize()!r}", Stage.LEGACY)
        return Effect(effect.capitalize())
    return Effect(effect)


def _one_of(entry: dict[str, Any], name: str, path: str) -> tuple[str, Any] | None:
    negated = f"Not{name}"
    if name in entry and negated in entry:
        raise syntax(path, f"a statement must not contain both {name} and {negated}")
    for key in (name, negated):
        if key in entry:
            return key, entry[key]
    return None


def _strings(value: object, path: str, nulls: bool = False) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) or (nulls and item is None) for item in items):
        raise syntax(path, "the element must be a string or a list of strings")
    # IAM stores a `null` member of a Resource list; it names nothing.
    return tuple(item for item in items if item is not None)


def _actions(entry: dict[str, Any], kind: PolicyKind, path: str, problems: Problems) -> ActionSet:
    found = _one_of(entry, "Action", path)
    if found is None or found[1] == []:
        problems.note(NO_ACTIONS, path, "the statement has no Action or NotAction", Stage.ACTIONS)
        return ActionSet.compile((), negated=False)
    key, value = found
    patterns = _strings(value, f"{path}.{key}")
    for position, pattern in enumerate(patterns):
        where = f"{path}.{key}[{position}]" if isinstance(value, list) else f"{path}.{key}"
        check_action(pattern, where, problems)
        if kind.only_assume_role_actions:
            check_trust_action(pattern, where, problems)
    return ActionSet.compile(patterns, negated=key == "NotAction")


def _resources(
    entry: dict[str, Any], version: str, kind: PolicyKind, path: str, problems: Problems
) -> ResourceSet | None:
    found = _one_of(entry, "Resource", path)
    if not kind.allows_resource:
        if found is not None:
            problems.note(f"Has prohibited field {found[0]}.", f"{path}.{found[0]}",
                          f"a {kind.value} policy applies to the role itself")
        return None
    if found is None or found[1] == []:
        problems.note(NO_RESOURCES, path, "the statement has no Resource or NotResource", Stage.RESOURCES)
        return None
    key, value = found
    patterns = _strings(value, f"{path}.{key}", nulls=True)
    listed = value if isinstance(value, list) else [value]
    for position, pattern in enumerate(listed):
        if pattern is not None:
            where = f"{path}.{key}[{position}]" if isinstance(value, list) else f"{path}.{key}"
            check_resource(pattern, where, problems)
    return ResourceSet.compile(tuple(parse_value(p, version) for p in patterns), negated=key == "NotResource")


def _principals(entry: dict[str, Any], kind: PolicyKind, path: str, problems: Problems) -> PrincipalSet | None:
    found = _one_of(entry, "Principal", path)
    if found is None:
        if kind.needs_principal:
            problems.note(NO_PRINCIPAL, path, f"a {kind.value} policy names who it applies to")
        return None
    key, value = found
    if not kind.needs_principal:
        problems.note(_PRINCIPAL_NOT_ALLOWED, f"{path}.{key}", f"{key} in a {kind.value} policy")
        return None
    try:
        return parse_principal(value, negated=key == "NotPrincipal", path=f"{path}.{key}")
    except MalformedPolicyDocument as error:
        problems.add(error)
        return None
