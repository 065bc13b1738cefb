"""The request's log fields: request id, account, principal ARN, action, decision, kept on `flask.g`.

Kept on `g` rather than in context variables: a gthread worker reuses its
threads, and `g` dies with its request, so no field leaks into the next one.
"""
from __future__ import annotations

from flask import g, has_app_context, has_request_context

_FIELDS = "log_fields"
REQUEST_FIELDS = ("request_id", "account", "principal", "action", "decision")


def bind(**fields: object) -> None:
    """Add fields to every log line of the current request (no-op outside one)."""
    if has_request_context():
        g.setdefault(_FIELDS, {}).update(fields)


def request_fields() -> dict[str, object]:
    """The current request's fields, `None` where not known (yet)."""
    if not has_app_context():
        return {}
    known = g.get(_FIELDS) or {}
    fields = {name: known.get(name) for name in REQUEST_FIELDS}
    fields["request_id"] = g.get("request_id")
    return {**fields, **{k: v for k, v in known.items() if k not in fields}}


def note_decision(principal: str | None, account: str | None, action: str, decision: str) -> None:
    """Record an authorizer decision: the first names the request's principal and action; any later
    non-Allow answer for that same action (a trust policy after the identity check) decides the line."""
    if not has_request_context():
        return
    fields = g.setdefault(_FIELDS, {})
    if fields.get("decision") is None:
        fields.update(principal=principal, account=account, action=action, decision=decision)
    elif fields.get("action") == action and decision != "Allow":
        fields["decision"] = decision


def add_request_fields(_logger: object, _method: str, event_dict: dict) -> dict:
    """structlog processor: the request's fields, unless the event set its own."""
    if has_request_context():
        for key, value in request_fields().items():
            event_dict.setdefault(key, value)
    return event_dict
