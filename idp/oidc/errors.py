"""OAuth 2.0 JSON error bodies (RFC 6749 section 5.2), rendered once for every OIDC endpoint."""
from __future__ import annotations

from flask import Response, jsonify

from idp.errors import IdpError


def render_error(error: IdpError) -> Response:
    """`{"error", "error_description"}` with no-store and, on 401, `WWW-Authenticate`."""
    body = {"error": error.oauth_error}
    if error.message:
        body["error_description"] = error.message
    response = jsonify(body)
    response.status_code = error.status
    response.headers["Cache-Control"] = "no-store"
    if error.status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer error="{error.oauth_error}"'
    return response
