"""Request latency and counts per endpoint family, and token responses by grant type.

A WSGI middleware outside everything else (the well-known documents answered
in front of Flask included) times each request from the moment the server
hands it over to the moment the app returns its response; a first
before-request hook leaves the Flask endpoint name in the WSGI environ, and the
AWS dispatcher may replace it with the action (`recording.name_operation`).
Labels are endpoint names of this app (and the actions it serves): a bounded
set, never a raw path.
"""
from __future__ import annotations

from time import perf_counter

from flask import Flask, Response, request

from idp.metrics.recording import OPERATION_KEY, labelled, record_token_issued
from idp.metrics.registry import REQUEST_DURATION, REQUESTS

ENDPOINT_KEY = "idp.metrics.endpoint"
# Blueprint -> endpoint family. An unknown blueprint counts as "other" until it is named here.
FAMILIES = {
    "aws": "aws", "access_analyzer": "aws",
    "oidc": "oidc", "discovery": "oidc", "oidc_registration": "oidc", "oidc_logout": "oidc",
    "web": "page", "mfa": "page", "federation": "page", "oidc_pages": "page", "oidc_device": "page",
    "analyzer_pages": "page", "console": "page", "static": "static",
    "authorize": "authorize", "health": "health", "metrics": "metrics",
}
TOKEN_ENDPOINT = "oidc.token"
# The discovery and JWKS documents are answered by a middleware in front of Flask (no endpoint name).
WELL_KNOWN_PREFIX = "/.well-known/"


class RequestTimer:
    """WSGI middleware: `app.wsgi_app = RequestTimer(app.wsgi_app)`."""

    def __init__(self, wrapped):
        self.wrapped = wrapped

    def __call__(self, environ, start_response):
        started = perf_counter()
        status = ["500"]

        def capture(status_line, headers, exc_info=None):
            status[0] = status_line[:3]
            return start_response(status_line, headers, exc_info)

        try:
            # Flask buffers its responses, so returning the iterable is the end of the work (streams aside).
            return self.wrapped(environ, capture)
        finally:
            family, endpoint = labels_of(environ)
            labelled(REQUEST_DURATION, family, endpoint).observe(perf_counter() - started)
            labelled(REQUESTS, family, endpoint, status[0]).inc()


def labels_of(environ: dict) -> tuple[str, str]:
    """(family, endpoint) of a finished request."""
    endpoint = environ.get(ENDPOINT_KEY)
    if endpoint is None:
        if environ.get("PATH_INFO", "").startswith(WELL_KNOWN_PREFIX):
            return "oidc", "well_known"
        return "unmatched", "unmatched"
    family = FAMILIES.get(endpoint.partition(".")[0], "other")
    return family, environ.get(OPERATION_KEY) or endpoint


def _name_endpoint() -> None:
    request.environ[ENDPOINT_KEY] = request.endpoint


def _count_tokens(response: Response) -> Response:
    if response.status_code == 200 and request.endpoint == TOKEN_ENDPOINT:
        record_token_issued(request.form.get("grant_type"))
    return response


def instrument(app: Flask) -> None:
    """Time every request of `app` and count its token responses (call after every other middleware)."""
    app.wsgi_app = RequestTimer(app.wsgi_app)
    # First of all hooks: a hook before it may answer the request (the input guard refuses a NUL).
    app.before_request_funcs.setdefault(None, []).insert(0, _name_endpoint)
    app.after_request(_count_tokens)
