"""Email verification: a single-use 24-hour link to a new or changed address; the old address is told.

`email_changed` is called whenever a user's email changes, by `idp.lifecycle.profile_updates.update`
(every profile change goes through it, after `idp.iam.profiles.update_profile` said the email changed).
The link proves the address it was sent to: following it after the email has changed again proves nothing
and is refused. A user invited by an administrator needs no separate link: the
invitation, sent to the same address, verifies it when it is used.
"""
from __future__ import annotations

from sqlalchemy import select

from idp import audit, clock
from idp.errors import LinkInvalid
from idp.iam import profiles, users
from idp.lifecycle import links, notices
from models import db
from models.lifecycle import SelfRegistration, SingleUseLink
from models.user import User


def email_changed(user: User, old_email: str | None) -> None:
    """Send a verification link to the user's new address and a notice to the old one (not committed)."""
    if old_email and old_email.lower() != (user.email or "").lower():
        notices.send("email_changed", old_email, user, new_email=user.email)
    if user.email and not _invited_at(user, user.email):
        send_link(user)


def send_link(user: User) -> None:
    """Mail a fresh verification link for the user's current address."""
    notices.send("verify_email", user.email, user, link=links.issue(links.VERIFICATION, user, user.email))


def verify(token: str) -> User:
    """Spend a verification link and mark its address verified; LinkInvalid when it proves nothing now."""
    link = links.consume(token, links.VERIFICATION)
    user = users.by_key(link.user_id)
    if user is None or not mark_verified(user, link.email):
        raise LinkInvalid(links.INVALID)
    audit.record("email_verified", actor=user.arn, resource=user.arn, decision="Allow",
                 account_id=user.account_id, detail={"via": "link"})
    return user


def mark_verified(user: User, email: str | None) -> bool:
    """Mark `email` verified for `user` (and a self-registration as done); False when it is not theirs now."""
    if not email or not profiles.mark_email_verified(user, email):
        return False
    registration = db.session.get(SelfRegistration, user.id)
    if registration is not None and registration.verified_at is None:
        registration.verified_at = clock.now()
    db.session.flush()
    return True


def _invited_at(user: User, email: str) -> bool:
    """Whether a live invitation was sent to `email` (it will verify the address when used)."""
    return db.session.scalar(select(SingleUseLink.token_hash).where(
        SingleUseLink.user_id == user.id, SingleUseLink.purpose == links.INVITATION,
        SingleUseLink.email == email, SingleUseLink.used_at.is_(None),
        SingleUseLink.expires_at > clock.now())) is not None
