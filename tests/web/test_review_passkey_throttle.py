"""Review (issue 13 class 4): passwordless passkey sign-in is the one factor surface outside the shared throttle.

Every other check of alice's factors (/login/mfa codes and passkeys, re-authentication, STS, IAM) goes
through idp.signin.factor_checks and waits while her principal's counter backs off; POST /login/passkey/verify
calls passkeys.authenticate directly: it neither consults nor counts that counter (nor the device's), and
its refusals are audited as signin_failed without the principal.
"""
from __future__ import annotations

import pytest
import requests

from tests.support.signin import DEFAULT_PASSWORD, http_login
from tests.web.test_mfa_totp import step_clock
from tests.web.test_passkeys_http import alice, button_csrf, passwordless  # noqa: F401

FREE_FAILURES = 5  # the sixth failure starts a 1-second back-off


@pytest.fixture
def app_config(app_config):
    """The server's clock holds still, so the back-off cannot run out while a loaded machine is slow."""
    return {**app_config, "IDP_CLOCK": step_clock()}


def test_passwordless_sign_in_waits_while_the_principals_factor_checks_back_off(live_server, root, alice, db):  # noqa: F811 (fixtures imported from their module)
    from models.session import BrowserSession

    _browser, authenticator, _serial = alice
    base = live_server.url
    guesser = requests.Session()
    assert http_login(guesser, base, root.account_id, "alice", DEFAULT_PASSWORD).headers["Location"].endswith("/login/mfa")
    token = button_csrf(guesser.get(f"{base}/login/mfa", timeout=30).text)
    statuses = [guesser.post(f"{base}/login/mfa", data={"csrf_token": token, "method": "recovery", "code": "AAAAA-AAAAA"},
                             allow_redirects=False, timeout=30).status_code for _ in range(FREE_FAILURES + 2)]
    assert statuses[-1] == 429  # the principal's factor checks back off now, on every surface
    db.session.expire_all()
    sessions_before = db.session.query(BrowserSession).count()

    _signed, answer = passwordless(live_server, authenticator)

    assert answer.status_code == 429
    db.session.expire_all()
    assert db.session.query(BrowserSession).count() == sessions_before
