"""Chromium through the forgotten-password flow: the sign-in page's link, the mailed link, the new password, then
signing in with it."""
from __future__ import annotations

from tests.lifecycle.conftest import verified_user

NEW = "Lagoon-Thistle-Beacon-73"


def test_forgot_password_end_to_end_in_a_browser(page, live_server, iam, root, mailbox, client):
    verified_user(iam, mailbox, client, "nina", "nina@example.test")

    page.goto(f"{live_server.url}/login")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Account ID or alias").fill(root.account_id)
    page.get_by_label("User name or email").fill("nina@example.test")
    page.get_by_role("button", name="Send the link").click()
    assert "a link to set a new password is on its way" in page.get_by_role("status").inner_text()

    link = mailbox.link(mailbox.wait_for(2)[1], "/login/reset?token=")
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("Confirm new password").fill(NEW)
    page.get_by_role("button", name="Set password").click()
    assert "Sign in with the new password" in page.get_by_role("status").inner_text()

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Account ID or alias").fill(root.account_id)
    page.get_by_label("User name", exact=True).fill("nina")
    page.get_by_label("Password", exact=True).fill(NEW)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{live_server.url}/account")
