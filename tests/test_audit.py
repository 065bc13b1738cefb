"""The audit log appends events with the request's id and source, and refuses rewrites."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from idp import audit, work
from models.audit import AuditEvent


def test_record_outside_a_request(db):
    with work.unit_of_work():
        audit.record("iam:CreateUser", actor="arn:aws:iam::111122223333:root",
                     resource="arn:aws:iam::111122223333:user/a", decision="Allow", account_id="111122223333",
                     detail={"why": "root"})
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.decision, event.request_id, event.source_ip) == ("iam:CreateUser", "Allow", None, None)
    assert event.detail == {"why": "root"} and event.occurred_at.tzinfo is not None


def test_record_inside_a_request_carries_request_id_and_source(app, db):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        app.preprocess_request()
        with work.unit_of_work():
            audit.record("sts:AssumeRole", decision="ImplicitDeny")
        from flask import g

        request_id = g.request_id
    event = db.session.scalar(select(AuditEvent))
    assert event.source_ip == "192.0.2.7" and event.request_id == request_id


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET decision = 'Allow'", "DELETE FROM audit_events"])
def test_the_database_refuses_to_rewrite_history(db, statement):
    with work.unit_of_work():
        audit.record("iam:DeleteUser", decision="ExplicitDeny")
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.decision)) == "ExplicitDeny"
