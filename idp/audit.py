"""The audit log: one append-only `record` call for every security-relevant event."""
from __future__ import annotations

from flask import g, has_request_context, request
from sqlalchemy import insert

from idp import clock
from models import db
from models.audit import AuditEvent

_INSERT = insert(AuditEvent.__table__)


def record(
    action: str,
    *,
    actor: str | None = None,
    resource: str | None = None,
    decision: str | None = None,
    account_id: str | None = None,
    detail: dict | None = None,
    commit: bool = False,
) -> None:
    """Append an event; source address and request id come from the current request."""
    in_request = has_request_context()
    # A Core INSERT on the session's connection (same transaction): the log is written on every
    # request and never read back as objects, and the ORM's bulk-insert path costs more than the row.
    db.session.connection().execute(_INSERT, [{
        "occurred_at": clock.now(),
        "request_id": g.get("request_id") if in_request else None,
        "account_id": account_id,
        "actor": actor,
        "action": action,
        "resource": resource,
        "decision": decision,
        "source_ip": request.remote_addr if in_request else None,
        "detail": detail,
    }])
    if commit:
        db.session.commit()


def settle_noted_decisions(response):
    """`after_request`: write the decisions no adapter wrote (token exchange, roles claims, pages), in their own
    transaction. What the view left uncommitted would be rolled back at teardown anyway, so it is rolled back
    first and never committed here."""
    if g.get("audit_decisions"):
        db.session.rollback()
        record_decisions()
        db.session.commit()
    return response


def record_decisions() -> None:
    """Append the authorization decisions the shared authorizer noted during this request (`g.audit_decisions`)."""
    for entry in g.pop("audit_decisions", []):
        record(entry.pop("action"), **entry)
