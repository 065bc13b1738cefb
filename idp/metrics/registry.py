"""The metrics this service exposes, and the exposition of all of them, for one process or every gunicorn worker.

prometheus-client chooses where values live when it is imported: with
`PROMETHEUS_MULTIPROC_DIR` set (as `make run` sets it for gunicorn), each
process writes its values to memory-mapped files in that directory and a
scrape adds up the files of every worker, dead ones included for counters and
histograms (`gunicorn.conf.py` drops a dead worker's gauges); without it the
values live in this process. Every label below takes values from a closed set
(the app's own endpoint names, the IAM actions it serves, a handful of
outcomes), never from a raw path or a caller's input.
"""
from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client import multiprocess

from idp.errors import ConfigError

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Read once, as prometheus-client itself read it when it was imported (just above): the two must agree.
MULTIPROCESS_DIR = os.environ.get(MULTIPROCESS_DIR_VARIABLE, os.environ.get("prometheus_multiproc_dir"))
if MULTIPROCESS_DIR is not None and not os.path.isdir(MULTIPROCESS_DIR):
    # Unlabelled metrics write their file as they are defined below: say what is wrong, not FileNotFoundError.
    raise ConfigError(f"{MULTIPROCESS_DIR_VARIABLE} must name an existing directory, got {MULTIPROCESS_DIR!r}")
# A signed IAM call takes about a millisecond, a password sign-in tens: the default buckets start too high.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# The definitions are registered here only; a multiprocess scrape reads the files instead (see `exposition`).
OWN_REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_DURATION = Histogram(
    "idp_http_request_duration_seconds", "Time to answer an HTTP request, by endpoint family and endpoint "
    "(the Flask endpoint name; the action, as iam:CreateUser, for the AWS Query protocol).",
    ["family", "endpoint"], buckets=LATENCY_BUCKETS, registry=OWN_REGISTRY,
)
REQUESTS = Counter(
    "idp_http_requests", "HTTP requests answered, by endpoint family, endpoint and status code.",
    ["family", "endpoint", "status"], registry=OWN_REGISTRY,
)
DECISIONS = Counter(
    "idp_authz_decisions", "Decisions of the shared authorizer, by effect and by the kind of policy that decided "
    "(identity, resource, boundary, session, guardrail; root for the root user; protected for AWS's own roles).",
    ["effect", "policy_type"], registry=OWN_REGISTRY,
)
TOKENS_ISSUED = Counter(
    "idp_tokens_issued", "Token responses of the OAuth 2.0 token endpoint (each a new access token), by grant type.",
    ["grant_type"], registry=OWN_REGISTRY,
)
SIGNINS = Counter(
    "idp_signins", "Password sign-ins by result: success (the password was right), bad_password, throttled, "
    "mfa_failed (the second factor was refused on the sign-in page).",
    ["result"], registry=OWN_REGISTRY,
)
MFA_FAILURES = Counter(
    "idp_mfa_failures", "Second factors refused, by surface (login, reauth, sts:GetSessionToken, ...) and reason.",
    ["surface", "reason"], registry=OWN_REGISTRY,
)
JWKS_LOOKUPS = Counter(
    "idp_jwks_cache_lookups", "Key lookups for external issuers' tokens: hit (cached) or miss (fetched upstream).",
    ["result"], registry=OWN_REGISTRY,
)
JWKS_FETCH_ERRORS = Counter(
    "idp_jwks_fetch_errors", "Failed fetches of an external issuer's discovery document or JWKS.",
    registry=OWN_REGISTRY,
)
# livesum: the connections checked out now, over the workers alive now.
POOL_CHECKED_OUT = Gauge(
    "idp_db_pool_checked_out", "Database connections checked out of the SQLAlchemy pool now.",
    multiprocess_mode="livesum", registry=OWN_REGISTRY,
)
POOL_OPEN = Gauge(
    "idp_db_pool_connections", "Database connections the SQLAlchemy pool holds open now (checked out or idle).",
    multiprocess_mode="livesum", registry=OWN_REGISTRY,
)

SIGNIN_RESULTS = ("success", "bad_password", "throttled", "mfa_failed")
JWKS_RESULTS = ("hit", "miss")

if MULTIPROCESS_DIR is None:
    # Process CPU and memory (a multiprocess scrape cannot see the other workers' processes, so only here).
    ProcessCollector(registry=OWN_REGISTRY)


def zero_series() -> None:
    """Create the outcome series at zero, so that alert expressions have a series to rate() before the first event.

    Not at import: in multiprocess mode this writes to the shared directory, which must exist first.
    """
    for result in SIGNIN_RESULTS:
        SIGNINS.labels(result)
    for result in JWKS_RESULTS:
        JWKS_LOOKUPS.labels(result)


def exposition() -> tuple[bytes, str]:
    """Every metric in the Prometheus text format, and its content type."""
    if MULTIPROCESS_DIR is None:
        return generate_latest(OWN_REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=MULTIPROCESS_DIR)
    return generate_latest(registry), CONTENT_TYPE_LATEST
