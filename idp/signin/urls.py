"""Where a browser may be sent after signing in: local paths only."""
from __future__ import annotations

from urllib.parse import urlsplit

MAX_NEXT_LENGTH = 2048


def safe_next(candidate: str | None) -> str | None:
    """`candidate` when it is a path on this site (`/...`, not `//`, no backslash or control character), else None."""
    if not candidate or len(candidate) > MAX_NEXT_LENGTH or not candidate.startswith("/"):
        return None
    if candidate.startswith("//") or "\\" in candidate or any(ord(c) < 0x20 or ord(c) == 0x7F for c in candidate):
        return None
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return None
    return candidate
