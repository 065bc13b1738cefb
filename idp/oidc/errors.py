"""OAuth 2.0 JSON error bodies (RFC 6749 section 5.2), rendered once for every OIDC endpoint."""
from __future__ import annotations

import re

from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Response, jsonify

from idp.errors import IdpError


def render_error(error: IdpError, *, scheme: str = "Bearer") -> Response:
    """`{"error", "error_description"}` with no-store and, on 401, `WWW-Authenticate` of `scheme`."""
    body = {"error": error.oauth_error}
    if error.message:
        body["error_description"] = error.message
    response = jsonify(body)
    response.status_code = error.status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    if error.status == 401:
        response.headers["WWW-Authenticate"] = f'{scheme} error="{error.oauth_error}"'
    return response


# RFC 6749 4.1.2.1 / 5.2: error_description holds only %x20-21 / %x23-5B / %x5D-7E.
_NOT_DESCRIBABLE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def described(value: object, limit: int = 200) -> str:
    """A request value as it may be quoted in an `error_description`: other characters as `?`, at most `limit`.

    Authlib refuses to build an error whose description holds anything else
    (and fails the request with a server error instead); every description
    that quotes what a client sent goes through here.
    """
    text = str(value)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return _NOT_DESCRIBABLE.sub("?", text)


class InvalidTargetError(OAuth2Error):
    """RFC 8707 2 / RFC 8693 2.2.2: a `resource` or `audience` no token will be issued for."""

    error = "invalid_target"
