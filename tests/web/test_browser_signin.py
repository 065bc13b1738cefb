"""Sign-in in a real browser (Debian's Chromium through Playwright): password, forced change, remote sign-out."""
from __future__ import annotations

from tests.support.browser import screenshot
from tests.support.signin import DEFAULT_PASSWORD, create_user_with_password

NEW = "Quiet-Meadow-Lantern-7"


def _sign_in(page, base_url: str, account: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Account ID or alias").fill(account)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_root_signs_in_with_the_keyboard_and_sees_the_account_page(page, live_server, root):
    page.goto(f"{live_server.url}/login")
    screenshot(page, "login")
    page.get_by_label("Account ID or alias").fill(root.account_id)
    page.keyboard.press("Tab")
    page.keyboard.type("root")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(root.root_password)
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server.url}/account")
    assert page.locator("#principal-arn").inner_text() == f"arn:aws:iam::{root.account_id}:root"
    screenshot(page, "account-root")


def test_iam_user_made_with_boto3_signs_in_and_a_wrong_password_is_refused(page, live_server, iam, root):
    create_user_with_password(iam, "alice")
    iam.create_group(GroupName="engineers")
    iam.add_user_to_group(GroupName="engineers", UserName="alice")

    _sign_in(page, live_server.url, root.account_id, "alice", "Wrong-Guess-Number-1")
    assert page.get_by_role("alert").inner_text() == "Incorrect account, user name or password."
    screenshot(page, "login-failed")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.wait_for_url(f"{live_server.url}/account")
    assert page.locator("#principal-arn").inner_text() == f"arn:aws:iam::{root.account_id}:user/alice"
    assert "engineers" in page.content()
    screenshot(page, "account-user")


def test_forced_password_change_in_the_browser(page, live_server, iam, root):
    create_user_with_password(iam, "bob", reset_required=True)

    _sign_in(page, live_server.url, root.account_id, "bob", DEFAULT_PASSWORD)
    page.wait_for_url(f"{live_server.url}/login/password")
    screenshot(page, "password-change")
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("Confirm new password").fill(NEW)
    page.get_by_role("button", name="Set password and continue").click()

    page.wait_for_url(f"{live_server.url}/account")
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["PasswordResetRequired"] is False


def test_revoking_a_session_from_another_browser_signs_the_first_out(browser, live_server, iam, root):
    create_user_with_password(iam, "carol")
    laptop_context, phone_context = browser.new_context(), browser.new_context()
    try:
        laptop, phone = laptop_context.new_page(), phone_context.new_page()
        _sign_in(laptop, live_server.url, root.account_id, "carol", DEFAULT_PASSWORD)
        laptop.wait_for_url(f"{live_server.url}/account")
        _sign_in(phone, live_server.url, root.account_id, "carol", DEFAULT_PASSWORD)
        phone.wait_for_url(f"{live_server.url}/account")

        # The phone signs out the other session: the row that is not "(this browser)".
        other = phone.locator("tr", has_text="UTC").filter(has_not_text="(this browser)").first
        other.get_by_role("button", name="Sign out").click()
        phone.wait_for_url(f"{live_server.url}/account")

        laptop.reload()
        assert laptop.url.startswith(f"{live_server.url}/login")
        assert laptop.get_by_role("heading", name="Sign in", exact=True).is_visible()
        phone.reload()
        assert phone.url == f"{live_server.url}/account"
    finally:
        laptop_context.close()
        phone_context.close()
