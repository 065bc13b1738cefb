"""Unused access: roles, access keys, passwords and service permissions not used within the analyzer's age.

Last use comes from what the product already records: `access_keys.last_used_at`
(set by SigV4 authentication), `users.password_last_used` (set at browser
sign-in), and the audit log for roles (allowed `sts:AssumeRole*` on the role,
and any allowed request by one of its sessions) and for service permissions
(allowed requests per service prefix by the user or the role's sessions).
Anything created within the age window is too new to judge and is skipped.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from idp import clock
from idp.analyzer.catalog import bundled
from idp.authz.policy_store import role_identity, user_identity
from idp.policy import Effect, Policy
from models import db
from models.access_key import AccessKey
from models.audit import AuditEvent
from models.role import Role
from models.user import User

ROLE_TYPE, USER_TYPE = "AWS::IAM::Role", "AWS::IAM::User"


@dataclass(frozen=True)
class UnusedAccess:
    """One unused credential or permission (a ListFindingsV2 finding)."""

    finding_type: str  # UnusedIAMRole | UnusedIAMUserAccessKey | UnusedIAMUserPassword | UnusedPermission
    resource: str
    resource_type: str
    owner: str
    detail: dict = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Stable across rescans: the kind, the resource and what in it is unused (key id, service)."""
        key = [self.finding_type, self.resource, self.detail.get("accessKeyId"), self.detail.get("serviceNamespace")]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()

    def fill(self, finding) -> None:
        """Copy into a stored AnalyzerFinding."""
        finding.finding_type, finding.resource, finding.resource_type = self.finding_type, self.resource, \
            self.resource_type
        finding.resource_owner_account, finding.detail, finding.condition = self.owner, _jsonable(self.detail), {}


def _jsonable(detail: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in detail.items()}


def _older(moment: datetime | None, cutoff: datetime) -> bool:
    return moment is None or clock.as_utc(moment) < cutoff


def _last_allowed(account_id: str, *conditions) -> datetime | None:
    query = select(func.max(AuditEvent.occurred_at)).where(
        AuditEvent.account_id == account_id, AuditEvent.decision == "Allow", or_(*conditions))
    return clock.as_utc(db.session.scalar(query))


def _session_actor(role: Role) -> str:
    return f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/%"


def unused_access(account_id: str, age_days: int) -> list[UnusedAccess]:
    """Everything in the account unused for `age_days` days."""
    now = clock.now()
    cutoff = now - timedelta(days=age_days)
    found: list[UnusedAccess] = []
    for role in db.session.scalars(select(Role).where(Role.account_id == account_id).order_by(Role.arn)):
        if not _older(role.created_at, cutoff):
            continue
        last = _last_allowed(account_id, (AuditEvent.resource == role.arn) & AuditEvent.action.like("sts:AssumeRole%"),
                             AuditEvent.actor.like(_session_actor(role)))
        if _older(last, cutoff):
            found.append(UnusedAccess("UnusedIAMRole", role.arn, ROLE_TYPE, account_id, {"lastAccessed": last}))
        found.extend(_unused_permissions(role.arn, ROLE_TYPE, account_id, role_identity(role)[0],
                                         AuditEvent.actor.like(_session_actor(role)), cutoff))
    for user in db.session.scalars(select(User).where(User.account_id == account_id).order_by(User.arn)):
        if not _older(user.created_at, cutoff):
            continue
        keys = db.session.scalars(select(AccessKey).where(AccessKey.user_id == user.id, AccessKey.status == "Active"))
        for key in keys:
            if _older(key.created_at, cutoff) and _older(key.last_used_at, cutoff):
                found.append(UnusedAccess("UnusedIAMUserAccessKey", user.arn, USER_TYPE, account_id,
                                          {"accessKeyId": key.access_key_id, "lastAccessed": key.last_used_at}))
        profile = user.login_profile
        if profile is not None and _older(profile.created_at, cutoff) and _older(user.password_last_used, cutoff):
            found.append(UnusedAccess("UnusedIAMUserPassword", user.arn, USER_TYPE, account_id,
                                      {"lastAccessed": user.password_last_used}))
        found.extend(_unused_permissions(user.arn, USER_TYPE, account_id, user_identity(user)[0],
                                         AuditEvent.actor == user.arn, cutoff))
    return found


def granted_services(policies: list[Policy]) -> dict[str, list[str]]:
    """Service prefix -> the catalogued actions identity policies allow there (literal names elsewhere)."""
    catalog = bundled()
    services: dict[str, set[str]] = {}
    for policy in policies:
        for statement in policy.statements:
            if statement.effect is not Effect.ALLOW or statement.actions.negated:
                continue
            for pattern in statement.actions.patterns:
                for action in catalog.matching(pattern) if pattern != "*" else catalog.actions():
                    services.setdefault(action.service, set()).add(action.full_name)
                if pattern != "*" and not catalog.matching(pattern):
                    services.setdefault(pattern.split(":", 1)[0].lower(), set()).add(pattern)
    return {service: sorted(actions) for service, actions in sorted(services.items())}


def _unused_permissions(resource: str, resource_type: str, account_id: str, policies: list[Policy], actor,
                        cutoff: datetime) -> list[UnusedAccess]:
    found = []
    for service, actions in granted_services(policies).items():
        last = _last_allowed(account_id, actor & AuditEvent.action.like(f"{service}:%"))
        if _older(last, cutoff):
            found.append(UnusedAccess("UnusedPermission", resource, resource_type, account_id,
                                      {"serviceNamespace": service, "lastAccessed": last,
                                       "actions": [{"action": name} for name in actions[:100]]}))
    return found


def scan(analyzer) -> None:
    """Reconcile an ACCOUNT_UNUSED_ACCESS analyzer's findings."""
    from idp.analyzer.analyzers import reconcile

    reconcile(analyzer, unused_access(analyzer.account_id, analyzer.unused_access_age or 90))
