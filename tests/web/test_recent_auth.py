"""Adding or replacing a credential needs a recent sign-in (or the password / a code in the same request).

A stale session (signed in more than five minutes ago, by the server's test
clock) cannot add a passkey, an authenticator app, recovery codes or an access
key: it gets a page asking to confirm (401, JSON for the passkey endpoints),
nothing is written, and the refusal is audited. After confirming, it can; the
addition is listed in the sign-in history every session of the principal sees.
"""
from __future__ import annotations

import pytest
import requests

from tests.support.signin import DEFAULT_PASSWORD, create_user_with_password, csrf_token, http_login
from tests.web.test_mfa_totp import ROOT_PASSWORD, code, enrol_totp, post_form, signed_in, step_clock
from tests.web.test_passkeys_http import SoftAuthenticator, button_csrf, post_json, register

STALE = 301  # seconds: just past the five-minute window


@pytest.fixture
def clock():
    return step_clock()


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "IDP_CLOCK": clock, "IDP_ROOT_PASSWORD": ROOT_PASSWORD}


KEYS_POLICY = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:CreateAccessKey", '
               '"Resource": "arn:aws:iam::*:user/${aws:username}"}]}')


def key_holder(live_server, root, iam) -> requests.Session:
    """alice, allowed to create her own access keys, signed in."""
    create_user_with_password(iam, "alice", policy=KEYS_POLICY)
    browser = requests.Session()
    assert http_login(browser, live_server.url, root.account_id, "alice", DEFAULT_PASSWORD).status_code == 302
    return browser


def rows(db, model, **where) -> list:
    db.session.expire_all()
    return db.session.query(model).filter_by(**where).all()


def refusals(db) -> list:
    from models.audit import AuditEvent

    return rows(db, AuditEvent, action="recent_auth_required", decision="Deny")


def test_a_stale_session_cannot_add_an_authenticator_app(live_server, root, iam, clock, db):
    from models.mfa import MfaDevice

    browser = signed_in(live_server, root, iam)
    base = live_server.url
    clock.advance(STALE)

    refused = post_form(browser, f"{base}/account/mfa/totp", f"{base}/account/mfa", name="alice")
    assert refused.status_code == 401 and "Confirm it is you" in refused.text
    assert rows(db, MfaDevice) == []
    assert [event.detail["endpoint"] for event in refusals(db)] == ["mfa.totp_start"]


def test_a_stale_session_cannot_confirm_an_enrolment_started_while_fresh(live_server, root, iam, clock, db):
    from models.mfa import MfaDevice

    browser = signed_in(live_server, root, iam)
    base = live_server.url
    assert post_form(browser, f"{base}/account/mfa/totp", f"{base}/account/mfa", name="alice").status_code == 302
    clock.advance(STALE)

    refused = post_form(browser, f"{base}/account/mfa/totp/confirm", f"{base}/account/mfa",
                        code1=code("A" * 64, clock, -1), code2=code("A" * 64, clock))
    assert refused.status_code == 401
    assert [device.enabled_at for device in rows(db, MfaDevice)] == [None]


def test_a_stale_session_cannot_generate_recovery_codes_until_it_confirms_its_password(live_server, root, iam, clock,
                                                                                      db):
    from models.mfa import RecoveryCode

    browser = signed_in(live_server, root, iam)
    base = live_server.url
    clock.advance(STALE)
    refused = post_form(browser, f"{base}/account/mfa/recovery-codes", f"{base}/account/mfa")
    assert refused.status_code == 401
    assert rows(db, RecoveryCode) == []

    wrong = post_form(browser, f"{base}/account/mfa/recovery-codes", f"{base}/account/mfa",
                      reauth_password="not-the-password")
    assert wrong.status_code == 401 and "That password or code is not correct." in wrong.text
    assert rows(db, RecoveryCode) == []

    confirm = browser.get(f"{base}/account/reauthenticate", params={"next": "/account/mfa"}, timeout=30)
    confirmed = browser.post(f"{base}/account/reauthenticate", allow_redirects=False, timeout=30, data={
        "csrf_token": csrf_token(confirm.text), "next": "/account/mfa", "reauth_password": DEFAULT_PASSWORD})
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/account/mfa"

    generated = post_form(browser, f"{base}/account/mfa/recovery-codes", f"{base}/account/mfa")
    assert generated.status_code == 200 and "data-recovery-codes" in generated.text
    assert len(rows(db, RecoveryCode)) == 10
    history = browser.get(f"{base}/account", timeout=30).text
    assert 'class="event-recovery_codes_generated"' in history and "Recovery codes generated" in history


def test_a_stale_session_cannot_register_a_passkey(live_server, root, iam, clock, db):
    from models.mfa import MfaDevice

    browser = signed_in(live_server, root, iam)
    base = live_server.url
    clock.advance(STALE)
    token = button_csrf(browser.get(f"{base}/account/mfa", timeout=30).text)

    for step in ("options", "verify"):
        refused = post_json(browser, f"{base}/account/mfa/passkey/{step}", token, {"credential": {}})
        assert refused.status_code == 401
        body = refused.json()
        assert body["error"] == "login_required" and body["reauthenticate"].startswith("/account/reauthenticate?next=")
    assert rows(db, MfaDevice) == []
    assert len(refusals(db)) == 2

    # A code or password in the same request is not the only way back: a new sign-in is recent too.
    http_login(browser, base, root.account_id, "alice", DEFAULT_PASSWORD)
    device = register(live_server, browser, SoftAuthenticator(base))
    assert device["serial"].startswith(f"arn:aws:iam::{root.account_id}:u2f/user/alice/")
    history = browser.get(f"{base}/account", timeout=30).text
    assert "Passkey added" in history and device["serial"] in history


def test_a_stale_session_cannot_create_an_access_key(live_server, root, iam, clock, db):
    from models.access_key import AccessKey

    browser = key_holder(live_server, root, iam)
    base = live_server.url
    clock.advance(STALE)

    refused = post_form(browser, f"{base}/account/keys", f"{base}/account")
    assert refused.status_code == 401
    assert [key.user_id for key in rows(db, AccessKey)] == [None]  # only the root user's key
    assert [event.detail["endpoint"] for event in refusals(db)] == ["web.create_key"]


def test_a_fresh_session_adds_an_access_key_and_every_session_sees_it(live_server, root, iam, clock, db):
    first = key_holder(live_server, root, iam)
    second = requests.Session()
    http_login(second, live_server.url, root.account_id, "alice", DEFAULT_PASSWORD)

    created = post_form(first, f"{live_server.url}/account/keys", f"{live_server.url}/account")
    assert created.status_code == 200
    key_id = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["AccessKeyId"]
    history = second.get(f"{live_server.url}/account", timeout=30).text
    assert 'class="event-access_key_created"' in history and key_id in history


def test_a_current_code_in_the_same_request_confirms_and_wrong_ones_are_throttled(live_server, root, iam, clock, db):
    from models.audit import AuditEvent
    from models.mfa import RecoveryCode

    browser = signed_in(live_server, root, iam)
    _serial, secret = enrol_totp(live_server, browser, clock)
    base = live_server.url
    clock.advance(STALE)

    for _ in range(6):
        wrong = post_form(browser, f"{base}/account/mfa/recovery-codes", f"{base}/account/mfa",
                          reauth_code=code(secret, clock, 10))
        assert wrong.status_code == 401
    throttled = post_form(browser, f"{base}/account/mfa/recovery-codes", f"{base}/account/mfa",
                          reauth_code=code(secret, clock, 1))
    assert throttled.status_code == 429
    assert rows(db, RecoveryCode) == []
    surfaces = {event.detail["surface"] for event in rows(db, AuditEvent, action="mfa_failed")}
    assert surfaces == {"reauth"}

    clock.advance(2)
    generated = post_form(browser, f"{base}/account/mfa/recovery-codes", f"{base}/account/mfa",
                          reauth_code=code(secret, clock, 1))
    assert generated.status_code == 200 and len(rows(db, RecoveryCode)) == 10


def test_a_confirmation_in_a_request_that_is_then_refused_leaves_the_browser_signed_in(live_server, root, iam,
                                                                                       clock, db):
    # The step-up of a confirmation goes with the request's work: when the page refuses the request after it
    # (no such key) and the work is rolled back, the browser keeps the cookie of its live session.
    browser = key_holder(live_server, root, iam)
    iam.put_user_policy(UserName="alice", PolicyName="update", PolicyDocument=KEYS_POLICY.replace(
        "iam:CreateAccessKey", "iam:UpdateAccessKey"))
    base = live_server.url
    clock.advance(STALE)

    refused = post_form(browser, f"{base}/account/keys/AKIAIOSFODNN7EXAMPLE/status", f"{base}/account",
                        status="Active", reauth_password=DEFAULT_PASSWORD)
    assert refused.status_code == 404

    page = browser.get(f"{base}/account", allow_redirects=False, timeout=30)
    assert page.status_code == 200 and "alice" in page.text
