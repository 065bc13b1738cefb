"""Console passwords of IAM users (login profiles), checked against the account password policy.

Passwords are stored only as argon2id hashes; the clear text never leaves
the request that carried it.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy import update as sql_update

from idp import clock
from idp.authz.liveness import end_grants_of_sessions
from idp.config import REPO_ROOT
from idp.errors import ClientError, Conflict, NotFound
from idp.iam import account_settings
from idp.iam.passwords import hash_password, verify_password
from models import db
from models.session import BrowserSession
from models.user import LoginProfile, User

MIN_LENGTH = 8  # our floor, whatever the account policy says (AWS's default policy minimum)
MAX_LENGTH = 128
MAX_REMEMBERED = 24  # the largest PasswordReusePrevention
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")
COMMON_PASSWORDS_FILE = REPO_ROOT / "idp" / "iam" / "common_passwords.txt"
COMMON_MESSAGE = "Password is too common; choose a less predictable one"


class PasswordPolicyViolation(ClientError):
    code = "PasswordPolicyViolation"


def violations(password: str, policy: dict[str, Any] | None) -> list[str]:
    """What `password` lacks under `policy` (None: no account policy), in AWS's words."""
    policy = policy or {}
    minimum = max(MIN_LENGTH, policy.get("MinimumPasswordLength", MIN_LENGTH))
    rules = [
        (len(password) >= minimum, f"Password should have at least {minimum} characters"),
        (len(password) <= MAX_LENGTH, f"Password should have at most {MAX_LENGTH} characters"),
        (not policy.get("RequireUppercaseCharacters") or any("A" <= c <= "Z" for c in password),
         "Password should have at least one uppercase letter"),
        (not policy.get("RequireLowercaseCharacters") or any("a" <= c <= "z" for c in password),
         "Password should have at least one lowercase letter"),
        (not policy.get("RequireNumbers") or any("0" <= c <= "9" for c in password),
         "Password should have at least one number"),
        (not policy.get("RequireSymbols") or any(c in SYMBOLS for c in password),
         "Password should have at least one symbol"),
    ]
    return [message for satisfied, message in rules if not satisfied]


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords (lower case), read once per process."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """True when `password` is on the bundled list, whatever its case."""
    return password.lower() in common_passwords()


def check(account_id: str, password: str) -> None:
    """PasswordPolicyViolation (400) with the first rule `password` breaks, the common-password list last."""
    broken = violations(password, account_settings.password_policy(account_id))
    if broken:
        raise PasswordPolicyViolation(broken[0])
    if is_common(password):
        raise PasswordPolicyViolation(COMMON_MESSAGE)


def find(user: User) -> LoginProfile | None:
    """The user's login profile, or None."""
    return user.login_profile


def get(user: User) -> LoginProfile:
    """The user's login profile, or NoSuchEntity as AWS words it."""
    if user.login_profile is None:
        raise NotFound(f"Login Profile for User {user.name} cannot be found.")
    return user.login_profile


def create(user: User, password: str, reset_required: bool) -> LoginProfile:
    """Give `user` a console password; EntityAlreadyExists when it has one."""
    if user.login_profile is not None:
        raise Conflict(f"Login Profile for user {user.name} already exists.")
    check(user.account_id, password)
    now = clock.now()
    profile = LoginProfile(
        password_hash=hash_password(password), password_reset_required=reset_required,
        password_changed_at=now, previous_password_hashes=[], created_at=now,
    )
    user.login_profile = profile
    db.session.flush()
    return profile


def update(profile: LoginProfile, password: str | None, reset_required: bool | None) -> None:
    """Set a new password (policy and reuse rules apply) and/or the reset-required flag.

    An administrator's new password signs the user out of every browser.
    """
    if password is not None:
        set_password(profile, password)
        revoke_browser_sessions(profile.user_id)
    if reset_required is not None:
        profile.password_reset_required = reset_required
    db.session.flush()


def set_password(profile: LoginProfile, password: str) -> None:
    """Replace the password after the policy checks, remembering the old hash for reuse prevention."""
    account_id = profile.user.account_id
    check(account_id, password)
    reuse = (account_settings.password_policy(account_id) or {}).get("PasswordReusePrevention")
    if reuse:
        # The current password counts as one of the last `reuse` passwords.
        recent = [profile.password_hash, *profile.previous_password_hashes[: reuse - 1]]
        if any(verify_password(stored, password) for stored in recent):
            raise PasswordPolicyViolation(f"Password should not be one of your last {reuse} passwords")
    profile.previous_password_hashes = [profile.password_hash, *profile.previous_password_hashes][:MAX_REMEMBERED]
    profile.password_hash = hash_password(password)
    profile.password_changed_at = clock.now()


def delete(user: User) -> None:
    """Remove the user's console password; NoSuchEntity when there is none."""
    get(user)
    user.login_profile = None  # delete-orphan: the row goes at flush
    revoke_browser_sessions(user.id)
    db.session.flush()


def revoke_browser_sessions(user_id: int) -> int:
    """Sign the user out of every browser (a DB row per session, so on every instance) and end the grants made
    there; returns how many sessions ended."""
    end_grants_of_sessions(select(BrowserSession.id_hash).where(
        BrowserSession.user_id == user_id, BrowserSession.revoked_at.is_(None)), "sessions_revoked")
    result = db.session.execute(
        sql_update(BrowserSession)
        .where(BrowserSession.user_id == user_id, BrowserSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return result.rowcount or 0


def password_expired(profile: LoginProfile, policy: dict[str, Any] | None, now: datetime | None = None) -> bool:
    """True when the account policy's MaxPasswordAge has passed since the last change (for sign-in)."""
    max_age = (policy or {}).get("MaxPasswordAge")
    changed = profile.password_changed_at or profile.created_at
    return bool(max_age) and (now or clock.now()) - changed >= timedelta(days=max_age)
