"""Redirect URIs: which may be registered (RFC 8252, OAuth 2.1) and how a presented one matches (RFC 9700 2.1).

Registration (`checked_redirect_uri`) is the one rule every place a redirect
or post-logout redirect URI enters goes through (CLI, dynamic registration and
its RFC 7592 update): https with a host; plain http only on a loopback IP
literal (RFC 8252 7.3; `localhost` is refused, RFC 8252 8.3 says NOT
RECOMMENDED because a resolver or hosts file may send it elsewhere); a
private-use reverse-domain scheme (RFC 8252 7.1) only for public (native)
clients. Everything else (`javascript:`, `data:`, `vbscript:`, `file:`,
`about:`, `blob:`, ...) is refused, and so are fragments, userinfo,
backslashes, whitespace, control and non-ASCII characters, which browsers and
URL parsers read differently.

Matching (`redirect_uri_matches`) is an exact string match; only a loopback
IP port may vary (RFC 8252 7.3).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from idp.errors import InvalidRedirectUri

MAX_LENGTH = 2048
# Only loopback IP literals (not `localhost`, which DNS or /etc/hosts may point elsewhere).
LOOPBACK_AUTHORITY = re.compile(r"(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?")
LOOPBACK_HOSTS = ("127.0.0.1", "::1")
# RFC 3986 3.1 scheme; a private-use one is a reverse domain name (RFC 8252 7.1): dotted labels.
SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
PRIVATE_USE_SCHEME = re.compile(r"[a-z][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)+")
# RFC 3986 2: printable ASCII that may appear in a URI at all (no space, quotes, `<>`, `\`, `^`, backtick, `{|}`).
URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def checked_redirect_uri(uri: object, *, public: bool, field: str = "redirect_uris") -> str:
    """`uri` when it may be registered as a (post-logout) redirect URI of a client; InvalidRedirectUri otherwise."""
    if not isinstance(uri, str) or not uri:
        raise InvalidRedirectUri("a redirect URI must be a non-empty string", field=field)
    shown = _shown(uri)
    if len(uri) > MAX_LENGTH:
        raise InvalidRedirectUri(f"redirect URI {shown} is longer than {MAX_LENGTH} characters", field=field)
    if not URI_CHARACTERS.fullmatch(uri):
        raise InvalidRedirectUri(f"redirect URI {shown} has characters a URI may not hold (whitespace, control, "
                                 "backslash, quotes, angle brackets or non-ASCII)", field=field)
    if "#" in uri:
        raise InvalidRedirectUri(f"redirect URI {shown} must have no fragment", field=field)
    scheme, _, rest = uri.partition(":")
    scheme = scheme.lower()
    if not SCHEME.fullmatch(scheme) or not rest:
        raise InvalidRedirectUri(f"redirect URI {shown} must be absolute", field=field)
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        raise InvalidRedirectUri(f"redirect URI {shown} is not a valid URI", field=field) from None
    if "@" in parts.netloc:
        raise InvalidRedirectUri(f"redirect URI {shown} must not carry userinfo", field=field)
    if scheme == "https":
        if not parts.hostname:
            raise InvalidRedirectUri(f"redirect URI {shown} has no host", field=field)
    elif scheme == "http":
        if parts.hostname not in LOOPBACK_HOSTS:
            raise InvalidRedirectUri(f"redirect URI {shown}: plain http is only allowed for loopback "
                                     "(127.0.0.1 or [::1]; not localhost, RFC 8252 8.3)", field=field)
    elif PRIVATE_USE_SCHEME.fullmatch(scheme):
        if not public:
            raise InvalidRedirectUri(f"redirect URI {shown}: a private-use scheme is only for public (native) "
                                     "clients", field=field)
    else:
        raise InvalidRedirectUri(f"redirect URI {shown}: scheme {scheme!r} is not allowed; use https, http on "
                                 "loopback, or a reverse-domain private-use scheme (native apps)", field=field)
    return uri


def _shown(uri: str) -> str:
    """The URI quoted for an error message: ASCII only, bounded (a CLI line, a JSON error_description)."""
    text = uri if len(uri) <= 120 else uri[:117] + "..."
    return ascii(text)


def redirect_uri_matches(presented: str, registered: list[str]) -> bool:
    """True when `presented` is one of `registered`, or differs from a loopback IP one only by port."""
    if not isinstance(presented, str) or len(presented) > MAX_LENGTH:
        return False
    if presented in registered:
        return True
    loose = _without_loopback_port(presented)
    return loose is not None and any(_without_loopback_port(uri) == loose for uri in registered)


def _without_loopback_port(uri: str) -> str | None:
    """`http://127.0.0.1/cb` for `http://127.0.0.1:5173/cb`; None for anything but a plain loopback-IP http URI."""
    if not uri.startswith("http://"):
        return None
    rest = uri[len("http://"):]
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    match = LOOPBACK_AUTHORITY.fullmatch(rest[:end])
    if match is None or int(match.group(2) or 0) > 65535:
        return None
    return f"http://{match.group(1)}{rest[end:]}"
