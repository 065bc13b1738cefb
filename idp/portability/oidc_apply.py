"""Bringing OAuth clients, registered APIs and upstream providers to what an import file says, through their
services (`idp.oidc.clients`, `idp.oidc.apis`, `idp.federation.registry`), whose validation applies as is.

Secrets are never in the file: a confidential client created by an import gets a new secret, reported once;
an upstream that authenticates with a secret takes it from the operator's secrets file, or keeps the one
it has.
"""
from __future__ import annotations

from typing import Mapping

from idp.errors import Conflict, NotFound, ValidationError
from idp.federation import registry
from idp.iam import oidc_providers
from idp.oidc import apis, clients
from idp.portability.document import policy_text
from idp.portability.plan import Change

SECRET_METHODS = ("client_secret_basic", "client_secret_post")


def _client_spec(wanted: dict) -> clients.ClientSpec:
    exchange = wanted["token_exchange_policy"]
    return clients.ClientSpec(
        name=wanted["name"], redirect_uris=wanted["redirect_uris"], public=wanted["public"],
        auth_method=wanted["token_endpoint_auth_method"], jwks_uri=wanted["jwks_uri"], jwks=wanted["jwks"],
        grant_types=wanted["grant_types"], scopes=wanted["scopes"], trusted=wanted["trusted"],
        id_token_alg=wanted["id_token_signed_response_alg"],
        post_logout_redirect_uris=wanted["post_logout_redirect_uris"],
        backchannel_logout_uri=wanted["backchannel_logout_uri"],
        token_exchange_policy=policy_text(exchange) if exchange is not None else None,
        admitted_accounts=wanted["admitted_accounts"] or [],
    )


def client(account_id: str, change: Change) -> list[str]:
    """Create or update a client under its exported id; a new confidential client's secret is reported once."""
    spec = _client_spec(change.wanted)
    if change.action == "update":
        found, secret = clients.update(change.name, spec)
    else:
        if clients.find(change.name) is not None or _exists(change.name):
            raise Conflict(f"client id {change.name} is taken by another account")
        found, secret = clients.create(spec, account_id)
        # The service draws a fresh id; an imported client keeps its own (relying parties are configured with
        # it), in the own IAM provider's client-id list too.
        _own_provider_ids(account_id, remove=found.client_id, add=change.name)
        found.client_id = change.name
    if secret is None:
        return []
    return [f"client {change.name}: new client secret {secret} (shown once; the export holds no secret)"]


def _exists(client_id: str) -> bool:
    try:
        clients.get(client_id)
    except NotFound:
        return False
    return True


def _own_provider_ids(account_id: str, *, remove: str, add: str) -> None:
    for provider in oidc_providers.listed(account_id):
        if remove in provider.client_ids:
            oidc_providers.remove_client_id(provider, remove)
            oidc_providers.add_client_id(provider, add)


def api(account_id: str, change: Change) -> None:
    """Register an API; an update registers it anew (the service has no update), in the same unit of work."""
    wanted = change.wanted
    if change.action == "update":
        apis.delete(change.name)
    scopes = {name: policy_text(document) for name, document in wanted["scopes"].items()}
    apis.create(apis.ApiSpec(wanted["identifier"], wanted["name"], scopes), account_id)


def upstream(account_id: str, change: Change, secrets: Mapping[str, str]) -> None:
    """Add or update an upstream; its client secret comes from `secrets`, else stays what it was."""
    wanted = dict(change.wanted)
    found = registry.find(change.name)
    if found is not None and found.account_id != account_id:
        raise Conflict(f"upstream {change.name} belongs to another account")
    settings = wanted.pop("settings", None) or {}
    if wanted.get("type", "oidc") != "oidc":
        wanted = _typed_upstream(wanted, settings, found, secrets)
    elif wanted["token_endpoint_auth_method"] in SECRET_METHODS:
        secret = secrets.get(change.name) or (registry.client_secret(found) if found is not None else None)
        if secret is None:
            raise ValidationError(f"upstream {change.name} needs its client secret, which no export holds: "
                                  "give it with --upstream-secrets FILE")
        wanted["client_secret"] = secret
    wanted["account"] = account_id
    (registry.update if found is not None else registry.add)(wanted, account_id)


def _typed_upstream(wanted: dict, settings: dict, found, secrets: Mapping[str, str]) -> dict:
    """A SAML or LDAP upstream's file: the shared keys and its settings; the LDAP bind password from `secrets`,
    else the one it has."""
    document = {**{key: wanted[key] for key in registry.SHARED_KEYS if key in wanted}, **settings}
    field = registry.SECRETS.get(wanted["type"])
    if field is None:
        return document
    same_type = found is not None and found.type == wanted["type"]
    secret = secrets.get(wanted["name"]) or (registry.client_secret(found) if same_type else None)
    if secret is not None:
        document[field] = secret
    elif settings.get("bind_dn"):
        raise ValidationError(f"upstream {wanted['name']} needs its {field}, which no export holds: "
                              "give it with --upstream-secrets FILE")
    return document


def delete(change: Change) -> None:
    """Delete a client, API or upstream the file no longer holds."""
    {"client": clients.delete, "api": apis.delete, "upstream": registry.remove}[change.section.word](change.name)
