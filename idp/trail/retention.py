"""Audit retention: events older than IDP_AUDIT_RETENTION_DAYS go, through the one door the triggers leave open.

`audit_events` is append-only in the database itself (models/audit.py). A
purge opens a window (a row of `audit_purge_windows` naming the cut-off), lets
the triggers pass the DELETE of rows older than it, and closes the window in
the same transaction: no other transaction ever sees it, PostgreSQL refuses
to commit one left open, and both databases refuse a cut-off newer than a day.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, insert

from idp import audit, clock
from models import db
from models.audit import AuditEvent, AuditPurgeWindow


def retention_cutoff(now: datetime) -> datetime | None:
    """The moment before which events are purged, or None when they are kept forever."""
    days = current_app.config["IDP_SETTINGS"].audit_retention_days
    return now - timedelta(days=days) if days else None


def purge_beyond_retention(now: datetime | None = None) -> int:
    """Delete audit events older than the retention period (in the caller's unit of work); how many, audited."""
    cutoff = retention_cutoff(now or clock.now())
    if cutoff is None:
        return 0
    connection = db.session.connection()
    connection.execute(insert(AuditPurgeWindow.__table__).values(id=1, purge_before=cutoff))
    deleted = connection.execute(delete(AuditEvent.__table__).where(AuditEvent.occurred_at < cutoff)).rowcount
    connection.execute(delete(AuditPurgeWindow.__table__))
    if deleted:
        audit.record("trail:PurgeAuditEvents", decision="Allow",
                     detail={"deleted": deleted, "before": cutoff.isoformat()})
    return deleted
