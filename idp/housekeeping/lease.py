"""A named lease in the database: the one instance that holds it runs the scheduled work.

Taking it is one atomic statement, correct when instances race: insert the row
if it is absent (`ON CONFLICT DO NOTHING`), else take it over with one
`UPDATE ... WHERE expired OR holder = me`. On PostgreSQL a racing UPDATE waits
for the other's row lock and then re-checks its WHERE on the row the other
wrote, so only one of them matches; SQLite runs writers one at a time. Expiry is
read from the app's clock: instances need synchronised clocks (as SigV4's
five-minute window already demands).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from idp import clock
from models import db
from models.lease import Lease

_TABLE = Lease.__table__
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def acquire(name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease `name` for `ttl` (in the caller's unit of work); whether `holder` now holds it."""
    now = clock.now()
    insert = _INSERTS[db.session.get_bind().dialect.name](_TABLE)
    created = db.session.execute(
        insert.values(name=name, holder=holder, acquired_at=now, expires_at=now + ttl)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    if created.rowcount == 1:
        return True
    taken = db.session.execute(
        update(_TABLE)
        .where(_TABLE.c.name == name, or_(_TABLE.c.expires_at <= now, _TABLE.c.holder == holder))
        .values(holder=holder, expires_at=now + ttl,
                acquired_at=case((_TABLE.c.holder == holder, _TABLE.c.acquired_at), else_=now))
    )
    return taken.rowcount == 1


def release(name: str, holder: str) -> bool:
    """Let the lease go at once if `holder` has it (in the caller's unit of work); whether it did."""
    now = clock.now()
    released = db.session.execute(
        update(_TABLE).where(_TABLE.c.name == name, _TABLE.c.holder == holder, _TABLE.c.expires_at > now)
        .values(expires_at=now)
    )
    return released.rowcount == 1


def held_by(name: str) -> tuple[str, datetime] | None:
    """Who holds the lease `name` and until when, or None when nobody does."""
    row = db.session.execute(select(_TABLE.c.holder, _TABLE.c.expires_at).where(_TABLE.c.name == name)).first()
    if row is None or clock.as_utc(row.expires_at) <= clock.now():
        return None
    return row.holder, clock.as_utc(row.expires_at)
