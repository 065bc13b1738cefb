"""`flask --app app idp ...`: set-up and operations commands."""
from __future__ import annotations

import functools
import json

import click
from flask.cli import AppGroup

from idp.errors import IdpError

idp_cli = AppGroup("idp", help="Identity provider administration.")


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
    """Print JSON for machines or one readable line for people."""
    click.echo(json.dumps(document) if as_json else human)


from idp.cli import accounts, analyze, clients, keys  # noqa: E402,F401  (registers the commands)
from idp.cli import upstreams  # noqa: E402,F401
from idp.cli import apis  # noqa: E402,F401
