"""Forgotten password: a single-use 15-minute link, mailed only to a verified address; a new password through it.

Asking (`request_link`) answers the same whatever was typed: every request resolves the account and the
user the same way, renders the same mail and writes the same rows (for nobody, the rows are written in a
savepoint that is rolled back), so neither the page nor its timing tells whether a user exists, has a
verified email or was throttled. Requests are throttled per source address (429, which says nothing
about any user) and, silently, per typed user and per recipient (at most `MAX_LINKS_PER_HOUR` links).

Using the link (`reset_password`) applies the account's password policy and the common-password list,
ends every session of the user and its grants, and signs nobody in: the user signs in afterwards with the
new password and, when they have one, their second factor. Recovery never bypasses MFA.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from idp import audit, clock
from idp.errors import LinkInvalid, TooManyRequests
from idp.iam import users
from idp.lifecycle import links, notices
from idp.signin import passwords, throttle
from models import db
from models.lifecycle import SingleUseLink
from models.user import User

MAX_LINKS_PER_HOUR = 3
ADDRESS_RULE = throttle.Rule(free_failures=10, cap=timedelta(minutes=15))
USER_RULE = throttle.Rule(free_failures=3, cap=timedelta(minutes=15))
MAX_INPUT = 320
PLACEHOLDER_LINK = "https://nobody.invalid/login/reset?token=" + "x" * 43  # a real link's length


@dataclass(frozen=True)
class _Nobody:
    """What a request for no one renders, so it costs what a real one does."""

    id: int = 0
    name: str = "nobody"
    account_id: str = "000000000000"
    email: str = "nobody@invalid"


def request_link(account: str, username_or_email: str, *, address: str | None) -> None:
    """Mail a reset link when (account, user name or verified email) names a user who may have one (not committed).

    TooManyRequests only for the source address; everything else looks the same from outside.
    """
    account, typed = account.strip()[:MAX_INPUT], username_or_email.strip()[:MAX_INPUT]
    held_back = _count_request(account, typed, address)
    user = _recipient(account, typed)
    reason = _why_not(user, held_back)
    if reason is None:
        _send(user)
    else:
        _send_to_nobody()
    audit.record("password_recovery_requested", actor=user.arn if user else None,
                 resource=user.arn if user else None, decision="Deny" if reason else "Allow",
                 account_id=user.account_id if user else None,
                 detail={"account": account[:64], "username": typed[:64], "reason": reason or "sent"})


def _count_request(account: str, typed: str, address: str | None) -> bool:
    """Count the request on its address (TooManyRequests while that backs off) and on the typed user; whether
    the typed user's key is backing off (then nothing is sent, silently)."""
    address_key = f"forgot-{throttle.address_key(address)}"
    user_key = f"forgot-{throttle.user_key(passwords.canonical_account(account), typed)}"
    throttle.check([address_key])
    try:
        throttle.check([user_key])
        held_back = False
    except TooManyRequests:
        held_back = True
    throttle.failed(address_key, ADDRESS_RULE)
    throttle.failed(user_key, USER_RULE)
    return held_back


def _why_not(user: User | None, held_back: bool) -> str | None:
    """Why no link goes out (for the audit log only), or None when it does; the same queries either way."""
    recent = _recent_links(user.id if user is not None else 0)
    if user is None:
        return "no_verified_recipient"
    if held_back:
        return "throttled"
    return "too_many_links" if recent >= MAX_LINKS_PER_HOUR else None


def _recipient(account: str, typed: str) -> User | None:
    """The user a verified email can reach: named by user name or by verified email, with a password."""
    found = passwords.find_account(account)
    if found is None or not typed:
        return None
    if "@" in typed:
        matches = list(db.session.scalars(select(User).where(
            User.account_id == found.id, func.lower(User.email) == typed.lower(), User.email_verified.is_(True)
        ).limit(2)))
        user = matches[0] if len(matches) == 1 else None
    else:
        user = users.find(found.id, typed) if len(typed) <= 64 else None
    if user is None or not user.email or not user.email_verified or user.login_profile is None:
        return None
    return user


def _recent_links(user_id: int) -> int:
    since = clock.now() - timedelta(hours=1)
    return db.session.scalar(select(func.count()).select_from(SingleUseLink).where(
        SingleUseLink.user_id == user_id, SingleUseLink.purpose == links.RECOVERY,
        SingleUseLink.created_at > since))


def _send(user: User) -> None:
    notices.send("password_reset", user.email, user, link=links.issue(links.RECOVERY, user, user.email))


def _send_to_nobody() -> None:
    """The work of `_send` for nobody, in a savepoint rolled back: the account's settings read, the mail rendered
    and queued, a link issued (its insert refused by the user foreign key, as nobody has a row): the timing says
    nothing."""
    nobody = _Nobody()
    savepoint = db.session.begin_nested()
    try:
        notices.send("password_reset", nobody.email, nobody, link=PLACEHOLDER_LINK)
        links.issue(links.RECOVERY, nobody, nobody.email)
    except IntegrityError:
        pass  # the link's insert was tried, as for a real user
    finally:
        savepoint.rollback()


def check_link(token: str) -> User:
    """The user a live recovery link is for (the page that asks for the new password); LinkInvalid otherwise."""
    user = users.by_key(links.peek(token, links.RECOVERY).user_id)
    if user is None:
        raise LinkInvalid(links.INVALID)
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set the new password through a live link (PasswordPolicyViolation before anything is written), spend
    the link and the user's other recovery links, end all of their sessions; audited. Not committed."""
    user = check_link(token)
    passwords.set_new_password(passwords.user_principal(user), new_password, forced=False)
    links.consume(token, links.RECOVERY)
    links.spend_others(user, links.RECOVERY)
    audit.record("password_recovered", actor=user.arn, resource=user.arn, decision="Allow",
                 account_id=user.account_id, detail={"via": "link"})
    return user
