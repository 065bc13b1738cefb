"""Errors of the browser protocol, rendered once: HTML pages for every browser-facing view, and the JSON body of
the endpoints a page calls with fetch() (the passkey ceremonies)."""
from __future__ import annotations

from flask import Response, g, jsonify, render_template

from idp.errors import IdpError, TooManyRequests

TITLES = {
    400: "Bad request", 401: "Sign-in required", 403: "Forbidden", 404: "Not found", 409: "Conflict",
    429: "Too many attempts",
}


def render_error(error: IdpError) -> Response:
    """A page that says what went wrong, without internals, with the request id."""
    title = TITLES.get(error.status, "Something went wrong")
    message = error.message if error.sender_fault else "The server could not complete the request."
    html = render_template("error.html", title=title, message=message, request_id=g.get("request_id", ""))
    response = Response(html, status=error.status, mimetype="text/html")
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def render_json_error(error: IdpError, **members: object) -> Response:
    """`{"error", "error_description", **members}` at the error's status, never cached.

    The words are the OAuth ones (`error.oauth_error`), which the pages' scripts read.
    """
    body: dict[str, object] = {"error": error.oauth_error}
    if error.message:
        body["error_description"] = error.message
    body.update(members)
    response = jsonify(body)
    response.status_code = error.status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
