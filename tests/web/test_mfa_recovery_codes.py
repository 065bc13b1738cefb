"""Recovery codes as a service: ten codes, stored only as digests, each spent once, a new set replaces the old."""
import re

import pytest
import requests
from sqlalchemy import select

from idp.iam import recovery_codes
from models.mfa import RecoveryCode
from tests.support.signin import DEFAULT_PASSWORD, http_login
from tests.web.test_mfa_totp import enrol_totp, mfa_answer, post_form, session_of, signed_in, step_clock


@pytest.fixture
def clock():
    """The server's clock, held in a TOTP step."""
    return step_clock()


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "IDP_CLOCK": clock}


def test_ten_codes_stored_as_digests_only(db, root):
    codes = recovery_codes.generate(root.account_id, None)
    db.session.commit()

    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", code) for code in codes)
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert not any(code in digest or code.replace("-", "") in digest for code in codes for digest in stored)
    assert recovery_codes.remaining(root.account_id, None) == 10


def test_a_code_works_once(db, root):
    code = recovery_codes.generate(root.account_id, None)[3]

    assert recovery_codes.consume(root.account_id, None, code.upper().replace("-", " ")) is True
    assert recovery_codes.consume(root.account_id, None, code) is False
    assert recovery_codes.remaining(root.account_id, None) == 9


def test_unknown_or_malformed_codes_are_refused(db, root):
    recovery_codes.generate(root.account_id, None)

    for attempt in ("", "abcd", "aaaa-aaaa-aaaa-aaaa", "x" * 200):
        assert recovery_codes.consume(root.account_id, None, attempt) is False
    assert recovery_codes.remaining(root.account_id, None) == 10


def test_regenerating_replaces_the_old_set(db, root):
    old = recovery_codes.generate(root.account_id, None)
    new = recovery_codes.generate(root.account_id, None)

    assert not set(old) & set(new)
    assert recovery_codes.consume(root.account_id, None, old[0]) is False
    assert recovery_codes.consume(root.account_id, None, new[0]) is True
    assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.used_at.is_(None))) is not None
    assert recovery_codes.remaining(root.account_id, None) == 9


def test_codes_are_bound_to_their_owner(db, root):
    from idp.iam import users

    user = users.create(root.account_id, "alice", "/", [])
    codes = recovery_codes.generate(root.account_id, None)

    assert recovery_codes.consume(root.account_id, user.id, codes[0]) is False
    assert recovery_codes.remaining(root.account_id, None) == 10


# Over real HTTP: generated on /account/mfa, spent on /login/mfa.

def _enrolled_with_codes(live_server, root, iam, clock):
    """Alice's signed-in browser with an authenticator app, and the ten codes her MFA page showed once."""
    browser = signed_in(live_server, root, iam)
    enrol_totp(live_server, browser, clock)
    return browser, _generate(live_server, browser)


def _generate(live_server, browser) -> list[str]:
    page = post_form(browser, f"{live_server.url}/account/mfa/recovery-codes", f"{live_server.url}/account/mfa")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    return re.findall(r"<li><code>([a-z2-9-]{19})</code></li>", page.text)


def _sign_in_with(live_server, root, code, browser=None):
    browser = browser or requests.Session()
    assert http_login(browser, live_server.url, root.account_id, "alice", DEFAULT_PASSWORD).headers["Location"].endswith("/login/mfa")
    return mfa_answer(browser, live_server.url, code, method="recovery")


def test_recovery_code_signs_in_once(live_server, root, iam, clock, db):
    from models.audit import AuditEvent

    _browser, codes = _enrolled_with_codes(live_server, root, iam, clock)
    assert len(codes) == 10

    browser = requests.Session()
    first = _sign_in_with(live_server, root, codes[0], browser)
    assert first.status_code == 302
    assert session_of(browser, db).amr == ["pwd", "mfa"]
    used = db.session.query(AuditEvent).filter_by(action="recovery_code_used").one()
    assert used.detail["recovery_codes_left"] == 9

    again = _sign_in_with(live_server, root, codes[0])
    assert again.status_code == 401 and "That code is not valid." in again.text
    assert _sign_in_with(live_server, root, codes[1]).status_code == 302


def test_regenerated_codes_replace_the_old_ones(live_server, root, iam, clock):
    browser, old = _enrolled_with_codes(live_server, root, iam, clock)

    new = _generate(live_server, browser)

    assert len(new) == 10 and not set(new) & set(old)
    assert _sign_in_with(live_server, root, old[0]).status_code == 401
    assert _sign_in_with(live_server, root, new[0]).status_code == 302
