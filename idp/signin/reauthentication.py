"""Recent authentication: whether a session's sign-in is recent, and stepping it up with a password or a code.

The web's `recent_auth_required` decorator asks these before a credential is added or replaced. A password
is checked on the sign-in form's throttle key, a code through the shared factor check
(`idp.signin.factor_checks`); each failure is counted and audited in the request's work.
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from idp import audit, clock
from idp.errors import AccessDenied, TooManyRequests
from idp.signin import factor_checks, passwords, sessions, throttle
from idp.signin.factors import Owner, devices, factor_attempt, owner_of

if TYPE_CHECKING:
    from models.session import BrowserSession

# The window factor removal has always used: a sign-in at most five minutes old.
RECENT_AUTH_SECONDS = 300


def is_recent(session: BrowserSession) -> bool:
    """True when the session's last sign-in or step-up is within the window."""
    return clock.as_utc(session.auth_time) >= clock.now() - timedelta(seconds=RECENT_AUTH_SECONDS)


def owner(session: BrowserSession) -> Owner | None:
    """The principal whose factors the session may prove, or None for a federated identity (it signs in again
    upstream)."""
    try:
        return owner_of(session)
    except AccessDenied:
        return None


def can_prove(session: BrowserSession) -> tuple[bool, bool]:
    """(has a password, has an authenticator app): what the confirmation page may ask for."""
    principal = owner(session)
    if principal is None:
        return False, False
    has_password = principal.user is None or principal.user.login_profile is not None
    return has_password, bool(devices(principal, "virtual"))


def _proven(session: BrowserSession, password: str, code: str, address: str | None) -> list[str] | None:
    """The amr a password or code proves for the session's principal (throttled, audited), or None."""
    principal = owner(session)
    if principal is None:
        return None
    if code:
        try:
            factor_checks.totp_code(factor_attempt(principal, "reauth", address=address,
                                                   devices_checked=devices(principal, "virtual")), code)
        except factor_checks.FactorRefused:
            return None
        return ["otp"]
    proving = passwords.Principal(principal.account_id, principal.user, principal.arn)
    key = passwords.throttle_key(proving)
    try:
        throttle.check([key])
    except TooManyRequests:
        _audit_failure(principal, "throttled")
        raise
    if not passwords.verify_current(proving, password):
        throttle.failed(key, throttle.USER_RULE)
        _audit_failure(principal, "wrong_password")
        return None
    return ["pwd"]


def _audit_failure(principal: Owner, reason: str) -> None:
    audit.record("reauthentication_failed", actor=principal.arn, resource=principal.arn, decision="Deny",
                 account_id=principal.account_id, detail={"reason": reason})


def reauthenticate(session: BrowserSession, password: str, code: str, *,
                   address: str | None) -> BrowserSession | None:
    """Check a password or a current code for the session's principal; the stepped-up session, or None.

    A wrong proof is counted and audited in the caller's work, which the caller commits by answering with a
    page; a throttled one raises TooManyRequests, which keeps that work.
    """
    if not (password or code):
        return None
    amr = _proven(session, password, code, address)
    if amr is None:
        return None
    audit.record("reauthenticated", actor=session.principal_arn, resource=session.principal_arn, decision="Allow",
                 account_id=session.account_id, detail={"amr": amr})
    return sessions.step_up(session, amr=amr, acr=None)  # a new id for the new privilege
