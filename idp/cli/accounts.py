"""`idp bootstrap`, `idp create-account` and `idp purge-expired`."""
from __future__ import annotations

import click
from flask import current_app

from idp.bootstrap import bootstrap, credentials_file
from idp.cli import emit, idp_cli, one_line_errors
from idp.iam.accounts import create_account


@idp_cli.command("bootstrap")
@click.option("--json", "as_json", is_flag=True, help="Print {account_id, access_key_id, secret_access_key}.")
@one_line_errors
def bootstrap_command(as_json: bool) -> None:
    """Migrate, create keys, the default account and its root credentials (idempotent)."""
    credentials = bootstrap(current_app._get_current_object())
    where = credentials_file()
    human = f"account {credentials.account_id}, root access key {credentials.access_key_id}"
    if credentials.secret_access_key and where.exists():
        human += f"; secret and root password written to {where} (mode 0600)"
    elif where.exists():
        human += f"; generated root secrets are in {where}"
    emit(credentials.as_json(), as_json, human)


@idp_cli.command("create-account")
@click.option("--json", "as_json", is_flag=True, help="Print the new account's root credentials as JSON.")
@click.option("--account-id", default=None, help="12 digits; random when omitted.")
@click.option("--alias", default=None, help="An account alias for the sign-in page.")
@one_line_errors
def create_account_command(as_json: bool, account_id: str | None, alias: str | None) -> None:
    """Create another account with its own root access key."""
    credentials = create_account(account_id=account_id, alias=alias)
    document = {**credentials.as_json(), "root_password": credentials.root_password}
    emit(document, as_json, f"account {credentials.account_id}, root access key {credentials.access_key_id}, "
         f"secret {credentials.secret_access_key}, root password {credentials.root_password}")


@idp_cli.command("purge-expired")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def purge_expired_command(as_json: bool) -> None:
    """Delete expired replay-cache entries, codes, device authorizations and long-ended sessions (run from cron)."""
    from idp.maintenance import purge_expired

    counts = purge_expired()
    emit(counts, as_json, ", ".join(f"{count} {kind}" for kind, count in counts.items()) + " purged")
