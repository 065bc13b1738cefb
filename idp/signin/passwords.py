"""Who is signing in: resolve account and user name, verify the password, change it.

Every attempt costs exactly one argon2id verification, against a dummy hash
when the account, the user or its login profile does not exist, so neither
the answer nor its timing tells which part was wrong. A user name no local
user of the account has a password for goes to the account's LDAP upstreams
instead, when it has any: the login form hands in the directory check
(`directory`, which is `idp.federation.ldap.signin.authenticate`), and the
directory checks the password (the dummy argon2id verification is done all the
same, so a directory attempt is no cheaper than a local one).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import func, select

from idp import audit, clock, metrics
from idp.errors import EmailNotVerified, TooManyRequests
from idp.iam import account_settings, login_profiles, users
from idp.iam.accounts import root_arn
from idp.iam.passwords import hash_password, verify_password
from idp.signin import sessions, throttle
from models import db
from models.account import Account
from models.lifecycle import SelfRegistration
from models.user import User

if TYPE_CHECKING:
    from models.session import BrowserSession

ROOT_USERNAME = "root"
MAX_INPUT = 256


class DirectoryVerdict(Protocol):
    """A directory's answer on a password: the signed-in `user`, or None and the `reason` for the audit log."""

    user: User | None
    reason: str


# (account id, user name, password) -> the verdict, or None when the account has no directory.
Directory = Callable[[str, str, str], "DirectoryVerdict | None"]
EMAIL_NOT_VERIFIED = "Confirm your email address first: follow the link we sent you, then sign in."


@dataclass(frozen=True)
class Principal:
    """A person who proved their password: the account root user (`user` None) or an IAM user."""

    account_id: str
    user: User | None
    arn: str

    @property
    def is_root(self) -> bool:
        return self.user is None


def principal_of(session: BrowserSession) -> Principal:
    """The session's principal with its user row (None for the root user and for an unlinked federated sign-in:
    tell those apart by the ARN)."""
    user = db.session.get(User, session.user_id) if session.user_id is not None else None
    return Principal(session.account_id, user, session.principal_arn)


def user_principal(user: User) -> Principal:
    """An IAM user as a password principal."""
    return Principal(user.account_id, user, user.arn)


def throttle_key(principal: Principal) -> str:
    """The principal's key in the sign-in form's throttle, which every check of its current password counts on."""
    return throttle.user_key(principal.account_id, principal.user.name if principal.user else ROOT_USERNAME)


def confirm_current(principal: Principal, password: str, *, refused: str, detail: dict | None = None) -> bool:
    """Check the principal's current password before a change (password, link): on the sign-in form's throttle
    key, so a stolen session is no password-guessing oracle. TooManyRequests while that key backs off; a wrong
    password is counted and audited as `refused` (Deny) in the caller's work, which a page answering it commits."""
    key = throttle_key(principal)
    throttle.check([key])
    if verify_current(principal, password):
        return True
    throttle.failed(key, throttle.USER_RULE)
    audit.record(refused, actor=principal.arn, resource=principal.arn, decision="Deny",
                 account_id=principal.account_id, detail={**(detail or {}), "reason": "wrong_current_password"})
    return False


@dataclass(frozen=True)
class Attempt:
    """The outcome of one password check: `principal` on success, else an internal `reason` for the audit log."""

    principal: Principal | None
    reason: str
    claimed_arn: str | None = None
    account_id: str | None = None


def find_account(account: str) -> Account | None:
    """The account by 12-digit id or by alias (case-insensitive)."""
    account = account.strip()
    if not account or len(account) > 63:
        return None
    if account.isdigit():
        return db.session.get(Account, account)
    return db.session.scalar(select(Account).where(func.lower(Account.alias) == account.lower()))


def canonical_account(account: str) -> str:
    """The account id when `account` names one (id or alias), else the input: one throttle key per account."""
    found = find_account(account[:MAX_INPUT])
    return found.id if found is not None else account.strip().lower()


def authenticate(account: str, username: str, password: str, directory: Directory | None = None) -> Attempt:
    """Check a password for (account id or alias, user name or `root`); a user name no local user of the account
    has a password for goes to `directory`, when given and the account has one."""
    found = find_account(account[:MAX_INPUT])
    username = username.strip()[:MAX_INPUT]
    stored, principal, reason = None, None, "unknown_account"
    if found is not None and username == ROOT_USERNAME:
        stored, reason = found.root_password_hash, "no_root_password"
        principal = Principal(found.id, None, root_arn(found.id))
    elif found is not None:
        user = users.find(found.id, username) if 1 <= len(username) <= 64 else None
        reason = "unknown_user"
        # A directory user signed in before is a local user without a password: the directory still decides.
        asks_directory = directory is not None and (user is None or user.login_profile is None)
        verdict = directory(found.id, username, password[:MAX_INPUT * 4]) if asks_directory else None
        if verdict is not None:
            verify_password(None, password[:MAX_INPUT * 4])  # the one argon2id verification of every attempt
            return _directory_attempt(found.id, verdict)
        if user is not None:
            reason = "no_login_profile"
            principal = Principal(found.id, user, user.arn)
            stored = user.login_profile.password_hash if user.login_profile else None
    valid = verify_password(stored, password[:MAX_INPUT * 4])
    claimed = principal.arn if principal else None
    account_id = found.id if found else None
    if stored is None:
        return Attempt(None, reason, claimed, account_id)
    if not valid:
        return Attempt(None, "wrong_password", claimed, account_id)
    if _hard_expired(principal):
        return Attempt(None, "password_expired_hard", claimed, account_id)
    if _awaiting_verification(principal):
        audit.note("signin_failed", actor=principal.arn, resource=principal.arn, decision="Deny",
                   account_id=principal.account_id, detail={"reason": "email_not_verified"})
        raise EmailNotVerified(EMAIL_NOT_VERIFIED)
    _note_use(principal)
    return Attempt(principal, "ok", claimed, account_id)


def _directory_attempt(account_id: str, verdict: DirectoryVerdict) -> Attempt:
    if verdict.user is None:
        return Attempt(None, verdict.reason, None, account_id)
    return Attempt(user_principal(verdict.user), "ok", verdict.user.arn, account_id)


def sign_in(account: str, username: str, password: str, *, address: str | None,
            directory: Directory | None = None) -> Principal | None:
    """The login form's password check, throttled per (account, user name) and per source address; `directory`
    checks the names no local user has a password for (a directory that does not answer is a failure like any
    other: counted, audited with its reason, answered with the generic message).

    One argon2id verification either way; a failure is counted on both keys and audited `signin_failed` in the
    caller's work (None). TooManyRequests (audited, keeping the work) while a key backs off. A success clears
    the user key's earlier failures (the address key only decays).
    """
    keys = [throttle.user_key(canonical_account(account), username), throttle.address_key(address)]
    try:
        counted = throttle.check(keys)
    except TooManyRequests:
        _audit_signin_failure(None, None, account, username, "throttled")
        metrics.record_signin("throttled")
        raise
    attempt = authenticate(account, username, password, directory)
    if attempt.principal is None:
        throttle.failed(keys[0], throttle.USER_RULE)
        throttle.failed(keys[1], throttle.ADDRESS_RULE)
        _audit_signin_failure(attempt.account_id, attempt.claimed_arn, account, username, attempt.reason)
        metrics.record_signin("bad_password")
        return None
    if keys[0] in counted:  # no write at all for the common case of no earlier failure
        throttle.succeeded(keys[0])
    metrics.record_signin("success")
    return attempt.principal


def _audit_signin_failure(account_id: str | None, claimed_arn: str | None, account: str, username: str,
                          reason: str) -> None:
    audit.record("signin_failed", actor=claimed_arn, resource=claimed_arn, decision="Deny", account_id=account_id,
                 detail={"account": account[:64], "username": username[:64], "reason": reason})


def password_change_required(principal: Principal) -> bool:
    """True when an IAM user must set a new password first (reset required, or expired under MaxPasswordAge)."""
    if principal.user is None or principal.user.login_profile is None:
        return False
    profile = principal.user.login_profile
    policy = account_settings.password_policy(principal.account_id)
    return profile.password_reset_required or login_profiles.password_expired(profile, policy)


def verify_current(principal: Principal, password: str) -> bool:
    """True when `password` is the principal's current one (one argon2id verification either way)."""
    if principal.user is None:
        stored = db.session.get(Account, principal.account_id).root_password_hash
    else:
        stored = principal.user.login_profile.password_hash if principal.user.login_profile else None
    return verify_password(stored, password[:MAX_INPUT * 4])


def change_password(principal: Principal, new_password: str) -> None:
    """Set a new password under the account policy (root: length and common-password rules only); not committed."""
    if principal.user is None:
        _check_root(principal.account_id, new_password)
        db.session.get(Account, principal.account_id).root_password_hash = hash_password(new_password)
        db.session.flush()
        return
    profile = login_profiles.get(principal.user)
    login_profiles.set_password(profile, new_password)
    profile.password_reset_required = False
    db.session.flush()


def set_new_password(principal: Principal, new_password: str, *, forced: bool,
                     except_id_hash: str | None = None) -> None:
    """Change the principal's password (PasswordPolicyViolation, before anything is written, if it breaks the
    policy), audit `password_changed`, and end every other session of the principal and its grants."""
    change_password(principal, new_password)
    audit.record("password_changed", actor=principal.arn, resource=principal.arn, decision="Allow",
                 account_id=principal.account_id, detail={"forced": forced})
    sessions.revoke_all(principal.account_id, principal.user.id if principal.user else None,
                        except_id_hash=except_id_hash, reason="password_changed")


def _check_root(account_id: str, password: str) -> None:
    # The IAM password policy does not apply to the root user (as at AWS); our floor and the list do.
    broken = login_profiles.violations(password, None)
    if broken:
        raise login_profiles.PasswordPolicyViolation(broken[0])
    if login_profiles.is_common(password):
        raise login_profiles.PasswordPolicyViolation(login_profiles.COMMON_MESSAGE)


def _hard_expired(principal: Principal) -> bool:
    # HardExpiry: an expired password can only be reset by an administrator.
    if principal.user is None or principal.user.login_profile is None:
        return False
    policy = account_settings.password_policy(principal.account_id) or {}
    return bool(policy.get("HardExpiry")) and login_profiles.password_expired(principal.user.login_profile, policy)


def _awaiting_verification(principal: Principal) -> bool:
    # A self-registered user (idp.lifecycle.registration) signs in only once their email is verified.
    registration = db.session.get(SelfRegistration, principal.user.id) if principal.user else None
    return registration is not None and registration.verified_at is None


def _note_use(principal: Principal) -> None:
    now = clock.now()
    if principal.user is None:
        db.session.get(Account, principal.account_id).root_password_last_used = now
    else:
        principal.user.password_last_used = now
