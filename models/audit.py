"""The append-only audit trail.

The database refuses UPDATE and DELETE on `audit_events` (triggers created by
the migrations, and by `create_all` through the DDL hooks below), with one
exception: retention (`idp.trail.retention`) may DELETE rows older than the
cut-off of a purge window, a row of `audit_purge_windows` that exists only
inside the purging transaction (PostgreSQL refuses to commit one; SQLite has
one writer at a time, so no other transaction ever sees it) and whose cut-off
is at least a day old.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DDL, BigInteger, CheckConstraint, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import UtcDateTime, utcnow


class AuditEvent(Base):
    """One audited action: who (`actor` ARN) did what (`action`) to what, and the decision."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # CloudTrail LookupEvents (idp.trail): an account's events newest first, and one principal's.
        Index("ix_audit_events_account_time", "account_id", "occurred_at", "id"),
        Index("ix_audit_events_account_actor_time", "account_id", "actor", "occurred_at", "id"),
    )

    # BIGINT on PostgreSQL; SQLite only autoincrements an INTEGER PRIMARY KEY.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=utcnow, index=True
    )
    request_id: Mapped[str | None] = mapped_column(String(64))
    # No foreign key: the trail outlives deleted accounts.
    account_id: Mapped[str | None] = mapped_column(String(12))
    actor: Mapped[str | None] = mapped_column(String(2048))
    action: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    resource: Mapped[str | None] = mapped_column(String(2048))
    decision: Mapped[str | None] = mapped_column(String(16))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.decision}>"


class AuditPurgeWindow(Base):
    """The one purge window a retention transaction opens and closes again before it commits."""

    __tablename__ = "audit_purge_windows"
    __table_args__ = (CheckConstraint("id = 1", name="single"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    purge_before: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


# Keep in step with the migrations (0dab38c4e596 created the first version, f1a2b3c4d511 this one).
SQLITE_AUDIT_EVENTS = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_purge_windows WHERE OLD.occurred_at < purge_before)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
]
SQLITE_PURGE_WINDOWS = [
    *(f"""CREATE TRIGGER audit_purge_windows_recent_{verb.lower()} BEFORE {verb} ON audit_purge_windows
WHEN NEW.purge_before > strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 day')
BEGIN SELECT RAISE(ABORT, 'an audit purge window must end at least a day ago'); END""" for verb in ("INSERT", "UPDATE")),
]
POSTGRESQL_AUDIT_EVENTS = [
    """CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_purge_windows WHERE OLD.occurred_at < purge_before) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'restrict_violation';
END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
]
POSTGRESQL_PURGE_WINDOWS = [
    """CREATE FUNCTION audit_purge_windows_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_WHEN = 'BEFORE' AND NEW.purge_before > now() - interval '1 day' THEN
        RAISE EXCEPTION 'an audit purge window must end at least a day ago' USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_WHEN = 'AFTER' AND EXISTS (SELECT 1 FROM audit_purge_windows) THEN
        RAISE EXCEPTION 'an audit purge window must be closed before its transaction commits'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$""",
    """CREATE TRIGGER audit_purge_windows_recent BEFORE INSERT OR UPDATE ON audit_purge_windows
FOR EACH ROW EXECUTE FUNCTION audit_purge_windows_guard()""",
    """CREATE CONSTRAINT TRIGGER audit_purge_windows_closed AFTER INSERT OR UPDATE ON audit_purge_windows
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_purge_windows_guard()""",
]
POSTGRESQL_DROP_FUNCTIONS = [
    "DROP FUNCTION IF EXISTS audit_events_append_only()",
    "DROP FUNCTION IF EXISTS audit_purge_windows_guard()",
]

# Each table's hooks create (and drop) its own triggers; both dialects resolve the other table when one fires.
_HOOKS = {
    (AuditEvent.__table__, "sqlite"): SQLITE_AUDIT_EVENTS,
    (AuditPurgeWindow.__table__, "sqlite"): SQLITE_PURGE_WINDOWS,
    (AuditEvent.__table__, "postgresql"): POSTGRESQL_AUDIT_EVENTS,
    (AuditPurgeWindow.__table__, "postgresql"): POSTGRESQL_PURGE_WINDOWS,
}
for (_table, _dialect), _statements in _HOOKS.items():
    for _statement in _statements:
        # DDL formats its text with `%`: the strftime pattern's signs are doubled to stay literal.
        event.listen(_table, "after_create", DDL(_statement.replace("%", "%%")).execute_if(dialect=_dialect))
for _table, _drop in zip((AuditEvent.__table__, AuditPurgeWindow.__table__), POSTGRESQL_DROP_FUNCTIONS):
    event.listen(_table, "after_drop", DDL(_drop).execute_if(dialect="postgresql"))
