"""HTTP endpoints of the token side: token, introspection, revocation, userinfo (all under /oauth2/)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from idp.errors import IdpError, OAuthError
from idp.oidc.endpoints.errors import no_store, render_error
from idp.oidc.endpoints.server import Refused, render_refusal
from idp.oidc.endpoints.userinfo import bearer_value, userinfo_claims

blueprint = Blueprint("oidc", __name__)
blueprint.register_error_handler(IdpError, render_error)
blueprint.register_error_handler(Refused, render_refusal)


@blueprint.after_request
def _cors(response: Response) -> Response:
    """Browser-based clients call these endpoints cross-origin; they authenticate by header or body, never cookies."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _server():
    return current_app.extensions["idp.oauth2"]


def _form_only() -> None:
    if request.mimetype != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "The request body must be application/x-www-form-urlencoded.")


@blueprint.post("/oauth2/token")
def token() -> Response:
    """RFC 6749 3.2: authorization_code, refresh_token, client_credentials; RFC 8628 3.4 device_code; RFC 8693 token exchange."""
    _form_only()
    return no_store(_server().create_token_response())


@blueprint.post("/oauth2/device_authorization")
def device_authorization() -> Response:
    """RFC 8628 3.1."""
    _form_only()
    return no_store(_server().create_endpoint_response("device_authorization"))


@blueprint.post("/oauth2/introspect")
def introspect() -> Response:
    """RFC 7662."""
    _form_only()
    return no_store(_server().create_endpoint_response("introspection"))


@blueprint.post("/oauth2/revoke")
def revoke() -> Response:
    """RFC 7009."""
    _form_only()
    return no_store(_server().create_endpoint_response("revocation"))


@blueprint.route("/oauth2/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    """OIDC Core 5.3, bearer-authenticated."""
    return no_store(jsonify(userinfo_claims(bearer_value())))
