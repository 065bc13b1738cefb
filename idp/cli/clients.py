"""`idp clients create|list|show|update|delete`: OAuth clients of this provider."""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import AppGroup

from idp import work
from idp.cli import emit, idp_cli, one_line_errors
from idp.errors import ValidationError
from idp.iam import accounts
from idp.oidc import clients, registration
from idp.oidc.errors import InvalidClientMetadata

clients_cli = AppGroup("clients", help="OAuth 2.0 / OpenID Connect clients.")
idp_cli.add_command(clients_cli)

# The client metadata each option sets, as refusals name it (`InvalidClientMetadata.worded`).
FLAGS = {
    "client_name": "--name", "redirect_uris": "--redirect-uri",
    "post_logout_redirect_uris": "--post-logout-redirect-uri", "backchannel_logout_uri": "--backchannel-logout-uri",
    "token_exchange_policy": "--token-exchange-policy", "token_endpoint_auth_method": "--auth-method",
    "jwks_uri": "--jwks-uri", "jwks": "--jwks", "grant_types": "--grant-type", "scope": "--scope",
    "id_token_signed_response_alg": "--id-token-alg", "admitted_accounts": "--multi-account",
}


@contextmanager
def _changing():
    """One unit of work (`idp.work`); a refused metadata field is named by its option."""
    try:
        with work.unit_of_work():
            yield
    except InvalidClientMetadata as error:
        raise ValidationError(error.worded(FLAGS)) from None


def _metadata_options(command):
    """The options create and update share."""
    options = [
        click.option("--name"),
        click.option("--redirect-uri", "redirect_uris", multiple=True, help="Repeat for several."),
        click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True),
        click.option("--backchannel-logout-uri", help="Where back-channel logout tokens are POSTed."),
        click.option("--token-exchange-policy", help="IAM policy JSON (or @file) deciding oidc:TokenExchange."),
        click.option("--auth-method", type=click.Choice(clients.TOKEN_ENDPOINT_AUTH_METHODS)),
        click.option("--jwks-uri"),
        click.option("--jwks", help="A JWKS as JSON, or @file."),
        click.option("--grant-type", "grant_types", multiple=True, type=click.Choice(clients.GRANT_TYPES)),
        click.option("--scope", "scopes", multiple=True),
        click.option("--id-token-alg", type=click.Choice(clients.SIGNING_ALGS)),
        click.option("--multi-account", "admitted_accounts", multiple=True, is_flag=False, flag_value="*",
                     metavar="ACCOUNT|*", help="Also sign in principals of this account (repeat); '*' or no "
                     "value: of every account. Without it a client signs in its own account's principals only."),
        click.option("--json", "as_json", is_flag=True),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _jwks(value: str | None) -> dict | None:
    """A JWKS given inline as JSON or as `@path`."""
    if value is None:
        return None
    text = Path(value[1:]).read_text() if value.startswith("@") else value
    try:
        return json.loads(text)
    except ValueError:
        raise ValidationError("--jwks is not valid JSON") from None


def _text(value: str | None) -> str | None:
    """A document given inline or as `@path`."""
    if value is None:
        return None
    return Path(value[1:]).read_text() if value.startswith("@") else value


def _spec(options: dict, **extra) -> clients.ClientSpec:
    return clients.ClientSpec(
        name=options["name"], redirect_uris=list(options["redirect_uris"]) or None,
        post_logout_redirect_uris=list(options["post_logout_redirect_uris"]) or None,
        backchannel_logout_uri=options["backchannel_logout_uri"],
        token_exchange_policy=_text(options["token_exchange_policy"]),
        auth_method=options["auth_method"], jwks_uri=options["jwks_uri"],
        jwks=_jwks(options["jwks"]), grant_types=list(options["grant_types"]) or None,
        scopes=list(options["scopes"]) or None, id_token_alg=options["id_token_alg"],
        admitted_accounts=list(options["admitted_accounts"]) or None, **extra,
    )


@clients_cli.command("create")
@_metadata_options
@click.option("--public", is_flag=True, help="A public client (no secret; PKCE required).")
@click.option("--trusted", is_flag=True, help="First-party: skip the consent page.")
@click.option("--account", "account_id", help="12-digit account (default: the default account).")
@one_line_errors
def create(public: bool, trusted: bool, account_id: str | None, as_json: bool, **options) -> None:
    """Register a client; prints its id and, for confidential clients, its secret (only now)."""
    spec = _spec(options, public=public, trusted=trusted)
    with _changing():
        client, secret = clients.create(spec, account_id)
        client_id = client.client_id
    document = {"client_id": client_id, "client_secret": secret} if secret else {"client_id": client_id}
    emit(document, as_json, f"client_id: {client_id}" + (f"\nclient_secret: {secret}" if secret else ""))


@clients_cli.command("list")
@click.option("--account", "account_id")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def list_clients(account_id: str | None, as_json: bool) -> None:
    """Every client (metadata only)."""
    described = [clients.describe(c) for c in clients.listed(account_id)]
    emit({"clients": described}, as_json, "\n".join(f"{c['client_id']}  {c['name']}" for c in described))


@clients_cli.command("show")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def show(client_id: str, as_json: bool) -> None:
    """One client's metadata."""
    described = clients.describe(clients.get(client_id))
    emit(described, as_json, "\n".join(f"{k}: {v}" for k, v in described.items()))


@clients_cli.command("update")
@click.argument("client_id")
@_metadata_options
@click.option("--trusted/--untrusted", default=None)
@click.option("--single-account", is_flag=True, help="Sign in only the client's own account's principals again.")
@click.option("--rotate-secret", is_flag=True, help="Issue a new secret (printed once).")
@one_line_errors
def update(client_id: str, trusted: bool | None, single_account: bool, rotate_secret: bool, as_json: bool,
           **options) -> None:
    """Change a client's metadata (options not given stay as they are)."""
    if single_account and options["admitted_accounts"]:
        raise ValidationError("--single-account and --multi-account contradict each other")
    spec = _spec(options, trusted=trusted)
    if single_account:
        spec.admitted_accounts = []
    with _changing():
        client, secret = clients.update(client_id, spec, rotate_secret=rotate_secret)
        client_id = client.client_id
    document = {"client_id": client_id, **({"client_secret": secret} if secret else {})}
    emit(document, as_json, f"updated {client_id}" + (f"\nclient_secret: {secret}" if secret else ""))


@clients_cli.command("delete")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def delete(client_id: str, as_json: bool) -> None:
    """Delete a client and everything issued to it."""
    with _changing():
        clients.delete(client_id)
    emit({"deleted": client_id}, as_json, f"deleted {client_id}")


@clients_cli.command("initial-access-token")
@click.option("--account", "account_id", help="12-digit account the clients register into (default: the default).")
@click.option("--expires-in", type=int, default=3600, show_default=True, help="Seconds the token stays valid.")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def initial_access_token(account_id: str | None, expires_in: int, as_json: bool) -> None:
    """An RFC 7591 initial access token for POST /oauth2/register (needs IDP_DYNAMIC_REGISTRATION=on)."""
    account_id = account_id or accounts.default_account_id()
    token, expires_at = registration.initial_access_token(account_id, expires_in)
    emit({"initial_access_token": token, "expires_at": expires_at, "account_id": account_id}, as_json, token)
