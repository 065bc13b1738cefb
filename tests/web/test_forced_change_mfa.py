"""A forced password change comes after MFA: a leaked temporary password alone cannot choose a new one."""
from __future__ import annotations

from datetime import datetime, timezone

import pyotp
import pytest

from idp.clock import FixedClock
from models.session import BrowserSession
from tests.support.signin import DEFAULT_PASSWORD, client_login, create_user_with_password, csrf_token, stored

NEW = "Quiet-Meadow-Lantern-7"


@pytest.fixture
def clock(app_config):
    """Real time (SigV4 checks it), held at the start of a 30-second TOTP step."""
    now = int(datetime.now(timezone.utc).timestamp())
    fixed = FixedClock(datetime.fromtimestamp(now - now % 30 + 1, timezone.utc))
    app_config["IDP_CLOCK"] = fixed
    return fixed


def test_mfa_is_asked_before_the_forced_password_change(clock, client, iam, root, app):
    create_user_with_password(iam, "alice", reset_required=True)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = clock.now().timestamp()
    iam.enable_mfa_device(UserName="alice", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))

    response = client_login(client, root.account_id, "alice", DEFAULT_PASSWORD)

    assert response.status_code == 302 and response.headers["Location"] == "/login/mfa"
    blocked = client.get("/login/password")
    assert blocked.status_code == 302 and blocked.headers["Location"].startswith("/login")
    clock.advance(30)
    page = client.get("/login/mfa").get_data(as_text=True)
    answered = client.post("/login/mfa", data={"csrf_token": csrf_token(page), "method": "totp",
                                               "code": totp.at(clock.now().timestamp())})
    assert answered.status_code == 302 and answered.headers["Location"] == "/login/password"
    assert stored(app, BrowserSession) == []

    token = csrf_token(client.get("/login/password").get_data(as_text=True))
    done = client.post("/login/password", data={"csrf_token": token, "new_password": NEW, "confirm_password": NEW})

    assert done.status_code == 302 and done.headers["Location"] == "/account"
    (session,) = stored(app, BrowserSession)
    assert session.amr == ["pwd", "otp", "mfa"] and session.acr == "urn:idp:acr:mfa"
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is False
