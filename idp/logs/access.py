"""One access-log line per request, written when the request is torn down.

It replaces gunicorn's access log: the same line carries the AWS request id,
the caller, the action and the authorizer's decision, and never the query
string (presigned URLs and callbacks carry credentials there).
"""
from __future__ import annotations

import time

import structlog
from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from idp.logs.context import bind
from idp.logs.rendering import ensure_configured

access_log = structlog.stdlib.get_logger("idp.access")


def init_app(app: Flask) -> None:
    """Time every request, note its status, log one line at teardown."""
    # First before-request (the clock starts before the bootstrap or CSRF hooks) and last after-request
    # (the status is the one the client gets, after every other hook rewrote the response).
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _note_status)
    app.teardown_request(_log_request)


def _start() -> None:
    ensure_configured()
    g.log_started = time.perf_counter()


def _note_status(response: Response) -> Response:
    g.log_status = response.status_code
    return response


def _log_request(error: BaseException | None) -> None:
    started = g.get("log_started")
    if started is None:
        return  # the request never reached the hooks (a routing-level failure logs itself)
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    ensure_configured()  # this request may have run the migrations (bootstrap), which reset `logging`
    if not (g.get("log_fields") or {}).get("action"):
        bind(action=_default_action())
    status = g.get("log_status", 500)
    method = access_log.error if status >= 500 or error is not None else access_log.info
    method("request", method=request.method, path=request.path, status=status, latency_ms=latency_ms,
           source_ip=request.remote_addr)


def _default_action() -> str:
    """Without an authorizer decision: the Query action as sent (`aws:GetCallerIdentity`), else the endpoint
    (`oidc.token`, `health.readyz`)."""
    action = None
    if request.endpoint == "aws.query":
        try:
            action = request.values.get("Action")
        except HTTPException:  # a body too large to parse: the endpoint name will do
            action = None
    return f"aws:{str(action)[:64]}" if action else (request.endpoint or "unrouted")
