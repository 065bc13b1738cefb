"""Unused access from last-used data: access keys, passwords, roles (audit log) and service permissions."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from idp.clock import FixedClock
from tests.support.aws_clients import client_for

READ = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:GetUser", "sts:AssumeRole"], "Resource": "*"}]})


@pytest.fixture
def t0():
    """The test's start, read when the test starts: boto3 signs with the wall clock, the server checks 5 minutes."""
    return datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def app_config(app_config, t0):
    return {**app_config, "IDP_CLOCK": FixedClock(t0)}


@pytest.fixture
def history(iam, live_server, root):
    """At T0: alice uses her key and assumes `worker`; bob never uses his; `idle` is never assumed."""
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=READ)
    iam.create_login_profile(UserName="alice", Password="correct horse battery staple")
    alice_key = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.create_user(UserName="bob")
    bob_key = iam.create_access_key(UserName="bob")["AccessKey"]
    alice_arn = iam.get_user(UserName="alice")["User"]["Arn"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "sts:AssumeRole"}]})
    worker = iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.create_role(RoleName="idle", AssumeRolePolicyDocument=trust)

    alice = client_for(live_server, "iam", alice_key["AccessKeyId"], alice_key["SecretAccessKey"])
    alice.get_user(UserName="alice")
    sts = client_for(live_server, "sts", alice_key["AccessKeyId"], alice_key["SecretAccessKey"])
    sts.assume_role(RoleArn=worker, RoleSessionName="job")
    return {"alice": alice_key["AccessKeyId"], "bob": bob_key["AccessKeyId"], "account": root.account_id}


def scan(app, account, age):
    from idp.analyzer import analyzers
    from idp.aws.rest_json_analyzers import finding_v2
    from models import db

    with app.app_context():
        analyzer = analyzers.create(account, "us-east-1", f"unused-{age}", "ACCOUNT_UNUSED_ACCESS",
                                    unused_access_age=age)
        db.session.commit()
        found = sorted((finding_v2(f, details=True) for f in analyzer.findings),
                       key=lambda f: (f["findingType"], f["resource"], json.dumps(f["findingDetails"])))
        return [(f["findingType"], f["resource"].rsplit("/", 1)[-1], f["findingDetails"][0]) for f in found]


def test_access_created_within_the_window_is_not_judged(app, history):
    app.extensions["idp.clock"].advance(timedelta(days=40).total_seconds())
    assert scan(app, history["account"], 60) == []


def test_everything_unused_for_longer_than_the_age(app, history, t0):
    app.extensions["idp.clock"].advance(timedelta(days=40).total_seconds())
    t0 = t0.isoformat()

    found = scan(app, history["account"], 30)

    assert found == [
        ("UnusedIAMRole", "idle", {"unusedIamRoleDetails": {"lastAccessed": None}}),
        ("UnusedIAMRole", "worker", {"unusedIamRoleDetails": {"lastAccessed": t0}}),
        ("UnusedIAMUserAccessKey", "alice",
         {"unusedIamUserAccessKeyDetails": {"accessKeyId": history["alice"], "lastAccessed": t0}}),
        ("UnusedIAMUserAccessKey", "bob",
         {"unusedIamUserAccessKeyDetails": {"accessKeyId": history["bob"], "lastAccessed": None}}),
        ("UnusedIAMUserPassword", "alice", {"unusedIamUserPasswordDetails": {"lastAccessed": None}}),
        ("UnusedPermission", "alice", {"unusedPermissionDetails": {
            "serviceNamespace": "iam", "lastAccessed": t0, "actions": [{"action": "iam:GetUser"}]}}),
        ("UnusedPermission", "alice", {"unusedPermissionDetails": {
            "serviceNamespace": "sts", "lastAccessed": t0, "actions": [{"action": "sts:AssumeRole"}]}}),
    ]


def test_unused_findings_resolve_when_the_access_goes(app, history, iam, t0):
    from idp.analyzer import analyzers
    from models import db

    clock = app.extensions["idp.clock"]
    clock.advance(timedelta(days=40).total_seconds())
    scan(app, history["account"], 30)
    # Back to the signing time of the test's boto3 client to deactivate bob's key, then forward again.
    clock.current = t0
    iam.update_access_key(UserName="bob", AccessKeyId=history["bob"], Status="Inactive")
    clock.advance(timedelta(days=41).total_seconds())
    with app.app_context():
        analyzer = analyzers.get(history["account"], "unused-30")
        analyzers.scan(analyzer)
        db.session.commit()
        statuses = {(f.finding_type, (f.detail or {}).get("accessKeyId")): f.status for f in analyzer.findings}
    assert statuses[("UnusedIAMUserAccessKey", history["bob"])] == "RESOLVED"
    assert statuses[("UnusedIAMUserAccessKey", history["alice"])] == "ACTIVE"
