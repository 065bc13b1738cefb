"""Housekeeping without cron: key rotation and purges on a schedule, run by exactly one instance.

`run_once` takes the database lease `housekeeping` (`lease.py`), then runs each
job of `jobs.py` in a unit of work of its own, in an app context of its own (so
its own session: it may be called from a CLI command's unit or a thread with no
context at all). An instance that finds the lease held by another skips the
pass. `init_app` wires the scheduler (`scheduler.py`): started on the app's
first request, not in `create_app`, so that one-off commands and scripts never
start a thread, a gunicorn worker starts it after the fork, and the database
has been bootstrapped first.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import timedelta

from flask import Flask

from idp import work
from idp.housekeeping import lease
from idp.housekeeping.jobs import JOBS

LEASE = "housekeeping"
log = logging.getLogger(__name__)


def instance_id() -> str:
    """A holder id naming this process (host and pid, for operators) and unique across restarts."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


def lease_ttl(interval_seconds: int) -> timedelta:
    """How long a pass holds the lease: two intervals, so a live holder renews it before it lapses."""
    return timedelta(seconds=2 * interval_seconds)


def run_once(app: Flask, holder: str | None = None, *, keep_lease: bool = False) -> dict:
    """One housekeeping pass if this holder gets the lease; what each job did (or why nothing ran).

    `keep_lease` (the scheduler) keeps the lease until it lapses, so the same instance stays the one that
    runs; a one-off pass (the CLI) lets it go when done.
    """
    settings = app.config["IDP_SETTINGS"]
    holder = holder or instance_id()
    with app.app_context():
        with work.unit_of_work():
            acquired = lease.acquire(LEASE, holder, lease_ttl(settings.housekeeping_interval_seconds))
            current = None if acquired else lease.held_by(LEASE)
        if not acquired:
            return {"ran": False, "holder": current[0] if current else None,
                    "until": current[1].isoformat() if current else None}
        report: dict = {"ran": True, "holder": holder, "errors": {}}
        try:
            for name, job in JOBS:
                try:
                    with work.unit_of_work():
                        report[name] = job(settings, f"housekeeping:{holder}")
                except Exception as error:  # noqa: BLE001  one failing job must not stop the others
                    log.exception("housekeeping job %s failed", name)
                    report["errors"][name] = f"{type(error).__name__}: {error}"
        finally:
            if not keep_lease:
                with work.unit_of_work():
                    lease.release(LEASE, holder)
    return report


def release(app: Flask, holder: str) -> None:
    """Let the lease go now if `holder` has it (an instance shutting down)."""
    with app.app_context(), work.unit_of_work():
        lease.release(LEASE, holder)


def init_app(app: Flask) -> None:
    """Start the scheduler on the app's first request when IDP_HOUSEKEEPING is on."""
    settings = app.config["IDP_SETTINGS"]
    if not settings.housekeeping:
        return
    from idp.housekeeping.scheduler import Scheduler

    scheduler = app.extensions["idp.housekeeping"] = Scheduler(app, settings.housekeeping_interval_seconds)
    app.before_request(scheduler.start)
