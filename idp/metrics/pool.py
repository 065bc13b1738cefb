"""Database pool use, from SQLAlchemy's pool events: connections checked out and connections held open.

Events rather than a collector reading `engine.pool.checkedout()` at scrape
time: in multiprocess mode the scrape runs in one worker and must see every
worker's pool, which only values written by each worker can give.
"""
from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.pool import Pool

from idp.metrics.registry import POOL_CHECKED_OUT, POOL_OPEN

# A connection counted as checked out / open carries these marks in its record's `info`, so that a connection
# taken before the listeners were installed is never subtracted.
CHECKED_OUT = "idp.metrics.checked_out"
OPEN = "idp.metrics.open"

_listening = False
_lock = threading.Lock()


def listen() -> None:
    """Install the listeners on every pool of the process (once)."""
    global _listening
    with _lock:
        if _listening:
            return
        for name, listener in EVENTS:
            event.listen(Pool, name, listener)
        _listening = True


def unlisten() -> None:
    """Remove the listeners again (the marks keep a later `listen` from subtracting what it never added)."""
    global _listening
    with _lock:
        if not _listening:
            return
        for name, listener in EVENTS:
            event.remove(Pool, name, listener)
        _listening = False


def _connected(_dbapi_connection, record) -> None:
    record.info[OPEN] = True
    POOL_OPEN.inc()


def _checked_out(_dbapi_connection, record, _proxy) -> None:
    if not record.info.get(CHECKED_OUT):  # still marked: its check-in happened while no one listened
        record.info[CHECKED_OUT] = True
        POOL_CHECKED_OUT.inc()


def _checked_in(_dbapi_connection, record) -> None:
    if record is not None and record.info.pop(CHECKED_OUT, False):
        POOL_CHECKED_OUT.dec()


def _closed(_dbapi_connection, record) -> None:
    if record.info.pop(OPEN, False):
        POOL_OPEN.dec()


def _detached(_dbapi_connection, record) -> None:
    # A detached connection leaves the pool for good: it is neither checked out of it nor held by it any more.
    _checked_in(_dbapi_connection, record)
    _closed(_dbapi_connection, record)


EVENTS = (("connect", _connected), ("checkout", _checked_out), ("checkin", _checked_in), ("close", _closed),
          ("detach", _detached))
