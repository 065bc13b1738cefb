"""Every ValidatePolicy issue code, its finding type and its learn-more link: the one table.

`AWS_CHECKS` is AWS's "IAM Access Analyzer policy check reference"
(docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html),
one row per check: the finding type, and the section anchor the issue code is
derived from (`error-invalid-action` -> INVALID_ACTION). `PRODUCT_CHECKS` are
this product's own checks, which AWS does not have (docs/aws-compatibility.md
lists them); their learn-more link is the reference page itself.
"""
from __future__ import annotations

import enum

LEARN_MORE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"


class FindingType(str, enum.Enum):
    """Access Analyzer's ValidatePolicyFindingType, in order of severity."""

    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"

_E, _S, _W, _G = FindingType.ERROR, FindingType.SECURITY_WARNING, FindingType.WARNING, FindingType.SUGGESTION
# AWS titles a WARNING section "General Warning".
_SLUG = {_E: "error", _S: "security-warning", _W: "general-warning", _G: "suggestion"}

# (finding type, section anchor without the type) as the reference lists them; the code is the anchor in capitals.
_REFERENCE: tuple[tuple[FindingType, str], ...] = (
    (_E, "arn-account-not-allowed"), (_E, "arn-region-not-allowed"), (_E, "data-type-mismatch"),
    (_E, "duplicate-keys-with-different-case"), (_E, "invalid-action"), (_E, "invalid-arn-account"),
    (_E, "invalid-arn-prefix"), (_E, "invalid-arn-region"), (_E, "invalid-arn-resource"),
    (_E, "invalid-arn-service-case"), (_E, "invalid-condition-data-type"), (_E, "invalid-condition-key-format"),
    (_E, "invalid-condition-multiple-boolean"), (_E, "invalid-condition-operator"), (_E, "invalid-effect"),
    (_E, "invalid-global-condition-key"), (_E, "invalid-partition"), (_E, "invalid-policy-element"),
    (_E, "invalid-principal-format"), (_E, "invalid-principal-key"), (_E, "invalid-region"),
    (_E, "invalid-service"), (_E, "invalid-service-condition-key"), (_E, "invalid-service-in-action"),
    (_E, "invalid-service-principal-format"), (_E, "invalid-variable-for-operator"), (_E, "invalid-version"),
    (_E, "json-syntax-error"), (_E, "missing-action"), (_E, "missing-arn-field"), (_E, "missing-arn-region"),
    (_E, "missing-effect"), (_E, "missing-principal"), (_E, "missing-qualifier"), (_E, "missing-resource"),
    (_E, "missing-statement"), (_E, "missing-tag-key-in-condition"), (_E, "null-with-if-exists"),
    (_E, "scp-syntax-error-action-wildcard"), (_E, "scp-syntax-error-allow-condition"),
    (_E, "scp-syntax-error-allow-notaction"), (_E, "scp-syntax-error-allow-resource"),
    (_E, "scp-syntax-error-notresource"), (_E, "scp-syntax-error-principal"), (_E, "unique-sids-required"),
    (_E, "unsupported-element-combination"), (_E, "unsupported-global-condition-key"),
    (_E, "unsupported-principal"), (_E, "unsupported-sid"), (_E, "unsupported-action-in-policy"),
    (_E, "unsupported-resource-arn-in-policy"), (_E, "unsupported-wildcard-in-principal"),
    (_E, "missing-brace-in-variable"), (_E, "unsupported-symbol-in-variable"), (_E, "missing-quote-in-variable"),
    (_E, "unsupported-space-in-variable"), (_E, "empty-variable"), (_E, "variable-unsupported-in-element"),
    (_E, "variable-unsupported-in-version"), (_E, "private-ip-address"), (_E, "private-not-ip-address"),
    (_E, "policy-size-exceeds-scp-quota"),
    (_W, "create-slr-with-not-resource"), (_W, "create-slr-with-star-in-action-and-not-resource"),
    (_W, "create-slr-with-not-action-and-not-resource"), (_W, "create-slr-with-star-in-resource"),
    (_W, "create-slr-with-star-in-action-and-resource"), (_W, "create-slr-with-star-in-resource-and-not-action"),
    (_W, "deprecated-global-condition-key"), (_W, "invalid-date-value"), (_W, "invalid-role-reference"),
    (_W, "invalid-user-reference"), (_W, "missing-version"), (_W, "unique-sids-recommended"),
    (_W, "wildcard-without-like-operator"), (_W, "policy-size-exceeds-identity-policy-quota"),
    (_W, "type-mismatch"), (_W, "type-mismatch-boolean"), (_W, "type-mismatch-date"),
    (_W, "type-mismatch-ip-range"), (_W, "type-mismatch-number"), (_W, "type-mismatch-string"),
    (_S, "allow-with-not-principal"), (_S, "deny-notaction-with-unsupported-tag-condition-key-for-service"),
    (_S, "deny-with-unsupported-tag-condition-key-for-service"), (_S, "forallvalues-with-single-valued-key"),
    (_S, "missing-paired-condition-keys"), (_S, "pass-role-with-not-resource"),
    (_S, "pass-role-with-star-in-action-and-not-resource"), (_S, "pass-role-with-not-action-and-not-resource"),
    (_S, "pass-role-with-star-in-resource"), (_S, "pass-role-with-star-in-action-and-resource"),
    (_S, "pass-role-with-star-in-resource-and-not-action"),
    (_G, "allow-notaction-with-unsupported-tag-condition-key-for-service"),
    (_G, "allow-with-unsupported-tag-condition-key-for-service"), (_G, "empty-array-action"),
    (_G, "empty-array-condition"), (_G, "empty-array-condition-forallvalues"),
    (_G, "empty-array-condition-foranyvalue"), (_G, "empty-array-condition-ifexists"),
    (_G, "empty-array-principal"), (_G, "empty-array-resource"), (_G, "empty-object-condition"),
    (_G, "empty-object-principal"), (_G, "empty-sid-value"), (_G, "improve-ip-range"), (_G, "null-with-qualifier"),
    (_G, "private-ip-address-subset"), (_G, "private-not-ip-address-subset"), (_G, "redundant-action"),
    (_G, "redundant-condition-value-num"), (_G, "redundant-resource"), (_G, "redundant-statement"),
    (_G, "wildcard-in-service-name"),
)


def _code(anchor: str) -> str:
    return anchor.upper().replace("-", "_")


AWS_CHECKS: dict[str, FindingType] = {_code(anchor): kind for kind, anchor in _REFERENCE}
_ANCHORS: dict[str, str] = {_code(anchor): f"{_SLUG[kind]}-{anchor}" for kind, anchor in _REFERENCE}

# This product's own checks: no AWS equivalent (each is a row of docs/aws-compatibility.md).
PRODUCT_CHECKS: dict[str, FindingType] = {
    # IAM refuses these documents; AWS's analyzer has no code for them.
    "POLICY_NESTING_EXCEEDED": _E,
    "POLICY_SIZE_EXCEEDED": _W,  # a resource or trust policy over IAM's quota
    # Grants wider than their author likely meant.
    "ALLOW_WITH_NOT_ACTION": _S,
    "ALLOW_WITH_NOT_RESOURCE": _S,
    "TRUST_POLICY_PRINCIPAL_STAR_WITHOUT_CONDITION": _S,
    "WEB_IDENTITY_TRUST_MISSING_AUD": _S,
    "WEB_IDENTITY_TRUST_WILDCARD_SUB": _S,
    # A service-specific condition key that none of the statement's actions supplies.
    "UNSUPPORTED_CONDITION_KEY_FOR_ACTION": _W,
}

ISSUE_TYPES: dict[str, FindingType] = {**AWS_CHECKS, **PRODUCT_CHECKS}


def finding_type(code: str) -> FindingType:
    """The finding type of an issue code (KeyError for a code no table lists: a bug, caught by the tests)."""
    return ISSUE_TYPES[code]


def learn_more_link(code: str) -> str:
    """AWS's reference, at the code's section when AWS has the check."""
    anchor = _ANCHORS.get(code)
    return f"{LEARN_MORE}#access-analyzer-reference-policy-checks-{anchor}" if anchor else LEARN_MORE
