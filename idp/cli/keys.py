"""`idp keys rotate|list`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from idp.cli import emit, idp_cli, one_line_errors
from idp.keys import keystore

keys_cli = AppGroup("keys", help="Signing and session keys.")
idp_cli.add_command(keys_cli)


@keys_cli.command("rotate")
@click.option("--purpose", type=click.Choice(["token", "session"]), default="token", show_default=True)
@click.option("--force", is_flag=True, help="Rotate even if the next key was published under a minute ago.")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def rotate(purpose: str, force: bool, as_json: bool) -> None:
    """Promote the published next key, retire the current one, publish a new next key."""
    published = keystore().rotate(purpose, force=force)
    emit({"published": published}, as_json, "published next keys: " + ", ".join(published))


@keys_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def list_keys(as_json: bool) -> None:
    """Every key with its purpose, algorithm and status (never the private part)."""
    keys = keystore().listed()
    emit({"keys": keys}, as_json, "\n".join(f"{k['kid']}  {k['purpose']:8} {k['alg']:8} {k['status']}" for k in keys))
