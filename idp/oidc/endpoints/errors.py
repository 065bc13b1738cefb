"""OAuth 2.0 JSON error bodies (RFC 6749 section 5.2), rendered once for every OIDC endpoint."""
from __future__ import annotations

from flask import Response, jsonify

from idp.errors import IdpError


def render_error(error: IdpError, *, scheme: str = "Bearer") -> Response:
    """`{"error", "error_description"}` with no-store and, on 401, `WWW-Authenticate` of `scheme`."""
    body = {"error": error.oauth_error}
    if error.message:
        body["error_description"] = error.message
    response = json_answer(body, error.status)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = f'{scheme} error="{error.oauth_error}"'
    return response


def json_answer(body: dict, status: int = 200) -> Response:
    """A JSON answer that no cache keeps (RFC 6749 5.1: tokens, credentials and errors alike)."""
    response = jsonify(body)
    response.status_code = status
    return no_store(response)


def no_store(response: Response) -> Response:
    """`response` with `Cache-Control: no-store` and `Pragma: no-cache`."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
