"""The audit log: `record` (in the unit of work's transaction) and `note` (written whether the unit commits or rolls
back) for every security-relevant event."""
from __future__ import annotations

from flask import g, has_app_context, has_request_context, request
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
) -> None:
    """Append an event in the current transaction (committed or rolled back with the unit of work's work, see
    `idp.work`; use `note` for what must be written either way); source address and request id come from the
    current request."""
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


def note(action: str, **fields) -> None:
    """Queue an entry that is written whether the unit of work commits or rolls back (`idp.work`): the
    authorizer's decisions and every refusal. Outside an app context it is written at once."""
    if has_app_context():
        g.setdefault("audit_noted", []).append({"action": action, **fields})
    else:
        record(action, **fields)


def write_noted() -> None:
    """Write the queued entries into the current transaction (kept queued until `forget_noted`, so a unit of
    work whose commit fails can write them again after its rollback)."""
    for entry in g.get("audit_noted", []) if has_app_context() else []:
        fields = dict(entry)
        record(fields.pop("action"), **fields)


def forget_noted() -> None:
    """Drop the queue once its unit of work is settled."""
    g.pop("audit_noted", None)
