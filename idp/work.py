"""One unit of work per request or command: the only place that commits.

Every view of the app runs inside `unit_of_work` (wrapped once, in
`create_app`), and so does every `flask --app app idp ...` command. The unit
- commits the work when the view returns (whatever status its response has),
  together with the audit records written with `audit.record` and the entries
  noted with `audit.note` (the authorizer's decisions, refusals);
- when the view raises, rolls the work back and still writes the noted
  entries (a refused request leaves its decisions and refusals in the log),
  unless the error `keeps_work` (a counted wrong code, a throttled attempt:
  the count itself must outlive the refusal), in which case the work so far is
  committed with them;
- runs the callbacks registered with `after_commit` once the commit is done
  (outbound calls such as back-channel logout never hold a transaction open);
- writes the writes registered with `keep` with the noted entries, so they
  too outlive a refusal (a credential's last use), and runs their `then`
  once that write is committed, whatever became of the work.

Services never commit; adapters never commit either: they return or raise.
"""
from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Callable, Iterator

from flask import g, has_app_context
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from idp import audit
from idp.errors import IdpError
from models import db


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did with its audit entries; on an error keep only the audit entries (see module).

    A unit opened inside another is the outer one's: only the outermost settles.
    """
    if g.get("work_open"):
        yield
        return
    g.work_open = True
    g.work_after_commit = callbacks = []
    g.work_kept = kept = []
    try:
        yield
    except BaseException as error:
        _settle(commit_work=isinstance(error, IdpError) and error.keeps_work)
        for _, then in kept:
            then()
        raise
    else:
        _settle(commit_work=True)
    finally:
        audit.forget_noted()
        g.pop("work_after_commit", None)
        g.pop("work_kept", None)
        g.pop("work_open", None)
    for callback in [*(then for _, then in kept), *callbacks]:
        callback()


def _write_kept() -> None:
    """Write the noted audit entries and the kept writes into the current transaction."""
    audit.write_noted()
    for write, _ in g.get("work_kept", []):
        write()


def _settle(*, commit_work: bool) -> None:
    if not commit_work:
        db.session.rollback()
    _write_kept()
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        if not commit_work:
            raise
        _write_kept()  # the work failed at its commit: the log entries and kept writes go in alone, then the error
        db.session.commit()
        raise


def transactional(view: Callable) -> Callable:
    """`view` run as one unit of work."""

    @functools.wraps(view)
    def run(*args, **kwargs):
        with unit_of_work():
            return view(*args, **kwargs)

    return run


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once this unit of work has committed (never when it rolls back); at once outside a unit."""
    callbacks = g.get("work_after_commit") if has_app_context() else None
    if callbacks is None:
        callback()
    else:
        callbacks.append(callback)


def keep(write: Callable[[], None], then: Callable[[], None]) -> None:
    """Run `write` when this unit of work settles, committed whether the work commits or rolls back (like
    `audit.note`'s entries), then `then` once it is committed; both at once outside a unit."""
    kept = g.get("work_kept") if has_app_context() else None
    if kept is None:
        write()
        then()
    else:
        kept.append((write, then))


def database_answers() -> bool:
    """Whether the database answers a trivial query (the readiness probe)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
