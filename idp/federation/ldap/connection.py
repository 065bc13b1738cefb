"""Connections to one LDAP directory: TLS, the service bind, a deadline over every server tried, a breaker.

`connect(settings, bind_password, deadline)` tries the upstream's URLs in
order and returns a connection bound as the service (or anonymous). A URL
that failed (refused, timed out, TLS refused, service bind refused) is skipped
for `BREAKER_SECONDS` in this process, so a dead server does not cost every
sign-in its timeouts; when every URL is skipped or fails, or the `Deadline`
(one per sign-in, across upstreams and URLs) has passed,
`DirectoryUnavailable`. Each operation's socket timeout is the smaller of the
upstream's `receive_timeout` and what is left of the deadline (`arm`); the
connection and its TLS handshake get the smaller of `connect_timeout` and it.
"""
from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ldap3 import ANONYMOUS, NONE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException

from idp.errors import DirectoryUnavailable

BREAKER_SECONDS = 30
# (url, ca_file) -> the monotonic time until which the URL is skipped. A dict's get and set are atomic in
# CPython, and a lost update only costs one more try, so no lock.
_tripped: dict[tuple[str, str | None], float] = {}


@dataclass(frozen=True)
class Deadline:
    """The monotonic time by which a sign-in's directory work must be over."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def timeout(self, limit: float) -> float:
        """`limit` seconds, or less when the deadline is nearer; DirectoryUnavailable once it has passed."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise DirectoryUnavailable()
        return min(limit, left)


def connect(settings: dict, bind_password: str | None, deadline: Deadline) -> Connection:
    """A connection bound as the service (or anonymous) to the first URL that answers (its `idp_breaker_key`
    names that URL for `trip`); DirectoryUnavailable when none does."""
    for url in settings["url"]:
        key = (url, settings.get("ca_file"))
        if _tripped.get(key, 0) > time.monotonic():
            continue
        try:
            connection = _open(settings, url, bind_password, deadline)
        except LDAPException:
            connection = None
        if connection is not None:
            connection.idp_breaker_key = key
            return connection
        trip(key)
    raise DirectoryUnavailable()


def close(connection: Connection) -> None:
    """Unbind and close, ignoring a server that is already gone."""
    try:
        connection.unbind()
    except LDAPException:
        pass


def trip(key: tuple[str, str | None] | None) -> None:
    """Skip the URL of `key` (a connection's `idp_breaker_key`) for BREAKER_SECONDS."""
    if key is not None:
        _tripped[key] = time.monotonic() + BREAKER_SECONDS


def arm(connection: Connection, settings: dict, deadline: Deadline) -> None:
    """Bound the next operation's wait by the receive timeout and the deadline."""
    if connection.socket is not None:
        connection.socket.settimeout(deadline.timeout(settings["receive_timeout"]))


def bind_service(connection: Connection, settings: dict, bind_password: str | None, deadline: Deadline) -> bool:
    """Bind (again) as the service account, or anonymously without one."""
    arm(connection, settings, deadline)
    if settings.get("bind_dn") is None:
        connection.user, connection.password = None, None
        return connection.rebind(authentication=ANONYMOUS)
    return connection.rebind(user=settings["bind_dn"], password=bind_password)


def _open(settings: dict, url: str, bind_password: str | None, deadline: Deadline) -> Connection | None:
    parts = urlsplit(url)
    secure = parts.scheme == "ldaps"
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.get("ca_file"),
              version=ssl.PROTOCOL_TLS_CLIENT, sni=parts.hostname)
    server = Server(parts.hostname, port=parts.port or (636 if secure else 389), use_ssl=secure, tls=tls,
                    get_info=NONE, connect_timeout=deadline.timeout(settings["connect_timeout"]))
    # No receive_timeout for ldap3 (it takes whole seconds): the socket keeps the connect timeout through the
    # TLS handshake, then `arm` sets each operation's.
    connection = Connection(server, user=settings.get("bind_dn"), password=bind_password, read_only=True,
                            receive_timeout=None, raise_exceptions=False, auto_referrals=False)
    connection.open()
    try:
        arm(connection, settings, deadline)
        if not secure and settings["start_tls"] and not connection.start_tls():
            close(connection)
            return None
        arm(connection, settings, deadline)
        if not connection.bind():
            close(connection)
            return None
    except (LDAPException, DirectoryUnavailable):
        close(connection)
        raise
    return connection
