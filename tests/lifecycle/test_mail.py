"""The outbox: written with the change, delivered after the commit, retried with back-off while the SMTP server is
down, delivered exactly once when it is back; settings refused in one line."""
from __future__ import annotations

import socket

import pytest

from idp.config import load_settings
from idp.errors import ConfigError
from idp.mail import smtp
from idp.mail.sender import kicker, retry_delay
from models.mail import OutboundMail
from tests.support.servers import free_port
from tests.support.signin import stored
from tests.support.smtp import SmtpServer


@pytest.fixture
def down_port():
    """A loopback port held bound but not listening: connections to it are refused, and nothing else takes it."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", free_port()))
        yield held


@pytest.fixture
def app_config(app_config, down_port):
    return {**app_config, "IDP_SMTP_URL": f"smtp://127.0.0.1:{down_port.getsockname()[1]}"}


def test_mail_waits_while_the_server_is_down_then_goes_exactly_once(iam, clock, app, down_port):
    from idp.housekeeping import run_once

    iam("CreateUser", UserName="otto")
    iam.set_email("otto", "otto@example.test")
    kicker(app).wait()
    (waiting,) = stored(app, OutboundMail)
    assert waiting.sent_at is None and waiting.attempts == 1 and "Connection refused" in waiting.last_error
    assert waiting.next_attempt_at == clock.now() + retry_delay(1)

    port = down_port.getsockname()[1]
    down_port.close()
    server = SmtpServer(port).start()
    try:
        assert run_once(app)["mailed"] == {"sent": 0, "failed": 0}  # not due yet: back-off
        clock.advance(retry_delay(1).total_seconds())
        assert run_once(app)["mailed"] == {"sent": 1, "failed": 0}
        clock.advance(3600)
        assert run_once(app)["mailed"] == {"sent": 0, "failed": 0}
        (message,) = server.mailbox.wait_for(1)
    finally:
        server.stop()
    assert message["To"] == "otto@example.test" and len(server.mailbox.messages) == 1
    (sent,) = stored(app, OutboundMail)
    assert sent.sent_at is not None and sent.attempts == 2 and sent.last_error is None


@pytest.mark.parametrize("variable, value, words", [
    ("IDP_SMTP_URL", "http://mail.example.com", "IDP_SMTP_URL must be smtp://"),
    ("IDP_SMTP_URL", "smtp://", "IDP_SMTP_URL must be smtp://"),
    ("IDP_SMTP_URL", "smtps://mail.example.com:99999", "IDP_SMTP_URL must be smtp://"),
    ("IDP_MAIL_FROM", "Someone <a@example.com>", "IDP_MAIL_FROM must be an address"),
])
def test_bad_mail_settings_are_refused_in_one_line(variable, value, words):
    with pytest.raises(ConfigError) as refused:
        load_settings(environ={variable: value})
    assert words in refused.value.message and "\n" not in refused.value.message


def test_the_smtp_url_says_how_to_connect():
    assert smtp.server("smtps://u%40x:p%2Fw@mail.example.com") == smtp.SmtpServer(
        "mail.example.com", 465, True, "u@x", "p/w")
    plain = smtp.server("smtp://127.0.0.1:2525")
    assert plain.loopback and not plain.implicit_tls and plain.port == 2525
    assert not smtp.server("smtp://mail.example.com:587").loopback  # STARTTLS required there


def test_a_server_off_loopback_must_offer_starttls_or_nothing_is_sent(smtp_server):
    from email.message import EmailMessage
    from smtplib import SMTPNotSupportedError

    class Remote(smtp.SmtpServer):
        """The test server as if it were elsewhere on the network (it offers no STARTTLS)."""

        loopback = False

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "idp@example.test", "x@example.test", "hello"
    message.set_content("plain text must not cross the network")
    with pytest.raises(SMTPNotSupportedError):
        smtp.send(Remote("127.0.0.1", smtp_server.port, False, None, None), message)
    assert smtp_server.mailbox.messages == []
    smtp.send(smtp.server(smtp_server.url), message)  # on loopback, plain is allowed
    assert len(smtp_server.mailbox.wait_for(1)) == 1
