"""The engine's refusals (MalformedPolicyDocument) as Access Analyzer ERROR findings.

The policy engine is the one judge of grammar: each statement is parsed on its
own, so every broken statement is reported, not only the first.
"""
from __future__ import annotations

import re

from idp.analyzer.locations import Path, parse_engine_path
from idp.analyzer.review import PolicyReview, StatementUnderReview
from idp.policy import MalformedPolicyDocument, parse_policy

# (problem pattern, issue code), first match wins.
ISSUE_CODES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), code) for p, code in (
    (r"^Unknown element", "INVALID_POLICY_ELEMENT"),
    (r"^Has prohibited field|^Policy document should not specify a principal", "UNSUPPORTED_ELEMENT"),
    (r"^Invalid Version", "INVALID_VERSION"),
    (r"^Missing required element Statement|^Statement must not be empty", "MISSING_STATEMENT"),
    (r"^Statement IDs \(SID\)", "DUPLICATE_SID"),
    (r"^Invalid Effect None", "MISSING_EFFECT"),
    (r"^Invalid Effect", "INVALID_EFFECT"),
    (r"^Statement must not contain both", "INVALID_POLICY_ELEMENT"),
    (r"^Policy statement must contain actions", "MISSING_ACTION"),
    (r"^Invalid action", "INVALID_ACTION"),
    (r"^Policy statement must contain resources", "MISSING_RESOURCE"),
    (r"^Resource 'arn:", "MISSING_ARN_FIELD"),
    (r"^Resource ", "INVALID_ARN_PREFIX"),
    (r"^Missing required field Principal", "MISSING_PRINCIPAL"),
    (r"^Invalid principal in policy: unknown principal type", "INVALID_PRINCIPAL_KEY"),
    (r"^Invalid principal in policy: wildcard", "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"),
    (r"^Invalid principal", "INVALID_PRINCIPAL_FORMAT"),
    (r"^Unknown condition (set )?operator", "INVALID_CONDITION_OPERATOR"),
    (r"^Condition operator \S*IfExists is not allowed", "NULL_WITH_IF_EXISTS"),
    (r"^Condition operator .* is not allowed", "INVALID_CONDITION_OPERATOR"),
    (r"^Invalid condition key", "INVALID_CONDITION_KEY_FORMAT"),
    (r"^Null takes true or false|^Invalid value for", "INVALID_CONDITION_DATA_TYPE"),
    (r"^Cannot exceed quota", "POLICY_SIZE_EXCEEDED"),
    (r"nesting exceeds", "POLICY_NESTING_EXCEEDED"),
    (r"^Syntax errors in policy: duplicate key", "DUPLICATE_KEY"),
    (r"^Syntax errors", "JSON_SYNTAX_ERROR"),
    (r"must be|expected", "DATA_TYPE_MISMATCH"),
))


def issue_code(problem: str) -> str:
    """The issue code for one of the engine's problem sentences."""
    for pattern, code in ISSUE_CODES:
        if pattern.search(problem):
            return code
    return "INVALID_POLICY_ELEMENT"


def report(review: PolicyReview, error: MalformedPolicyDocument, path: Path | None = None) -> None:
    """One ERROR finding for an engine refusal."""
    where = parse_engine_path(error.path) if path is None else path
    review.error(issue_code(error.problem), _sentence(error.problem), where)


def _sentence(problem: str) -> str:
    return problem if problem.endswith(".") else problem + "."


def parse_statement(review: PolicyReview, statement: StatementUnderReview, version: str,
                    suppressed: list[Path]) -> None:
    """Parse one statement with the engine; record its refusal unless an empty element explains it."""
    wrapped = {"Version": version, "Statement": [statement.raw]}
    try:
        policy = parse_policy(wrapped, review.kind, f"Statement[{statement.index}]")
    except MalformedPolicyDocument as error:
        # The engine names the wrapped statement `Statement[0]`; point at the real one.
        inner = parse_engine_path(error.path)[2:]
        where = (*statement.path, *inner)
        if not any(where[: len(p)] == p for p in suppressed):
            report(review, error, where)
        return
    statement.parsed = policy.statements[0]
