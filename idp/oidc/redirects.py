"""Redirect URI matching (RFC 9700 2.1, RFC 8252 7.3): exact string match; only a loopback port may vary."""
from __future__ import annotations

import re

# Only loopback IP literals (not `localhost`, which DNS or /etc/hosts may point elsewhere).
LOOPBACK_AUTHORITY = re.compile(r"(127\.0\.0\.1|\[::1\])(?::\d{1,5})?")


def redirect_uri_matches(presented: str, registered: list[str]) -> bool:
    """True when `presented` is one of `registered`, or differs from a loopback IP one only by port."""
    if not isinstance(presented, str) or len(presented) > 2048:
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
    if match is None:
        return None
    return f"http://{match.group(1)}{rest[end:]}"
