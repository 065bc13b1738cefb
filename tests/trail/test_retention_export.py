"""Audit retention through the triggers' purge window, and `idp audit export --format jsonl` in a real process."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError

from idp import audit, trail, work
from idp.clock import FixedClock
from idp.config import REPO_ROOT
from models import db
from models.audit import AuditEvent, AuditPurgeWindow

ACCOUNT, OTHER = "111122223333", "444455556666"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


@pytest.fixture
def clock():
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "IDP_CLOCK": clock}


def refused(app, statement, match: str) -> None:
    """The database refuses `statement` (at the latest when its transaction commits), and nothing changes."""
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
        with pytest.raises(DBAPIError, match=match):
            db.session.execute(statement)
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert db.session.scalar(select(func.count()).select_from(AuditPurgeWindow)) == 0


def test_retention_purges_old_events_only_through_its_window_and_export_archives_them(app, runner, clock, app_config):
    now = clock.now()
    with app.app_context(), work.unit_of_work():
        clock.current = now - timedelta(days=400)
        audit.record("iam:CreateUser", actor=ROOT, account_id=ACCOUNT, resource=f"arn:aws:iam::{ACCOUNT}:user/old",
                     decision="Allow")
        audit.record("iam:DeleteUser", actor=f"arn:aws:iam::{ACCOUNT}:user/ops/bob", account_id=ACCOUNT,
                     resource=f"arn:aws:iam::{ACCOUNT}:user/x", decision="ImplicitDeny")
        clock.current = now - timedelta(days=2)
        audit.record("iam:GetUser", actor=ROOT, account_id=ACCOUNT, decision="Allow",
                     detail={"access_key_id": "AKIAEXAMPLEKEY000001"})
        audit.record("sts:AssumeRole", actor=f"arn:aws:iam::{OTHER}:root", account_id=OTHER, decision="Allow")
        clock.current = now
    old = now - timedelta(days=300)

    # The append-only rule holds for old rows too; a window must be at least a day old and closed before commit.
    refused(app, text("DELETE FROM audit_events"), "append-only")
    refused(app, insert(AuditPurgeWindow).values(id=1, purge_before=now - timedelta(hours=1)), "at least a day ago")
    if app_config["IDP_DATABASE_URL"].startswith("postgresql"):
        refused(app, insert(AuditPurgeWindow).values(id=1, purge_before=old), "closed before its transaction")

    # Kept forever with 0; otherwise `purge-expired` (and the scheduler) drop what is past retention, audited.
    with app.app_context():
        settings = app.config["IDP_SETTINGS"]
        app.config["IDP_SETTINGS"] = dataclasses.replace(settings, audit_retention_days=0)
        with work.unit_of_work():
            assert trail.purge_beyond_retention(now) == 0
        app.config["IDP_SETTINGS"] = settings
    purged = runner.invoke(args=["idp", "purge-expired", "--json"])
    assert purged.exit_code == 0 and json.loads(purged.output)["audit_events"] == 2, purged.output
    with app.app_context():
        left = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert left == ["iam:GetUser", "sts:AssumeRole", "trail:PurgeAuditEvents", "maintenance:PurgeExpired"]
        assert db.session.scalar(select(func.count()).select_from(AuditPurgeWindow)) == 0
        with app.test_request_context():
            by_key = trail.lookup_events(trail.LookupQuery(ACCOUNT, (("AccessKeyId", "AKIAEXAMPLEKEY000001"),)))
        assert [json.loads(e["CloudTrailEvent"])["userIdentity"]["accessKeyId"] for e in by_key.events] == [
            "AKIAEXAMPLEKEY000001"]

    # Export: a real `flask` process writes one CloudTrail record per line, oldest first, this account only.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("IDP_")},
           **{k: v for k, v in app_config.items() if k.startswith("IDP_") and isinstance(v, str)}}
    since = (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "idp", "audit", "export", "--since", since,
                           "--account", ACCOUNT, "--format", "jsonl"], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["eventSource"], r["eventName"]) for r in lines] == [("iam.amazonaws.com", "GetUser")]
    assert lines[0]["userIdentity"] == {"type": "Root", "principalId": ACCOUNT, "arn": ROOT, "accountId": ACCOUNT,
                                        "accessKeyId": "AKIAEXAMPLEKEY000001"}
    assert lines[0]["eventTime"] == (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    everyone = runner.invoke(args=["idp", "audit", "export", "--since", since])
    assert [json.loads(line)["eventName"] for line in everyone.output.splitlines()] == [
        "GetUser", "AssumeRole", "PurgeAuditEvents", "PurgeExpired"]
    for args, message in [(["--since", "yesterday"], "is not an ISO 8601 time"),
                          (["--since", since, "--format", "csv"], "'csv' is not 'jsonl'"),
                          (["--since", since, "--until", since], "--until must be later than --since"),
                          (["--since", since, "--account", "42"], "an account id is 12 digits")]:
        bad = runner.invoke(args=["idp", "audit", "export", *args])
        assert bad.exit_code == 2 and message in bad.output, bad.output
