"""Structured logs: structlog configured once, the request's fields on every line, one access line per request.

`configure(format)` (from `IDP_LOG_FORMAT`, json or text) sets the pipeline;
`init_app(app)` adds the access line; `bind(...)` and `note_decision(...)`
add a request's fields; `get_logger(name)` is how code logs. Secrets never
reach a line (`idp.logs.redaction`).
"""
from __future__ import annotations

import structlog

from idp.logs.access import init_app
from idp.logs.context import bind, note_decision, request_fields
from idp.logs.rendering import FORMATS, configure

__all__ = ["FORMATS", "bind", "configure", "get_logger", "init_app", "note_decision", "request_fields"]


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger that writes through the one handler."""
    return structlog.stdlib.get_logger(name)
