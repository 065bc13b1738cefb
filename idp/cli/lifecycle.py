"""`idp accounts lifecycle`: an account's self-service settings (self-registration, self-deletion, sender name)."""
from __future__ import annotations

import dataclasses

import click

from idp.cli import emit, idp_cli, one_line_errors
from idp.iam.accounts import existing
from idp.lifecycle import settings

ON_OFF = click.Choice(["on", "off"], case_sensitive=False)


def _accounts_group() -> click.Group:
    """The `idp accounts` group (made here unless another module made it first)."""
    group = idp_cli.commands.get("accounts")
    if group is None:
        @idp_cli.group("accounts")
        def group() -> None:
            """Per-account settings."""
    return group


def _switch(value: str | None) -> bool | None:
    return None if value is None else value.lower() == "on"


@_accounts_group().command("lifecycle")
@click.option("--account", "account_id", default=None, help="12-digit account id (default: the default account).")
@click.option("--self-registration", type=ON_OFF, default=None, help="Let people sign up at /signup?account=ID.")
@click.option("--path", default=None, help="IAM path of self-registered users, like /self-registered/.")
@click.option("--group", default=None, help="Group self-registered users join (empty: none).")
@click.option("--allowed-domains", default=None, help="Comma-separated email domains allowed to sign up (empty: any).")
@click.option("--self-deletion", type=ON_OFF, default=None, help="Let users delete their own account.")
@click.option("--sender-name", default=None, help="Display name of the account's mail (empty: IDP_MAIL_SENDER_NAME).")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@one_line_errors
def lifecycle_command(account_id: str | None, self_registration: str | None, path: str | None, group: str | None,
                      allowed_domains: str | None, self_deletion: str | None, sender_name: str | None,
                      as_json: bool) -> None:
    """Show or change an account's self-service settings (off by default)."""
    now = settings.configure(
        existing(account_id), self_registration=_switch(self_registration), path=path, group=group,
        allowed_domains=None if allowed_domains is None else allowed_domains.split(","),
        self_deletion=_switch(self_deletion), sender_name=sender_name,
    )
    document = {**dataclasses.asdict(now), "allowed_domains": list(now.allowed_domains)}
    human = ", ".join(f"{key}={value}" for key, value in document.items())
    emit(document, as_json, human)
