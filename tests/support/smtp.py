"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping every message it accepted.

`Mailbox.wait_for(n)` waits until `n` messages arrived; `Mailbox.link(message, path)` finds the link to
`path` in a message's text part, so tests follow links from the mail actually received.
"""
from __future__ import annotations

import email
import email.policy
import logging
import re
import threading
import time
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.support.servers import free_port

LINK = re.compile(r"https?://\S+")
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


class Mailbox:
    """The messages an aiosmtpd server accepted, in order (its handler)."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        """Forget the messages received so far."""
        with self._arrived:
            self.messages.clear()

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The first `count` messages, once they arrived (AssertionError after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"expected {count} messages, got {len(self.messages)}"
                self._arrived.wait(left)
            return list(self.messages[:count])

    def to(self, address: str) -> list[EmailMessage]:
        """The messages sent to `address` so far."""
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def text(message: EmailMessage) -> str:
        """The plain-text body."""
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def link(message: EmailMessage, path: str) -> str:
        """The link to `path` in the message's text (exactly one)."""
        (found,) = {url for url in LINK.findall(Mailbox.text(message)) if path in url}
        return found


class SmtpServer:
    """aiosmtpd listening on 127.0.0.1:`port` until stopped."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture(scope="session")
def _shared_smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(_shared_smtp_server):
    """A running loopback SMTP server (`.mailbox` holds what it received in this test, `.url` is for IDP_SMTP_URL).

    One server per test session (starting one costs a few hundred milliseconds); its mailbox starts empty."""
    _shared_smtp_server.mailbox.clear()
    return _shared_smtp_server
