"""`idp upstreams add|update|apply|list|show|remove`: upstream identity providers (OpenID Connect, SAML, LDAP)."""
from __future__ import annotations

import functools
import json

import click
from flask import current_app
from flask.cli import AppGroup

from idp import work
from idp.cli import emit, idp_cli, one_line_errors
from idp.federation import metadata, registry
from idp.iam import accounts

upstreams_cli = AppGroup("upstreams", help="Upstream OpenID Connect, SAML and LDAP providers (federated sign-in).")
idp_cli.add_command(upstreams_cli)


def _issuer() -> str:
    return current_app.config["IDP_SETTINGS"].issuer


@upstreams_cli.command("add")
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def add_command(path: str, as_json: bool) -> None:
    """Register an upstream from its file; prints it with the redirect URI to register upstream."""
    upstream = registry.add(registry.read_file(path), accounts.default_account_id())
    shown = registry.describe(upstream, _issuer())
    text = (f"upstream {upstream.name}: register {shown['redirect_uri']} at {upstream.issuer}"
            if "redirect_uri" in shown else f"upstream {upstream.name} ({upstream.type}) added")
    emit(shown, as_json, text)


@upstreams_cli.command("update")
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def update_command(path: str, as_json: bool) -> None:
    """Replace an upstream's configuration with its file (matched by name)."""
    upstream = registry.update(registry.read_file(path), accounts.default_account_id())
    work.after_commit(functools.partial(metadata.forget, upstream.name))
    emit(registry.describe(upstream, _issuer()), as_json, f"upstream {upstream.name} updated")


@upstreams_cli.command("apply")
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def apply_command(path: str, as_json: bool) -> None:
    """Add or update every upstream of a file (one object or a list), all or none: the declarative form for start-up."""
    applied = [{**registry.describe(upstream, _issuer()), "action": action}
               for upstream, action in registry.apply_all(registry.read_file(path), accounts.default_account_id())]
    for entry in applied:
        work.after_commit(functools.partial(metadata.forget, entry["name"]))
    emit({"upstreams": applied}, as_json, "\n".join(f"{u['action']} {u['name']}" for u in applied))


@upstreams_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def list_command(as_json: bool) -> None:
    """Every upstream."""
    shown = [registry.describe(upstream, _issuer()) for upstream in registry.listed()]
    emit({"upstreams": shown}, as_json,
         "\n".join(f"{u['name']}\t{u['type']}\t{u['issuer']}\t{u['account']}" for u in shown))


@upstreams_cli.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def show_command(name: str, as_json: bool) -> None:
    """One upstream (never its secret)."""
    shown = registry.describe(registry.get(name), _issuer())
    emit(shown, as_json, json.dumps(shown, indent=2))


@upstreams_cli.command("remove")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def remove_command(name: str, as_json: bool) -> None:
    """Delete an upstream and its links; the users it provisioned stay."""
    registry.remove(name)
    work.after_commit(functools.partial(metadata.forget, name))
    emit({"removed": name}, as_json, f"upstream {name} removed")
