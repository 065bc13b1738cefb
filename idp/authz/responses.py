"""The `/authorize` protocol's JSON errors, in one place: `POST /authorize` and the decorators answer with them.

`{"error": <code>, "message": <text>}` (and AWS's `encoded_message` on a
denial); a 401 names both schemes a caller may authenticate with.
"""
from __future__ import annotations

from flask import Response, jsonify

from idp.authz.resource_server import AuthorizationResult

WWW_AUTHENTICATE = 'AWS4-HMAC-SHA256, Bearer error="invalid_token"'


def error_response(status: int, code: str, message: str, **extra: str) -> Response:
    """A JSON error in the shape `POST /authorize` uses (`extra` members after the message)."""
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response


def denied(result: AuthorizationResult) -> Response:
    """403 with the authorizer's reason."""
    extra = {"encoded_message": result.encoded_message} if result.encoded_message else {}
    return error_response(403, "AccessDenied", result.reason, **extra)
