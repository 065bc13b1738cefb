"""The one clock. Tests inject a `FixedClock` through `create_app({"IDP_CLOCK": ...})`."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol

from flask import current_app, has_app_context


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that moves only when told to; for tests."""

    def __init__(self, start: datetime):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


SYSTEM_CLOCK = SystemClock()


def now() -> datetime:
    """The current time from the app's clock (system clock outside an app)."""
    if has_app_context():
        return current_app.extensions.get("idp.clock", SYSTEM_CLOCK).now()
    return SYSTEM_CLOCK.now()


def as_utc(moment: datetime | None) -> datetime | None:
    """Treat naive datetimes read back from SQLite as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)
