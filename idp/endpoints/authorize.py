"""`POST /authorize`: the shared authorizer over HTTP, for resource servers in any language.

Any resource server may call it: the request being authorized carries its own
proof (a SigV4 signature or a bearer JWT), so the answer tells the caller
nothing it could not learn by presenting the credentials itself. A bearer
`token` comes with `audience`, the identifier of the registered API asking:
a token without it, or whose `aud` lacks it, does not authenticate (401). Nothing is
rate-limited yet; a deployment exposing this endpoint publicly should put a
limit in front of it.
"""
from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request

from idp.authz.resource_server import authorize_request
from idp.authz.responses import error_response
from idp.authz.sigv4 import SignedRequest
from idp.errors import AuthenticationError, IdpError, ValidationError

blueprint = Blueprint("authorize", __name__)

MAX_HEADERS = 100


@blueprint.errorhandler(IdpError)
def _render(error: IdpError) -> Response:
    # The unit of work has already rolled the request back and written its noted refusals and decisions.
    # Credentials that do not authenticate are 401 whatever AWS status their code carries.
    status = 401 if isinstance(error, AuthenticationError) else error.status
    return error_response(status, error.code, error.message)


@blueprint.post("/authorize")
def authorize() -> Response:
    """Decide `action` on `resource` for the forwarded signed request or bearer token."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object")
    forwarded, token = body.get("request"), body.get("token")
    if (forwarded is None) == (token is None):
        raise ValidationError("exactly one of 'request' and 'token' is required")
    if token is not None and (not isinstance(token, str) or not token):
        raise ValidationError("'token' must be a non-empty string")
    audience = body.get("audience")
    if audience is not None and (token is None or not isinstance(audience, str)):
        raise ValidationError("'audience' is the registered API's identifier (a string), given with 'token'")
    result = authorize_request(
        body.get("action"), body.get("resource"),
        signed=None if forwarded is None else signed_request_of(forwarded),
        token=token, context=body.get("context"), resource_policy=_policy(body.get("resource_policy")),
        audience=audience,
    )
    return jsonify(result.as_json())  # committed, with the decision's audit row, by the request's unit of work


def _policy(value: object) -> str | dict | None:
    if value is None or isinstance(value, (str, dict)):
        return value
    raise ValidationError("'resource_policy' must be a JSON policy (an object or its text)")


def signed_request_of(forwarded: object) -> SignedRequest:
    """The `request` member -> the request as the resource server received it."""
    if not isinstance(forwarded, dict):
        raise ValidationError("'request' must be an object with method, url, headers and body")
    method, url, headers = forwarded.get("method"), forwarded.get("url"), forwarded.get("headers")
    if not isinstance(method, str) or not method.isalpha():
        raise ValidationError("'request.method' must be an HTTP method")
    if not isinstance(url, str) or not url:
        raise ValidationError("'request.url' must be the URL the resource server received")
    parts = urlsplit(url)
    pairs = _header_pairs(headers)
    body = _body(forwarded.get("body"))
    return SignedRequest.from_parts(method.upper(), parts.path or "/", parts.query, pairs, body)


def _header_pairs(headers: object) -> list[tuple[str, str]]:
    if isinstance(headers, dict):
        items = list(headers.items())
    elif isinstance(headers, list) and all(isinstance(pair, list) and len(pair) == 2 for pair in headers):
        items = [tuple(pair) for pair in headers]
    else:
        raise ValidationError("'request.headers' must be an object or a list of [name, value] pairs")
    if len(items) > MAX_HEADERS or not all(isinstance(n, str) and isinstance(v, str) for n, v in items):
        raise ValidationError(f"'request.headers' must hold at most {MAX_HEADERS} string names and values")
    return items


def _body(value: object) -> bytes:
    """The forwarded body; omitted is the empty body (a GET has none to send), as the contract says.

    Never "not available": the signature's payload hash, declared in x-amz-content-sha256 or not,
    is always checked against these bytes, unless the client signed UNSIGNED-PAYLOAD.
    """
    if value is None:
        return b""
    if not isinstance(value, str):
        raise ValidationError("'request.body' must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("'request.body' is not valid base64") from None
