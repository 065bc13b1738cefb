"""SUGGESTION checks: empty elements, actions and statements that add nothing."""
from __future__ import annotations

import json

from idp.analyzer.locations import Path
from idp.analyzer.review import PolicyReview, StatementUnderReview
from idp.policy.patterns import arn_regex, glob_regex, literal

_EMPTY_ARRAYS = {"Action": "ACTION", "NotAction": "ACTION", "Resource": "RESOURCE", "NotResource": "RESOURCE"}


_EMPTY = {
    "ACTION": "This statement includes no actions and does not affect the policy. Specify actions.",
    "RESOURCE": "This statement includes no resources and does not affect the policy. Specify resources.",
    "PRINCIPAL": "This statement includes no principals and does not affect the policy. Specify principals.",
    "CONDITION_FORALLVALUES": "The ForAllValues prefix with an empty condition key matches only if the key is "
                              "missing from the request context. To determine if the request context is empty, we "
                              "recommend that you use the Null condition operator with the value of true instead.",
    "CONDITION_FORANYVALUE": "The ForAnyValue prefix with an empty condition key never matches the request context "
                             "and it does not affect the policy. Specify conditions.",
    "CONDITION_IFEXISTS": "The IfExists suffix with an empty condition key matches only if the key is missing from "
                          "the request context. To determine if the request context is empty, we recommend that you "
                          "use the Null condition operator with the value of true instead.",
}
_EMPTY_CONDITION = "This condition block is empty and it does not affect the policy. Specify conditions."


def check_empty(review: PolicyReview, statement: StatementUnderReview) -> list[Path]:
    """EMPTY_ARRAY_* / EMPTY_OBJECT_* / EMPTY_SID_VALUE; returns the paths whose refusal they explain."""
    raw = statement.raw
    if not isinstance(raw, dict):
        return []
    found: list[Path] = []

    def empty(code: str, details: str, path: Path) -> None:
        review.report(code, details, path)
        found.append(path)

    if raw.get("Sid") == "":
        review.report("EMPTY_SID_VALUE", "Add a value to the empty string in the Sid element.",
                      statement.at(("value", "Sid")))
    for element, code in _EMPTY_ARRAYS.items():
        if raw.get(element) == []:
            empty(f"EMPTY_ARRAY_{code}", _EMPTY[code], statement.at(("value", element)))
    for element in ("Principal", "NotPrincipal"):
        value = raw.get(element)
        if value == {}:
            empty("EMPTY_OBJECT_PRINCIPAL", _EMPTY["PRINCIPAL"], statement.at(("value", element)))
        elif isinstance(value, dict):
            for key, entries in value.items():
                if entries == []:
                    empty("EMPTY_ARRAY_PRINCIPAL", _EMPTY["PRINCIPAL"],
                          statement.at(("value", element), ("value", key)))
    condition = raw.get("Condition")
    if condition == {}:
        empty("EMPTY_OBJECT_CONDITION", _EMPTY_CONDITION, statement.at(("value", "Condition")))
    elif isinstance(condition, dict):
        for operator, keys in condition.items():
            where = statement.at(("value", "Condition"), ("value", operator))
            if keys == {}:
                empty("EMPTY_OBJECT_CONDITION", _EMPTY_CONDITION, where)
            elif isinstance(keys, dict):
                for key, values in keys.items():
                    if values == []:
                        empty(*_empty_values(operator, key), (*where, ("value", key)))
    return found


def _empty_values(operator: str, key: str) -> tuple[str, str]:
    if operator.startswith("ForAllValues:"):
        return "EMPTY_ARRAY_CONDITION_FORALLVALUES", _EMPTY["CONDITION_FORALLVALUES"]
    if operator.startswith("ForAnyValue:"):
        return "EMPTY_ARRAY_CONDITION_FORANYVALUE", _EMPTY["CONDITION_FORANYVALUE"]
    if operator.endswith("IfExists"):
        return "EMPTY_ARRAY_CONDITION_IFEXISTS", _EMPTY["CONDITION_IFEXISTS"]
    return ("EMPTY_ARRAY_CONDITION",
            f"There are no values for the condition key {key} and it does not affect the policy. Specify conditions.")


def _covers_action(wider: str, narrower: str) -> bool:
    return glob_regex(literal(wider.lower())).fullmatch(narrower.lower()) is not None


def _covers_resource(wider: str, narrower: str) -> bool:
    if "${" in wider or "${" in narrower:
        return wider == narrower
    return arn_regex(literal(wider)).fullmatch(narrower) is not None


def check_redundant_actions(review: PolicyReview, statement: StatementUnderReview) -> None:
    """REDUNDANT_ACTION: an action already covered by another entry of the same element."""
    key = "NotAction" if "NotAction" in statement.raw else "Action"
    entries = [(path, value) for path, value in statement.element_paths(key) if isinstance(value, str)]
    for i, (path, action) in enumerate(entries):
        for j, (_, other) in enumerate(entries):
            if i == j or not _covers_action(other, action):
                continue
            if _covers_action(action, other) and j > i:
                continue  # two spellings of the same thing: report only the later one
            review.report("REDUNDANT_ACTION", "The 1 action(s) are redundant because they provide similar "
                          f"permissions. Update the policy to remove the redundant action such as: {action}.", path)
            break


def _signature(raw: dict) -> tuple:
    # What must be identical for one statement to contain another: effect, principal, condition.
    return tuple(json.dumps(raw.get(k), sort_keys=True) for k in ("Effect", "Principal", "NotPrincipal", "Condition"))


def _listed(raw: dict, element: str) -> list[str] | None:
    value = raw.get(element)
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


def _contains(wider: dict, narrower: dict) -> bool:
    if _signature(wider) != _signature(narrower) or "NotAction" in wider or "NotAction" in narrower:
        return False
    if "NotResource" in wider or "NotResource" in narrower:
        return False
    if not all(any(_covers_action(w, n) for w in _listed(wider, "Action")) for n in _listed(narrower, "Action")):
        return False
    wide_resources, narrow_resources = _listed(wider, "Resource"), _listed(narrower, "Resource")
    if wide_resources is None or narrow_resources is None:
        return wide_resources == narrow_resources
    return all(any(_covers_resource(w, n) for w in wide_resources) for n in narrow_resources)


def check_redundant_statements(review: PolicyReview) -> None:
    """REDUNDANT_STATEMENT: a statement whose every grant another statement already makes."""
    parsed = review.parsed
    for statement in parsed:
        for other in parsed:
            if other is statement or not _contains(other.raw, statement.raw):
                continue
            if _contains(statement.raw, other.raw) and other.index > statement.index:
                continue  # duplicates: report only the later one
            review.report("REDUNDANT_STATEMENT", "The statements are redundant because they provide identical "
                          "permissions. Update the policy to remove the redundant statement.", statement.path)
            break
