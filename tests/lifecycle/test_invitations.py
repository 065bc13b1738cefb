"""Invitations: CreateUserInvitation (this product's IAM extension) mails a 7-day link; the invited user chooses
their password, the administrator never sees it, and the invited address counts as verified."""
from __future__ import annotations

from models.audit import AuditEvent
from models.user import User
from tests.lifecycle.conftest import local, post_form
from tests.support.signin import client_login, stored

CHOSEN = "Copper-Willow-Harbour-31"


def _accept(client, link: str, password: str):
    return post_form(client, "/invitation", {"token": link.split("token=", 1)[1], "new_password": password,
                                             "confirm_password": password}, page=link)


def test_the_invited_user_chooses_a_password_the_administrator_never_sees(iam, root, mailbox, client, clock, app):
    iam("CreateUser", UserName="ivy")
    answer = iam("CreateUserInvitation", UserName="ivy", Email="ivy@example.test")
    assert "<UserName>ivy</UserName>" in answer and "<Email>ivy@example.test</Email>" in answer
    assert "token" not in answer.lower()

    (message,) = mailbox.wait_for(1)
    assert message["To"] == "ivy@example.test" and message["Subject"] == "You are invited to sign in"
    link = local(mailbox.link(message, "/invitation?token="))
    assert client.get(link).status_code == 200
    assert _accept(client, link, "short").status_code == 400
    accepted = _accept(client, link, CHOSEN)
    assert accepted.status_code == 200 and "Your password is set" in accepted.get_data(as_text=True)

    assert len(mailbox.messages) == 1  # the invitation verified the address: no second link
    (user,) = stored(app, User, User.name == "ivy")
    assert user.email == "ivy@example.test" and user.email_verified is True
    assert client.get("/account").status_code == 302  # the link signs nobody in
    assert client_login(client, root.account_id, "ivy", CHOSEN).headers["Location"] == "/account"
    assert client.get(link).status_code == 400  # single use
    assert not any(CHOSEN in str(event.detail) for event in stored(app, AuditEvent))
    (invited,) = stored(app, AuditEvent, AuditEvent.action == "user_invited")
    assert invited.actor == f"arn:aws:iam::{root.account_id}:root" and invited.resource == user.arn
    _refusals(iam, mailbox, clock, client)


def _refusals(iam, mailbox, clock, client):
    """Invitations that cannot or may not be sent, and an expired one."""
    mailbox.clear()
    iam.user_with_password("has-password")
    iam("CreateUser", UserName="no-email")
    outsider = iam.as_new_user("outsider")

    cases = {
        ("has-password", None): (409, "EntityAlreadyExists"),
        ("no-email", None): (400, "has no email address"),
        ("ghost", "g@example.test"): (404, "NoSuchEntity"),
        ("no-email", "not an address"): (400, "email"),
    }
    for (name, email), (status, words) in cases.items():
        params = {"UserName": name, **({"Email": email} if email else {})}
        response = iam.request("CreateUserInvitation", **params)
        assert response.status_code == status and words in response.get_data(as_text=True), (name, email)
    denied = outsider.request("CreateUserInvitation", UserName="no-email", Email="n@example.test")
    assert denied.status_code == 403
    assert "iam:CreateUserInvitation" in denied.get_data(as_text=True)
    assert mailbox.messages == []

    iam("CreateUserInvitation", UserName="no-email", Email="late@example.test")
    link = local(mailbox.link(mailbox.wait_for(1)[0], "/invitation?token="))
    clock.advance(7 * 24 * 3600 + 1)
    assert client.get(link).status_code == 400
