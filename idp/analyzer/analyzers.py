"""Analyzers and their findings: create, scan, list, archive. Findings follow the account's policies.

A scan recomputes external access for every role trust policy and every
registered resource policy of the account and reconciles it with the stored
findings: new access becomes ACTIVE, access that is gone becomes RESOLVED,
access that comes back is ACTIVE again, and ARCHIVED stays archived while the
access exists. Scans run when an analyzer is created and before findings are
read, so answers always reflect the policies as they are.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select

from idp import audit, clock
from idp.analyzer.external_access import ROLE_TYPE, ExternalAccess, external_access
from idp.authz.policy_store import refusing_malformed
from idp.errors import Conflict, NotFound, ValidationError
from idp.policy import MalformedPolicyDocument, PolicyKind, parse_policy
from models import db
from models.finding import (
    ANALYZER_TYPES,
    Analyzer,
    AnalyzerFinding,
    RegisteredResourcePolicy,
)
from models.role import Role

DEFAULT_UNUSED_AGE = 90
RESERVED_NAME = "graph"


def analyzer_arn(region: str, account_id: str, name: str) -> str:
    """`arn:aws:access-analyzer:<region>:<account>:analyzer/<name>`."""
    return f"arn:aws:access-analyzer:{region}:{account_id}:analyzer/{name}"


def create(account_id: str, region: str, name: str, kind: str, tags: dict[str, str] | None = None,
           unused_access_age: int | None = None) -> Analyzer:
    """A new analyzer, scanned at once; ConflictException when the name is taken."""
    if kind not in ANALYZER_TYPES:
        raise ValidationError(f"Analyzer type {kind} is not supported here: use one of {', '.join(ANALYZER_TYPES)}")
    if name == RESERVED_NAME:
        raise ValidationError(f"The analyzer name {RESERVED_NAME!r} is reserved: GET /analyzer/graph is the graph page")
    if find(account_id, name) is not None:
        raise Conflict(f"Analyzer {name} already exists", code="ConflictException")
    if unused_access_age is not None and not 1 <= unused_access_age <= 365:
        raise ValidationError("unusedAccessAge must be between 1 and 365 days")
    analyzer = Analyzer(account_id=account_id, name=name, arn=analyzer_arn(region, account_id, name), type=kind,
                        tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
                        unused_access_age=(unused_access_age or DEFAULT_UNUSED_AGE)
                        if kind == "ACCOUNT_UNUSED_ACCESS" else None)
    db.session.add(analyzer)
    db.session.flush()
    audit.record("access-analyzer:AnalyzerCreated", account_id=account_id, resource=analyzer.arn)
    scan(analyzer)
    return analyzer


def find(account_id: str, name: str) -> Analyzer | None:
    """The account's analyzer with this name, or None."""
    return db.session.scalar(select(Analyzer).where(Analyzer.account_id == account_id, Analyzer.name == name))


def get(account_id: str, name: str) -> Analyzer:
    """The analyzer, or ResourceNotFoundException."""
    analyzer = find(account_id, name)
    if analyzer is None:
        raise _not_found(name, "AWS::AccessAnalyzer::Analyzer")
    return analyzer


def by_arn(account_id: str, arn: str) -> Analyzer:
    """The account's analyzer with this ARN, or ResourceNotFoundException."""
    analyzer = db.session.scalar(select(Analyzer).where(Analyzer.account_id == account_id, Analyzer.arn == arn))
    if analyzer is None:
        raise _not_found(arn, "AWS::AccessAnalyzer::Analyzer")
    return analyzer


def listed(account_id: str, kind: str | None = None) -> list[Analyzer]:
    """The account's analyzers, by name."""
    query = select(Analyzer).where(Analyzer.account_id == account_id).order_by(Analyzer.name)
    if kind is not None:
        query = query.where(Analyzer.type == kind)
    return list(db.session.scalars(query))


def delete(analyzer: Analyzer) -> None:
    """Remove the analyzer and its findings."""
    audit.record("access-analyzer:AnalyzerDeleted", account_id=analyzer.account_id, resource=analyzer.arn)
    db.session.delete(analyzer)
    db.session.flush()


def _not_found(resource_id: str, resource_type: str) -> NotFound:
    error = NotFound(f"{resource_id} not found", code="ResourceNotFoundException")
    error.resource_id, error.resource_type = resource_id, resource_type  # type: ignore[attr-defined]
    return error


def current_access(account_id: str) -> list[ExternalAccess]:
    """External access to every role and registered resource of the account, as its policies stand."""
    found: list[ExternalAccess] = []
    for role in db.session.scalars(select(Role).where(Role.account_id == account_id).order_by(Role.arn)):
        try:
            policy = parse_policy(role.trust_policy, PolicyKind.TRUST, role.arn)
        except MalformedPolicyDocument:
            continue  # IAM refuses such documents; one stored before a rule tightened is not access
        found.extend(external_access(policy, role.arn, ROLE_TYPE, account_id))
    registered = select(RegisteredResourcePolicy).where(RegisteredResourcePolicy.account_id == account_id)
    for entry in db.session.scalars(registered.order_by(RegisteredResourcePolicy.resource_arn)):
        try:
            policy = parse_policy(entry.document, PolicyKind.RESOURCE, entry.resource_arn)
        except MalformedPolicyDocument:
            continue
        found.extend(external_access(policy, entry.resource_arn, entry.resource_type, account_id))
    return found


def scan(analyzer: Analyzer) -> None:
    """Reconcile the analyzer's findings with the account as it is now."""
    if analyzer.type == "ACCOUNT_UNUSED_ACCESS":
        from idp.analyzer import unused

        unused.scan(analyzer)
    else:
        reconcile(analyzer, current_access(analyzer.account_id))


def reconcile(analyzer: Analyzer, items: list) -> None:
    """New items become ACTIVE findings, vanished ones RESOLVED, returning ones ACTIVE again."""
    now = clock.now()
    current = {item.fingerprint: item for item in items}
    stored = {finding.fingerprint: finding for finding in analyzer.findings}
    for fingerprint, item in current.items():
        finding = stored.get(fingerprint)
        if finding is None:
            finding = AnalyzerFinding(finding_id=str(uuid.uuid4()), fingerprint=fingerprint, status="ACTIVE",
                                      created_at=now, updated_at=now, analyzed_at=now)
            analyzer.findings.append(finding)
            item.fill(finding)
            _record(analyzer, finding, "access-analyzer:FindingActive")
        elif finding.status == "RESOLVED":
            finding.status, finding.updated_at = "ACTIVE", now
            item.fill(finding)
            _record(analyzer, finding, "access-analyzer:FindingActive")
        item.fill(finding)
        finding.analyzed_at = now
    for fingerprint, finding in stored.items():
        if fingerprint not in current and finding.status != "RESOLVED":
            finding.status, finding.updated_at, finding.analyzed_at = "RESOLVED", now, now
            _record(analyzer, finding, "access-analyzer:FindingResolved")
    if current:
        analyzer.last_resource_analyzed = list(current.values())[-1].resource
    analyzer.last_resource_analyzed_at = now
    db.session.flush()


def _record(analyzer: Analyzer, finding: AnalyzerFinding, action: str) -> None:
    audit.record(action, account_id=analyzer.account_id, resource=finding.resource,
                 detail={"finding": finding.finding_id, "type": finding.finding_type,
                         "principal": finding.principal, "public": finding.is_public})


def update_status(analyzer: Analyzer, status: str, ids: list[str] | None, resource_arn: str | None) -> None:
    """UpdateFindings: archive or reactivate findings (RESOLVED ones stay resolved)."""
    if status not in ("ACTIVE", "ARCHIVED"):
        raise ValidationError("status must be ACTIVE or ARCHIVED")
    if not ids and not resource_arn:
        raise ValidationError("ids or resourceArn is required")
    chosen = [f for f in analyzer.findings if (ids and f.finding_id in ids) or f.resource == resource_arn]
    if ids and len({f.finding_id for f in chosen if f.finding_id in ids}) != len(set(ids)):
        missing = sorted(set(ids) - {f.finding_id for f in chosen})
        raise _not_found(missing[0], "AWS::AccessAnalyzer::Finding")
    now = clock.now()
    for finding in chosen:
        if finding.status != "RESOLVED" and finding.status != status:
            finding.status, finding.updated_at = status, now
            audit.record(f"access-analyzer:Finding{status.title()}", account_id=analyzer.account_id,
                         resource=finding.resource, detail={"finding": finding.finding_id})
    db.session.flush()


def finding(analyzer: Analyzer, finding_id: str) -> AnalyzerFinding:
    """One of the analyzer's findings, or ResourceNotFoundException."""
    for candidate in analyzer.findings:
        if candidate.finding_id == finding_id:
            return candidate
    raise _not_found(finding_id, "AWS::AccessAnalyzer::Finding")


def register_resource_policy(account_id: str, resource_arn: str, resource_type: str, document: str | None) -> None:
    """Record (or with `document` None, forget) a resource server's policy for a resource; rescan analyzers."""
    entry = db.session.scalar(select(RegisteredResourcePolicy).where(
        RegisteredResourcePolicy.account_id == account_id, RegisteredResourcePolicy.resource_arn == resource_arn))
    if document is None:
        if entry is not None:
            db.session.delete(entry)
    else:
        with refusing_malformed():
            parse_policy(document, PolicyKind.RESOURCE, resource_arn)
        if entry is None:
            entry = RegisteredResourcePolicy(account_id=account_id, resource_arn=resource_arn)
            db.session.add(entry)
        entry.resource_type, entry.document, entry.updated_at = resource_type, document, clock.now()
    db.session.flush()
    audit.record("access-analyzer:ResourcePolicyRegistered", account_id=account_id, resource=resource_arn,
                 detail={"removed": document is None})
    for analyzer in listed(account_id, "ACCOUNT"):
        scan(analyzer)
    db.session.flush()
