"""Audit export: every event of a time range (and account) as CloudTrail records, oldest first, for archiving."""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

from sqlalchemy import bindparam, select, tuple_

from idp.trail import events
from models import db
from models.audit import AuditEvent
from models.columns import UtcDateTime

BATCH = 1000


def export_records(since: datetime, until: datetime | None = None, account_id: str | None = None) -> Iterator[dict]:
    """CloudTrail records from `since` (inclusive) to `until` (exclusive), read in batches by (time, id)."""
    statement = select(AuditEvent).where(AuditEvent.occurred_at >= since)
    if until is not None:
        statement = statement.where(AuditEvent.occurred_at < until)
    if account_id is not None:
        statement = statement.where(AuditEvent.account_id == account_id)
    statement = statement.order_by(AuditEvent.occurred_at, AuditEvent.id).limit(BATCH)
    after = None
    while True:
        page = statement if after is None else statement.where(
            tuple_(AuditEvent.occurred_at, AuditEvent.id)
            > tuple_(bindparam("after_time", after[0], type_=UtcDateTime), bindparam("after_id", after[1])))
        rows = db.session.scalars(page).all()
        ids = events.principal_ids(rows)
        yield from (events.cloudtrail_record(row, ids) for row in rows)
        if len(rows) < BATCH:
            return
        after = (rows[-1].occurred_at, rows[-1].id)
        db.session.expunge_all()  # an archive of millions of rows must not keep them all in the session
