"""Server-side HTTP fetches: the one way the product reaches a URL on someone's behalf.

Every fetch of a URL that untrusted input chose (a client's `jwks_uri` or
`backchannel_logout_uri`, an IAM OIDC provider's discovery document and JWKS)
goes through `fetch`:

- the host is resolved at fetch time and EVERY address it resolves to must be
  one the product may reach (`address_allowed`: globally routable, or inside
  an operator's `IDP_FETCH_ALLOWED_NETWORKS`), so loopback, private,
  link-local, shared, metadata, unspecified and multicast addresses are
  refused in any notation (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`,
  `::ffff:127.0.0.1`, or a name that resolves there): the resolver turns each
  notation into an address and the address is what is checked;
- the connection goes to the address that was checked (no second lookup a
  DNS rebinding could answer differently), with the URL's host in `Host` and,
  for https, in SNI and certificate verification;
- redirects are never followed, environment proxies never used, content is
  not decoded, and the bytes read and the time are bounded: a timer shuts the
  connection's socket at the deadline, so a server trickling its status line,
  headers or body one byte at a time is cut off too (name resolution uses the
  system resolver's own limits).

`trusted=True` is for URLs an operator configured (upstream providers, IDP_*
settings): the address rule is skipped; redirects, proxies and bounds are not.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from typing import Iterable, Mapping
from urllib.parse import urlencode, urlsplit

import certifi
import urllib3

from idp.errors import IdpError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_BYTES = 256 * 1024
CHUNK_BYTES = 16 * 1024
# IPv6 forms that carry an IPv4 address a gateway may reach: the embedded address decides.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d, never routed as such
_SIIT = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 6052/7915 IPv4-translated ::ffff:0:a.b.c.d
# RFC 8215 local-use NAT64: its IPv4 embedding depends on the operator's prefix length, so nothing there is global.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


class FetchFailed(IdpError):
    """A server-side fetch gave no usable answer: unreachable, too slow, too large, redirected."""

    status = 502
    code = "FetchFailed"


class DestinationRefused(FetchFailed):
    """The URL may not be fetched for untrusted input: its host is, or resolves to, an address we do not reach."""

    status = 400
    code = "DestinationRefused"
    sender_fault = True

    def __init__(self, message: str, *, url: str, addresses: tuple[str, ...] = ()):
        super().__init__(message)
        self.url, self.addresses = url, addresses


@dataclass(frozen=True)
class Fetched:
    """What a fetch answered: the status, the headers and the whole (bounded) body."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes


def address_allowed(address: IPAddress, allowed_networks: Iterable[IPNetwork] = ()) -> bool:
    """May the product connect to `address` for untrusted input? Global unicast, or an operator-allowed network."""
    if any(address.version == network.version and address in network for network in allowed_networks):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_allowed(embedded, allowed_networks)
    return address.is_global and not address.is_multicast


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address
    if address in _NAT64 or address in _IPV4_COMPATIBLE or address in _SIIT:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_loopback_host(host: str | None) -> bool:
    """`localhost` or a literal loopback address: where plain http is allowed for this machine's own services."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any notation the resolver accepts (`127.1`, `0x7f.1`...), else None."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host.isascii() or not host.replace(".", "").isalnum():
        return None  # only ASCII letters, digits and dots (inet_aton would ignore what follows a space)
    try:  # inet_aton reads the classic decimal, octal, hex and short dotted forms
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def literal_host_refused(host: str, allowed_networks: Iterable[IPNetwork] = ()) -> bool:
    """A quick syntactic check (registration time): does `host` literally name an address we do not reach?"""
    address = literal_address(host)
    return address is not None and not address_allowed(address, allowed_networks)


def resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address `host` resolves to now (getaddrinfo: names, and every literal notation)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise FetchFailed(f"{host} could not be resolved ({type(error).__name__})") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchFailed(f"{host} resolves to no address")
    return tuple(addresses)


def fetch(
    url: str,
    *,
    purpose: str,
    trusted: bool = False,
    method: str = "GET",
    form: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    allowed_networks: Iterable[IPNetwork] | None = None,
) -> Fetched:
    """Fetch `url` for `purpose` (named in errors), pinned to a checked address, no redirects, bounded.

    `allowed_networks` defaults to the app's IDP_FETCH_ALLOWED_NETWORKS.
    Raises `DestinationRefused` for an address the rule refuses and
    `FetchFailed` for anything else that gives no complete answer; a non-2xx
    status is returned, not raised (a redirect is just a 3xx answer).
    """
    deadline = time.monotonic() + timeout
    scheme, host, port, target, host_header = _parts(url)
    addresses = resolve(host, port)
    if not trusted:
        networks = tuple(configured_networks() if allowed_networks is None else allowed_networks)
        refused = [a for a in addresses if not address_allowed(a, networks)]
        if refused:
            raise DestinationRefused(
                f"{purpose}: {host} resolves to an address this server does not reach for others "
                f"({', '.join(map(str, refused[:3]))})", url=url, addresses=tuple(map(str, refused)))
    body = urlencode(form).encode() if form is not None else None
    sent = {"Accept-Encoding": "identity", "User-Agent": "idp-fetch", **(headers or {}), "Host": host_header}
    if body is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    last_error: Exception | None = None
    for address in addresses:  # each one checked above; the first that accepts a connection answers
        pool = _pool(scheme, str(address), port, host, deadline)
        try:
            response = pool.urlopen(method, target, body=body, headers=sent, redirect=False, retries=False,
                                    preload_content=False, decode_content=False, assert_same_host=False)
            try:
                return Fetched(url, response.status, dict(response.headers),
                               _read(response, max_bytes, deadline, purpose))
            finally:
                response.release_conn()
        except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError) as error:
            last_error = error
        except urllib3.exceptions.HTTPError as error:
            if time.monotonic() >= deadline:  # the read timed out, or the deadline timer shut the socket
                raise FetchFailed(f"{purpose}: {host} did not answer in time (ReadTimeout)") from None
            raise FetchFailed(f"{purpose}: {host} could not be fetched ({type(error).__name__})") from None
        finally:
            pool.close()
    raise FetchFailed(f"{purpose}: {host} could not be reached ({type(last_error).__name__})")


def _parts(url: str) -> tuple[str, str, int, str, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DestinationRefused("not a valid URL", url=url) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused("only http(s) URLs with a host are fetched", url=url)
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused("URLs with user information are not fetched", url=url)
    port = port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, target, parts.netloc


class _Deadlined:
    """A connection whose socket is shut at `deadline`, whatever phase of the exchange it is in."""

    def __init__(self, *args, deadline: float, **kwargs):
        super().__init__(*args, **kwargs)
        self._deadline, self._timer = deadline, None

    def connect(self) -> None:
        super().connect()
        self._timer = threading.Timer(max(0.0, self._deadline - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        sock = self.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        super().close()


class _DeadlinedHTTPConnection(_Deadlined, urllib3.connection.HTTPConnection):
    pass


class _DeadlinedHTTPSConnection(_Deadlined, urllib3.connection.HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _DeadlinedHTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _DeadlinedHTTPSConnection


def _pool(scheme: str, address: str, port: int, host: str, deadline: float) -> urllib3.HTTPConnectionPool:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchFailed(f"no time left to fetch from {host}")
    timeout = urllib3.Timeout(connect=remaining, read=remaining)
    if scheme == "http":
        return _HTTPPool(address, port, timeout=timeout, maxsize=1, retries=False, deadline=deadline)
    # Connect to the checked address; verify the certificate for the URL's host name.
    return _HTTPSPool(
        address, port, timeout=timeout, maxsize=1, retries=False, cert_reqs="CERT_REQUIRED",
        ca_certs=certifi.where(), server_hostname=host, assert_hostname=host, deadline=deadline,
    )


def _read(response: urllib3.BaseHTTPResponse, max_bytes: int, deadline: float, purpose: str) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise FetchFailed(f"{purpose}: the answer is larger than {max_bytes} bytes")
    body = bytearray()
    while True:
        chunk = response.read1(CHUNK_BYTES)  # what one receive brings: the deadline is checked between them
        if time.monotonic() > deadline:  # also when the deadline timer shut the socket: what came is cut short
            raise FetchFailed(f"{purpose}: the answer took longer than allowed")
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > max_bytes:
            raise FetchFailed(f"{purpose}: the answer is larger than {max_bytes} bytes")


def configured_networks() -> tuple[IPNetwork, ...]:
    """The running app's IDP_FETCH_ALLOWED_NETWORKS (none outside an app: worker threads pass them in)."""
    from flask import (  # the running app's settings, read once at start
        current_app,
        has_app_context,
    )

    if not has_app_context():
        return ()
    settings = current_app.config.get("IDP_SETTINGS")
    return tuple(getattr(settings, "fetch_allowed_networks", ()) or ())
