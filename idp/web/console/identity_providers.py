"""`/console/identity-providers`: IAM OIDC providers (client ids, thumbprints) and upstream federation (the
document `idp upstreams add` reads, as JSON, with a "test sign-in" button), and each upstream's linked identities.

IAM OIDC providers are the IAM actions the Query API asks for them (`iam:CreateOpenIDConnectProvider`,
`iam:AddClientIDToOpenIDConnectProvider`, ... on the provider's ARN, with its `aws:ResourceTag/*`), then
`idp.iam.oidc_providers`. Upstreams were administered by the CLI only; the console authorizes them as this
product's actions in the `federation` namespace its audit rows already use (`federation:AddUpstream`,
`federation:UpdateUpstream`, `federation:RemoveUpstream`, plus `federation:ListUpstreams`,
`federation:GetUpstream` and `federation:UnlinkIdentity`) on `arn:aws:federation::<account>:upstream/<name>`,
then the registry's services (`idp.federation.registry`, `idp.federation.identities`), which validate the
document and audit the change. An upstream added here signs in to the console's account and no other.
"""
from __future__ import annotations

import functools
import json

from flask import current_app, request

from idp import work
from idp.aws import params
from idp.aws.iam.oidc_providers import ARN_PATTERN
from idp.errors import NotFound, ValidationError
from idp.federation import identities, metadata, registry
from idp.iam import oidc_providers
from idp.iam import tags as tagging
from idp.web.console import blueprint, fields
from idp.web.console.common import check, console_principal, done, render, require

MAX_DOCUMENT = 65536
# What `registry.describe` shows that is not part of an upstream's document.
DERIVED = frozenset({"account", "has_client_secret", "redirect_uri", "sp_metadata_url", "acs_url"})
EXAMPLE_UPSTREAM = json.dumps({
    "name": "corp", "issuer": "https://login.corp.example", "client_id": "idp-console",
    "client_secret": "...", "scopes": ["openid", "email", "groups"],
    "groups": [{"claim": "groups", "match": "exact", "value": "eng", "group": "eng"}]}, indent=2)


def upstream_arn(account_id: str, name: str) -> str:
    """The resource a console action on an upstream is authorized on."""
    return f"arn:aws:federation::{account_id}:upstream/{name}"


@blueprint.get("/identity-providers")
def identity_providers() -> str:
    """The account's IAM OIDC providers and upstream providers."""
    account_id = console_principal().account_id
    providers_refused = check("iam:ListOpenIDConnectProviders", "*")
    providers = [] if providers_refused else [
        (provider, check("iam:GetOpenIDConnectProvider", provider.arn, tagging.resource_keys(provider.tags)))
        for provider in oidc_providers.listed(account_id)]
    upstreams_refused = check("federation:ListUpstreams", upstream_arn(account_id, "*"))
    upstreams = [] if upstreams_refused else [u for u in registry.listed() if u.account_id == account_id]
    document = fields.submitted("document", EXAMPLE_UPSTREAM)
    return render("console/identity_providers.html", title="Identity providers", providers=providers,
                  providers_refused=providers_refused, upstreams=upstreams, upstreams_refused=upstreams_refused,
                  document=document)


def _provider_arn() -> str:
    """`OpenIDConnectProviderArn`, as the Query adapter reads it."""
    value = params.string(fields.form(), "OpenIDConnectProviderArn", required=True, min_len=20, max_len=2048)
    if not ARN_PATTERN.fullmatch(value):
        raise ValidationError(f"ARN {value} is not valid.", code="InvalidInput")
    return value


def _provider_for(action: str, arn: str):
    """Authorize `action` on the provider (with its tags), then the provider or NoSuchEntity."""
    account_id = console_principal().account_id
    provider = oidc_providers.find(account_id, arn)
    require(action, arn, tagging.resource_keys(provider.tags if provider else None))
    return oidc_providers.get(account_id, arn)


def _client_id() -> str:
    return params.string(fields.form(), "ClientID", required=True, min_len=1, max_len=255)


@blueprint.post("/identity-providers/oidc")
def create_oidc_provider():
    """Register an IAM OIDC provider (`iam:CreateOpenIDConnectProvider` on its ARN)."""
    account_id = console_principal().account_id
    url = params.string(fields.form(), "Url", required=True, min_len=1, max_len=255)
    client_ids = fields.member_list("ClientIDList", min_len=1, max_len=255)
    thumbprints = fields.member_list("ThumbprintList", min_len=40, max_len=40)
    require("iam:CreateOpenIDConnectProvider", oidc_providers.provider_arn(account_id, oidc_providers.stored_url(url)))
    oidc_providers.create(account_id, url, client_ids, thumbprints, [])
    return done()


@blueprint.post("/identity-providers/oidc/client-ids")
def add_client_id():
    """Add an audience (`iam:AddClientIDToOpenIDConnectProvider`)."""
    arn, client_id = _provider_arn(), _client_id()
    oidc_providers.add_client_id(_provider_for("iam:AddClientIDToOpenIDConnectProvider", arn), client_id)
    return done()


@blueprint.post("/identity-providers/oidc/client-ids/remove")
def remove_client_id():
    """Remove an audience (`iam:RemoveClientIDFromOpenIDConnectProvider`)."""
    arn, client_id = _provider_arn(), _client_id()
    oidc_providers.remove_client_id(_provider_for("iam:RemoveClientIDFromOpenIDConnectProvider", arn), client_id)
    return done()


@blueprint.post("/identity-providers/oidc/thumbprints")
def update_thumbprints():
    """Replace the thumbprint list (`iam:UpdateOpenIDConnectProviderThumbprint`)."""
    arn = _provider_arn()
    thumbprints = fields.member_list("ThumbprintList", min_len=40, max_len=40)
    provider = _provider_for("iam:UpdateOpenIDConnectProviderThumbprint", arn)
    oidc_providers.update_thumbprints(provider, thumbprints)
    return done()


@blueprint.post("/identity-providers/oidc/delete")
def delete_oidc_provider():
    """Delete the provider (`iam:DeleteOpenIDConnectProvider`)."""
    oidc_providers.delete(_provider_for("iam:DeleteOpenIDConnectProvider", _provider_arn()))
    return done()


def _document() -> dict:
    """The upstream document of the form, for this account (a document naming another account is refused)."""
    text = request.form.get("document", "")
    if len(text) > MAX_DOCUMENT:
        raise ValidationError(f"The upstream document must be at most {MAX_DOCUMENT} characters.")
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ValidationError(f"The upstream document is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise ValidationError("The upstream file must hold a JSON object.")
    account_id = console_principal().account_id
    if str(document.get("account") or account_id) != account_id:
        raise ValidationError(f"An upstream added here signs in to this account ({account_id}) only; "
                              "leave out \"account\" or name this one.")
    return {**document, "account": account_id}


def _upstream_name(document: dict) -> str:
    name = document.get("name")
    return name if isinstance(name, str) and 0 < len(name) <= 64 else "*"


@blueprint.post("/identity-providers/upstreams")
def add_upstream():
    """Add an upstream from its document (`federation:AddUpstream`), validated by the registry."""
    document = _document()
    account_id = console_principal().account_id
    require("federation:AddUpstream", upstream_arn(account_id, _upstream_name(document)))
    upstream = registry.add(document, account_id)
    return done("console.upstream_page", name=upstream.name)


def _upstream_for(action: str, name: str):
    """Authorize `action` on the upstream, then the upstream of this account (NotFound for any other)."""
    account_id = console_principal().account_id
    require(action, upstream_arn(account_id, name))
    upstream = registry.find(name)
    if upstream is None or upstream.account_id != account_id:
        raise NotFound(f"There is no upstream provider named {name!r}.")
    return upstream


@blueprint.get("/identity-providers/upstreams/<name>")
def upstream_page(name: str) -> str:
    """One upstream: its configuration (never its secret), its document to edit, its linked identities."""
    upstream = _upstream_for("federation:GetUpstream", name)
    shown = registry.describe(upstream, current_app.config["IDP_SETTINGS"].issuer)
    document = fields.submitted("document", json.dumps(editable_document(shown), indent=2))
    links = sorted(upstream.identities, key=lambda link: link.id)
    return render("console/identity_providers_upstream.html", title=f"Upstream {upstream.name}",
                  upstream=upstream, shown=shown, document=document, links=links)


def editable_document(shown: dict) -> dict:
    """The upstream's document as `registry.describe` shows it, less what the registry derives (its account, its
    URLs, whether a secret is set) and the secret itself, which an edit gives again."""
    settings = shown.get("settings") or {}
    derived = DERIVED if shown.get("type", "oidc") == "oidc" else DERIVED | {"issuer"}
    merged = {**{k: v for k, v in shown.items() if k != "settings"}, **settings}
    return {key: value for key, value in merged.items()
            if key not in derived and value not in (None, [], registry.REDACTED)}


@blueprint.post("/identity-providers/upstreams/<name>")
def update_upstream(name: str):
    """Replace the upstream's configuration with the document (`federation:UpdateUpstream`); same name only."""
    document = _document()
    if document.get("name") != name:
        raise ValidationError(f"The document must keep the name {name!r}: an upstream cannot be renamed.")
    registry.update(document, _upstream_for("federation:UpdateUpstream", name).account_id)
    work.after_commit(functools.partial(metadata.forget, name))
    return done()


@blueprint.post("/identity-providers/upstreams/<name>/remove")
def remove_upstream(name: str):
    """Delete the upstream and its links; the users it provisioned stay (`federation:RemoveUpstream`)."""
    registry.remove(_upstream_for("federation:RemoveUpstream", name).name)
    work.after_commit(functools.partial(metadata.forget, name))
    return done("console.identity_providers")


@blueprint.post("/identity-providers/upstreams/<name>/links/remove")
def unlink_identity(name: str):
    """Remove a linked identity and the memberships its mapping granted (`federation:UnlinkIdentity`)."""
    upstream = _upstream_for("federation:UnlinkIdentity", name)
    link_id = fields.text("link_id", max_len=20)
    row = next((link for link in upstream.identities if str(link.id) == link_id), None)
    if row is None:
        raise NotFound("This upstream has no such linked identity.")
    identities.unlink(row)
    return done()
