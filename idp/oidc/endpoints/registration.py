"""RFC 7591 `POST /oauth2/register` and RFC 7592 `GET|PUT|DELETE /oauth2/register/<client_id>` (JSON, bearer tokens)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from idp.errors import IdpError, NotFound, OAuthError
from idp.oidc import registration
from idp.oidc.errors import render_error
from models import db

blueprint = Blueprint("oidc_registration", __name__)


@blueprint.errorhandler(IdpError)
def _render(error: IdpError) -> Response:
    db.session.rollback()
    return render_error(error)


@blueprint.before_request
def _enabled() -> None:
    if not current_app.config["IDP_SETTINGS"].dynamic_registration:
        raise NotFound("Dynamic client registration is off (IDP_DYNAMIC_REGISTRATION).")


@blueprint.post("/oauth2/register")
def register() -> Response:
    """RFC 7591 3.1, behind an initial access token."""
    account_id = registration.account_of_initial_token(_bearer())
    return _json(registration.register(account_id, _body()), 201)


@blueprint.get("/oauth2/register/<client_id>")
def read(client_id: str) -> Response:
    """RFC 7592 2.1."""
    return _json(registration.describe(registration.managed(client_id, _bearer())), 200)


@blueprint.put("/oauth2/register/<client_id>")
def replace(client_id: str) -> Response:
    """RFC 7592 2.2."""
    row = registration.managed(client_id, _bearer())
    return _json(registration.replace(row, _body()), 200)


@blueprint.delete("/oauth2/register/<client_id>")
def delete(client_id: str) -> Response:
    """RFC 7592 2.3."""
    registration.remove(registration.managed(client_id, _bearer()))
    return Response(status=204, headers={"Cache-Control": "no-store"})


def _bearer() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _body() -> dict:
    if request.mimetype != "application/json":
        raise OAuthError("invalid_client_metadata", "The body must be application/json.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise OAuthError("invalid_client_metadata", "The body must be a JSON object.")
    return body


def _json(body: dict, status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
