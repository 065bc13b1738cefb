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


def time_keys() -> dict[str, object]:
    """`aws:CurrentTime` and `aws:EpochTime` of now."""
    current_time, epoch_time = _time_keys(clock.now())
    return {"aws:CurrentTime": current_time, "aws:EpochTime": epoch_time}


def connection_keys() -> dict[str, object]:
    """Who connected, and how: `aws:SourceIp`, `aws:SecureTransport`, `aws:UserAgent` (none outside a request)."""
    if not has_request_context():
        return {}
    keys: dict[str, object] = {"aws:SourceIp": request.remote_addr or "", "aws:SecureTransport": request.is_secure}
    if request.user_agent.string:
        keys["aws:UserAgent"] = request.user_agent.string
    return keys


def request_condition_keys(region: str | None = None) -> dict[str, object]:
    """The aws:* keys AWS fills in for every request: the time, the region it addressed (when signed for one)
    and the connection. The one place these keys are built."""
    keys = time_keys()
    if region is not None:
        keys["aws:RequestedRegion"] = region
    keys.update(connection_keys())
    return keys


def global_keys(caller: Caller) -> dict[str, object]:
    """The aws:* keys AWS fills in for every request of this caller."""
    return request_condition_keys(caller.region)
