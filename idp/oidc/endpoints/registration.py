"""RFC 7591 `POST /oauth2/register` and RFC 7592 `GET|PUT|DELETE /oauth2/register/<client_id>` (JSON, bearer tokens)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from idp.errors import IdpError, NotFound, OAuthError
from idp.oidc import registration
from idp.oidc.endpoints.errors import json_answer, render_error

blueprint = Blueprint("oidc_registration", __name__)
blueprint.register_error_handler(IdpError, render_error)


@blueprint.before_request
def _enabled() -> None:
    if not current_app.config["IDP_SETTINGS"].dynamic_registration:
        raise NotFound("Dynamic client registration is off (IDP_DYNAMIC_REGISTRATION).")


@blueprint.post("/oauth2/register")
def register() -> Response:
    """RFC 7591 3.1, behind an initial access token."""
    account_id = registration.account_of_initial_token(_bearer())
    return json_answer(registration.register(account_id, _body()), 201)


@blueprint.get("/oauth2/register/<client_id>")
def read(client_id: str) -> Response:
    """RFC 7592 2.1."""
    return json_answer(registration.describe(registration.managed(client_id, _bearer())))


@blueprint.put("/oauth2/register/<client_id>")
def replace(client_id: str) -> Response:
    """RFC 7592 2.2."""
    row = registration.managed(client_id, _bearer())
    return json_answer(registration.replace(row, _body()))


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
