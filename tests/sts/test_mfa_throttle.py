"""One factor throttle and one use per time step, shared by /login/mfa, STS (GetSessionToken, AssumeRole) and IAM.

boto3 against the live server; the server's clock is a FixedClock held at real
time (SigV4 checks it) one second into a TOTP step, so advancing it a few
seconds lets a back-off pass without leaving the step.
"""
from __future__ import annotations

import json

import pytest
import requests
from botocore.exceptions import ClientError

from tests.support.aws_clients import client_for
from tests.support.signin import DEFAULT_PASSWORD, csrf_token, http_login
from tests.web.test_mfa_totp import ROOT_PASSWORD, code, enrol_totp, mfa_answer, signed_in, step_clock

FREE_FAILURES = 5  # the sign-in throttle's USER_RULE: the sixth failure starts a 1-second back-off


@pytest.fixture
def clock():
    return step_clock()


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "IDP_CLOCK": clock, "IDP_ROOT_PASSWORD": ROOT_PASSWORD}


@pytest.fixture
def alice(live_server, root, iam, clock):
    """alice: a console password, an authenticator app enrolled on /account/mfa, an access key and an STS client."""
    browser = signed_in(live_server, root, iam)
    serial, secret = enrol_totp(live_server, browser, clock)
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    sts = client_for(live_server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    return sts, serial, secret


def wrong(secret: str, clock) -> str:
    """A well-formed code that is never valid now (ten steps ahead)."""
    return code(secret, clock, 10)


def error_of(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as refused:
        call(**kwargs)
    return {**refused.value.response["Error"], "status": refused.value.response["ResponseMetadata"]["HTTPStatusCode"]}


def mfa_failures(db, surface: str) -> list[dict]:
    from models.audit import AuditEvent

    db.session.expire_all()
    return [event.detail for event in db.session.query(AuditEvent).filter_by(action="mfa_failed", decision="Deny")
            if event.detail.get("surface") == surface]


def pending_sign_in(live_server, root) -> requests.Session:
    """A browser whose password passed and which /login/mfa now asks for a code."""
    browser = requests.Session()
    answer = http_login(browser, live_server.url, root.account_id, "alice", DEFAULT_PASSWORD)
    assert answer.headers["Location"].endswith("/login/mfa")
    return browser


def test_wrong_codes_at_get_session_token_are_throttled_then_even_the_right_code_waits(alice, clock, db):
    sts, serial, secret = alice
    for _ in range(FREE_FAILURES + 1):
        denied = error_of(sts.get_session_token, SerialNumber=serial, TokenCode=wrong(secret, clock))
        assert denied["Code"] == "AccessDenied"
        assert denied["Message"].startswith("MultiFactorAuthentication failed with invalid MFA one time pass code.")

    throttled = error_of(sts.get_session_token, SerialNumber=serial, TokenCode=code(secret, clock, 1))
    assert (throttled["Code"], throttled["Message"], throttled["status"]) == ("Throttling", "Rate exceeded", 400)
    failures = mfa_failures(db, "sts:GetSessionToken")
    reasons = [f["reason"] for f in failures]  # boto3 may retry a Throttling answer: each retry is refused too
    assert reasons[:FREE_FAILURES + 1] == ["invalid"] * (FREE_FAILURES + 1)
    assert reasons[FREE_FAILURES + 1:] and set(reasons[FREE_FAILURES + 1:]) == {"throttled"}

    clock.advance(2)  # the 1-second back-off has passed; the code was not checked (nor spent) while throttled
    credentials = sts.get_session_token(SerialNumber=serial, TokenCode=code(secret, clock, 1))["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")


def test_assume_role_checks_its_token_code_through_the_same_throttle(alice, iam, root, clock, db):
    sts, serial, secret = alice
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:root"}}]}
    role_arn = iam.create_role(RoleName="ops", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    for _ in range(FREE_FAILURES + 1):
        denied = error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="s1", SerialNumber=serial,
                          TokenCode=wrong(secret, clock))
        assert denied["Code"] == "AccessDenied"
    assert len(mfa_failures(db, "sts:AssumeRole")) == FREE_FAILURES + 1

    # The counter is the principal's and the device's, not the action's: GetSessionToken waits too.
    throttled = error_of(sts.get_session_token, SerialNumber=serial, TokenCode=code(secret, clock, 1))
    assert throttled["Code"] == "Throttling"


def test_wrong_codes_at_sts_throttle_the_sign_in_page(alice, live_server, root, clock, db):
    from models.session import BrowserSession

    sts, serial, secret = alice
    for _ in range(FREE_FAILURES + 1):
        error_of(sts.get_session_token, SerialNumber=serial, TokenCode=wrong(secret, clock))
    browser = pending_sign_in(live_server, root)
    db.session.expire_all()
    sessions_before = db.session.query(BrowserSession).count()

    answer = mfa_answer(browser, live_server.url, code(secret, clock, 1))
    assert answer.status_code == 429 and "Retry-After" in answer.headers
    db.session.expire_all()
    assert db.session.query(BrowserSession).count() == sessions_before  # no session started
    assert mfa_failures(db, "login")[-1]["reason"] == "throttled"


def test_wrong_codes_at_the_sign_in_page_throttle_sts(alice, live_server, root, clock):
    sts, serial, secret = alice
    browser = pending_sign_in(live_server, root)
    for _ in range(FREE_FAILURES + 1):
        assert mfa_answer(browser, live_server.url, wrong(secret, clock)).status_code == 401

    throttled = error_of(sts.get_session_token, SerialNumber=serial, TokenCode=code(secret, clock, 1))
    assert (throttled["Code"], throttled["status"]) == ("Throttling", 400)


def test_a_code_accepted_at_the_sign_in_page_is_refused_at_sts_in_its_step(alice, live_server, root, clock):
    sts, serial, secret = alice
    browser = pending_sign_in(live_server, root)
    used = code(secret, clock, 1)
    assert mfa_answer(browser, live_server.url, used).status_code == 302

    replayed = error_of(sts.get_session_token, SerialNumber=serial, TokenCode=used)
    assert replayed["Code"] == "AccessDenied"


def test_a_code_accepted_at_sts_is_refused_at_the_sign_in_page(alice, live_server, root, clock, db):
    from models.session import BrowserSession

    sts, serial, secret = alice
    used = code(secret, clock, 1)
    assert sts.get_session_token(SerialNumber=serial, TokenCode=used)["Credentials"]["AccessKeyId"].startswith("ASIA")
    browser = pending_sign_in(live_server, root)
    db.session.expire_all()
    sessions_before = db.session.query(BrowserSession).count()

    replayed = mfa_answer(browser, live_server.url, used)
    assert replayed.status_code == 401 and "That code is not valid." in replayed.text
    db.session.expire_all()
    assert db.session.query(BrowserSession).count() == sessions_before


def test_wrong_resync_codes_throttle_the_device_at_sts(alice, iam, clock, db):
    sts, serial, secret = alice
    for _ in range(FREE_FAILURES + 1):
        refused = error_of(iam.resync_mfa_device, UserName="alice", SerialNumber=serial,
                           AuthenticationCode1=wrong(secret, clock), AuthenticationCode2=code(secret, clock, 11))
        assert refused["Code"] == "InvalidAuthenticationCode"
    assert len(mfa_failures(db, "iam:ResyncMFADevice")) == FREE_FAILURES + 1

    throttled = error_of(sts.get_session_token, SerialNumber=serial, TokenCode=code(secret, clock, 1))
    assert throttled["Code"] == "Throttling"


def test_enable_mfa_device_is_throttled_per_device(iam, clock, db):
    from models.mfa import MfaDevice

    iam.create_user(UserName="bob")
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]
    secret = created["Base32StringSeed"].decode()
    serial = created["SerialNumber"]
    for _ in range(FREE_FAILURES + 1):
        refused = error_of(iam.enable_mfa_device, UserName="bob", SerialNumber=serial,
                           AuthenticationCode1=wrong(secret, clock), AuthenticationCode2=code(secret, clock, 11))
        assert refused["Code"] == "InvalidAuthenticationCode"

    throttled = error_of(iam.enable_mfa_device, UserName="bob", SerialNumber=serial,
                         AuthenticationCode1=code(secret, clock, -1), AuthenticationCode2=code(secret, clock))
    assert (throttled["Code"], throttled["status"]) == ("Throttling", 400)
    db.session.expire_all()
    assert db.session.query(MfaDevice).filter_by(serial_number=serial).one().enabled_at is None

    clock.advance(2)
    iam.enable_mfa_device(UserName="bob", SerialNumber=serial,
                          AuthenticationCode1=code(secret, clock, -1), AuthenticationCode2=code(secret, clock))
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="bob")["MFADevices"]] == [serial]


def test_wrong_recovery_codes_count_on_the_same_principal(alice, live_server, root, clock, db):
    sts, serial, secret = alice
    browser = pending_sign_in(live_server, root)
    for _ in range(FREE_FAILURES + 1):
        assert mfa_answer(browser, live_server.url, "aaaa-bbbb-cccc-dddd", method="recovery").status_code == 401
    assert {f["method"] for f in mfa_failures(db, "login")} == {"recovery"}

    throttled = error_of(sts.get_session_token, SerialNumber=serial, TokenCode=code(secret, clock, 1))
    assert throttled["Code"] == "Throttling"


def test_a_throttled_principal_cannot_use_a_passkey_as_second_factor_either(alice, live_server, root, clock, db):
    from models.session import BrowserSession

    sts, serial, secret = alice
    for _ in range(FREE_FAILURES + 1):
        error_of(sts.get_session_token, SerialNumber=serial, TokenCode=wrong(secret, clock))
    browser = pending_sign_in(live_server, root)
    token = csrf_token(browser.get(f"{live_server.url}/login/mfa", timeout=30).text)
    headers = {"X-CSRFToken": token}
    browser.post(f"{live_server.url}/login/mfa/passkey/options", json={}, headers=headers, timeout=30)
    db.session.expire_all()
    sessions_before = db.session.query(BrowserSession).count()

    answer = browser.post(f"{live_server.url}/login/mfa/passkey/verify", json={"credential": {"id": "x"}},
                          headers=headers, allow_redirects=False, timeout=30)
    assert answer.status_code == 429 and answer.json()["error"] == "slow_down"
    db.session.expire_all()
    assert db.session.query(BrowserSession).count() == sessions_before
    assert mfa_failures(db, "login")[-1] == {"surface": "login", "method": "webauthn", "reason": "throttled"}
