"""POST /login over HTTP: the generic failure, root and IAM users, aliases, `next`, the audit trail."""
from __future__ import annotations

import pytest
from models.audit import AuditEvent
from models.session import BrowserSession
from tests.support.signin import DEFAULT_PASSWORD, client_login, create_user_with_password, stored

FAILURE = "Incorrect account, user name or password."


def _sessions(app) -> list[BrowserSession]:
    return stored(app, BrowserSession)


def _events(app, action: str) -> list[AuditEvent]:
    return sorted(stored(app, AuditEvent, AuditEvent.action == action), key=lambda event: event.id)


def test_login_page_is_a_labelled_form(client):
    page = client.get("/login")
    html = page.get_data(as_text=True)

    assert page.status_code == 200 and page.mimetype == "text/html"
    for field in ("account", "username", "password"):
        assert f'<label for="{field}">' in html and f'name="{field}"' in html
    assert 'name="csrf_token"' in html and 'method="post"' in html


def test_root_signs_in_with_the_bootstrap_password(client, root, app):
    response = client_login(client, root.account_id, "root", root.root_password)

    assert response.status_code == 302 and response.headers["Location"] == "/account"
    (session,) = _sessions(app)
    assert session.principal_arn == f"arn:aws:iam::{root.account_id}:root" and session.user_id is None
    assert session.amr == ["pwd"] and session.acr == "urn:idp:acr:pwd" and session.auth_time is not None
    page = client.get("/account").get_data(as_text=True)
    assert f"arn:aws:iam::{root.account_id}:root" in page
    (event,) = _events(app, "signin")
    assert event.actor == session.principal_arn and event.decision == "Allow" and event.source_ip == "127.0.0.1"


def test_iam_user_signs_in_by_account_id_and_by_alias(client, iam, root, app):
    create_user_with_password(iam, "alice")
    iam.create_account_alias(AccountAlias="example-corp")

    assert client_login(client, root.account_id, "alice", DEFAULT_PASSWORD).status_code == 302
    other = client.application.test_client()
    assert client_login(other, "Example-Corp", "ALICE", DEFAULT_PASSWORD).status_code == 302
    arns = {session.principal_arn for session in _sessions(app)}
    assert arns == {f"arn:aws:iam::{root.account_id}:user/alice"}


@pytest.mark.parametrize("case", ["wrong_password", "unknown_user", "unknown_account", "no_login_profile",
                                  "root_wrong_password"])
def test_every_failure_says_the_same_thing_and_starts_nothing(case, client, iam, root, app):
    create_user_with_password(iam, "bob")
    iam.create_user(UserName="carol")  # no login profile: cannot sign in
    account, username, password = {
        "wrong_password": (root.account_id, "bob", "Not-The-Password-1"),
        "unknown_user": (root.account_id, "nobody", DEFAULT_PASSWORD),
        "unknown_account": ("999999999999", "bob", DEFAULT_PASSWORD),
        "no_login_profile": (root.account_id, "carol", DEFAULT_PASSWORD),
        "root_wrong_password": (root.account_id, "root", DEFAULT_PASSWORD),
    }[case]

    response = client_login(client, account, username, password)

    html = response.get_data(as_text=True)
    assert response.status_code == 401 and FAILURE in html
    assert password not in html
    assert _sessions(app) == []
    assert not any(cookie.key.endswith("idp_session") for cookie in client._cookies.values())
    (event,) = _events(app, "signin_failed")
    assert event.decision == "Deny" and event.detail["reason"] == case.removeprefix("root_")
    assert password not in str(event.detail)


def test_an_iam_user_named_root_is_not_confused_with_the_root_user(client, iam, root, app):
    create_user_with_password(iam, "root")

    response = client_login(client, root.account_id, "root", DEFAULT_PASSWORD)

    assert response.status_code == 401 and _sessions(app) == []


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "\\\\evil.example", "javascript:alert(1)", "/\r\nSet-Cookie:x=1",
                                    "/\t/evil.example", "evil"])
def test_next_only_accepts_local_paths(target, client, root):
    page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert 'name="next"' not in page or f'value="{target}"' not in page

    response = client_login(client, root.account_id, "root", root.root_password, next=target)

    assert response.status_code == 302
    assert response.headers["Location"] == "/account"


def test_next_local_path_is_followed_after_sign_in(client, root):
    response = client_login(client, root.account_id, "root", root.root_password, next="/account?tab=keys")

    assert response.status_code == 302 and response.headers["Location"] == "/account?tab=keys"


def test_account_page_without_a_session_sends_to_login_with_next(client):
    response = client.get("/account")

    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/account"
