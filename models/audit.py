"""The append-only audit trail.

The database refuses UPDATE and DELETE on `audit_events` (triggers created by
the migration, and by `create_all` through the DDL hooks below).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DDL, BigInteger, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import UtcDateTime, utcnow


class AuditEvent(Base):
    """One audited action: who (`actor` ARN) did what (`action`) to what, and the decision."""

    __tablename__ = "audit_events"

    # BIGINT on PostgreSQL; SQLite only autoincrements an INTEGER PRIMARY KEY.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=utcnow, index=True
    )
    request_id: Mapped[str | None] = mapped_column(String(64))
    # No foreign key: the trail outlives deleted accounts.
    account_id: Mapped[str | None] = mapped_column(String(12), index=True)
    actor: Mapped[str | None] = mapped_column(String(2048))
    action: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    resource: Mapped[str | None] = mapped_column(String(2048))
    decision: Mapped[str | None] = mapped_column(String(16))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.decision}>"


# Keep in step with the initial migration, which creates the same triggers.
SQLITE_APPEND_ONLY = [
    f"""CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"""
    for verb in ("UPDATE", "DELETE")
]
POSTGRESQL_APPEND_ONLY = [
    """CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'restrict_violation';
END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
]

for _statement in SQLITE_APPEND_ONLY:
    event.listen(AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_APPEND_ONLY:
    event.listen(
        AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )
event.listen(
    AuditEvent.__table__,
    "after_drop",
    DDL("DROP FUNCTION IF EXISTS audit_events_append_only()").execute_if(dialect="postgresql"),
)
