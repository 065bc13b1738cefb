"""`idp export --account ID` and `idp import --file F [--dry-run] [--prune] [--upstream-secrets F]`."""
from __future__ import annotations

import click

from idp import portability, work
from idp.cli import idp_cli, one_line_errors


@idp_cli.command("export")
@click.option("--account", "account_id", required=True, help="The 12-digit account to export.")
@one_line_errors
def export_command(account_id: str) -> None:
    """Print the account's configuration as one JSON document (docs/export-format.md); never a secret."""
    text = portability.dumps(portability.export_account(account_id))
    work.after_commit(lambda: click.echo(text, nl=False))


@idp_cli.command("import")
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False), help="An `idp export` document.")
@click.option("--dry-run", is_flag=True, help="Print the plan and check every change; write nothing.")
@click.option("--prune", is_flag=True, help="Also delete what the account holds and the file does not.")
@click.option("--upstream-secrets", type=click.Path(dir_okay=False),
              help='JSON {"<upstream name>": "<client secret>"} for upstreams that authenticate with a secret.')
@one_line_errors
def import_command(path: str, dry_run: bool, prune: bool, upstream_secrets: str | None) -> None:
    """Apply an export document to its account, all or nothing, printing the plan first."""
    secrets = portability.read_json(upstream_secrets, "upstream secrets file") if upstream_secrets else {}
    if not isinstance(secrets, dict) or not all(isinstance(v, str) for v in secrets.values()):
        raise click.ClickException("the upstream secrets file must hold {\"<upstream name>\": \"<secret>\"}")
    plan = portability.plan_import(portability.read_json(path, "import file"), prune=prune,
                                   upstream_secrets=secrets)
    click.echo("\n".join(plan.lines()))
    notices = portability.apply(plan, dry_run=dry_run)
    if dry_run:
        said = "dry run: nothing written"
    else:
        said = "nothing to change" if plan.empty else f"applied {len(plan.changes) + bool(plan.account)} changes"
    work.after_commit(lambda: click.echo(said))
    for notice in notices:  # secrets go to stderr, once, and only when the import committed
        work.after_commit(lambda notice=notice: click.echo(notice, err=True))
