"""ValidatePolicy: a policy document -> findings typed ERROR / SECURITY_WARNING / WARNING / SUGGESTION.

Grammar is the policy engine's (`idp.policy.parse_policy`, statement by
statement); the analyzer adds what the engine does not judge: the catalogue
(services, actions, resource types, condition keys) and risky or redundant
grants. Issue codes, finding types and wording are AWS's (`idp.analyzer.issues`
is the table). Every finding carries the JSON path and character span it is about.
"""
from __future__ import annotations

import json

from idp.analyzer import checks_elements, checks_redundancy, checks_security, grammar
from idp.analyzer.catalog import Catalog, bundled
from idp.analyzer.findings import Finding, FindingType, ordered
from idp.analyzer.locations import DocumentMap, Location
from idp.analyzer.review import PolicyReview, StatementUnderReview
from idp.errors import ValidationError
from idp.policy import VERSION_2012, MalformedPolicyDocument, PolicyKind, parse_policy
from idp.policy.document import VERSIONS

POLICY_TYPES = ("IDENTITY_POLICY", "RESOURCE_POLICY", "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
TRUST_RESOURCE_TYPE = "AWS::IAM::AssumeRolePolicyDocument"
RESOURCE_TYPES = ("AWS::S3::Bucket", "AWS::S3::AccessPoint", "AWS::S3::MultiRegionAccessPoint",
                  "AWS::S3ObjectLambda::AccessPoint", TRUST_RESOURCE_TYPE, "AWS::DynamoDB::Table")
_TOP_LEVEL = ("Version", "Id", "Statement")
STATEMENT_CHECKS = (
    checks_elements.check_condition_keys,
    checks_security.check_not_elements, checks_security.check_pass_role, checks_security.check_trust_star,
    checks_security.check_web_identity, checks_redundancy.check_redundant_actions,
)


def policy_kind(policy_type: str, resource_type: str | None = None) -> PolicyKind:
    """The engine's kind for an Access Analyzer policy type (a trust policy is a RESOURCE_POLICY of the role)."""
    if policy_type not in POLICY_TYPES:
        raise ValidationError(f"policyType must be one of {', '.join(POLICY_TYPES)}, got {policy_type!r}")
    if resource_type is not None and resource_type not in RESOURCE_TYPES:
        raise ValidationError(f"validatePolicyResourceType must be one of {', '.join(RESOURCE_TYPES)}")
    if resource_type is not None and policy_type != "RESOURCE_POLICY":
        raise ValidationError("validatePolicyResourceType applies only to policyType RESOURCE_POLICY")
    if policy_type == "IDENTITY_POLICY":
        return PolicyKind.MANAGED
    if policy_type == "SERVICE_CONTROL_POLICY":
        return PolicyKind.GUARDRAIL
    if policy_type == "RESOURCE_CONTROL_POLICY":
        return PolicyKind.RESOURCE_GUARDRAIL
    return PolicyKind.TRUST if resource_type == TRUST_RESOURCE_TYPE else PolicyKind.RESOURCE


def validate_policy(text: str, policy_type: str, resource_type: str | None = None,
                    catalog: Catalog | None = None) -> list[Finding]:
    """Every finding for one policy document, most severe first."""
    review = PolicyReview(text, policy_kind(policy_type, resource_type), catalog or bundled(), policy_type)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        review.findings.append(_syntax_finding(text, error.pos))
        return review.findings
    except RecursionError:
        review.report("POLICY_NESTING_EXCEEDED", "The policy nests too deeply to be read, which IAM refuses.")
        return review.findings
    review.spans = DocumentMap(text)
    if review.spans.duplicate_at is not None:
        # IAM refuses a member named twice in one object, as a syntax error.
        review.findings.append(_syntax_finding(text, review.spans.duplicate_at))
        return review.findings
    if not isinstance(document, dict):
        review.report(*grammar.data_type("Object"))
        return review.findings
    review.document = document
    if not _within_nesting(review):
        return review.findings
    _size(review)
    _top_level(review)
    version = document.get("Version") if document.get("Version") in VERSIONS else VERSION_2012
    for statement in _statements(review):
        suppressed = checks_redundancy.check_empty(review, statement)
        grammar.parse_statement(review, statement, version, suppressed)
        checks_elements.check_raw_elements(review, statement)
        if statement.parsed is not None:
            for check in STATEMENT_CHECKS:
                check(review, statement)
    _duplicate_sids(review)
    checks_redundancy.check_redundant_statements(review)
    return ordered(review.findings)


def _syntax_finding(text: str, offset: int) -> Finding:
    spans = DocumentMap(text, scan=False)
    offset = min(offset, max(len(text) - 1, 0))
    start = spans.position(offset)
    return Finding(FindingType.ERROR, "JSON_SYNTAX_ERROR",
                   f"Fix the JSON syntax error at index {offset} line {start.line} column {start.column}.",
                   (Location((), start, spans.position(min(offset + 1, len(text)))),))


def _within_nesting(review: PolicyReview) -> bool:
    """A document nested deeper than the engine reads ends the review (its other refusals are per statement)."""
    try:
        parse_policy(review.document, review.kind)
    except MalformedPolicyDocument as error:
        if "nesting exceeds" in f"{error.problem} {getattr(error, 'detail', '')}":
            review.report(*grammar.aws_finding(review, error, ()))
            return False
    return True


def _size(review: PolicyReview) -> None:
    # IAM does not count whitespace towards the quota.
    size = sum(1 for ch in review.text if not ch.isspace())
    limit = review.kind.size_limit
    if size <= limit:
        return
    if review.policy_type == "SERVICE_CONTROL_POLICY":
        review.report("POLICY_SIZE_EXCEEDS_SCP_QUOTA", "The characters in the service control policy (SCP) exceed "
                      "the character maximum for SCPs. We recommend that you use multiple granular policies.")
    elif review.policy_type == "IDENTITY_POLICY":
        review.report("POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", "The characters in the identity policy, "
                      "excluding whitespace, exceed the character maximum for inline and managed policies. We "
                      "recommend that you use multiple granular policies.")
    else:
        review.report("POLICY_SIZE_EXCEEDED", f"The characters in the policy, excluding whitespace ({size}), exceed "
                      f"the character maximum of {limit} for this policy type. We recommend that you use multiple "
                      "granular policies.")


def _top_level(review: PolicyReview) -> None:
    document = review.document
    for key in document:
        if key not in _TOP_LEVEL:
            review.report("INVALID_POLICY_ELEMENT", f"The policy element {key} is not valid.", (("key", key),))
    version = document.get("Version")
    if "Version" not in document:
        review.report("MISSING_VERSION", "We recommend that you specify the Version element to help you with "
                      "debugging permission issues.")
    elif not isinstance(version, str):
        review.report(*grammar.data_type("String"), (("value", "Version"),))
    elif version not in VERSIONS:
        review.report("INVALID_VERSION", f"The version {version} is not valid. Use one of the following versions: "
                      f"{', '.join(sorted(VERSIONS, reverse=True))}", (("value", "Version"),))
    if "Id" in document and not isinstance(document["Id"], str):
        review.report(*grammar.data_type("String"), (("value", "Id"),))


def _statements(review: PolicyReview) -> list[StatementUnderReview]:
    raw = review.document.get("Statement")
    if raw is None or raw == []:
        review.report("MISSING_STATEMENT", "Add a statement to the policy",
                      *((("value", "Statement"),),) if raw == [] else ())
        return []
    if isinstance(raw, list):
        review.statements = [StatementUnderReview(i, entry, (("value", "Statement"), ("index", i)))
                             for i, entry in enumerate(raw)]
    else:
        review.statements = [StatementUnderReview(0, raw, (("value", "Statement"),))]
    return review.statements


def _duplicate_sids(review: PolicyReview) -> None:
    # IAM refuses duplicate Sids in its own policies; other services' resource policies merely should not have them.
    required = review.policy_type != "RESOURCE_POLICY" or review.kind is PolicyKind.TRUST
    seen: set[str] = set()
    for statement in review.statements:
        sid = statement.raw.get("Sid") if isinstance(statement.raw, dict) else None
        if not isinstance(sid, str) or not sid:
            continue
        if sid in seen and required:
            review.report("UNIQUE_SIDS_REQUIRED", "Duplicate statement IDs are not supported for this policy type. "
                          "Update the Sid value.", statement.at(("value", "Sid")))
        elif sid in seen:
            review.report("UNIQUE_SIDS_RECOMMENDED", "We recommend that you use statement IDs that are unique to "
                          "your policy. Update the Sid value.", statement.at(("value", "Sid")))
        seen.add(sid)
