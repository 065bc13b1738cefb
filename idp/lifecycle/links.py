"""Single-use links mailed to a user: an opaque random token, stored only as its SHA-256.

Each purpose has its lifetime: verification 24 hours, recovery 15 minutes, invitation 7 days. A link is
spent by `consume` (its `used_at` set in the caller's work, with a conditional UPDATE so that two concurrent
uses cannot both succeed); `peek` only reads it (the page that shows a form before the link is used).
Every refusal is the same `LinkInvalid`: unknown, used, expired and wrong-purpose links look alike.

A recovery or invitation link also stands only while the user is as it was mailed (`_still_meant`): their
email is still the address it went to (for recovery, still verified), and an invitation's user has never
had a password since it was made: setting one, any way (`CreateLoginProfile` too), spends their live
invitations (`_password_set`), so deleting that password later revives none.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, event, or_, update

from idp import clock
from idp.errors import LinkInvalid
from models import db
from models.lifecycle import SingleUseLink
from models.user import LoginProfile, User

VERIFICATION, RECOVERY, INVITATION = "verification", "recovery", "invitation"
LIFETIMES = {VERIFICATION: timedelta(hours=24), RECOVERY: timedelta(minutes=15), INVITATION: timedelta(days=7)}
PATHS = {VERIFICATION: "/account/verify-email", RECOVERY: "/login/reset", INVITATION: "/invitation"}
MAX_TOKEN = 128
PURGE_MARGIN = timedelta(days=1)  # a late click still meets the link (and the same refusal)
INVALID = "This link is not valid: it may have been used already or have expired. Ask for a new one."


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(purpose: str, user: User, email: str | None) -> str:
    """A new link's full URL (built from the issuer) for `user`; only its hash is stored (not committed)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(SingleUseLink(token_hash=hash_token(token), purpose=purpose, account_id=user.account_id,
                                 user_id=user.id, email=email, created_at=now, expires_at=now + LIFETIMES[purpose]))
    db.session.flush()
    return f"{current_app.config['IDP_SETTINGS'].issuer}{PATHS[purpose]}?token={token}"


def peek(token: str, purpose: str) -> SingleUseLink:
    """The live link of `token` for `purpose`, not spent; LinkInvalid otherwise."""
    if not token or len(token) > MAX_TOKEN:
        raise LinkInvalid(INVALID)
    link = db.session.get(SingleUseLink, hash_token(token))
    if link is None or link.purpose != purpose or link.used_at is not None or link.expires_at <= clock.now():
        raise LinkInvalid(INVALID)
    if not _still_meant(link):
        raise LinkInvalid(INVALID)
    return link


def _still_meant(link: SingleUseLink) -> bool:
    """Whether the user is still the one the link was mailed to (see module); verification links check their own
    address (`idp.lifecycle.verification`)."""
    if link.purpose not in (RECOVERY, INVITATION):
        return True
    user = db.session.get(User, link.user_id)
    if user is None or not link.email or link.email != user.email:
        return False
    if link.purpose == RECOVERY:
        return bool(user.email_verified) and user.login_profile is not None
    return user.login_profile is None


def consume(token: str, purpose: str) -> SingleUseLink:
    """Spend the link of `token` for `purpose` (in the caller's work); LinkInvalid when it is not live."""
    link = peek(token, purpose)
    now = clock.now()
    spent = db.session.execute(
        update(SingleUseLink).where(SingleUseLink.token_hash == link.token_hash, SingleUseLink.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if spent != 1:
        raise LinkInvalid(INVALID)  # a concurrent use won
    db.session.refresh(link)
    return link


def spend_others(user: User, purpose: str) -> None:
    """Spend the user's other live links of `purpose` (a new password makes older recovery links useless)."""
    db.session.execute(
        update(SingleUseLink).where(SingleUseLink.user_id == user.id, SingleUseLink.purpose == purpose,
                                    SingleUseLink.used_at.is_(None))
        .values(used_at=clock.now())
    )


@event.listens_for(LoginProfile, "after_insert")
def _password_set(_mapper, connection, profile: LoginProfile) -> None:
    """A password set any way (an invitation, CreateLoginProfile, the console) spends the user's live
    invitations in the same transaction: an invitation never outlives the user's first password."""
    connection.execute(
        update(SingleUseLink).where(SingleUseLink.user_id == profile.user_id, SingleUseLink.purpose == INVITATION,
                                    SingleUseLink.used_at.is_(None))
        .values(used_at=clock.now())
    )


def purge(now: datetime) -> int:
    """Delete links spent or expired more than a day before `now` (not committed); how many."""
    stale = now - PURGE_MARGIN
    return db.session.execute(delete(SingleUseLink).where(
        or_(SingleUseLink.expires_at < stale, SingleUseLink.used_at < stale))).rowcount
