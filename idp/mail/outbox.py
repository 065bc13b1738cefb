"""Writing mail: a row of the outbox in the caller's unit of work, delivered once that work has committed.

A message is composed from a pair of templates, `templates/mail/<name>.txt` (plain text, not escaped) and
`templates/mail/<name>.html` (autoescaped), with the same context. Nothing is sent here: the row commits (or
rolls back) with the change that caused it, and `idp.mail.sender` delivers it after the commit.
"""
from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import delete, select

from idp import clock, work
from models import db
from models.mail import OutboundMail


def enqueue(*, recipient: str, subject: str, template: str, context: dict, account_id: str | None,
            sender_name: str | None = None, dedupe_key: str | None = None) -> OutboundMail | None:
    """Add one message to the outbox (not committed); None when `dedupe_key` was queued before."""
    if dedupe_key is not None and db.session.scalar(
            select(OutboundMail.id).where(OutboundMail.dedupe_key == dedupe_key)) is not None:
        return None
    now = clock.now()
    mail = OutboundMail(
        account_id=account_id, recipient=recipient, sender_name=sender_name, subject=subject,
        text_body=render_template(f"mail/{template}.txt", **context),
        html_body=render_template(f"mail/{template}.html", **context),
        dedupe_key=dedupe_key, created_at=now, attempts=0, next_attempt_at=now,
    )
    db.session.add(mail)
    db.session.flush()
    _deliver_after_commit()
    return mail


def _deliver_after_commit() -> None:
    """Start the sender in the background once the work commits, when there is an SMTP server to talk to."""
    app = current_app._get_current_object()
    if app.config["IDP_SETTINGS"].smtp_url is None:
        return
    from idp.mail.sender import kicker

    work.after_commit(kicker(app).kick)


def discard_to(account_id: str, recipient: str) -> int:
    """Delete the account's messages to `recipient`, sent or not (a user erasing their account; not committed)."""
    return db.session.execute(delete(OutboundMail).where(OutboundMail.account_id == account_id,
                                                         OutboundMail.recipient == recipient)).rowcount
