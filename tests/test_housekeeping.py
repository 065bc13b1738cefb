"""Housekeeping without cron: keys rotate by age under one lease, purges run, the scheduler starts on demand."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from idp import create_app, housekeeping
from idp.clock import FixedClock
from idp.config import load_settings
from idp.errors import ConfigError
from idp.housekeeping import lease
from idp.keys import jwt, keystore, sign_token, verify_own_token
from models import db as database
from models.audit import AuditEvent
from models.keys import SigningKey
from tests.support.servers import REPO_ROOT

DAY = 86_400


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc))


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "IDP_CLOCK": clock, "IDP_KEY_REFRESH_SECONDS": "1", "IDP_TOKEN_LIFETIME": "600"}


def in_context(app, fn):
    """`fn()` in an app context of its own (its own session, so it sees what other units committed)."""
    with app.app_context():
        try:
            return fn()
        finally:
            database.session.rollback()


def state(app) -> dict:
    """Key statuses per purpose and the audit actions written so far."""
    def read():
        keys = database.session.execute(
            select(SigningKey.purpose, SigningKey.status, func.count()).group_by(SigningKey.purpose, SigningKey.status)
        ).all()
        actions = database.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        return {"keys": {(p, s): n for p, s, n in keys}, "audit": list(actions)}
    return in_context(app, read)


def ensure_keys(app) -> None:
    in_context(app, lambda: keystore().ensure())


def test_keys_rotate_when_due_old_tokens_verify_and_the_lease_keeps_others_out(app, clock):
    ensure_keys(app)
    first = housekeeping.run_once(app)
    assert first["ran"] and first["errors"] == {} and first["rotated"] == {}, "fresh keys are not due"
    assert set(first["purged"]) >= {"used_jtis", "authorization_codes", "browser_sessions"}
    clock.advance(30 * DAY - 1)
    assert housekeeping.run_once(app)["rotated"] == {}, "one second short of IDP_KEY_ROTATION_DAYS"
    assert state(app)["keys"].get(("token", "retired")) is None
    with app.app_context():
        now = int(clock.now().timestamp())
        token = sign_token({"iss": app.config["IDP_SETTINGS"].issuer, "sub": "before", "aud": "c",
                            "iat": now, "exp": now + 600})
        old_kid = keystore().signing_key("ES256").kid
        upcoming = next(k["kid"] for k in keystore().jwks()["keys"] if k["alg"] == "ES256" and k["kid"] != old_kid)

    clock.advance(1)
    report = housekeeping.run_once(app)
    assert len(report["rotated"]["token"]) == 3 and len(report["rotated"]["session"]) == 1, report
    after = state(app)
    assert after["keys"][("token", "retired")] == 3 and after["keys"][("session", "retired")] == 1
    assert after["audit"].count("keys:RotateKeys") == 2 and after["audit"].count("maintenance:PurgeExpired") == 3
    with app.app_context():
        assert keystore().signing_key("ES256").kid == upcoming, "the key that signs now was published a rotation ago"
        published = {k["kid"] for k in keystore().jwks()["keys"]}
        assert {old_kid, upcoming} <= published, "the retired key stays in the JWKS"
        assert verify_own_token(token, kind=jwt.ID_TOKEN)["sub"] == "before"
    assert housekeeping.run_once(app)["rotated"] == {}, "just rotated: not due again"

    # Another instance holds the lease: this one skips the pass and writes nothing, even with keys due.
    clock.advance(31 * DAY)
    other = "other-host:1:abcd"
    assert in_context(app, lambda: _take(other, timedelta(seconds=600)))
    written = state(app)
    skipped = housekeeping.run_once(app)
    assert skipped == {"ran": False, "holder": other, "until": (clock.now() + timedelta(seconds=600)).isoformat()}
    assert state(app) == written
    clock.advance(601)
    assert housekeeping.run_once(app)["rotated"]["token"], "a lapsed lease is taken over"
    assert in_context(app, lambda: lease.held_by(housekeeping.LEASE)) is None, "a one-off pass lets the lease go"

    with app.app_context():
        assert keystore().due("token", clock.now() + timedelta(days=3650), 0) is False, "0 days: never"


def _take(holder: str, ttl: timedelta) -> bool:
    taken = lease.acquire(housekeeping.LEASE, holder, ttl)
    database.session.commit()
    return taken


def test_settings_are_validated_with_a_clear_error():
    base = {"IDP_MASTER_KEY": None}
    assert load_settings({"TESTING": True}, base).housekeeping is False, "tests never start the thread unasked"
    defaults = load_settings({}, base)
    assert (defaults.housekeeping, defaults.housekeeping_interval_seconds, defaults.key_rotation_days) == (True, 300, 30)
    assert load_settings({"TESTING": True, "IDP_HOUSEKEEPING": "on"}, base).housekeeping is True
    for name, value, message in [
        ("IDP_HOUSEKEEPING", "sometimes", "IDP_HOUSEKEEPING must be on or off, got 'sometimes'"),
        ("IDP_KEY_ROTATION_DAYS", "-1", "IDP_KEY_ROTATION_DAYS must be between 0 and 3650, got -1"),
        ("IDP_KEY_ROTATION_DAYS", "weekly", "IDP_KEY_ROTATION_DAYS must be an integer, got 'weekly'"),
        ("IDP_HOUSEKEEPING_INTERVAL_SECONDS", "0", "IDP_HOUSEKEEPING_INTERVAL_SECONDS must be between 1 and 86400"),
    ]:
        with pytest.raises(ConfigError, match=message):
            load_settings({name: value}, base)


def test_cli_run_once_in_a_real_process_skips_under_a_held_lease_and_reports_failed_jobs(
        app, app_config, runner, clock, monkeypatch):
    ensure_keys(app)
    before = state(app)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env = {**clean, **{k: v for k, v in app_config.items() if k.startswith("IDP_") and isinstance(v, str)}}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "idp", "housekeeping", "run-once", "--json"],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ran"] and report["rotated"] == {} and report["errors"] == {}
    assert state(app)["audit"] == before["audit"] + ["maintenance:PurgeExpired"]

    clock.advance(30 * DAY)
    assert in_context(app, lambda: _take("web-1:42:beef", timedelta(seconds=600)))
    skipped = runner.invoke(args=["idp", "housekeeping", "run-once"])
    assert skipped.exit_code == 0 and skipped.output.startswith("skipped: web-1:42:beef holds the housekeeping lease")
    assert state(app)["keys"].get(("token", "retired")) is None

    # One job failing neither stops the others nor hides their report; cron sees exit status 1.
    clock.advance(601)
    monkeypatch.setattr("idp.housekeeping.jobs.purge_expired", lambda now: 1 / 0)
    failed = runner.invoke(args=["idp", "housekeeping", "run-once", "--json"])
    assert failed.exit_code == 1 and "housekeeping jobs failed: purged: ZeroDivisionError" in failed.output
    printed = json.loads(failed.stdout.splitlines()[0])
    assert len(printed["rotated"]["token"]) == 3 and "purged" not in printed
    assert state(app)["keys"][("token", "retired")] == 3, "the rotation before the failing job is committed"


def test_the_scheduler_starts_on_the_first_request_and_other_instances_pick_the_new_key_up(app, app_config, clock):
    assert "idp.housekeeping" not in app.extensions, "TESTING apps start no scheduler unless asked"
    ensure_keys(app)
    ticking = create_app({**app_config, "IDP_HOUSEKEEPING": "on", "IDP_HOUSEKEEPING_INTERVAL_SECONDS": "1"})
    scheduler = ticking.extensions["idp.housekeeping"]
    try:
        assert scheduler._thread is None, "no thread before the first request"
        assert ticking.test_client().get("/healthz").status_code == 200
        with app.app_context():
            old = keystore().signing_key("ES256").kid  # `app` is another instance: it caches this key
        clock.advance(30 * DAY)
        deadline = time.monotonic() + 10
        while scheduler.passes < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scheduler.last_report and scheduler.last_report["ran"], scheduler.last_report
        assert len(scheduler.last_report["rotated"]["token"]) == 3
        assert in_context(app, lambda: lease.held_by(housekeeping.LEASE))[0] == scheduler.holder
        assert housekeeping.run_once(app)["ran"] is False, "the scheduler keeps the lease between passes"

        time.sleep(1.05)  # IDP_KEY_REFRESH_SECONDS=1
        with app.app_context():
            assert keystore().signing_key("ES256").kid != old, "picked up within IDP_KEY_REFRESH_SECONDS"
    finally:
        scheduler.stop()
        with ticking.app_context():
            database.engine.dispose()
    assert in_context(app, lambda: lease.held_by(housekeeping.LEASE)) is None, "stopping lets the lease go"


@pytest.mark.postgres
def test_two_instances_racing_rotate_exactly_once(app, app_config, clock):
    ensure_keys(app)
    other = create_app(app_config)
    try:
        clock.advance(31 * DAY)
        barrier = threading.Barrier(2)

        def race(instance, action):
            barrier.wait()
            return action(instance)

        def both(action):
            with ThreadPoolExecutor(2) as pool:
                return list(pool.map(lambda instance: race(instance, action), (app, other)))

        reports = both(lambda instance: housekeeping.run_once(instance, keep_lease=True))
        assert sorted(r["ran"] for r in reports) == [False, True], reports
        assert state(app)["keys"][("token", "retired")] == 3
        assert state(app)["audit"].count("keys:RotateKeys") == 2

        # Without the lease, the age check under the keystore's row locks still lets one rotation through.
        clock.advance(31 * DAY)
        published = both(lambda instance: in_context(instance, lambda: keystore().rotate(
            "token", older_than=timedelta(days=30))))
        assert sorted(len(kids) for kids in published) == [0, 3], published
        assert state(app)["keys"][("token", "retired")] == 6
    finally:
        with other.app_context():
            database.engine.dispose()
