"""Prometheus metrics: definitions (`registry`), the recording functions other layers call (`recording`),
request timing (`timing`) and database pool use (`pool`). `GET /metrics` is `idp.endpoints.metrics`."""
from __future__ import annotations

from flask import Flask

from idp.metrics.recording import (
    disable,
    enable,
    enabled,
    name_operation,
    record_decision,
    record_jwks_fetch_error,
    record_jwks_lookup,
    record_mfa_failure,
    record_signin,
    record_token_issued,
)
from idp.metrics.registry import exposition
from idp.metrics.timing import instrument

__all__ = [
    "disable", "enable", "enabled", "exposition", "install", "name_operation", "record_decision",
    "record_jwks_fetch_error", "record_jwks_lookup", "record_mfa_failure", "record_signin", "record_token_issued",
]


def install(app: Flask) -> None:
    """Record metrics in this process and time `app`'s requests (the app serves `/metrics`)."""
    enable()
    instrument(app)
