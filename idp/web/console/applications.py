"""`/console/applications`: OAuth clients (register, edit, rotate the secret, delete) and the APIs they may be
given tokens for, with their scopes.

Clients and APIs are this product's own resources, administered until now by `flask --app app idp clients|apis`
only: nothing authorized them over HTTP. The console asks the shared authorizer for this product's actions in
the catalogued `oidc` namespace (`idp/analyzer/catalog/oidc.json`, where `oidc:TokenExchange` already acts on
`arn:aws:oidc::<account>:audience/<API identifier>`): `oidc:ListClients`, `oidc:CreateClient` on
`arn:aws:oidc::<account>:client/*`; `oidc:GetClient`, `oidc:UpdateClient`, `oidc:DeleteClient` on
`arn:aws:oidc::<account>:client/<client_id>`; `oidc:ListApis` on `...:audience/*`, `oidc:CreateApi` and
`oidc:DeleteApi` on `...:audience/<identifier>`. The changes are the CLI's services (`idp.oidc.clients`,
`idp.oidc.apis`), with their validation (redirect URIs as the API and CLI check them) and their audit rows
(`oauth:CreateClient`, `oauth:UpdateClient`, `oidc:CreateApi`, ...). A new or rotated secret is shown once, in
the answer to the POST that made it, and never again.
"""
from __future__ import annotations

import json
from contextlib import contextmanager

from flask import request

from idp.errors import NotFound, ValidationError
from idp.oidc import apis, clients
from idp.oidc.errors import InvalidClientMetadata
from idp.web.console import blueprint, fields
from idp.web.console.common import check, console_principal, done, render, require
from idp.web.console.policies import draft_findings

# How the form names each metadata field a refusal mentions (`InvalidClientMetadata.worded`).
LABELS = {
    "client_name": "Name", "redirect_uris": "Redirect URIs", "grant_types": "Grant types", "scope": "Scopes",
    "token_exchange_policy": "Token-exchange policy", "token_endpoint_auth_method": "Client type",
    "post_logout_redirect_uris": "Post-logout redirect URIs", "jwks": "JWKS", "jwks_uri": "JWKS URI",
}


def client_arn(account_id: str, client_id: str) -> str:
    """The resource a console action on a client is authorized on."""
    return f"arn:aws:oidc::{account_id}:client/{client_id}"


def api_arn(account_id: str, identifier: str) -> str:
    """The resource a console action on an API is authorized on (the one `oidc:TokenExchange` names)."""
    return f"arn:aws:oidc::{account_id}:audience/{identifier}"


@contextmanager
def _worded_for_the_form():
    """A refused metadata field named as the form names it."""
    try:
        yield
    except InvalidClientMetadata as error:
        raise ValidationError(error.worded(LABELS)) from None


def _spec(*, creating: bool) -> clients.ClientSpec:
    """What the register and edit forms say about a client."""
    scopes = fields.text("scopes", max_len=4096).split()
    spec = clients.ClientSpec(
        name=fields.text("name", max_len=256), redirect_uris=fields.lines("redirect_uris", max_items=50),
        grant_types=[g for g in request.form.getlist("grant_types") if g][:10] or None,
        scopes=scopes or None, trusted=request.form.get("trusted") == "on",
        token_exchange_policy=request.form.get("token_exchange_policy", ""),
    )
    if creating:
        spec.public = request.form.get("client_type") == "public"
    return spec


@blueprint.get("/applications")
def applications_list() -> str:
    """The account's OAuth clients and APIs."""
    account_id = console_principal().account_id
    require("oidc:ListClients", client_arn(account_id, "*"))
    apis_refused = check("oidc:ListApis", api_arn(account_id, "*"))
    return render("console/applications.html", title="Applications", clients=clients.listed(account_id),
                  apis=[] if apis_refused else apis.listed(account_id), apis_refused=apis_refused,
                  grant_types=clients.GRANT_TYPES)


@blueprint.post("/applications")
def register_application() -> str:
    """Register a client (`oidc:CreateClient`); its secret is shown in this answer only."""
    account_id = console_principal().account_id
    spec = _spec(creating=True)
    require("oidc:CreateClient", client_arn(account_id, "*"))
    with _worded_for_the_form():
        client, secret = clients.create(spec, account_id)
    return _client_page(client, secret)


def _client(action: str, client_id: str):
    """Authorize `action` on the client, then the client of this account (NotFound for any other)."""
    account_id = console_principal().account_id
    require(action, client_arn(account_id, client_id))
    try:
        client = clients.get(client_id)
    except NotFound:
        client = None
    if client is None or client.account_id != account_id:
        raise NotFound(f"There is no application {client_id} in this account.")
    return client


@blueprint.get("/applications/<client_id>")
def application_page(client_id: str) -> str:
    """One client's registration and the forms that change it (never its secret)."""
    return _client_page(_client("oidc:GetClient", client_id), None)


def _client_page(client, secret: str | None) -> str:
    policy = fields.submitted("token_exchange_policy", client.token_exchange_policy or "")
    return render("console/applications_detail.html", title=f"Application {client.name}", client=client,
                  shown=clients.describe(client), secret=secret, grant_types=clients.GRANT_TYPES,
                  token_exchange_policy=policy,
                  findings=draft_findings(policy) if "token_exchange_policy" in request.form else None)


@blueprint.post("/applications/<client_id>")
def update_application(client_id: str):
    """Change the name, redirect URIs, grant types, scopes, trust and token-exchange policy (`oidc:UpdateClient`)."""
    spec = _spec(creating=False)
    client = _client("oidc:UpdateClient", client_id)
    with _worded_for_the_form():
        clients.update(client.client_id, spec)
    return done()


@blueprint.post("/applications/<client_id>/secret")
def rotate_secret(client_id: str) -> str:
    """A new client secret (`oidc:UpdateClient`), shown in this answer only; the old one stops working."""
    client = _client("oidc:UpdateClient", client_id)
    if client.is_public or client.token_endpoint_auth_method not in ("client_secret_basic", "client_secret_post"):
        raise ValidationError("This application authenticates without a client secret.")
    client, secret = clients.update(client.client_id, clients.ClientSpec(), rotate_secret=True)
    return _client_page(client, secret)


@blueprint.post("/applications/<client_id>/delete")
def delete_application(client_id: str):
    """Delete the client, its grants and consents (`oidc:DeleteClient`)."""
    clients.delete(_client("oidc:DeleteClient", client_id).client_id)
    return done("console.applications_list")


@blueprint.post("/applications/apis")
def create_api():
    """Register an API with its scopes (`oidc:CreateApi`); each scope's policy is validated as the CLI does."""
    account_id = console_principal().account_id
    identifier = fields.text("identifier", max_len=apis.MAX_IDENTIFIER + 1)
    spec = apis.ApiSpec(identifier, fields.text("name", max_len=256), _scopes())
    require("oidc:CreateApi", api_arn(account_id, identifier))
    apis.create(spec, account_id)
    return done()


def _scopes() -> dict[str, str]:
    """The scopes field: a JSON object of scope name to policy document."""
    try:
        scopes = json.loads(request.form.get("scopes", "") or "{}")
    except ValueError as error:
        raise ValidationError(f"Scopes must be a JSON object of scope name to policy document: {error}") from None
    if not isinstance(scopes, dict):
        raise ValidationError("Scopes must be a JSON object of scope name to policy document.")
    return {str(name): json.dumps(document) if not isinstance(document, str) else document
            for name, document in scopes.items()}


@blueprint.post("/applications/apis/remove")
def delete_api():
    """Remove an API (`oidc:DeleteApi`); tokens already issued for it stop being accepted."""
    account_id = console_principal().account_id
    identifier = fields.text("identifier", max_len=apis.MAX_IDENTIFIER + 1)
    require("oidc:DeleteApi", api_arn(account_id, identifier))
    api = apis.find(identifier)
    if api is None or api.account_id != account_id:
        raise NotFound(f"There is no API {identifier} in this account.")
    apis.delete(api.identifier)
    return done()
