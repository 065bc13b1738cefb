"""A principal's sign-in history: sign-ins (and failed ones) and every credential added or replaced.

`/account` lists it, so a credential added from one session is visible from all of them.
"""
from __future__ import annotations

from sqlalchemy import select

from models import db
from models.audit import AuditEvent

SIGNIN_EVENTS = ("signin", "signin_failed")
# Credentials added or replaced, shown beside the sign-ins so every session of the principal sees them.
CREDENTIAL_EVENTS = {
    "password_changed": "Password changed",
    "mfa_enabled": "Authenticator app added",
    "passkey_registered": "Passkey added",
    "recovery_codes_generated": "Recovery codes generated",
    "access_key_created": "Access key created",
    "mfa_removed": "MFA device removed",
    "federation_linked": "Upstream identity linked",
}
HISTORY = 10


def recent(principal_arn: str, limit: int = HISTORY) -> list[AuditEvent]:
    """The principal's latest sign-ins and credential changes, newest first."""
    return list(db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.actor == principal_arn,
            AuditEvent.action.in_(SIGNIN_EVENTS)
            | (AuditEvent.action.in_(list(CREDENTIAL_EVENTS)) & (AuditEvent.decision == "Allow")),
        ).order_by(AuditEvent.id.desc()).limit(limit)
    ))
