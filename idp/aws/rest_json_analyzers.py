"""Access Analyzer's analyzer and finding operations on the rest-json blueprint of `idp.aws.rest_json`.

CreateAnalyzer, GetAnalyzer, ListAnalyzers, DeleteAnalyzer, ListFindings,
GetFinding, ListFindingsV2, GetFindingV2, UpdateFindings; and one extension
for resource servers, `PUT /resource-policy` (`access-analyzer:RegisterResourcePolicy`),
which registers (or with no `policyDocument`, forgets) a resource's policy so
external-access findings cover it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from idp.analyzer import analyzers
from idp.aws.rest_json import RestCall, rest_action
from idp.errors import ValidationError

if TYPE_CHECKING:
    from models.finding import Analyzer, AnalyzerFinding

MAX_RESULTS = 100
DETAIL_MEMBERS = {"UnusedIAMRole": "unusedIamRoleDetails", "UnusedIAMUserAccessKey": "unusedIamUserAccessKeyDetails",
                  "UnusedIAMUserPassword": "unusedIamUserPasswordDetails", "UnusedPermission": "unusedPermissionDetails"}


def summary(analyzer: Analyzer) -> dict:
    """AnalyzerSummary."""
    body = {"arn": analyzer.arn, "name": analyzer.name, "type": analyzer.type, "createdAt": analyzer.created_at,
            "lastResourceAnalyzed": analyzer.last_resource_analyzed,
            "lastResourceAnalyzedAt": analyzer.last_resource_analyzed_at,
            "tags": {tag["Key"]: tag["Value"] for tag in analyzer.tags or []}, "status": "ACTIVE"}
    if analyzer.unused_access_age is not None:
        body["configuration"] = {"unusedAccess": {"unusedAccessAge": analyzer.unused_access_age}}
    return body


def finding_v1(finding: AnalyzerFinding) -> dict:
    """Finding / FindingSummary (external access), plus the statement that grants it."""
    return {"id": finding.finding_id, "principal": finding.principal, "action": finding.action,
            "resource": finding.resource, "isPublic": finding.is_public, "resourceType": finding.resource_type,
            "condition": finding.condition or {}, "createdAt": finding.created_at, "analyzedAt": finding.analyzed_at,
            "updatedAt": finding.updated_at, "status": finding.status,
            "resourceOwnerAccount": finding.resource_owner_account, "sources": [{"type": "POLICY"}],
            "statementIndex": finding.statement_index, "statementId": finding.statement_id}


def finding_v2(finding: AnalyzerFinding, *, details: bool = False) -> dict:
    """FindingSummaryV2, or GetFindingV2's answer with `findingDetails`."""
    body = {"id": finding.finding_id, "resource": finding.resource, "resourceType": finding.resource_type,
            "resourceOwnerAccount": finding.resource_owner_account, "status": finding.status,
            "createdAt": finding.created_at, "analyzedAt": finding.analyzed_at, "updatedAt": finding.updated_at,
            "findingType": finding.finding_type}
    if details:
        if finding.finding_type == "ExternalAccess":
            detail = {"externalAccessDetails": {
                "action": finding.action, "condition": finding.condition or {}, "isPublic": finding.is_public,
                "principal": finding.principal, "sources": [{"type": "POLICY"}]}}
        else:
            detail = {DETAIL_MEMBERS[finding.finding_type]: finding.detail or {}}
        body["findingDetails"] = [detail]
    return body


def _attribute(body: dict, name: str) -> list[str]:
    head, _, rest = name.partition(".")
    value = body.get(head)
    if rest and isinstance(value, dict):
        value = value.get(rest)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [("true" if v else "false") if isinstance(v, bool) else str(v) for v in values]


def _matches(body: dict, criteria: dict) -> bool:
    for name, criterion in criteria.items():
        if not isinstance(criterion, dict):
            raise ValidationError(f"filter criterion for {name} must be an object")
        values = _attribute(body, name)
        if "eq" in criterion and not set(values) & set(criterion["eq"]):
            return False
        if "neq" in criterion and set(values) & set(criterion["neq"]):
            return False
        if "contains" in criterion and not any(c in v for c in criterion["contains"] for v in values):
            return False
        if "exists" in criterion and bool(values) != bool(criterion["exists"]):
            return False
    return True


def _page(call: RestCall, bodies: list[dict]) -> dict:
    sort = call.body.get("sort") or {}
    if sort.get("attributeName"):
        bodies.sort(key=lambda b: ",".join(_attribute(b, sort["attributeName"])),
                    reverse=sort.get("orderBy") == "DESC")
    try:
        start = int(call.body.get("nextToken") or call.query.get("nextToken") or 0)
        size = int(call.body.get("maxResults") or call.query.get("maxResults") or MAX_RESULTS)
    except ValueError:
        raise ValidationError("nextToken and maxResults must be numbers") from None
    page = bodies[start:start + max(1, min(size, MAX_RESULTS))]
    token = str(start + len(page)) if start + len(page) < len(bodies) else None
    return {"findings": page, "nextToken": token}


def _analyzer_of(call: RestCall, action: str) -> Analyzer:
    """The analyzer named by `analyzerArn`, authorized for `action` on it, freshly scanned."""
    analyzer = analyzers.by_arn(call.caller.account_id, call.string("analyzerArn"))
    call.authorize(action, analyzer.arn)
    analyzers.scan(analyzer)
    return analyzer


@rest_action("PUT", "/analyzer", "CreateAnalyzer")
def create_analyzer(call: RestCall) -> dict:
    """CreateAnalyzer (ACCOUNT or ACCOUNT_UNUSED_ACCESS)."""
    name = call.string("analyzerName")
    call.authorize("CreateAnalyzer", analyzers.analyzer_arn(call.caller.region, call.caller.account_id, name))
    kind = call.string("type", choices=(*analyzers.ANALYZER_TYPES, "ORGANIZATION", "ORGANIZATION_UNUSED_ACCESS",
                                        "ACCOUNT_INTERNAL_ACCESS", "ORGANIZATION_INTERNAL_ACCESS"))
    age = ((call.body.get("configuration") or {}).get("unusedAccess") or {}).get("unusedAccessAge")
    analyzer = analyzers.create(call.caller.account_id, call.caller.region, name, kind, call.body.get("tags"), age)
    return {"arn": analyzer.arn}


@rest_action("GET", "/analyzer/<name>", "GetAnalyzer")
def get_analyzer(call: RestCall, name: str) -> dict:
    """GetAnalyzer."""
    call.authorize("GetAnalyzer", analyzers.analyzer_arn(call.caller.region, call.caller.account_id, name))
    return {"analyzer": summary(analyzers.get(call.caller.account_id, name))}


@rest_action("GET", "/analyzer", "ListAnalyzers")
def list_analyzers(call: RestCall) -> dict:
    """ListAnalyzers."""
    call.authorize("ListAnalyzers")
    kind = call.string("type", required=False)
    return {"analyzers": [summary(a) for a in analyzers.listed(call.caller.account_id, kind)]}


@rest_action("DELETE", "/analyzer/<name>", "DeleteAnalyzer")
def delete_analyzer(call: RestCall, name: str) -> None:
    """DeleteAnalyzer."""
    call.authorize("DeleteAnalyzer", analyzers.analyzer_arn(call.caller.region, call.caller.account_id, name))
    analyzers.delete(analyzers.get(call.caller.account_id, name))


@rest_action("POST", "/finding", "ListFindings")
def list_findings(call: RestCall) -> dict:
    """ListFindings: external-access findings, filtered, sorted and paged."""
    analyzer = _analyzer_of(call, "ListFindings")
    criteria = call.body.get("filter") or {}
    bodies = [finding_v1(f) for f in sorted(analyzer.findings, key=lambda f: (f.resource, f.id))]
    return _page(call, [b for b in bodies if _matches(b, criteria)])


@rest_action("GET", "/finding/<finding_id>", "GetFinding")
def get_finding(call: RestCall, finding_id: str) -> dict:
    """GetFinding."""
    return {"finding": finding_v1(analyzers.finding(_analyzer_of(call, "GetFinding"), finding_id))}


@rest_action("POST", "/findingv2", "ListFindingsV2")
def list_findings_v2(call: RestCall) -> dict:
    """ListFindingsV2: external-access and unused-access findings."""
    analyzer = _analyzer_of(call, "ListFindingsV2")
    criteria = call.body.get("filter") or {}
    bodies = [finding_v2(f) for f in sorted(analyzer.findings, key=lambda f: (f.resource, f.id))]
    return _page(call, [b for b in bodies if _matches(b, criteria)])


@rest_action("GET", "/findingv2/<finding_id>", "GetFindingV2")
def get_finding_v2(call: RestCall, finding_id: str) -> dict:
    """GetFindingV2, with the finding's details."""
    return finding_v2(analyzers.finding(_analyzer_of(call, "GetFindingV2"), finding_id), details=True)


@rest_action("PUT", "/finding", "UpdateFindings")
def update_findings(call: RestCall) -> None:
    """UpdateFindings: archive or reactivate."""
    analyzer = _analyzer_of(call, "UpdateFindings")
    ids = call.body.get("ids")
    analyzers.update_status(analyzer, call.string("status"), ids, call.string("resourceArn", required=False))


@rest_action("PUT", "/resource-policy", "RegisterResourcePolicy")
def register_resource_policy(call: RestCall) -> None:
    """Extension: a resource server registers a resource's policy (or forgets it, without `policyDocument`)."""
    resource_arn = call.string("resourceArn")
    call.authorize("RegisterResourcePolicy", resource_arn)
    document = call.document("policyDocument") if call.body.get("policyDocument") is not None else None
    analyzers.register_resource_policy(call.caller.account_id, resource_arn,
                                       call.string("resourceType", required=False) or "Custom::Resource", document)


from idp.aws import rest_json_reports  # noqa: E402,F401  (registers policy generation and account findings)
