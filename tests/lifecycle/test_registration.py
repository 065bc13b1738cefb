"""Self-registration: off by default; turned on per account by the CLI; a sign-up lands in the configured path
and group, and may sign in only once its email is verified; domain allow-list; throttled per address."""
from __future__ import annotations

import json

from models.audit import AuditEvent
from models.user import User
from tests.lifecycle.conftest import app_client, local, post_form
from tests.support.signin import client_login, stored

PASSWORD = "Maple-Harbour-Quartz-64"


def _signup(client, account: str, username: str, email: str, password: str = PASSWORD):
    return post_form(client, f"/signup?account={account}", {"username": username, "email": email,
                                                            "new_password": password, "confirm_password": password})


def _turn_on(runner, account: str, *extra: str):
    return runner.invoke(args=["idp", "accounts", "lifecycle", "--account", account, *extra])


def test_sign_up_then_verify_then_sign_in(iam, root, runner, mailbox, client, app):
    assert client.get(f"/signup?account={root.account_id}").status_code == 404  # off by default
    iam("CreateGroup", GroupName="customers")
    result = _turn_on(runner, root.account_id, "--self-registration", "on", "--path", "/self-registered/",
                      "--group", "customers", "--allowed-domains", "a.example,b.example",
                      "--sender-name", "Acme Accounts", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["self_registration"] is True and shown["allowed_domains"] == ["a.example", "b.example"]

    refused = _signup(client, root.account_id, "sam", "sam@elsewhere.example")
    assert refused.status_code == 400 and "domain" in refused.get_data(as_text=True)
    assert _signup(client, root.account_id, "sam", "sam@a.example", "password").status_code == 400
    done = _signup(client, root.account_id, "sam", "sam@a.example")
    assert done.status_code == 200 and "follow the link" in done.get_data(as_text=True)
    (user,) = stored(app, User, User.name == "sam")
    assert user.path == "/self-registered/" and user.email_verified is False
    assert "<GroupName>customers</GroupName>" in iam("ListGroupsForUser", UserName="sam")

    blocked = client_login(client, root.account_id, "sam", PASSWORD)
    assert blocked.status_code == 403 and "Confirm your email address first" in blocked.get_data(as_text=True)
    assert client.get("/account").status_code == 302
    (refusal,) = stored(app, AuditEvent, AuditEvent.action == "signin_failed")
    assert refusal.detail["reason"] == "email_not_verified" and refusal.actor == user.arn
    (message,) = mailbox.wait_for(1)
    assert message["From"] == "Acme Accounts <idp@example.test>"  # the account's own sender name
    assert client.get(local(mailbox.link(message, "/account/verify-email"))).status_code == 200
    assert client_login(client, root.account_id, "sam", PASSWORD).headers["Location"] == "/account"
    _throttles_and_refusals(root, runner, app_client(client), app)


def _throttles_and_refusals(root, runner, client, app):
    """Sign-ups throttled per email address; a taken name; bad settings; no CSRF token."""
    assert _turn_on(runner, root.account_id, "--allowed-domains", "").exit_code == 0
    assert _signup(client, root.account_id, "one", "same@c.example").status_code == 200
    assert _signup(client, root.account_id, "two", "same@c.example").status_code == 200

    throttled = _signup(client, root.account_id, "three", "same@c.example")

    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    assert sorted(u.name for u in stored(app, User, User.path == "/self-registered/")) == ["one", "sam", "two"]
    taken = _signup(client, root.account_id, "one", "other@c.example")
    assert taken.status_code == 400 and "That user name cannot be used" in taken.get_data(as_text=True)
    assert "<form" in taken.get_data(as_text=True)  # the sign-up page again, not an error page
    for bad in (["--path", "no-slashes"], ["--group", "missing"], ["--allowed-domains", "not a domain"]):
        result = _turn_on(runner, root.account_id, *bad)
        assert result.exit_code == 1 and result.output.splitlines()[-1].startswith("Error: "), bad
    assert client.post(f"/signup?account={root.account_id}", data={"username": "x"}).status_code == 400  # no CSRF
