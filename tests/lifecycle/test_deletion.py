"""Self-deletion: only when the account allows it; recent sign-in, typed confirmation and CSRF; the user and
everything they held are gone, the audit rows stay (with the ARN)."""
from __future__ import annotations

from sqlalchemy import select

from models import db
from models.access_key import AccessKey
from models.audit import AuditEvent
from models.group import group_memberships
from models.mail import OutboundMail
from models.session import BrowserSession
from models.user import User
from tests.lifecycle.conftest import post_form
from tests.support.signin import DEFAULT_PASSWORD, client_login, stored


def test_a_user_deletes_their_own_account(iam, root, runner, mailbox, client, clock, app):
    iam.user_with_password("dora")
    iam.set_email("dora", "dora@example.test")
    iam("CreateGroup", GroupName="staff")
    iam("AddUserToGroup", GroupName="staff", UserName="dora")
    iam("CreateAccessKey", UserName="dora")
    assert client_login(client, root.account_id, "dora", DEFAULT_PASSWORD).status_code == 302
    assert client.get("/account/delete").status_code == 404  # not allowed yet
    assert runner.invoke(args=["idp", "accounts", "lifecycle", "--self-deletion", "on"]).exit_code == 0
    assert "Delete my account" in client.get("/account").get_data(as_text=True)

    assert client.post("/account/delete", data={"confirm": "dora"}).status_code == 400  # no CSRF token
    assert post_form(client, "/account/delete", {"confirm": "wrong"}).status_code == 400
    clock.advance(600)  # the sign-in is no longer recent
    assert post_form(client, "/account/delete", {"confirm": "dora"}).status_code == 401
    assert stored(app, User, User.name == "dora")
    done = post_form(client, "/account/delete", {"confirm": "dora", "reauth_password": DEFAULT_PASSWORD})

    assert done.status_code == 200 and "Your account was deleted." in done.get_data(as_text=True)
    assert stored(app, User, User.name == "dora") == []
    assert stored(app, OutboundMail, OutboundMail.recipient == "dora@example.test") == []  # no mail kept about her
    assert all(s.revoked_at is not None for s in stored(app, BrowserSession))
    assert client.get("/account").status_code == 302
    assert [key.user_id for key in stored(app, AccessKey)] == [None]  # the root user's key alone
    with app.app_context():
        assert db.session.execute(select(group_memberships)).all() == []
    arn = f"arn:aws:iam::{root.account_id}:user/dora"
    (deleted,) = stored(app, AuditEvent, AuditEvent.action == "user_self_deleted")
    assert deleted.resource == arn and stored(app, AuditEvent, AuditEvent.action == "signin", AuditEvent.actor == arn)
