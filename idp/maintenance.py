"""Purging what has expired: replay-cache entries, spent codes, device authorizations, ended browser sessions,
mailed links spent or expired, sent or given-up mail, and audit events past their retention.

Nothing here changes a decision: every row purged is already refused by the
code that reads it (expired), and is kept a margin past its expiry so that a
late replay still meets it. Run `flask --app app idp purge-expired` from cron.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_

from idp import audit, clock
from idp.lifecycle import links
from idp.mail import sender
from idp.trail import purge_beyond_retention
from models import db
from models.jti import UsedJti
from models.oauth_grant import AuthorizationCode, DeviceAuthorization
from models.session import BrowserSession

# A spent code is kept a day past expiry: a replay within it still revokes what the code produced.
CODE_MARGIN = timedelta(days=1)
# Ended sessions stay listed a while for the account page and investigations (the audit log keeps the rest).
SESSION_MARGIN = timedelta(days=30)


def purge_expired(now: datetime | None = None) -> dict[str, int]:
    """Delete expired rows (in the caller's unit of work); how many of each kind, audited."""
    now = now or clock.now()
    counts = {
        "used_jtis": db.session.execute(delete(UsedJti).where(UsedJti.expires_at < now)).rowcount,
        "authorization_codes": db.session.execute(
            delete(AuthorizationCode).where(AuthorizationCode.expires_at < now - CODE_MARGIN)).rowcount,
        "device_authorizations": db.session.execute(
            delete(DeviceAuthorization).where(DeviceAuthorization.expires_at < now - CODE_MARGIN)).rowcount,
        "browser_sessions": db.session.execute(delete(BrowserSession).where(or_(
            BrowserSession.absolute_expires_at < now - SESSION_MARGIN,
            BrowserSession.revoked_at < now - SESSION_MARGIN,
        ))).rowcount,
        "lifecycle_links": links.purge(now),
        "mail_outbox": sender.purge(now),
        # Past IDP_AUDIT_RETENTION_DAYS (0 keeps them forever): through the triggers' purge window (idp.trail).
        "audit_events": purge_beyond_retention(now),
    }
    audit.record("maintenance:PurgeExpired", decision="Allow", detail=counts)
    return counts
