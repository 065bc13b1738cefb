"""How the browser-session cookies are named and flagged for this issuer (`__Host-` and Secure off loopback http)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class CookiePolicy:
    """How the session cookies are named and flagged for this issuer."""

    secure: bool

    def name(self, base: str) -> str:
        """`__Host-<base>` when Secure, `<base>` on loopback http."""
        return f"__Host-{base}" if self.secure else base


def cookie_policy(issuer: str) -> CookiePolicy:
    """Secure cookies unless the issuer is plain http on a loopback host."""
    parts = urlsplit(issuer)
    return CookiePolicy(secure=not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS))


def current_cookie_policy() -> CookiePolicy:
    """The cookie policy of the running app."""
    return current_app.extensions["idp.cookie_policy"]
