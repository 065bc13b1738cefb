"""`GET /metrics`: the Prometheus exposition, for the bearer of `IDP_METRICS_TOKEN` only.

Without the setting the route does not exist (404) and nothing is recorded:
metrics are never open to the public by accident. A missing or wrong token is
401 with `WWW-Authenticate: Bearer` (RFC 6750 3), the token compared in
constant time.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Flask, Response, current_app, request

from idp import metrics
from idp.errors import AuthenticationError

blueprint = Blueprint("metrics", __name__)
REALM = 'Bearer realm="metrics"'


class MetricsTokenRefused(AuthenticationError):
    """No bearer token, or not the metrics token."""

    status = 401

    def __init__(self, message: str, *, presented: bool):
        super().__init__(message)
        self.presented = presented


def init_app(app: Flask) -> None:
    """Serve `/metrics` and record metrics when `IDP_METRICS_TOKEN` is set; otherwise leave both off."""
    if app.config["IDP_SETTINGS"].metrics_token:
        app.register_blueprint(blueprint)
        metrics.install(app)


@blueprint.get("/metrics")
def scrape() -> Response:
    """Every metric of every worker, in the Prometheus text format."""
    _require_token(current_app.config["IDP_SETTINGS"].metrics_token)
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def _require_token(expected: str) -> None:
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise MetricsTokenRefused("The metrics endpoint needs the bearer token of IDP_METRICS_TOKEN.", presented=False)
    # Digests of equal length, so the comparison's time says nothing about the token, its length included.
    if not hmac.compare_digest(hashlib.sha256(presented.strip().encode()).digest(),
                               hashlib.sha256(expected.encode()).digest()):
        raise MetricsTokenRefused("The bearer token is not the metrics token.", presented=True)


@blueprint.errorhandler(MetricsTokenRefused)
def _refused(error: MetricsTokenRefused) -> Response:
    challenge = f'{REALM}, error="invalid_token"' if error.presented else REALM
    return Response(error.message + "\n", status=error.status, content_type="text/plain; charset=utf-8",
                    headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"})
