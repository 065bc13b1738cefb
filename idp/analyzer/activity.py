"""What principals did, from the audit log: every request a user or a role's sessions made, allowed or denied.

The authorizer audits each decision with the caller's ARN, the action, the resource and the outcome; a role
acts through its sessions (`arn:aws:sts::<account>:assumed-role/<name>/<session>`), reported as the role. Used
by last-accessed data (`idp.iam.last_accessed`: every attempt, as AWS counts them) and policy generation
(`idp.analyzer.policy_generation`: only what was allowed), whose jobs (`AccessReportJob`) are looked up here too.
An entity's history starts at its creation: a user or role re-created under an old name does not inherit the
requests of the one deleted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from idp import clock
from idp.errors import NotFound
from models import db
from models.audit import AuditEvent
from models.report import AccessReportJob
from models.role import Role
from models.user import User

# Events the product audits that are no IAM action (sign-in and token flows, housekeeping, refusals).
NOT_ACTIONS = ("oauth:", "federation", "maintenance:", "sigv4:", "fetch:", "sts:SessionCredentialsOutOfReach")
# The authorizer audits its effect; refusals outside it are audited as `Deny`.
DECISIONS = ("Allow", "ImplicitDeny", "ExplicitDeny", "Deny")


@dataclass(frozen=True)
class Entity:
    """A principal that makes requests: a user, or a role through its sessions, since it was created."""

    arn: str
    name: str
    type: str  # USER | ROLE
    id: str
    path: str
    created_at: datetime

    @classmethod
    def of(cls, principal: User | Role) -> Entity:
        """The entity of a user or role row."""
        created = clock.as_utc(principal.created_at)
        if isinstance(principal, User):
            return cls(principal.arn, principal.name, "USER", principal.user_id, principal.path, created)
        return cls(principal.arn, principal.name, "ROLE", principal.role_id, principal.path, created)

    @property
    def account_id(self) -> str:
        return self.arn.split(":")[4]

    @property
    def _session_prefix(self) -> str:
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.name}/"

    def acted(self, actor: str) -> bool:
        """Whether an audited actor ARN is this entity (a role: any of its sessions)."""
        return actor == self.arn if self.type == "USER" else actor.startswith(self._session_prefix)

    def actor_condition(self):
        """The audit-log condition selecting this entity's requests since its creation."""
        if self.type == "USER":
            actor = AuditEvent.actor == self.arn
        else:  # escaped: a role name may hold `_`, and another role's sessions must never match
            actor = AuditEvent.actor.startswith(self._session_prefix, autoescape=True)
        return and_(actor, AuditEvent.occurred_at >= self.created_at)


@dataclass(frozen=True)
class AuditedRequest:
    """An action an entity requested on a resource, and the last time (`allowed_requests`: only when allowed)."""

    action: str
    entity: str
    resource: str | None
    last: datetime


def allowed_requests(account_id: str, entities: list[Entity], until: datetime,
                     since: datetime | None = None) -> list[AuditedRequest]:
    """Every (action, entity, resource) the entities were allowed in the window, with its last time."""
    return _requests(account_id, entities, ("Allow",), until, since)


def attempted_requests(account_id: str, entities: list[Entity], until: datetime) -> list[AuditedRequest]:
    """Every (action, entity, resource) the entities attempted up to `until`, allowed or denied, with its last time.

    AWS's last-accessed data "includes all attempts to access an AWS API, not just the successful ones".
    """
    return _requests(account_id, entities, DECISIONS, until, None)


def _requests(account_id: str, entities: list[Entity], decisions: tuple[str, ...], until: datetime,
              since: datetime | None) -> list[AuditedRequest]:
    if not entities:
        return []
    query = (select(AuditEvent.action, AuditEvent.actor, AuditEvent.resource, func.max(AuditEvent.occurred_at))
             .where(AuditEvent.account_id == account_id, AuditEvent.decision.in_(decisions),
                    AuditEvent.occurred_at <= until, or_(*(entity.actor_condition() for entity in entities)))
             .group_by(AuditEvent.action, AuditEvent.actor, AuditEvent.resource))
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    found = []
    for action, actor, resource, moment in db.session.execute(query):
        entity = next((e for e in entities if e.acted(actor)), None)
        if entity is not None and ":" in action and not action.startswith(NOT_ACTIONS):
            found.append(AuditedRequest(action, entity.arn, resource, clock.as_utc(moment)))
    return sorted(found, key=lambda r: (r.action.lower(), r.entity, r.resource or "", r.last))


def report_job(account_id: str, kind: str, job_id: str) -> AccessReportJob:
    """The account's job of that kind and id (last-accessed details, policy generation); NotFound for any other."""
    found = db.session.scalar(select(AccessReportJob).where(
        AccessReportJob.account_id == account_id, AccessReportJob.kind == kind, AccessReportJob.job_id == job_id))
    if found is None:
        raise NotFound(f"No job with id {job_id} was found.")
    return found
