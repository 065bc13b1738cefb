"""The global condition keys a request carries (aws:SourceIp, aws:CurrentTime, ...)."""
from __future__ import annotations

from flask import has_request_context, request

from idp import clock
from idp.authz.principals import Caller


def global_keys(caller: Caller) -> dict[str, object]:
    """The aws:* keys AWS fills in for every request of this caller."""
    now = clock.now()
    keys: dict[str, object] = {
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:RequestedRegion": caller.region,
    }
    if has_request_context():
        keys["aws:SourceIp"] = request.remote_addr or ""
        keys["aws:SecureTransport"] = request.is_secure
        if request.user_agent.string:
            keys["aws:UserAgent"] = request.user_agent.string
    return keys
