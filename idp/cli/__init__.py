"""`flask --app app idp ...`: set-up and operations commands.

Every command, in every subgroup, runs as one unit of work (`idp.work`): `idp_cli` opens it around the whole
invocation, so a command's writes and audit records commit together once it returns, and roll back when it
fails. Commands never commit; what they print is printed once that commit is done (`emit`).
"""
from __future__ import annotations

import functools
import json
from contextlib import ExitStack

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from idp import work
from idp.errors import IdpError


class UnitOfWorkGroup(AppGroup):
    """An `AppGroup` whose every invocation (its subgroups' commands included) is one unit of work."""

    def invoke(self, ctx: click.Context):
        with ExitStack() as stack:
            if not current_app:  # `flask` pushes the app context before it looks the group up; other callers may not
                stack.enter_context(ctx.ensure_object(ScriptInfo).load_app().app_context())
            stack.enter_context(work.unit_of_work())
            return super().invoke(ctx)


idp_cli = UnitOfWorkGroup("idp", help="Identity provider administration.")


def one_line_errors(command):
    """Report an IdpError as one `Error:` line and exit 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except IdpError as error:
            raise click.ClickException(error.message) from None

    return wrapper


def emit(document: dict, as_json: bool, human: str) -> None:
    """Print JSON for machines or one readable line for people, once the command's work has committed."""
    text = json.dumps(document) if as_json else human
    work.after_commit(lambda: click.echo(text))


from idp.cli import accounts, analyze, apis, audit, clients, housekeeping, keys, portability, upstreams  # noqa: E402,F401  (registers the commands)
from idp.cli import lifecycle  # noqa: E402,F401  (idp accounts lifecycle)
