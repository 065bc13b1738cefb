"""structlog configured once: one pipeline, one handler, JSON or text, for structlog and `logging` alike.

structlog's events go through the standard library's `logging` (so gunicorn,
Flask, Authlib and SQLAlchemy records share the handler), and one
`ProcessorFormatter` renders them all: timestamp (ISO-8601 UTC), level,
logger, the request's fields, secrets redacted, then JSON or console text.
"""
from __future__ import annotations

import logging
import sys
from typing import Callable

import structlog
from structlog.stdlib import ProcessorFormatter

from idp.logs.context import add_request_fields
from idp.logs.redaction import redact_secrets

FORMATS = ("json", "text")
_HANDLER_MARK = "_idp_log_handler"
LEADING_KEYS = ("timestamp", "level", "event", "logger")
_configured: dict[str, str] = {}

SHARED_PROCESSORS: list[Callable] = [
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    add_request_fields,
]


class CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record is emitted (gunicorn and pytest both replace it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def formatter(log_format: str) -> ProcessorFormatter:
    """The one formatter: redaction, then the JSON or console renderer."""
    renderer = (structlog.processors.JSONRenderer(sort_keys=False) if log_format == "json"
                else structlog.dev.ConsoleRenderer(colors=False))
    return ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            _leading_keys_first,
            renderer,
        ],
    )


def _leading_keys_first(_logger: object, _method: str, event_dict: dict) -> dict:
    """A line reads timestamp, level, event first (JSON keeps insertion order)."""
    return {**{k: event_dict[k] for k in LEADING_KEYS if k in event_dict}, **event_dict}


def ensure_configured() -> None:
    """Put the handler back if something replaced the root logger's handlers since `configure`.

    Alembic's `fileConfig` does, each time migrations run in-process (the
    bootstrap on a worker's first request).
    """
    log_format = _configured.get("format")
    if log_format and not any(getattr(h, _HANDLER_MARK, False) for h in logging.getLogger().handlers):
        configure(log_format)


def configure(log_format: str) -> None:
    """Route structlog and the root logger through one stderr handler in `log_format`; safe to call again."""
    _configured["format"] = log_format
    if not structlog.is_configured():
        structlog.configure(
            processors=[structlog.stdlib.filter_by_level, *SHARED_PROCESSORS,
                        ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]
    handler = ours[0] if ours else CurrentStderrHandler()
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(formatter(log_format))
    for other in list(root.handlers):
        # Plain console handlers (alembic's fileConfig installs one when migrations run in-process) would
        # print every record a second time in another format.
        if other is not handler and type(other) is logging.StreamHandler:
            root.removeHandler(other)
    if handler not in root.handlers:
        root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    from flask.logging import default_handler

    logging.getLogger("idp").removeHandler(default_handler)  # Flask's own would print app records twice
    logging.getLogger("idp").disabled = False
    _adopt_gunicorn_handlers(log_format)


def _adopt_gunicorn_handlers(log_format: str) -> None:
    """Give gunicorn's own handlers (in a worker that imports the app) the same format."""
    for name in ("gunicorn.error", "gunicorn.access"):
        for existing in logging.getLogger(name).handlers:
            existing.setFormatter(formatter(log_format))
