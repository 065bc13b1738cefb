"""Service last-accessed data (GenerateServiceLastAccessedDetails and its two readers), from the audit log.

A report covers an IAM user, role, group or managed policy. Its entities are the principals that authenticate
through it: the user itself; the role's sessions (reported as the role); a group's members; the users, groups'
members and roles a policy is attached to. Its services are those the entity's identity policies allow (every
service of `*`), each with the last request of any of its entities, allowed or denied (AWS counts every
attempt; the authorizer audits every decision with the caller, the action and the outcome), that entity, and
how many entities attempted it; at ACTION_LEVEL also every allowed action of the service with its last use. The
job completes at once; the data is read from the audit log up to its completion time whenever the job is read,
so reading it twice agrees.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select

from idp import clock
from idp.analyzer.activity import Entity, attempted_requests, report_job
from idp.analyzer.catalog import bundled
from idp.analyzer.unused import granted_services
from idp.authz.policy_store import group_identity, managed, role_identity, user_identity
from idp.errors import NotFound, ValidationError
from idp.policy import Policy
from models import db
from models.group import Group
from models.policy import ManagedPolicy
from models.report import AccessReportJob
from models.role import Role
from models.user import User

KIND = "service-last-accessed"
GRANULARITIES = ("SERVICE_LEVEL", "ACTION_LEVEL")
_ARN = re.compile(r"arn:aws:iam::(\d{12}|aws):(user|role|group|policy)/.+")


@dataclass
class Use:
    """The last attempted use of a service or action: when, by which entity, and every entity that attempted it."""

    last: datetime | None = None
    entity: str | None = None
    entities: set[str] = field(default_factory=set)

    def add(self, moment: datetime, entity: str) -> None:
        """Count one entity's last use."""
        self.entities.add(entity)
        if self.last is None or moment > self.last:
            self.last, self.entity = moment, entity


@dataclass(frozen=True)
class ServiceAccess:
    """One ServiceLastAccessed entry; `actions` (ACTION_LEVEL) maps each allowed action to its use."""

    namespace: str
    name: str
    use: Use
    actions: dict[str, Use] | None


def _subject(account_id: str, arn: str):
    """The user, role, group or managed policy an ARN names; InvalidInput / NoSuchEntity as AWS answers."""
    match = _ARN.fullmatch(arn)
    if match is None:
        raise ValidationError(f"ARN {arn} is not valid.", code="InvalidInput")
    kind = match.group(2)
    if kind == "policy":
        found = db.session.scalar(select(ManagedPolicy).where(
            ManagedPolicy.arn == arn, or_(ManagedPolicy.account_id == account_id, ManagedPolicy.account_id.is_(None))))
    else:
        model = {"user": User, "role": Role, "group": Group}[kind]
        found = db.session.scalar(select(model).where(model.account_id == account_id, model.arn == arn))
    if found is None:
        raise NotFound(f"The entity {arn} cannot be found.")
    return found


def generate(account_id: str, arn: str, granularity: str) -> AccessReportJob:
    """GenerateServiceLastAccessedDetails: a completed job over `arn`."""
    _subject(account_id, arn)
    now = clock.now()
    job = AccessReportJob(job_id=str(uuid.uuid4()), account_id=account_id, kind=KIND, subject=arn,
                          parameters={"granularity": granularity}, created_at=now, completed_at=now)
    db.session.add(job)
    return job


def job(account_id: str, job_id: str) -> AccessReportJob:
    """The account's last-accessed job of that id; NotFound for any other."""
    return report_job(account_id, KIND, job_id)


def coverage(account_id: str, subject) -> tuple[list[Entity], list[Policy]]:
    """(the entities a report on `subject` covers, the identity policies whose services it lists)."""
    if isinstance(subject, User):
        return [Entity.of(subject)], user_identity(subject)[0]
    if isinstance(subject, Role):
        return [Entity.of(subject)], role_identity(subject)[0]
    if isinstance(subject, Group):
        return [Entity.of(user) for user in subject.users], group_identity(subject)
    users = {user.arn: user for user in subject.users}
    for group in subject.groups:
        users.update({user.arn: user for user in group.users})
    entities = [Entity.of(user) for arn, user in sorted(users.items()) if user.account_id == account_id]
    entities += [Entity.of(role) for role in sorted(subject.roles, key=lambda r: r.arn) if role.account_id == account_id]
    return entities, [managed(subject)]


def _service_name(namespace: str) -> str:
    entry = bundled().service(namespace)
    return entry.name.split(" (", 1)[0] if entry is not None else namespace


def services(report: AccessReportJob) -> list[ServiceAccess]:
    """The job's ServicesLastAccessed, by service namespace."""
    entities, policies = coverage(report.account_id, _subject(report.account_id, report.subject))
    granted = granted_services(policies)
    by_service: dict[str, Use] = {namespace: Use() for namespace in granted}
    by_action: dict[str, Use] = {}
    for request in attempted_requests(report.account_id, entities, clock.as_utc(report.completed_at)):
        namespace = request.action.split(":", 1)[0].lower()
        if namespace in by_service:
            by_service[namespace].add(request.last, request.entity)
            by_action.setdefault(request.action.lower(), Use()).add(request.last, request.entity)
    action_level = report.parameters.get("granularity") == "ACTION_LEVEL"
    return [ServiceAccess(namespace, _service_name(namespace), use,
                          {name: by_action.get(name.lower(), Use()) for name in granted[namespace]}
                          if action_level else None)
            for namespace, use in sorted(by_service.items())]


def entities_for(report: AccessReportJob, namespace: str) -> list[tuple[Entity, datetime | None]]:
    """GetServiceLastAccessedDetailsWithEntities: each covered entity and its last use of the service."""
    entities, _ = coverage(report.account_id, _subject(report.account_id, report.subject))
    last: dict[str, datetime] = {}
    for request in attempted_requests(report.account_id, entities, clock.as_utc(report.completed_at)):
        if request.action.split(":", 1)[0].lower() == namespace.lower():
            last[request.entity] = max(request.last, last.get(request.entity, request.last))
    return [(entity, last.get(entity.arn)) for entity in entities]
