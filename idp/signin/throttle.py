"""Throttling of sign-in and factor checks per account+user name, principal, device and source address, shared through the database.

Exponential back-off: the first few failures are free, then each failure
doubles the wait (1 s, 2 s, 4 s, ... capped). A key with no failure for
`FORGET_AFTER` starts afresh, so an attacker can delay a victim's sign-in but
never lock it out for good. A successful sign-in clears the user key; the
address key only decays, so one valid account does not reset an address
that is guessing at others.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from idp import clock
from idp.errors import TooManyRequests
from models import db
from models.throttle import SigninThrottle


@dataclass(frozen=True)
class Rule:
    """How many failures are free for a kind of key, and the back-off after them."""

    free_failures: int
    cap: timedelta


USER_RULE = Rule(free_failures=5, cap=timedelta(minutes=15))
# Addresses are shared (NAT, offices): more free failures before backing off.
ADDRESS_RULE = Rule(free_failures=20, cap=timedelta(minutes=15))
FORGET_AFTER = timedelta(hours=1)
MESSAGE = "Too many sign-in attempts. Try again in {seconds} seconds."


def user_key(account: str, username: str) -> str:
    """The counter of one (account id or alias, user name) as typed, case-insensitive."""
    return f"user:{account.strip().lower()[:63]}:{username.strip().lower()[:64]}"


def address_key(address: str | None) -> str:
    """The counter of one source address."""
    return f"ip:{address or 'unknown'}"


def hold(keys: list[str]) -> None:
    """Lock the counters of `keys` until this transaction ends (made at zero when missing).

    Concurrent checks of one factor then run one after another, each seeing the failures the previous one
    counted, instead of all passing `check` before any failure is written (PostgreSQL: row locks; SQLite:
    the database's one writer). Call before `check` wherever a guess is verified.
    """
    now = clock.now()
    for key in sorted(set(keys)):
        if _touch(key):
            continue
        try:
            with db.session.begin_nested():
                db.session.add(SigninThrottle(key=key, failures=0, last_failure_at=now))
        except IntegrityError:
            _touch(key)  # another transaction made it first: wait for it, then hold it


def _touch(key: str) -> bool:
    touched = db.session.execute(update(SigninThrottle).where(SigninThrottle.key == key)
                                 .values(failures=SigninThrottle.failures))
    return bool(touched.rowcount)


def check(keys: list[str]) -> set[str]:
    """The keys that have counted failures; TooManyRequests (429, Retry-After) while any of them is backing off."""
    now = clock.now()
    rows = list(db.session.scalars(select(SigninThrottle).where(SigninThrottle.key.in_(keys))
                                   .execution_options(populate_existing=True)))
    waits = [row.blocked_until - now for row in rows if row.blocked_until is not None and row.blocked_until > now]
    if waits:
        seconds = max(1, math.ceil(max(waits).total_seconds()))
        raise TooManyRequests(MESSAGE.format(seconds=seconds), retry_after=seconds)
    return {row.key for row in rows}


def failed(key: str, rule: Rule) -> None:
    """Count one failure of `key` and set its back-off (not committed)."""
    now = clock.now()
    row = _increment(key, now)
    over = row.failures - rule.free_failures
    row.blocked_until = now + min(timedelta(seconds=2 ** (over - 1)), rule.cap) if over > 0 else None
    db.session.flush()


def succeeded(key: str) -> None:
    """Forget the failures of `key` (not committed)."""
    db.session.execute(delete(SigninThrottle).where(SigninThrottle.key == key))


def _increment(key: str, now: datetime) -> SigninThrottle:
    # An UPDATE first, so that concurrent failures on several instances all count.
    stale = now - FORGET_AFTER
    db.session.execute(
        update(SigninThrottle).where(SigninThrottle.key == key, SigninThrottle.last_failure_at < stale)
        .values(failures=0, blocked_until=None)
    )
    counted = db.session.execute(
        update(SigninThrottle).where(SigninThrottle.key == key)
        .values(failures=SigninThrottle.failures + 1, last_failure_at=now)
    ).rowcount
    if not counted:
        try:
            with db.session.begin_nested():
                db.session.add(SigninThrottle(key=key, failures=1, last_failure_at=now))
        except IntegrityError:
            # Another instance inserted it first: count on its row.
            db.session.execute(
                update(SigninThrottle).where(SigninThrottle.key == key)
                .values(failures=SigninThrottle.failures + 1, last_failure_at=now)
            )
    return db.session.get(SigninThrottle, key, populate_existing=True)
