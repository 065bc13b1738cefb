"""TOTP in the browser over real HTTP: enrolment on /account/mfa, the /login/mfa challenge, IAM and STS see the device."""
import re
from datetime import datetime, timezone

import pyotp
import pytest
import requests
from botocore.exceptions import ClientError

from idp.clock import FixedClock
from tests.support.aws_clients import client_for
from tests.support.signin import DEFAULT_PASSWORD, create_user_with_password, csrf_token, http_login



def step_clock() -> FixedClock:
    """Real time (SigV4 checks it), held one second into a 30-second TOTP step."""
    now = int(datetime.now(timezone.utc).timestamp())
    return FixedClock(datetime.fromtimestamp(now - now % 30 + 1, timezone.utc))


@pytest.fixture
def clock() -> FixedClock:
    """The server's clock."""
    return step_clock()


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "IDP_CLOCK": clock, "IDP_ROOT_PASSWORD": ROOT_PASSWORD}

ROOT_PASSWORD = "Quartz-Meadow-Lantern-77"


def code(secret: str, clock: FixedClock, steps: int = 0) -> str:
    """What an authenticator app with this secret shows `steps` steps from the server's now."""
    return pyotp.TOTP(secret).at(clock.now().timestamp() + 30 * steps)


def session_of(browser: requests.Session, db):
    """The browser_sessions row of this browser's session cookie."""
    from idp.signin.sessions import hash_id
    from models.session import BrowserSession

    db.session.expire_all()
    return db.session.get(BrowserSession, hash_id(browser.cookies.get("idp_session")))


def signed_in(live_server, root, iam, name: str = "alice") -> requests.Session:
    create_user_with_password(iam, name)
    browser = requests.Session()
    answer = http_login(browser, live_server.url, root.account_id, name, DEFAULT_PASSWORD)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/account")
    return browser


def post_form(browser: requests.Session, url: str, page_url: str, **fields) -> requests.Response:
    """POST a form of the MFA page with the page's CSRF token."""
    token = csrf_token(browser.get(page_url, timeout=30).text)
    return browser.post(url, data={"csrf_token": token, **fields}, allow_redirects=False, timeout=30)


def enrol_totp(live_server, browser: requests.Session, clock: FixedClock, name: str = "alice") -> tuple[str, str]:
    """Enrol an authenticator app through the page; returns (serial number, secret)."""
    base = live_server.url
    started = post_form(browser, f"{base}/account/mfa/totp", f"{base}/account/mfa", name=name)
    assert started.status_code == 302
    page = browser.get(f"{base}/account/mfa", timeout=30).text
    secret = re.search(r'value="([A-Z2-7]{64})" data-totp-secret', page).group(1)
    serial = re.search(r"Device <code>(arn:aws:iam::\d{12}:mfa/[^<]+)</code>", page).group(1)
    assert 'src="data:image/png;base64,' in page
    confirmed = post_form(browser, f"{base}/account/mfa/totp/confirm", f"{base}/account/mfa",
                          code1=code(secret, clock, -1), code2=code(secret, clock))
    assert confirmed.status_code == 302
    return serial, secret


def mfa_answer(browser: requests.Session, base: str, value: str, method: str = "totp") -> requests.Response:
    return post_form(browser, f"{base}/login/mfa", f"{base}/login/mfa", method=method, code=value)


def test_enrolled_device_is_iams_and_sts_accepts_it(live_server, root, iam, clock):
    browser = signed_in(live_server, root, iam)
    serial, secret = enrol_totp(live_server, browser, clock)

    listed = iam.list_mfa_devices(UserName="alice")["MFADevices"]
    assert [device["SerialNumber"] for device in listed] == [serial] == [f"arn:aws:iam::{root.account_id}:mfa/alice"]
    assert serial in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]]

    key = iam.create_access_key(UserName="alice")["AccessKey"]
    sts = client_for(live_server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as reused:  # the confirmation's second code is spent
        sts.get_session_token(SerialNumber=serial, TokenCode=code(secret, clock))
    assert reused.value.response["Error"]["Code"] == "AccessDenied"
    credentials = sts.get_session_token(SerialNumber=serial, TokenCode=code(secret, clock, 1))["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")


def test_sign_in_asks_for_the_code_and_records_otp(live_server, root, iam, clock, db):
    browser = signed_in(live_server, root, iam)
    _serial, secret = enrol_totp(live_server, browser, clock)
    browser.cookies.clear()

    first = http_login(browser, live_server.url, root.account_id, "alice", DEFAULT_PASSWORD)
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/mfa")
    assert browser.get(f"{live_server.url}/account", allow_redirects=False, timeout=30).status_code == 302

    clock.advance(30)
    done = mfa_answer(browser, live_server.url, code(secret, clock))
    assert done.status_code == 302 and done.headers["Location"].endswith("/account")
    assert browser.get(f"{live_server.url}/account", allow_redirects=False, timeout=30).status_code == 200
    signed = session_of(browser, db)
    assert signed.amr == ["pwd", "otp", "mfa"] and signed.acr == "urn:idp:acr:mfa"


def test_reused_code_and_codes_of_wrong_steps_are_refused(live_server, root, iam, clock, db):
    from models.audit import AuditEvent
    from models.session import BrowserSession

    browser = signed_in(live_server, root, iam)
    _serial, secret = enrol_totp(live_server, browser, clock)
    browser.cookies.clear()
    http_login(browser, live_server.url, root.account_id, "alice", DEFAULT_PASSWORD)
    sessions_before = db.session.query(BrowserSession).count()

    for wrong in (code(secret, clock), code(secret, clock, -1), code(secret, clock, 2), code(secret, clock, -2), "12345"):
        refused = mfa_answer(browser, live_server.url, wrong)
        assert refused.status_code == 401
        assert "That code is not valid." in refused.text
    db.session.expire_all()
    assert db.session.query(BrowserSession).count() == sessions_before
    failures = db.session.query(AuditEvent).filter_by(action="mfa_failed", decision="Deny").count()
    assert failures == 5  # the throttle's free failures: a sixth would back off

    accepted = mfa_answer(browser, live_server.url, code(secret, clock, 1))
    assert accepted.status_code == 302


def test_wrong_codes_are_throttled(live_server, root, iam, clock):
    browser = signed_in(live_server, root, iam)
    enrol_totp(live_server, browser, clock)
    browser.cookies.clear()
    http_login(browser, live_server.url, root.account_id, "alice", DEFAULT_PASSWORD)

    statuses = [mfa_answer(browser, live_server.url, "000000").status_code for _ in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429


def test_confirmation_needs_two_consecutive_codes(live_server, root, iam, clock, db):
    from models.mfa import MfaDevice

    browser = signed_in(live_server, root, iam)
    base = live_server.url
    post_form(browser, f"{base}/account/mfa/totp", f"{base}/account/mfa", name="alice")
    secret = re.search(r'value="([A-Z2-7]{64})" data-totp-secret', browser.get(f"{base}/account/mfa", timeout=30).text).group(1)

    for first, second in ((code(secret, clock), code(secret, clock)), (code(secret, clock, -2), code(secret, clock)),
                          ("000000", "111111")):
        refused = post_form(browser, f"{base}/account/mfa/totp/confirm", f"{base}/account/mfa", code1=first, code2=second)
        assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.query(MfaDevice).filter(MfaDevice.enabled_at.is_not(None)).count() == 0
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []


def test_removal_needs_recent_sign_in_or_a_fresh_code(live_server, root, iam, clock, db):
    from models.mfa import MfaDevice

    browser = signed_in(live_server, root, iam)
    serial, secret = enrol_totp(live_server, browser, clock)
    base = live_server.url
    clock.advance(330)  # the sign-in is no longer recent (and SigV4 would now refuse boto3: read the rows)

    stale = post_form(browser, f"{base}/account/mfa/remove", f"{base}/account/mfa", serial=serial, reauth_code="")
    assert stale.status_code == 401 and "Confirm it is you" in stale.text
    db.session.expire_all()
    assert db.session.query(MfaDevice).filter_by(serial_number=serial).one().is_enabled

    removed = post_form(browser, f"{base}/account/mfa/remove", f"{base}/account/mfa", serial=serial,
                        reauth_code=code(secret, clock, 1))
    assert removed.status_code == 302
    db.session.expire_all()
    assert db.session.query(MfaDevice).count() == 0


def test_pages_need_a_session_and_a_csrf_token(live_server, root, iam):
    anonymous = requests.Session()
    assert anonymous.get(f"{live_server.url}/account/mfa", allow_redirects=False, timeout=30).headers["Location"].startswith("/login")
    assert anonymous.get(f"{live_server.url}/login/mfa", allow_redirects=False, timeout=30).status_code == 302

    browser = signed_in(live_server, root, iam)
    forged = browser.post(f"{live_server.url}/account/mfa/totp", data={"name": "alice"}, allow_redirects=False, timeout=30)
    assert forged.status_code == 400
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_root_user_enrols_and_iam_lists_its_device(live_server, root, iam, clock):
    browser = requests.Session()
    assert http_login(browser, live_server.url, root.account_id, "root", ROOT_PASSWORD).status_code == 302
    page = browser.get(f"{live_server.url}/account/mfa", timeout=30).text
    assert 'value="root-account-mfa-device"' in page
    serial, secret = enrol_totp(live_server, browser, clock, name="root-account-mfa-device")

    assert [d["SerialNumber"] for d in iam.list_mfa_devices()["MFADevices"]] == [serial]
    browser.cookies.clear()
    assert http_login(browser, live_server.url, root.account_id, "root", ROOT_PASSWORD).headers["Location"].endswith("/login/mfa")
    assert mfa_answer(browser, live_server.url, code(secret, clock, 1)).status_code == 302
    sts = client_for(live_server, "sts", root.access_key_id, root.secret_access_key)
    clock.advance(30)
    assert sts.get_session_token(SerialNumber=serial, TokenCode=code(secret, clock, 1))["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_json_ceremonies_need_the_csrf_token(live_server):
    anonymous = requests.Session()
    anonymous.get(f"{live_server.url}/login", timeout=30)

    refused = anonymous.post(f"{live_server.url}/login/passkey/options", json={}, timeout=30)
    forged = anonymous.post(f"{live_server.url}/login/passkey/options", json={}, headers={"X-CSRFToken": "forged"}, timeout=30)

    assert refused.status_code == 400 and forged.status_code == 400
    assert "challenge" not in refused.text


def test_a_pending_enrolment_belongs_to_whoever_started_it(live_server, root, iam, clock):
    browser = signed_in(live_server, root, iam)
    post_form(browser, f"{live_server.url}/account/mfa/totp", f"{live_server.url}/account/mfa", name="alice")
    assert "data-totp-secret" in browser.get(f"{live_server.url}/account/mfa", timeout=30).text

    create_user_with_password(iam, "bob")
    http_login(browser, live_server.url, root.account_id, "bob", DEFAULT_PASSWORD)  # same browser, same Flask session
    page = browser.get(f"{live_server.url}/account/mfa", timeout=30).text

    assert "user/bob" in page and "data-totp-secret" not in page
    refused = post_form(browser, f"{live_server.url}/account/mfa/totp/confirm", f"{live_server.url}/account/mfa",
                        code1="000000", code2="111111")
    assert refused.status_code == 400
    assert iam.list_mfa_devices(UserName="bob")["MFADevices"] == []


def test_device_names_are_checked(live_server, root, iam):
    browser = signed_in(live_server, root, iam)

    bad = post_form(browser, f"{live_server.url}/account/mfa/totp", f"{live_server.url}/account/mfa", name="no spaces/or slashes")

    assert bad.status_code == 400 and "A device name is" in bad.text
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
