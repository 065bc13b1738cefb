"""The mail the life cycle sends, each a pair of templates under `templates/mail/` queued in the outbox.

Links are built from the issuer (`idp.lifecycle.links.issue`); the sender's display name is the
account's own when it set one. Nothing here commits: the message commits with the change that caused it.
"""
from __future__ import annotations

from flask import current_app

from idp.lifecycle import settings
from idp.mail import outbox
from models.user import User

SUBJECTS = {
    "verify_email": "Confirm your email address",
    "email_changed": "Your email address was changed",
    "password_reset": "Reset your password",
    "invitation": "You are invited to sign in",
}


def send(template: str, recipient: str, user: User, **context: object) -> None:
    """Queue the `template` mail to `recipient` about `user` (not committed)."""
    sender_name = settings.of(user.account_id).sender_name
    issuer = current_app.config["IDP_SETTINGS"].issuer
    outbox.enqueue(
        recipient=recipient, subject=SUBJECTS[template], template=template, account_id=user.account_id,
        sender_name=sender_name,
        context={"user_name": user.name, "account_id": user.account_id, "issuer": issuer,
                 "login_url": f"{issuer}/login", **context},
    )
