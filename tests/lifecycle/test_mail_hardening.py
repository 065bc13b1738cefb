"""The outbox keeps no live link once a message is sent or given up, and forgets a deleted user's mail; a message
that cannot be built fails alone; the SMTP conversation has a deadline; a mark after a lapsed claim overwrites
nothing; purging; a sender name with control characters is refused; sign-up throttles count before the name
is looked at (no enumeration) and `+tags` share their mailbox's counter; the console re-renders no POST view."""
from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from idp import clock as app_clock
from idp.mail import sender, smtp
from models import db
from models.lifecycle import AccountLifecycleSettings, SingleUseLink
from models.mail import OutboundMail
from models.user import User
from tests.lifecycle.conftest import app_client, post_form
from tests.support.servers import free_port
from tests.support.signin import stored

PASSWORD = "Maple-Harbour-Quartz-64"


def _row(app, **fields) -> int:
    """An outbox row written directly (as if queued), due now; its id."""
    with app.app_context():
        now = app_clock.now()
        mail = OutboundMail(**{"recipient": "x@example.test", "subject": "hello", "text_body": "secret link",
                               "html_body": "<p>secret link</p>", "created_at": now, "attempts": 0,
                               "next_attempt_at": now, **fields})
        db.session.add(mail)
        db.session.commit()
        return mail.id


def _deliver(app) -> dict:
    with app.app_context():
        return sender.deliver_due(app.config["IDP_SETTINGS"])


def test_sent_mail_keeps_no_body_and_a_bad_row_fails_alone_then_is_given_up_blank(iam, app, mailbox):
    bad = _row(app, sender_name="Evil\r\nBcc: victim@example.test", attempts=sender.MAX_ATTEMPTS - 1)
    good = _row(app)
    assert _deliver(app) == {"sent": 1, "failed": 1}
    (message,) = mailbox.wait_for(1)
    assert message["Subject"] == "hello" and "Bcc" not in str(message)
    rows = {row.id: row for row in stored(app, OutboundMail)}
    assert rows[good].sent_at is not None and rows[good].text_body == "" and rows[good].html_body is None
    assert rows[bad].sent_at is None and rows[bad].claimed_until is None and rows[bad].attempts == sender.MAX_ATTEMPTS
    assert rows[bad].last_error.startswith("ValueError") and rows[bad].text_body == ""  # given up, blanked
    assert _deliver(app) == {"sent": 0, "failed": 0}


def test_a_mark_after_the_claim_lapsed_overwrites_another_senders_claim_not(app):
    mail_id = _row(app)
    with app.app_context():
        mail, claim = sender._claim(mail_id)
        other = claim + timedelta(seconds=5)  # our claim lapsed; another sender claimed the row
        db.session.execute(update(OutboundMail).where(OutboundMail.id == mail_id).values(claimed_until=other))
        db.session.commit()
        sender._record_success(mail, claim)
    (row,) = stored(app, OutboundMail)
    assert row.sent_at is None and row.claimed_until == other and row.text_body == "secret link"


@pytest.fixture
def slow_smtp():
    """A loopback SMTP server that answers every line correctly, 0.3 s late: each step within the socket timeout,
    the conversation long."""
    listener = socket.create_server(("127.0.0.1", free_port()))

    def serve() -> None:
        with listener:
            connection, _ = listener.accept()
            with connection, connection.makefile("rb") as lines:
                connection.sendall(b"220 slow\r\n")
                for line in lines:
                    time.sleep(0.3)
                    answer = b"354 go on\r\n" if line.upper().startswith(b"DATA") else b"250 ok\r\n"
                    connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]


def test_the_whole_conversation_has_a_deadline(slow_smtp):
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "idp@example.test", "x@example.test", "hello"
    message.set_content("body")
    began = time.monotonic()
    with pytest.raises((OSError, smtp.smtplib.SMTPException)):
        smtp.send(smtp.server(f"smtp://127.0.0.1:{slow_smtp}"), message, deadline=0.8)
    assert time.monotonic() - began < 1.5  # five steps of 0.3 s would take longer
    assert smtp.DEADLINE_SECONDS * 2 <= sender.CLAIM.total_seconds()


def test_purge_drops_old_sent_mail_and_spent_or_expired_links(iam, app, clock, mailbox):
    from idp.maintenance import purge_expired

    iam("CreateUser", UserName="old")
    iam("CreateUserInvitation", UserName="old", Email="old@example.test")
    mailbox.wait_for(1)
    from idp.mail.sender import kicker

    kicker(app).wait()
    clock.advance(timedelta(days=6).total_seconds())
    with app.app_context():
        assert purge_expired()["mail_outbox"] == 0
        db.session.rollback()
    clock.advance(timedelta(days=3).total_seconds())
    with app.app_context():
        counts = purge_expired()
        db.session.commit()
    assert counts["mail_outbox"] == 1 and counts["lifecycle_links"] == 1
    assert stored(app, OutboundMail) == [] and stored(app, SingleUseLink) == []


def test_a_sender_name_with_control_characters_is_refused(runner, root, app):
    for name in ("Acme\r\nBcc: victim@example.test", "Acme\nX", "Acme\tAccounts"):
        result = runner.invoke(args=["idp", "accounts", "lifecycle", "--account", root.account_id,
                                     "--sender-name", name])
        assert result.exit_code == 1 and result.output.splitlines()[-1].startswith("Error: "), name
        assert "control characters" in result.output
    assert stored(app, AccountLifecycleSettings) == []


def _signup(client, account: str, username: str, email: str):
    return post_form(client, f"/signup?account={account}", {"username": username, "email": email,
                                                            "new_password": PASSWORD, "confirm_password": PASSWORD})


def test_sign_up_counts_before_the_name_so_taken_names_cannot_be_listed(iam, root, runner, client, app):
    assert runner.invoke(args=["idp", "accounts", "lifecycle", "--self-registration", "on"]).exit_code == 0
    iam("CreateUser", UserName="taken")
    answers = [_signup(client, root.account_id, "taken", f"probe{n}@c.example") for n in range(7)]
    assert [a.status_code for a in answers[:6]] == [400] * 6
    assert all("That user name cannot be used" in a.get_data(as_text=True) for a in answers[:6])
    assert answers[6].status_code == 429  # the source address backs off, whatever the names tried
    assert _signup(client, root.account_id, "fresh", "fresh@c.example").status_code == 429
    assert [user.name for user in stored(app, User)] == ["taken"]


def test_plus_tags_share_their_mailboxs_sign_up_counter(iam, root, runner, client, app):
    assert runner.invoke(args=["idp", "accounts", "lifecycle", "--self-registration", "on"]).exit_code == 0
    assert _signup(client, root.account_id, "v1", "Victim+1@c.example").status_code == 200
    assert _signup(app_client(client), root.account_id, "v2", "victim+2@c.example").status_code == 200
    throttled = _signup(app_client(client), root.account_id, "v3", "victim+3@C.example")
    assert throttled.status_code == 429
    assert sorted(user.name for user in stored(app, User)) == ["v1", "v2"]


def test_the_console_re_renders_no_view_that_takes_post(app):
    from idp.web.console import common

    app.add_url_rule("/console/both-ways", endpoint="console.both_ways", view_func=lambda: "page",
                     methods=["GET", "POST"])
    app.add_url_rule("/console/read-only", endpoint="console.read_only", view_func=lambda: "page")
    with app.test_request_context("/console/users", method="POST"):
        assert common._page_view("/console/both-ways") is None
        view, args = common._page_view("/console/read-only")
        assert view() == "page" and args == {}
