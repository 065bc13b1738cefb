"""Least-privilege findings over an account: every check with a case it flags and one it leaves alone, the CLI's
exit code, and the GetAccountFindings API."""
import json
from datetime import timedelta

import pyotp
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.reports.conftest import ACCOUNT, T0, days
from tests.support.aws_clients import client_for

FOREIGN = "210987654321"
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
NOW = T0 + timedelta(days=100)


def document(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal, action="sts:AssumeRole", **extra) -> str:
    return document({"Effect": "Allow", "Principal": principal, "Action": action, **extra})


@pytest.fixture
def seeded(clock, iam, live_server, root):
    """An account's 100 days: at T0 most things are made; at 50 days erin; at 95 days carol works."""
    for name in ("alice", "carol", "dave"):
        iam.create_user(UserName=name)
    iam.create_login_profile(UserName="alice", Password="correct horse battery staple")
    iam.create_login_profile(UserName="dave", Password="correct horse battery staple")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="dave")["VirtualMFADevice"]
    totp, now = pyotp.TOTP(device["Base32StringSeed"].decode()), clock.now().timestamp()
    iam.enable_mfa_device(UserName="dave", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))
    iam.create_access_key(UserName="alice")
    carol_key = iam.create_access_key(UserName="carol")["AccessKey"]
    iam.put_user_policy(UserName="carol", PolicyName="work", PolicyDocument=document(
        allow(["iam:GetUser", "sts:AssumeRole"])))
    carol = f"arn:aws:iam::{ACCOUNT}:user/carol"
    roles = {
        "worker": trust({"AWS": carol}), "idle": trust({"AWS": carol}),
        "open": trust("*"),
        "orgwide": trust("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
        "vendor": trust({"AWS": FOREIGN}),
        "partner": trust({"AWS": f"arn:aws:iam::{FOREIGN}:root"},
                         Condition={"StringEquals": {"sts:ExternalId": "partner-7"}}),
        "ci": trust({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity"),
        "ci-pinned": trust({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity", Condition={"StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}),
    }
    for name, policy in roles.items():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy)
    iam.put_role_policy(RoleName="worker", PolicyName="everything", PolicyDocument=document(allow("*")))
    for name, policy in {"admin": allow("*:*"), "readonly": allow("iam:Get*"), "deployer": allow("iam:PassRole"),
                         "passer": allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/worker"),
                         "admin-from-office": allow("*", Condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}),
                         }.items():
        iam.create_policy(PolicyName=name, PolicyDocument=document(policy))

    clock.advance(days(50))
    iam.create_user(UserName="erin")
    clock.advance(days(45))
    client_for(live_server, "iam", carol_key["AccessKeyId"], carol_key["SecretAccessKey"]).get_user()
    client_for(live_server, "sts", carol_key["AccessKeyId"], carol_key["SecretAccessKey"]).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/worker", RoleSessionName="job")
    clock.advance(days(5))
    iam.get_user()  # the root user, at 100 days


def signed_get(live_server, key_id, secret, path):
    """A GET of this product's rest-json extension, signed for access-analyzer (boto3 has no such operation)."""
    request = AWSRequest(method="GET", url=f"{live_server.url}{path}")
    SigV4Auth(Credentials(key_id, secret), "access-analyzer", "us-east-1").add_auth(request)
    return requests.get(request.url, headers=dict(request.headers), timeout=10)


def findings(app, now=None) -> set[tuple[str, str]]:
    from idp.analyzer.account_checks import check_account

    with app.app_context():
        return {(f.check, f.resource.rsplit(":", 1)[-1]) for f in check_account(ACCOUNT, now)}


def test_every_check_flags_its_case_and_leaves_the_other_alone(app, seeded):
    from idp.analyzer.account_checks import check_account

    assert findings(app) == {
        ("root-access-keys", "root"), ("root-without-mfa", "root"), ("root-used-recently", "root"),
        ("user-password-without-mfa", "user/alice"),  # not dave, who has MFA
        ("access-key-old", "user/alice"), ("access-key-old", "user/carol"),
        ("access-key-unused", "user/alice"),  # not carol's, used at 95 days
        ("user-inactive", "user/alice"), ("user-inactive", "user/dave"),  # not carol (active), not erin (too new)
        ("role-unused", "role/idle"), ("role-unused", "role/open"), ("role-unused", "role/orgwide"),
        ("role-unused", "role/vendor"), ("role-unused", "role/partner"), ("role-unused", "role/ci"),
        ("role-unused", "role/ci-pinned"),  # not worker, assumed at 95 days
        ("policy-full-admin", "policy/admin"), ("policy-full-admin", "role/worker"),  # not the conditioned one
        ("passrole-any", "policy/deployer"),  # not passer, naming its role
        ("trust-any-principal", "role/open"),  # not orgwide, conditioned on the organization
        ("trust-foreign-account-without-external-id", "role/vendor"),  # not partner, with an external id
        ("web-identity-trust-without-aud", "role/ci"),  # not ci-pinned
    }
    with app.app_context():
        found = check_account(ACCOUNT)
    assert [f.severity for f in found] == sorted((f.severity for f in found),
                                                 key=("critical", "high", "medium", "low").index)
    assert all(f.fix and f.title and f.detail and f.resource.startswith("arn:aws:iam::") for f in found)


def enable_root_mfa(app, clock, iam) -> None:
    """Root enables a virtual device (as on the account page: the API names a user), through the services."""
    from idp.iam import mfa_devices, totp
    from idp.signin import enrolment
    from models import db

    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="root-phone")["VirtualMFADevice"]["SerialNumber"]
    with app.app_context():
        device = mfa_devices.get(ACCOUNT, serial)
        codes, now = pyotp.TOTP(totp.open_seed(device)), clock.now().timestamp()
        enrolment.enable(device, None, codes.at(now - 30), codes.at(now))
        db.session.commit()


def test_api_cli_exit_code_and_findings_clearing_once_fixed(app, clock, iam, live_server, root, seeded):
    def analyze(*extra):
        return app.test_cli_runner().invoke(args=["idp", "analyze", "account", "--account", ACCOUNT, *extra])

    answer = signed_get(live_server, root.access_key_id, root.secret_access_key, "/account-findings")
    assert answer.status_code == 200
    assert {(f["check"], f["resource"].rsplit(":", 1)[-1]) for f in answer.json()["findings"]} == findings(app)
    key = iam.create_access_key(UserName="erin")["AccessKey"]
    refused = signed_get(live_server, key["AccessKeyId"], key["SecretAccessKey"], "/account-findings")
    assert refused.status_code == 403 and refused.headers["x-amzn-ErrorType"] == "AccessDeniedException"

    failing = analyze("--json")
    assert failing.exit_code == 1
    assert json.loads(failing.output)["findings"][0]["severity"] == "critical"
    assert analyze("--fail-on", "critical").exit_code == 1

    enable_root_mfa(app, clock, iam)
    iam.delete_role(RoleName="open")
    iam.delete_access_key(AccessKeyId=root.access_key_id)  # the root client's last call

    fixed = analyze("--fail-on", "critical")
    assert fixed.exit_code == 0 and "CRITICAL" not in fixed.output
    assert analyze().exit_code == 1  # high findings remain
    assert {check for check, resource in findings(app, NOW + timedelta(days=31)) if resource == "root"} == set()

    unknown = app.test_cli_runner().invoke(args=["idp", "analyze", "account", "--account", "999999999999"])
    assert unknown.exit_code == 1 and "no account 999999999999" in unknown.output


