"""Checks for change review: CheckNoNewAccess, CheckAccessNotGranted, CheckNoPublicAccess.

Each answers PASS or FAIL with reasons naming the statements responsible,
in Access Analyzer's shapes. Both documents are parsed by the policy engine
and compared on the witness requests of `idp.analyzer.witnesses`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from idp.analyzer import witnesses
from idp.analyzer.catalog import Catalog, bundled
from idp.errors import MalformedPolicyDocument, ValidationError
from idp.policy import MalformedPolicyDocument as EngineMalformed
from idp.policy import Policy, PolicyKind, RequestContext, Statement, parse_policy

POLICY_TYPES = ("IDENTITY_POLICY", "RESOURCE_POLICY")
TRUST_RESOURCE_TYPE = "AWS::IAM::AssumeRolePolicyDocument"
PUBLIC_RESOURCE_TYPES = (
    "AWS::DynamoDB::Table", "AWS::DynamoDB::Stream", "AWS::EFS::FileSystem", "AWS::OpenSearchService::Domain",
    "AWS::Kinesis::Stream", "AWS::Kinesis::StreamConsumer", "AWS::KMS::Key", "AWS::Lambda::Function",
    "AWS::S3::Bucket", "AWS::S3::AccessPoint", "AWS::S3Express::DirectoryBucket", "AWS::S3::Glacier",
    "AWS::S3Outposts::Bucket", "AWS::S3Outposts::AccessPoint", "AWS::SecretsManager::Secret", "AWS::SNS::Topic",
    "AWS::SQS::Queue", TRUST_RESOURCE_TYPE, "AWS::S3Tables::TableBucket", "AWS::ApiGateway::RestApi",
    "AWS::CodeArtifact::Domain", "AWS::Backup::BackupVault", "AWS::CloudTrail::Dashboard",
    "AWS::CloudTrail::EventDataStore", "AWS::S3Tables::Table", "AWS::S3Express::AccessPoint",
)
MAX_REASONS = 20


@dataclass(frozen=True)
class Reason:
    """Access Analyzer's ReasonSummary: which statement, and a sentence with a request that shows it."""

    description: str
    statement_index: int
    statement_id: str | None

    def as_json(self) -> dict:
        body = {"description": self.description, "statementIndex": self.statement_index}
        if self.statement_id:
            body["statementId"] = self.statement_id
        return body


@dataclass
class CheckResult:
    """PASS or FAIL, AWS's message, and the reasons for a FAIL."""

    result: str
    message: str
    reasons: list[Reason] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.result == "PASS"

    def as_json(self) -> dict:
        """The Check*Response shape."""
        return {"result": self.result, "message": self.message, "reasons": [r.as_json() for r in self.reasons]}


def parse_document(text: str, policy_type: str, *, trust: bool = False, label: str = "policy") -> Policy:
    """The engine's Policy for a check's document; MalformedPolicyDocument names what is wrong."""
    if policy_type not in POLICY_TYPES:
        raise ValidationError(f"policyType must be one of {', '.join(POLICY_TYPES)}, got {policy_type!r}")
    kind = PolicyKind.MANAGED if policy_type == "IDENTITY_POLICY" else PolicyKind.RESOURCE
    if trust:
        kind = PolicyKind.TRUST
    try:
        return parse_policy(text, kind, label)
    except EngineMalformed as error:
        if kind is PolicyKind.RESOURCE and "must contain resources" in error.problem:
            # A role trust policy has no Resource element: check it as one.
            return parse_document(text, policy_type, trust=True, label=label)
        raise MalformedPolicyDocument(f"The {label} document is invalid: {error.message}") from None


def check_no_new_access(existing: str, new: str, policy_type: str, catalog: Catalog | None = None) -> CheckResult:
    """FAIL when some request is allowed by the new document and not by the existing one."""
    old_policy = parse_document(existing, policy_type, label="existing policy")
    new_policy = parse_document(new, policy_type, label="new policy")
    reasons: dict[int, Reason] = {}
    for request in witnesses.requests([old_policy, new_policy], catalog or bundled(),
                                      identity=policy_type == "IDENTITY_POLICY"):
        granted = witnesses.grants(new_policy, request)
        if granted.allowed and not witnesses.grants(old_policy, request).allowed:
            for statement in granted.statements:
                reasons.setdefault(statement.index, _reason(statement, request, "grants", "the existing policy"))
        if len(reasons) >= MAX_REASONS:
            break
    if reasons:
        return CheckResult("FAIL", "The modified permissions grant new access compared to your existing policy.",
                           _sorted(reasons))
    return CheckResult("PASS", "The policy document does not grant new access compared to your existing policy.")


def check_access_not_granted(text: str, actions: list[str], resources: list[str], policy_type: str,
                             catalog: Catalog | None = None) -> CheckResult:
    """FAIL when the document allows any of `actions` (on any of `resources`, when given)."""
    catalog = catalog or bundled()
    policy = parse_document(text, policy_type)
    named_actions = _expand(actions, catalog) if actions else None
    named_resources = list(resources) if resources else None
    reasons: dict[int, Reason] = {}
    for request in witnesses.requests([policy], catalog, identity=policy_type == "IDENTITY_POLICY",
                                      only_actions=named_actions, only_resources=named_resources):
        for statement in witnesses.grants(policy, request).statements:
            reasons.setdefault(statement.index, _reason(statement, request, "grants", None))
        if len(reasons) >= MAX_REASONS:
            break
    if reasons:
        return CheckResult("FAIL", "The policy document grants access to perform one or more of the listed "
                                   "actions or resources.", _sorted(reasons))
    return CheckResult("PASS", "The policy document does not grant access to perform the listed actions or "
                               "resources.")


def check_no_public_access(text: str, resource_type: str, catalog: Catalog | None = None) -> CheckResult:
    """FAIL when a caller from an account the policy never names, or an anonymous one, is allowed."""
    if resource_type not in PUBLIC_RESOURCE_TYPES:
        raise ValidationError(f"resourceType must be one of {', '.join(PUBLIC_RESOURCE_TYPES)}")
    policy = parse_document(text, "RESOURCE_POLICY", trust=resource_type == TRUST_RESOURCE_TYPE)
    public = [p for p in witnesses.principals([policy]) if p.account in (witnesses.STRANGER_ACCOUNT, "")
              and p.type.value in ("User", "Anonymous")]
    reasons: dict[int, Reason] = {}
    catalog = catalog or bundled()
    what = witnesses.actions([policy], catalog)
    where = witnesses.resources([policy])
    keys = witnesses.contexts([policy], free_only=True)
    witnesses.bounded(len(keys) * len(public) * len(what) * len(where))
    for context in keys:
        for principal in public:
            for action in what:
                for resource in where:
                    request = RequestContext(principal, action, resource, context, witnesses.OWNER_ACCOUNT)
                    for statement in witnesses.grants(policy, request).statements:
                        reasons.setdefault(statement.index, _reason(statement, request, "grants public access:", None))
    if reasons:
        return CheckResult("FAIL", "The resource policy grants public access for the given resource type.",
                           _sorted(reasons))
    return CheckResult("PASS", "The resource policy does not grant public access for the given resource type.")


def _expand(actions: list[str], catalog: Catalog) -> list[str]:
    expanded: dict[str, str] = {}
    for action in actions:
        matches = [a.full_name for a in catalog.matching(action)] if ("*" in action or "?" in action) else []
        for name in matches or [action]:
            expanded.setdefault(name.lower(), name)
    return list(expanded.values())


def _reason(statement: Statement, request: RequestContext, verb: str, compared: str | None) -> Reason:
    who = request.principal.arn or "an anonymous caller"
    on = f" on {request.resource}" if request.resource != "*" else ""
    keys = {k: v for k, v in request.context.items() if not k.startswith("aws:principal")
            and k not in ("aws:userid", "aws:username")}
    when = f" when {', '.join(f'{k}={v}' for k, v in sorted(keys.items()))}" if keys else ""
    unlike = f", which {compared} does not" if compared else ""
    description = f"Statement {statement.label} {verb} {request.action}{on} to {who}{when}{unlike}."
    return Reason(description, statement.index, statement.sid)


def _sorted(reasons: dict[int, Reason]) -> list[Reason]:
    return [reasons[index] for index in sorted(reasons)]
