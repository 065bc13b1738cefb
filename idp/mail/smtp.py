"""One message over SMTP with `smtplib`: implicit TLS (`smtps://`), STARTTLS (`smtp://`), plain only to loopback.

A server that is not on a loopback address must offer STARTTLS; if it does not, the message is not sent
(and not retried into a plain channel). Certificates are verified against the system's trust store.

`smtplib`'s timeout bounds each socket operation; the whole conversation has its own deadline
(`DEADLINE_SECONDS`, well under the sender's claim): a watchdog shuts the socket down when it passes, so a
server that answers slowly, line after line, cannot hold a claim until it lapses.
"""
from __future__ import annotations

import contextlib
import ipaddress
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from models.mail import OutboundMail

TIMEOUT_SECONDS = 10
DEADLINE_SECONDS = 60  # the whole conversation; idp.mail.sender.CLAIM is 120 s
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to deliver (parsed from IDP_SMTP_URL, which `idp.config` validated)."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None

    @property
    def loopback(self) -> bool:
        """True for localhost and loopback addresses: the only servers reached without TLS."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def server(url: str) -> SmtpServer:
    """The server an `smtp://` / `smtps://` URL names, with its optional `user:password@`."""
    parts = urlsplit(url)
    return SmtpServer(
        host=parts.hostname or "", port=parts.port or DEFAULT_PORTS[parts.scheme],
        implicit_tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def message(mail: OutboundMail, sender_address: str, sender_name: str) -> EmailMessage:
    """The MIME message of an outbox row: text, and HTML as the alternative when there is one."""
    built = EmailMessage()
    built["From"] = formataddr((mail.sender_name or sender_name, sender_address))
    built["To"] = mail.recipient
    built["Subject"] = mail.subject
    built["Date"] = format_datetime(mail.created_at)
    built["Message-ID"] = make_msgid(idstring=f"outbox-{mail.id}", domain=sender_address.rpartition("@")[2])
    built["Auto-Submitted"] = "auto-generated"
    built.set_content(mail.text_body)
    if mail.html_body:
        built.add_alternative(mail.html_body, subtype="html")
    return built


def send(target: SmtpServer, built: EmailMessage, *, deadline: float = DEADLINE_SECONDS) -> None:
    """Hand one message to the server within `deadline` seconds; smtplib.SMTPException or OSError when it was not
    accepted (in time)."""
    context = ssl.create_default_context()
    timeout = min(TIMEOUT_SECONDS, deadline)
    if target.implicit_tls:
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
    watchdog = threading.Timer(deadline, _cut, args=(client,))
    watchdog.daemon = True
    watchdog.start()
    try:
        _converse(client, target, context, built)
    finally:
        watchdog.cancel()


def _cut(client: smtplib.SMTP) -> None:
    """End a conversation past its deadline: the operation under way fails at once."""
    sock = client.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _converse(client: smtplib.SMTP, target: SmtpServer, context: ssl.SSLContext, built: EmailMessage) -> None:
    with client:
        client.ehlo()
        if not target.implicit_tls and not target.loopback:
            client.starttls(context=context)  # SMTPNotSupportedError when not offered: never fall back to plain
            client.ehlo()
        if target.username:
            client.login(target.username, target.password or "")
        client.send_message(built)
