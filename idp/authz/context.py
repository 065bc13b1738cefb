"""The global condition keys a request carries (aws:SourceIp, aws:CurrentTime, ...)."""
from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request

from idp import clock
from idp.authz.principals import Caller

# (second, UTC offset) -> (aws:CurrentTime, aws:EpochTime) of the last second seen: many requests share one
# second and strftime is a tenth of a warm decision. A tuple is swapped atomically, so threads need no lock.
_last_second: tuple[tuple[int, object], tuple[str, str]] = ((-1, None), ("", ""))


def _time_keys(now: datetime) -> tuple[str, str]:
    global _last_second
    second = (int(now.timestamp()), now.utcoffset())
    seen, texts = _last_second
    if seen != second:
        texts = (now.strftime("%Y-%m-%dT%H:%M:%SZ"), str(second[0]))
        _last_second = (second, texts)
    return texts


def global_keys(caller: Caller) -> dict[str, object]:
    """The aws:* keys AWS fills in for every request of this caller."""
    current_time, epoch_time = _time_keys(clock.now())
    keys: dict[str, object] = {
        "aws:CurrentTime": current_time,
        "aws:EpochTime": epoch_time,
        "aws:RequestedRegion": caller.region,
    }
    if has_request_context():
        keys["aws:SourceIp"] = request.remote_addr or ""
        keys["aws:SecureTransport"] = request.is_secure
        if request.user_agent.string:
            keys["aws:UserAgent"] = request.user_agent.string
    return keys
