"""`idp housekeeping run-once`: one pass of the scheduled work, for those who run it from cron."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from idp import housekeeping
from idp.cli import emit, idp_cli, one_line_errors

housekeeping_cli = AppGroup("housekeeping", help="Scheduled key rotation and purges (idp.housekeeping).")
idp_cli.add_command(housekeeping_cli)


@housekeeping_cli.command("run-once")
@click.option("--json", "as_json", is_flag=True)
@one_line_errors
def run_once(as_json: bool) -> None:
    """Rotate the keys that are due and purge what has expired, unless another instance holds the lease."""
    report = housekeeping.run_once(current_app._get_current_object())
    if not report["ran"]:
        emit(report, as_json, f"skipped: {report['holder']} holds the housekeeping lease until {report['until']}")
        return
    if not report["errors"]:
        emit(report, as_json, _summary(report))
        return
    # Each job committed on its own (idp.housekeeping), so the report is printed now, before the failure that
    # tells cron something went wrong (this command's own unit, which holds nothing, rolls back).
    click.echo(json.dumps(report) if as_json else _summary(report))
    failed = "; ".join(f"{job}: {message}" for job, message in report["errors"].items())
    raise click.ClickException(f"housekeeping jobs failed: {failed}")


def _summary(report: dict) -> str:
    rotated = ", ".join(f"{purpose} ({len(kids)} algorithms)" for purpose, kids in report["rotated"].items()
                        if kids) if isinstance(report.get("rotated"), dict) else ""
    purged = report.get("purged") or {}
    lines = [f"rotated: {rotated or 'nothing due'}",
             "purged: " + ", ".join(f"{count} {kind}" for kind, count in purged.items())]
    return "\n".join(lines)
