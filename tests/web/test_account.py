"""The self-service page and the forced password change, over HTTP."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from idp.clock import FixedClock
from models.access_key import AccessKey
from models.audit import AuditEvent
from models.session import BrowserSession
from tests.support.aws_clients import client_for
from tests.support.signin import DEFAULT_PASSWORD, client_login, create_user_with_password, csrf_token, stored

NEW = "Quiet-Meadow-Lantern-7"
SELF_KEYS = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey",
                                  "iam:ListAccessKeys"],
    "Resource": "arn:aws:iam::*:user/${aws:username}"}]})


def _change(client, new: str, confirm: str | None = None):
    token = csrf_token(client.get("/login/password").get_data(as_text=True))
    return client.post("/login/password", data={"csrf_token": token, "new_password": new,
                                                 "confirm_password": new if confirm is None else confirm})


def test_the_page_shows_who_i_am_my_groups_keys_sessions_and_sign_ins(client, iam, root):
    create_user_with_password(iam, "alice")
    iam.create_group(GroupName="engineers")
    iam.add_user_to_group(GroupName="engineers", UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    client_login(client, root.account_id, "alice", "Wrong-Guess-Number-1")
    client_login(client, root.account_id, "alice", DEFAULT_PASSWORD)

    html = client.get("/account").get_data(as_text=True)

    assert f"arn:aws:iam::{root.account_id}:user/alice" in html and root.account_id in html
    assert "engineers" in html and key["AccessKeyId"] in html and key["SecretAccessKey"] not in html
    assert "(this browser)" in html and "Failed attempt" in html and "Signed in" in html
    assert 'href="/account/mfa"' in html and 'href="/account/apps"' in html


def test_root_page_lists_root_keys(client, root):
    client_login(client, root.account_id, "root", root.root_password)

    html = client.get("/account").get_data(as_text=True)

    assert root.access_key_id in html and "Groups</dt><dd>none" in html


def test_access_keys_are_created_once_deactivated_and_deleted_with_permission(client, iam, root, live_server, app):
    create_user_with_password(iam, "bob", policy=SELF_KEYS)
    client_login(client, root.account_id, "bob", DEFAULT_PASSWORD)
    page = client.get("/account").get_data(as_text=True)

    created = client.post("/account/keys", data={"csrf_token": csrf_token(page)})

    html = created.get_data(as_text=True)
    assert created.status_code == 200
    key_id = html.split('id="new-key-id">')[1].split("<")[0]
    secret = html.split('id="new-key-secret">')[1].split("<")[0]
    bob = client_for(live_server, "iam", key_id, secret)
    assert bob.list_access_keys()["AccessKeyMetadata"][0]["AccessKeyId"] == key_id
    assert secret not in client.get("/account").get_data(as_text=True)

    token = csrf_token(html)
    deactivated = client.post(f"/account/keys/{key_id}/status", data={"csrf_token": token, "status": "Inactive"})
    assert deactivated.status_code == 303
    with pytest.raises(ClientError) as refused:
        bob.list_access_keys()
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"

    assert client.post(f"/account/keys/{key_id}/delete", data={"csrf_token": token}).status_code == 303
    assert stored(app, AccessKey, AccessKey.access_key_id == key_id) == []
    actions = [e.action for e in stored(app, AuditEvent, AuditEvent.action.startswith("access_key_"))]
    assert actions == ["access_key_created", "access_key_updated", "access_key_deleted"]


def test_key_management_is_authorized_like_the_iam_api(client, iam, root, app):
    create_user_with_password(iam, "carol")  # no policy: IAM would refuse her CreateAccessKey
    client_login(client, root.account_id, "carol", DEFAULT_PASSWORD)

    token = csrf_token(client.get("/account").get_data(as_text=True))

    response = client.post("/account/keys", data={"csrf_token": token})

    assert response.status_code == 403 and "iam:CreateAccessKey" in response.get_data(as_text=True)
    assert stored(app, AccessKey, AccessKey.user_id.isnot(None)) == []
    assert stored(app, AuditEvent, AuditEvent.action == "iam:CreateAccessKey")[0].decision == "Deny"


def test_someone_elses_key_cannot_be_touched(client, iam, root, app):
    create_user_with_password(iam, "dave", policy=SELF_KEYS)
    iam.create_user(UserName="erin")
    erins = iam.create_access_key(UserName="erin")["AccessKey"]["AccessKeyId"]
    client_login(client, root.account_id, "dave", DEFAULT_PASSWORD)
    token = csrf_token(client.get("/account").get_data(as_text=True))

    for path in (f"/account/keys/{erins}/delete", f"/account/keys/{root.access_key_id}/delete"):
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 404
    assert len(stored(app, AccessKey)) == 2


def test_forced_change_when_reset_is_required(client, iam, root, app):
    create_user_with_password(iam, "fay", reset_required=True)

    response = client_login(client, root.account_id, "fay", DEFAULT_PASSWORD)

    assert response.status_code == 302 and response.headers["Location"] == "/login/password"
    assert stored(app, BrowserSession) == [] and client.get("/account").status_code == 302
    assert _change(client, NEW, "Something-Else-9").status_code == 400
    assert "too common" in _change(client, "password123").get_data(as_text=True)
    assert _change(client, NEW).headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    assert iam.get_login_profile(UserName="fay")["LoginProfile"]["PasswordResetRequired"] is False
    assert client_login(app.test_client(), root.account_id, "fay", NEW).headers["Location"] == "/account"


@pytest.fixture
def clock(app_config):
    fixed = FixedClock(datetime.now(timezone.utc))
    app_config["IDP_CLOCK"] = fixed
    return fixed


def test_forced_change_when_the_password_expired(clock, client, iam, root):
    iam.update_account_password_policy(MinimumPasswordLength=8, MaxPasswordAge=30)
    create_user_with_password(iam, "gus")
    clock.advance(timedelta(days=31).total_seconds())

    assert client_login(client, root.account_id, "gus", DEFAULT_PASSWORD).headers["Location"] == "/login/password"
    assert _change(client, NEW).status_code == 302 and client.get("/account").status_code == 200


def test_the_forced_change_page_needs_a_pending_sign_in(client):
    assert client.get("/login/password").headers["Location"].startswith("/login")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    assert client.post("/login/password", data={"csrf_token": token, "new_password": NEW,
                                                "confirm_password": NEW}).status_code == 302


def test_common_passwords_are_refused_by_the_iam_api_too(iam):
    iam.create_user(UserName="hank")
    with pytest.raises(ClientError) as refused:
        iam.create_login_profile(UserName="hank", Password="Password123")
    assert refused.value.response["Error"]["Code"] == "PasswordPolicyViolation"
    assert "too common" in refused.value.response["Error"]["Message"]


def test_a_session_without_a_user_that_is_not_root_gets_no_root_powers(client, root, app):
    # What a federated sign-in not linked to a user will look like: user None, a non-root ARN.
    from flask import Response

    from idp import work
    from idp.signin import sessions

    with app.test_request_context("/login", method="POST"):
        with work.unit_of_work():  # what a view gets from create_app: the session is committed when it returns
            sessions.start(account_id=root.account_id, user=None, amr=["fed"], acr=sessions.ACR_PASSWORD,
                           principal_arn=f"arn:aws:iam::{root.account_id}:federated/corp/zed")
        cookie = app.process_response(Response()).headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    client.set_cookie("idp_session", cookie)

    page = client.get("/account")
    token = csrf_token(page.get_data(as_text=True))

    assert page.status_code == 200 and root.access_key_id not in page.get_data(as_text=True)
    assert client.post("/account/keys", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/account/keys/{root.access_key_id}/delete", data={"csrf_token": token}).status_code == 403
    assert client.post("/account/password", data={"csrf_token": token, "current_password": root.root_password,
                                                  "new_password": NEW, "confirm_password": NEW}).status_code == 403
    assert len(stored(app, AccessKey)) == 1
