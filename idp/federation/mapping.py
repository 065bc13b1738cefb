"""Claim mappings of an upstream: who may sign in, which local groups, which principal tags. Pure functions.

Rules (the upstream file's `allow`, `deny`, `groups`, `tags`):
- `allow`/`deny`: `{"claim", "equals"|"in"|"regex"}`. Every `allow` rule must
  hold and no `deny` rule may, else the sign-in is refused. A list-valued claim
  matches when any of its values does.
- `groups`: `{"claim", "match": "exact"|"prefix"|"regex", "value", "group"}`:
  the local group `group` when a value of `claim` matches.
- `tags`: `{"claim", "tag"}`: principal tag `tag` = the claim's value (lists
  joined with `:`); absent claim, no tag.
Regexes are full matches, compiled once when the file is loaded.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Mapping

from idp.errors import ValidationError

RULE_KINDS = ("groups", "tags", "allow", "deny")
GROUP_MATCHES = ("exact", "prefix", "regex")
CONDITIONS = ("equals", "in", "regex")
MAX_RULES = 100
MAX_TAG_VALUE = 256
MAX_REGEX = 256


def checked_rules(document: Mapping[str, Any]) -> dict[str, Any]:
    """The rule lists of an upstream file, validated (ValidationError names the bad rule)."""
    rules: dict[str, Any] = {}
    for kind in RULE_KINDS:
        entries = document.get(kind, [])
        if not isinstance(entries, list) or len(entries) > MAX_RULES:
            raise ValidationError(f"{kind} must be a list of at most {MAX_RULES} rules.")
        rules[kind] = [_checked(kind, index, entry) for index, entry in enumerate(entries)]
    return rules


def _checked(kind: str, index: int, entry: object) -> dict:
    where = f"{kind}[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("claim"), str) or not entry["claim"]:
        raise ValidationError(f"{where} needs a claim name.")
    if kind == "groups":
        if entry.get("match", "exact") not in GROUP_MATCHES:
            raise ValidationError(f"{where}.match must be one of {', '.join(GROUP_MATCHES)}.")
        if not isinstance(entry.get("value"), str) or not isinstance(entry.get("group"), str) or not entry["group"]:
            raise ValidationError(f"{where} needs a string value and a group name.")
        if entry.get("match") == "regex":
            _regex(entry["value"], where)
        return {"claim": entry["claim"], "match": entry.get("match", "exact"), "value": entry["value"],
                "group": entry["group"]}
    if kind == "tags":
        if not isinstance(entry.get("tag"), str) or not 0 < len(entry["tag"]) <= 128 or not _tag_text(entry["tag"]):
            raise ValidationError(f"{where}.tag must be a valid IAM tag key.")
        return {"claim": entry["claim"], "tag": entry["tag"]}
    present = [name for name in CONDITIONS if name in entry]
    if len(present) != 1:
        raise ValidationError(f"{where} needs exactly one of {', '.join(CONDITIONS)}.")
    operand = entry[present[0]]
    if present[0] == "in" and not (isinstance(operand, list) and all(isinstance(v, (str, bool, int)) for v in operand)):
        raise ValidationError(f"{where}.in must be a list of values.")
    if present[0] == "regex":
        _regex(operand, where)
    if present[0] == "equals" and not isinstance(operand, (str, bool, int)):
        raise ValidationError(f"{where}.equals must be a string, number or boolean.")
    return {"claim": entry["claim"], present[0]: operand}


def _regex(pattern: object, where: str) -> re.Pattern:
    if not isinstance(pattern, str) or len(pattern) > MAX_REGEX:
        raise ValidationError(f"{where} regex must be a string of at most {MAX_REGEX} characters.")
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ValidationError(f"{where} regex does not compile: {error}.") from None


def _values(claims: Mapping[str, Any], name: str) -> list:
    value = claims.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _holds(rule: Mapping[str, Any], claims: Mapping[str, Any]) -> bool:
    values = _values(claims, rule["claim"])
    if "equals" in rule:
        return any(value == rule["equals"] for value in values)
    if "in" in rule:
        return any(value in rule["in"] for value in values)
    pattern = re.compile(rule["regex"])
    return any(isinstance(value, str) and pattern.fullmatch(value) for value in values)


def refusal(rules: Mapping[str, Any], claims: Mapping[str, Any]) -> str | None:
    """Why these claims may not sign in (the first failing rule), or None when they may."""
    for rule in rules.get("allow", []):
        if not _holds(rule, claims):
            return f"allow rule on claim {rule['claim']!r} does not hold"
    for rule in rules.get("deny", []):
        if _holds(rule, claims):
            return f"deny rule on claim {rule['claim']!r} holds"
    return None


def groups(rules: Mapping[str, Any], claims: Mapping[str, Any]) -> list[str]:
    """The local group names these claims map to, in rule order, without repeats."""
    names: dict[str, None] = {}
    for rule in rules.get("groups", []):
        for value in _values(claims, rule["claim"]):
            if isinstance(value, str) and _group_matches(rule, value):
                names[rule["group"]] = None
    return list(names)


def _group_matches(rule: Mapping[str, Any], value: str) -> bool:
    if rule["match"] == "exact":
        return value == rule["value"]
    if rule["match"] == "prefix":
        return value.startswith(rule["value"])
    return re.fullmatch(rule["value"], value) is not None


def tags(rules: Mapping[str, Any], claims: Mapping[str, Any]) -> dict[str, str | None]:
    """Tag key -> value for every tag rule; None when the claim is absent or not a valid tag value (remove it)."""
    result: dict[str, str | None] = {}
    for rule in rules.get("tags", []):
        values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _values(claims, rule["claim"])
                  if isinstance(v, (str, int, float, bool))]
        text = ":".join(values)
        result[rule["tag"]] = text if values and len(text) <= MAX_TAG_VALUE and _tag_text(text) else None
    return result


def _tag_text(text: str) -> bool:
    # AWS's tag pattern [\p{L}\p{Z}\p{N}_.:/=+\-@]*, by Unicode general category.
    return all(c in "_.:/=+-@" or unicodedata.category(c)[0] in "LZN" for c in text)
