"""`idp apis create|list|show|delete`: APIs registered as OAuth resources (RFC 8707)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from idp import work
from idp.cli import emit, idp_cli, one_line_errors
from idp.errors import ValidationError
from idp.oidc import apis

apis_cli = AppGroup("apis", help="APIs (resource servers) that access tokens are issued for.")
idp_cli.add_command(apis_cli)


def _scopes(values: tuple[str, ...]) -> dict[str, str]:
    """`NAME=POLICY.json` options -> {name: document text}."""
    found: dict[str, str] = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ValidationError(f"--scope {value!r}: expected NAME=POLICY.json")
        if name in found:
            raise ValidationError(f"--scope {name} is given twice")
        try:
            found[name] = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ValidationError(f"--scope {name}: cannot read {path}: {error.strerror or error}") from None
    return found


@apis_cli.command("create")
@click.option("--identifier", required=True, help="The API's URI (https, http on loopback, or urn:); tokens' aud.")
@click.option("--name", required=True)
@click.option("--scope", "scopes", multiple=True, help="NAME=POLICY.json: what the scope may reach. Repeat.")
@click.option("--account", "account_id", help="12-digit account (default: the default account).")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def create(identifier: str, name: str, scopes: tuple[str, ...], account_id: str | None, as_json: bool) -> None:
    """Register an API and the policy of each of its scopes."""
    with work.unit_of_work():
        described = apis.describe(apis.create(apis.ApiSpec(identifier, name, _scopes(scopes)), account_id))
    emit(described, as_json, f"registered {described['identifier']} ({', '.join(described['scopes'])})")


@apis_cli.command("list")
@click.option("--account", "account_id")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def list_apis(account_id: str | None, as_json: bool) -> None:
    """Every registered API."""
    described = [apis.describe(api) for api in apis.listed(account_id)]
    emit({"apis": described}, as_json, "\n".join(f"{a['identifier']}  {a['name']}" for a in described))


@apis_cli.command("show")
@click.argument("identifier")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def show(identifier: str, as_json: bool) -> None:
    """One API, its scopes and their policies."""
    described = apis.describe(apis.get(identifier))
    emit(described, as_json, "\n".join(f"{k}: {v}" for k, v in described.items()))


@apis_cli.command("delete")
@click.argument("identifier")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def delete(identifier: str, as_json: bool) -> None:
    """Remove an API: tokens issued for it are no longer accepted for it."""
    with work.unit_of_work():
        apis.delete(identifier)
    emit({"deleted": identifier}, as_json, f"deleted {identifier}")
