"""The recording functions other layers call, one line at the place where the event happens.

They do nothing until `enable()` (an app with `IDP_METRICS_TOKEN` set calls
it), so a deployment without metrics pays one boolean test per event. Every
label value is chosen from a closed set here: a caller's input never becomes
a label.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import has_request_context, request

from idp.metrics import pool, registry
from idp.metrics.registry import DECISIONS, JWKS_FETCH_ERRORS, JWKS_LOOKUPS, MFA_FAILURES, SIGNINS, TOKENS_ISSUED

if TYPE_CHECKING:
    from idp.policy import Decision

# Where the AWS dispatcher leaves the action (`iam:CreateUser`) for the request timer (`idp.metrics.timing`).
OPERATION_KEY = "idp.metrics.operation"
GRANT_TYPES = {
    "authorization_code": "authorization_code",
    "refresh_token": "refresh_token",
    "client_credentials": "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code": "device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange": "token_exchange",
}
# Surfaces are literals of our code ("login", "sts:GetSessionToken"); the shape check only keeps a future
# caller from turning input into a label by mistake.
SURFACE = re.compile(r"^[a-z][a-z-]{0,19}(:[A-Za-z][A-Za-z-]{0,39})?$")
MFA_REASONS = frozenset({"invalid", "throttled", "no_device"})
OPERATION = re.compile(r"^[a-z][a-z0-9-]{1,19}:[A-Z][A-Za-z0-9]{1,63}$")

_enabled = False
_children: dict[tuple, object] = {}


def enable() -> None:
    """Start recording in this process (idempotent): the outcome series at zero, the pool listeners."""
    global _enabled
    if not _enabled:
        registry.zero_series()
        pool.listen()
        _enabled = True


def disable() -> None:
    """Stop recording in this process (what a process without IDP_METRICS_TOKEN does; the overhead bench)."""
    global _enabled
    _enabled = False
    pool.unlisten()


def enabled() -> bool:
    """Whether this process records metrics."""
    return _enabled


def labelled(metric, *labels: str):
    """The child of `metric` for these label values, made once."""
    # prometheus-client's labels() takes a lock and validates on every call; the hot paths reuse the child.
    key = (metric, labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


def deciding_kind(decision: Decision) -> str:
    """The kind of policy that decided: the first identity or resource statement of an Allow, the first deny's
    policy, the policy type without an Allow; `root` for the root user's implicit allow."""
    if decision.protected:
        return "protected"
    statements = decision.statements
    if statements:
        deciding = next((ref for ref in statements if ref.policy_type.name in ("IDENTITY", "RESOURCE")), statements[0])
        return deciding.policy_type.name.lower()
    if decision.missing_allow is not None:
        return decision.missing_allow.name.lower()
    return "root" if decision.allowed else "none"


def record_decision(decision: Decision) -> None:
    """One decision of the shared authorizer."""
    if _enabled:
        labelled(DECISIONS, decision.effect.value, deciding_kind(decision)).inc()


def record_signin(result: str) -> None:
    """One password sign-in: success, bad_password, throttled or mfa_failed."""
    if _enabled:
        labelled(SIGNINS, result if result in registry.SIGNIN_RESULTS else "other").inc()


def record_mfa_failure(surface: str, reason: str) -> None:
    """A second factor refused on `surface`; on the sign-in page it is also a failed sign-in."""
    if not _enabled:
        return
    labelled(MFA_FAILURES, surface if SURFACE.match(surface) else "other",
           reason if reason in MFA_REASONS else "other").inc()
    if surface == "login":
        record_signin("throttled" if reason == "throttled" else "mfa_failed")


def record_token_issued(grant_type: str | None) -> None:
    """A successful token response for `grant_type` (as the client sent it)."""
    if _enabled:
        labelled(TOKENS_ISSUED, GRANT_TYPES.get(grant_type or "", "other")).inc()


def record_jwks_lookup(hit: bool) -> None:
    """An external issuer's key served from the cache (`hit`) or looked up by fetching its JWKS."""
    if _enabled:
        labelled(JWKS_LOOKUPS, "hit" if hit else "miss").inc()


def record_jwks_fetch_error() -> None:
    """An external issuer's discovery document or JWKS could not be fetched or read."""
    if _enabled:
        JWKS_FETCH_ERRORS.inc()


def name_operation(operation: str) -> None:
    """Name the request by the AWS action it runs (`iam:CreateUser`) in its latency and request counts."""
    if _enabled and has_request_context() and OPERATION.match(operation):
        request.environ[OPERATION_KEY] = operation
