"""ValidatePolicy: a policy document -> findings typed ERROR / SECURITY_WARNING / WARNING / SUGGESTION.

Grammar is the policy engine's (`idp.policy.parse_policy`, statement by
statement); the analyzer adds what the engine does not judge: the catalogue
(services, actions, resource types, condition keys) and risky or redundant
grants. Every finding carries the JSON path and character span it is about.
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
    checks_elements.check_actions, checks_elements.check_resources, checks_elements.check_condition_keys,
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
    return PolicyKind.TRUST if resource_type == TRUST_RESOURCE_TYPE else PolicyKind.RESOURCE


def validate_policy(text: str, policy_type: str, resource_type: str | None = None,
                    catalog: Catalog | None = None) -> list[Finding]:
    """Every finding for one policy document, most severe first."""
    review = PolicyReview(text, policy_kind(policy_type, resource_type), catalog or bundled())
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        review.findings.append(_syntax_finding(text, error))
        return review.findings
    except RecursionError:
        review.error("POLICY_NESTING_EXCEEDED", "The document nests too deeply to be a policy.")
        return review.findings
    review.spans = DocumentMap(text)
    if not isinstance(document, dict):
        review.error("DATA_TYPE_MISMATCH", "The policy document must be a JSON object.")
        return review.findings
    review.document = document
    if not _whole_document(review):
        return review.findings
    _top_level(review)
    version = document.get("Version") if document.get("Version") in VERSIONS else VERSION_2012
    for statement in _statements(review):
        suppressed = checks_redundancy.check_empty(review, statement)
        grammar.parse_statement(review, statement, version, suppressed)
        if statement.parsed is not None:
            for check in STATEMENT_CHECKS:
                check(review, statement)
    _duplicate_sids(review)
    checks_redundancy.check_redundant_statements(review)
    return ordered(review.findings)


def _syntax_finding(text: str, error: json.JSONDecodeError) -> Finding:
    spans = DocumentMap(text, scan=False)
    offset = min(error.pos, max(len(text) - 1, 0))
    return Finding(FindingType.ERROR, "JSON_SYNTAX_ERROR",
                   f"The policy is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}.",
                   (Location((), spans.position(offset), spans.position(min(offset + 1, len(text)))),))


def _whole_document(review: PolicyReview) -> bool:
    """Refusals that concern the whole text (size, nesting, duplicate keys) end the review."""
    try:
        parse_policy(review.text, review.kind)
    except MalformedPolicyDocument as error:
        code = grammar.issue_code(error.problem)
        if code in ("POLICY_SIZE_EXCEEDED", "POLICY_NESTING_EXCEEDED", "DUPLICATE_KEY", "JSON_SYNTAX_ERROR"):
            grammar.report(review, error, ())
            return False
    return True


def _top_level(review: PolicyReview) -> None:
    document = review.document
    for key in document:
        if key not in _TOP_LEVEL:
            review.error("INVALID_POLICY_ELEMENT", f"The element {key} is not a policy element.", (("key", key),))
    if "Version" not in document:
        review.warning("MISSING_VERSION", "The policy has no Version: IAM reads it as 2008-10-17, where policy "
                       "variables are not substituted. Add \"Version\": \"2012-10-17\".", ())
    elif document["Version"] not in VERSIONS:
        review.error("INVALID_VERSION", f"The Version {document['Version']!r} is not valid: use 2012-10-17.",
                     (("value", "Version"),))
    if "Id" in document and not isinstance(document["Id"], str):
        review.error("DATA_TYPE_MISMATCH", "The Id must be a string.", (("value", "Id"),))


def _statements(review: PolicyReview) -> list[StatementUnderReview]:
    raw = review.document.get("Statement")
    if raw is None or raw == []:
        review.error("MISSING_STATEMENT", "The policy has no statements: add a Statement element.",
                     (("value", "Statement"),) if raw == [] else ())
        return []
    if isinstance(raw, list):
        review.statements = [StatementUnderReview(i, entry, (("value", "Statement"), ("index", i)))
                             for i, entry in enumerate(raw)]
    else:
        review.statements = [StatementUnderReview(0, raw, (("value", "Statement"),))]
    return review.statements


def _duplicate_sids(review: PolicyReview) -> None:
    seen: set[str] = set()
    for statement in review.parsed:
        sid = statement.parsed.sid
        if sid and sid in seen:
            review.error("DUPLICATE_SID", f"The Sid {sid!r} is used by more than one statement; Sids must be "
                         "unique within a policy.", statement.at(("value", "Sid")))
        if sid:
            seen.add(sid)
