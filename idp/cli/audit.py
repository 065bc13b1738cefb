"""`idp audit export`: the audit log as CloudTrail records, one JSON object per line, for archiving."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import click
from flask.cli import AppGroup

from idp import trail
from idp.cli import idp_cli, one_line_errors

audit_cli = AppGroup("audit", help="The audit log: export for archiving.")
idp_cli.add_command(audit_cli)


class Moment(click.ParamType):
    """An ISO 8601 time (`2026-01-31`, `2026-01-31T12:00:00Z`); UTC unless it names an offset."""

    name = "ISO8601"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time such as 2026-01-31T12:00:00Z", param, ctx)
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@audit_cli.command("export")
@click.option("--since", type=Moment(), required=True, help="First moment to export (inclusive).")
@click.option("--until", type=Moment(), default=None, help="End of the range (exclusive); default: now.")
@click.option("--account", "account_id", default=None, help="Only this account's events (12 digits).")
@click.option("--format", "output_format", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@one_line_errors
def export(since: datetime, until: datetime | None, account_id: str | None, output_format: str) -> None:
    """Write every event from --since to --until as a CloudTrail record, one per line, oldest first."""
    if until is not None and until <= since:
        raise click.BadParameter("--until must be later than --since", param_hint="--until")
    if account_id is not None and not (len(account_id) == 12 and account_id.isdigit()):
        raise click.BadParameter("an account id is 12 digits", param_hint="--account")
    # Streamed as read, not after the (read-only) unit of work commits: an archive can hold millions of events.
    for record in trail.export_records(since, until, account_id):
        click.echo(json.dumps(record, separators=(",", ":")))
