"""MFA in a real browser (Playwright driving Debian's Chromium): enrol TOTP and sign in with it; register a passkey
with Chromium's virtual authenticator and sign in with it, passwordless and as a second factor. Screenshots of the
MFA pages go to tests/artifacts/.

The issuer is `http://localhost:<port>`: WebAuthn refuses an IP address as relying-party id.
"""
from __future__ import annotations

import pyotp
import pytest

from tests.support.browser import screenshot
from tests.support.servers import free_port
from tests.support.signin import DEFAULT_PASSWORD, create_user_with_password
from tests.web.test_mfa_totp import step_clock

VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
    "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True,
}


@pytest.fixture
def clock():
    """The server's clock, held in a TOTP step."""
    return step_clock()


@pytest.fixture
def app_config(app_config, clock):
    return {**app_config, "IDP_CLOCK": clock, "IDP_ISSUER": f"http://localhost:{free_port()}"}


@pytest.fixture
def site(app, live_server) -> str:
    """Where the browser goes: the issuer (localhost), which is the live server."""
    return app.config["IDP_SETTINGS"].issuer


@pytest.fixture
def alice(iam):
    """An IAM user with a console password, made through the IAM API."""
    return create_user_with_password(iam, "alice")


def sign_in_with_password(page, site, root) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("Account ID or alias").fill(root.account_id)
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def session_amr(db, principal_suffix: str) -> list[list[str]]:
    from models.session import BrowserSession

    db.session.expire_all()
    rows = db.session.query(BrowserSession).filter(BrowserSession.revoked_at.is_(None)).all()
    return [row.amr for row in rows if row.principal_arn.endswith(principal_suffix)]


def test_enrol_totp_on_the_account_page_and_sign_in_with_it(browser, site, root, iam, alice, clock, db):
    context = browser.new_context()
    page = context.new_page()
    sign_in_with_password(page, site, root)
    page.wait_for_url("**/account")
    page.goto(f"{site}/account/mfa")
    screenshot(page, "mfa-manage-empty")

    page.get_by_label("Device name").fill("alice-phone")
    page.get_by_role("button", name="Add an authenticator app").click()
    qr = page.locator("img[data-totp-qr]")
    assert qr.is_visible() and qr.get_attribute("src").startswith("data:image/png;base64,")
    assert qr.evaluate("img => img.naturalWidth") > 0  # the CSP lets the data: image load
    secret = page.get_by_label("Secret for manual entry").input_value()
    screenshot(page, "mfa-totp-enrol")
    totp = pyotp.TOTP(secret)
    page.get_by_label("First code").fill(totp.at(clock.now().timestamp() - 30))
    page.get_by_label("Second code").fill(totp.at(clock.now().timestamp()))
    page.get_by_role("button", name="Confirm authenticator app").click()
    page.get_by_text("Authenticator app added.").wait_for()
    assert page.locator("tr[data-mfa-device]").count() == 1
    screenshot(page, "mfa-manage-totp")
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [
        f"arn:aws:iam::{root.account_id}:mfa/alice-phone"]
    context.close()

    context = browser.new_context()
    page = context.new_page()
    sign_in_with_password(page, site, root)
    page.wait_for_url("**/login/mfa")
    screenshot(page, "mfa-challenge-totp")
    page.get_by_label("Code from your authenticator app").fill(totp.at(clock.now().timestamp() + 30))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/account")
    assert ["pwd", "otp", "mfa"] in session_amr(db, ":user/alice")
    context.close()


def test_wrong_code_in_the_browser_shows_the_generic_message(browser, site, root, iam, alice, clock, db):
    from idp.iam import mfa_devices, totp
    from idp.signin import enrolment
    from models.user import User

    user = db.session.query(User).filter_by(name="alice").one()
    created = mfa_devices.create(root.account_id, "alice", "/", [])
    enrolment.enable(created.device, user, totp.code_at_step(created.seed, totp.step_at(clock.now()) - 1),
                       totp.code_at_step(created.seed, totp.step_at(clock.now())))
    db.session.commit()
    context = browser.new_context()
    page = context.new_page()
    sign_in_with_password(page, site, root)
    page.wait_for_url("**/login/mfa")

    page.get_by_label("Code from your authenticator app").fill(totp.code_at_step(created.seed, totp.step_at(clock.now())))
    page.get_by_role("button", name="Verify").click()

    assert page.get_by_role("alert").inner_text() == "That code is not valid. Try again."
    assert page.url.endswith("/login/mfa")
    assert session_amr(db, ":user/alice") == []
    context.close()


def test_passkey_registration_passwordless_and_second_factor(browser, site, root, iam, alice, db):
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})["authenticatorId"]

    sign_in_with_password(page, site, root)
    page.wait_for_url("**/account")
    page.goto(f"{site}/account/mfa")
    page.get_by_label("Passkey name").fill("laptop")
    page.get_by_role("button", name="Add a passkey").click()
    page.get_by_text("Passkey added.").wait_for()
    assert "Passkey" in page.locator("tr[data-mfa-device]").inner_text()
    screenshot(page, "mfa-manage-passkey")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]
    serials = [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="alice")["MFADevices"]]
    assert len(serials) == 1 and serials[0].startswith(f"arn:aws:iam::{root.account_id}:u2f/user/alice/laptop-")

    # Passwordless: signed out, the login page's passkey button alone signs in.
    context.clear_cookies()
    page.goto(f"{site}/login")
    screenshot(page, "login-with-passkey-button")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url("**/account")
    assert ["hwk"] in session_amr(db, ":user/alice")

    # Second factor: the password now leads to the MFA page, where the passkey finishes the sign-in.
    context.clear_cookies()
    sign_in_with_password(page, site, root)
    page.wait_for_url("**/login/mfa")
    screenshot(page, "mfa-challenge-passkey")
    page.get_by_role("button", name="Use my passkey").click()
    page.wait_for_url("**/account")
    assert ["pwd", "hwk", "mfa"] in session_amr(db, ":user/alice")
    context.close()


def test_cancelled_passkey_prompt_signs_nobody_in(browser, site, root, iam, alice, db):
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    # An authenticator that holds no credential for this site: the browser's prompt fails.
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})
    context.set_default_timeout(15000)

    page.goto(f"{site}/login")
    page.get_by_role("button", name="Sign in with a passkey").click()

    status = page.locator("[data-passkey-status]")
    status.filter(has_text="cancelled").or_(status.filter(has_text="could not")).first.wait_for()
    assert page.url.endswith("/login")
    assert session_amr(db, ":user/alice") == []
    context.close()
