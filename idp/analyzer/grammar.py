"""The engine's refusals (MalformedPolicyDocument) as Access Analyzer findings, in AWS's codes and words.

The policy engine judges grammar: each statement is parsed on its own, so
every broken statement is reported, not only the first. What the engine
accepts but AWS's analyzer still reports (malformed action strings, short
ARNs, `null` in a list) is found by the element checks over the raw JSON.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from idp.analyzer.locations import Path, parse_engine_path
from idp.analyzer.review import PolicyReview, StatementUnderReview
from idp.policy import MalformedPolicyDocument, parse_policy

Finding = tuple[str, str]  # (issue code, findingDetails)


def data_type(expected: str) -> Finding:
    """DATA_TYPE_MISMATCH in AWS's words."""
    return "DATA_TYPE_MISMATCH", f"The text does not match the expected JSON data type {expected}."


def arn_problem(resource: str) -> Finding | None:
    """INVALID_ARN_PREFIX / MISSING_ARN_FIELD for a Resource entry that is not an ARN (None when it is one)."""
    if resource == "*":
        return None
    if not resource.startswith("arn:"):
        return "INVALID_ARN_PREFIX", "Add the required prefix (arn) to the resource ARN."
    parts = resource.split(":", 5)
    if len(parts) < 6 or not parts[1] or not parts[2]:
        return ("MISSING_ARN_FIELD", "Resource ARNs must include at least 6 fields in the following structure: "
                                     "arn:partition:service:region:account:resource")
    return None


def _last_name(where: Path) -> str:
    names = [str(value) for step, value in where if step in ("value", "key")]
    return names[-1] if names else "Statement"


def _value(review: PolicyReview, where: Path) -> object:
    node: object = review.document
    for step, value in where:
        if step == "value" and isinstance(node, dict):
            node = node.get(value)
        elif step == "index" and isinstance(node, list) and isinstance(value, int) and value < len(node):
            node = node[value]
        else:
            return None
    return node


def _operator_family(operator: str) -> Finding:
    base = operator.split(":", 1)[-1].removesuffix("IfExists")
    families = (
        ("Numeric", "TYPE_MISMATCH_NUMBER", "Add a valid numeric value for the condition operator."),
        ("Date", "TYPE_MISMATCH_DATE", "The date condition operator is used with an invalid value. Specify a valid "
                                       "date using YYYY-MM-DD or other ISO 8601 date/time format."),
        ("Bool", "TYPE_MISMATCH_BOOLEAN", "Add a valid Boolean value (true or false) for the condition operator."),
        ("Binary", "TYPE_MISMATCH_STRING", "Add a valid base64-encoded string value for the condition operator."),
        ("IpAddress", "TYPE_MISMATCH_IP_RANGE", "The condition operator is used with an invalid IP range value. "
                                                "Specify the IP range in standard CIDR format."),
        ("NotIpAddress", "TYPE_MISMATCH_IP_RANGE", "The condition operator is used with an invalid IP range "
                                                   "value. Specify the IP range in standard CIDR format."),
    )
    for prefix, code, details in families:
        if base.startswith(prefix):
            return code, details
    return "INVALID_CONDITION_DATA_TYPE", ("The condition value data types do not match. Use condition values of "
                                           "the same JSON data type.")


def _principal_not_supported(review: PolicyReview) -> Finding:
    if review.policy_type == "SERVICE_CONTROL_POLICY":
        return "SCP_SYNTAX_ERROR_PRINCIPAL", ("SCPs do not support specifying principals. Remove the Principal or "
                                              "NotPrincipal element.")
    return "UNSUPPORTED_PRINCIPAL", (f"The policy type {review.policy_type} does not support the Principal element. "
                                     "Remove the Principal element.")


def _effect(review: PolicyReview, where: Path) -> Finding:
    effect = _value(review, where)
    if effect is None:
        return "MISSING_EFFECT", "Add an Effect element to the policy statement with a value of Allow or Deny."
    if not isinstance(effect, str):
        return data_type("String")
    return "INVALID_EFFECT", f"The effect {effect} is not valid. Use Allow or Deny."


Rule = Callable[[re.Match[str], PolicyReview, Path], Finding]
# (the engine's refusal: its sentence and detail, either phrasing; what AWS's analyzer reports), first match wins.
RULES: tuple[tuple[re.Pattern[str], Rule], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), rule) for pattern, rule in (
    (r"unknown element '(.*?)'", lambda m, r, w: (
        "INVALID_POLICY_ELEMENT", f"The policy element {m.group(1)} is not valid.")),
    (r"should not specify a principal", lambda m, r, w: _principal_not_supported(r)),
    (r"Has prohibited field (\w+)", lambda m, r, w: (
        "INVALID_POLICY_ELEMENT", f"The policy element {m.group(1)} is not valid.")),
    (r"Invalid Effect|Effect must be|Effect '.*' must be spelled", lambda m, r, w: _effect(r, w)),
    (r"must not contain both (\w+) and (\w+)", lambda m, r, w: (
        "UNSUPPORTED_ELEMENT_COMBINATION", f"The policy elements {m.group(1)} and {m.group(2)} can not be used in "
                                           "the same statement. Remove one of these elements.")),
    (r"must contain actions|has no Action or NotAction", lambda m, r, w: (
        "MISSING_ACTION", "Add an Action or NotAction element to the policy statement.")),
    (r"AssumeRole policy may only specify", lambda m, r, w: (
        "UNSUPPORTED_ACTION_IN_POLICY", f"The action {_value(r, w)} is not supported for the resource-based policy "
                                        "attached to the resource type AWS::IAM::AssumeRolePolicyDocument.")),
    (r"must contain resources|has no Resource or NotResource", lambda m, r, w: (
        "MISSING_RESOURCE", "Add a Resource or NotResource element to the policy statement.")),
    (r"Missing required field Principal", lambda m, r, w: (
        "MISSING_PRINCIPAL", "Add a Principal element to the policy statement.")),
    (r"Invalid principal in policy: unknown principal type '(.*?)'", lambda m, r, w: (
        "INVALID_PRINCIPAL_KEY", f"The principal key {m.group(1)} is not valid.")),
    (r"Invalid principal in policy: wildcard", lambda m, r, w: (
        "UNSUPPORTED_WILDCARD_IN_PRINCIPAL",
        f"Wildcards (*, ?) are not supported with the principal key {_principal_key(w)}. Replace the wildcard "
        "with a valid principal value.")),
    (r"Invalid principal", lambda m, r, w: (
        "INVALID_PRINCIPAL_FORMAT", "The Principal element contents are not valid. Specify a key-value pair in the "
                                    "Principal element.")),
    (r"Unknown condition (?:set )?operator", lambda m, r, w: (
        "INVALID_CONDITION_OPERATOR", f"The condition operator {_last_name(w)} is not valid. Use a valid condition "
                                      "operator.")),
    (r"Condition operator \S*IfExists is not allowed", lambda m, r, w: (
        "NULL_WITH_IF_EXISTS", "The Null condition operator cannot be used with the IfExists suffix. Update the "
                               "operator or the suffix.")),
    (r"Condition operator .* is not allowed", lambda m, r, w: (
        "NULL_WITH_QUALIFIER", "Avoid using the Null condition operator with the ForAllValues or ForAnyValue "
                               "qualifiers because they always return a true or false respectively.")),
    (r"Invalid condition key", lambda m, r, w: _KEY_FORMAT),
    (r"Null takes true or false", lambda m, r, w: (
        "TYPE_MISMATCH_BOOLEAN", "Add a valid Boolean value (true or false) for the condition operator.")),
    (r"Invalid value for (\S+):", lambda m, r, w: _operator_family(m.group(1))),
    (r"Condition must be|Condition operator \S+ must map", lambda m, r, w: data_type("Object")),
    (r"Statement must be an object", lambda m, r, w: data_type("Object")),
    (r"nesting exceeds the limit of (\d+)", lambda m, r, w: (
        "POLICY_NESTING_EXCEEDED", f"The policy nests deeper than {m.group(1)} levels, which IAM refuses.")),
    (r"must be|expected", lambda m, r, w: data_type("String")),
))
_KEY_FORMAT = ("INVALID_CONDITION_KEY_FORMAT", "The condition key format is not valid. Use the format service:keyname.")


def _principal_key(where: Path) -> str:
    keys = [str(value) for step, value in where if step == "value"]
    return keys[keys.index("Principal") + 1] if "Principal" in keys[:-1] else _last_name(where)


def aws_finding(review: PolicyReview, error: MalformedPolicyDocument, where: Path) -> Finding:
    """AWS's issue code and findingDetails for one of the engine's refusals about `where`."""
    text = f"{error.problem} ({getattr(error, 'detail', '')})"
    for pattern, rule in RULES:
        match = pattern.search(text)
        if match:
            return rule(match, review, where)
    return "INVALID_POLICY_ELEMENT", f"The policy element {_last_name(where)} is not valid."


_EXPLAINED = {"MISSING_ACTION": ("Action", "NotAction"), "MISSING_RESOURCE": ("Resource", "NotResource")}
_RAW_ELEMENTS = (("value", "Action"), ("value", "NotAction"), ("value", "Resource"), ("value", "NotResource"))


def _judged_raw(statement: StatementUnderReview, where: Path, error: MalformedPolicyDocument) -> bool:
    # `checks_elements.check_raw_elements` reports Action and Resource entries itself, parsed or not (a trust
    # policy's refusal of an action, or of Resource at all, is a rule of its kind, not of the string).
    if re.search(r"AssumeRole policy may only|prohibited field", error.problem, re.IGNORECASE):
        return False
    inside = where[len(statement.path):len(statement.path) + 1]
    return len(inside) == 1 and inside[0] in _RAW_ELEMENTS


def parse_statement(review: PolicyReview, statement: StatementUnderReview, version: str,
                    suppressed: list[Path]) -> None:
    """Parse one statement with the engine; record its refusal unless an empty element explains it."""
    wrapped = {"Version": version, "Statement": [statement.raw]}
    try:
        policy = parse_policy(wrapped, review.kind, f"Statement[{statement.index}]")
    except MalformedPolicyDocument as error:
        if error.problem.startswith(("Cannot exceed quota", "Policy document must be version")):
            return  # the document's size and Version are judged once, for the whole document
        # The engine names the wrapped statement `Statement[0]`; point at the real one.
        inner = parse_engine_path(error.path)[2:]
        where = (*statement.path, *inner)
        code, details = aws_finding(review, error, where)
        if any(where[: len(p)] == p for p in suppressed) or _judged_raw(statement, where, error):
            return
        if code in _EXPLAINED and any(statement.raw.get(k) == [] for k in _EXPLAINED[code]):
            return  # an empty list: EMPTY_ARRAY_ACTION / EMPTY_ARRAY_RESOURCE say it, as a suggestion
        review.report(code, details, where)
        return
    statement.parsed = policy.statements[0]
