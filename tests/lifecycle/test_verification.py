"""Email verification over HTTP: the link in the received mail verifies the address once; the old address is told."""
from __future__ import annotations

from models.audit import AuditEvent
from models.user import User
from tests.lifecycle.conftest import local
from tests.support.signin import stored


def _user(app, name: str) -> User:
    (user,) = stored(app, User, User.name == name)
    return user


def test_a_new_email_is_verified_once_and_a_changed_one_again(iam, mailbox, client, clock, app):
    iam("CreateUser", UserName="vera")
    iam.set_email("vera", "vera@example.test")

    (message,) = mailbox.wait_for(1)
    assert message["To"] == "vera@example.test" and message["Subject"] == "Confirm your email address"
    assert message["From"] == "Identity provider <idp@example.test>"
    assert message.get_body(preferencelist=("html",)) is not None
    link = mailbox.link(message, "/account/verify-email?token=")
    assert link.startswith(app.config["IDP_SETTINGS"].issuer)
    assert _user(app, "vera").email_verified is False

    first = client.get(local(link))
    assert first.status_code == 200 and "Your email address is verified." in first.get_data(as_text=True)
    assert _user(app, "vera").email_verified is True
    replay = client.get(local(link))
    assert replay.status_code == 400 and "not valid" in replay.get_data(as_text=True)
    assert [e.action for e in stored(app, AuditEvent, AuditEvent.action == "email_verified")] == ["email_verified"]

    # Changing the email tells the old address; the old address's link proves nothing any more.
    iam("CreateUser", UserName="walt")
    iam.set_email("walt", "old@example.test")
    first = mailbox.wait_for(2)[1]
    iam.set_email("walt", "new@example.test")

    messages = mailbox.wait_for(4)[1:]
    notice = next(m for m in messages[1:] if m["To"] == "old@example.test")
    assert notice["Subject"] == "Your email address was changed" and "new@example.test" in mailbox.text(notice)
    (second,) = [m for m in messages if m["To"] == "new@example.test"]
    # The first link was for the old address: it no longer proves the user's email.
    assert client.get(local(mailbox.link(first, "/account/verify-email"))).status_code == 400
    clock.advance(24 * 3600 + 1)  # and the new one lives 24 hours
    assert client.get(local(mailbox.link(second, "/account/verify-email"))).status_code == 400
    assert _user(app, "walt").email_verified is False
    for path in ("/account/verify-email?token=nonsense", "/account/verify-email", f"/account/verify-email?token={'x' * 500}"):
        response = client.get(path)
        assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)
