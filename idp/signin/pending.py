"""Sign-ins half done, kept in Flask's signed session cookie for five minutes.

`begin`/`get`/`finish`: the password passed and a second factor is due (the
MFA views call `finish`). `begin_password_change`/`password_change`: every
factor passed but the password must be replaced before any session starts
(after MFA, when the principal has it).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Response, redirect, session, url_for

from idp import clock
from idp.signin import sessions
from idp.signin.urls import safe_next
from models import db
from models.user import User

LIFETIME = timedelta(minutes=5)
MFA_KEY = "idp_pending_mfa"
CHANGE_KEY = "idp_pending_password"


def begin(*, account_id: str, user_id: int | None, principal_arn: str, amr: list[str], next_url: str,
          password_change: bool = False) -> None:
    """Remember a sign-in whose first factor passed, awaiting MFA (then, if `password_change`, a new password)."""
    session.pop(CHANGE_KEY, None)
    session[MFA_KEY] = {**_state(account_id, user_id, principal_arn, amr, next_url), "password_change": password_change}


def get() -> dict | None:
    """The pending MFA sign-in (account_id, user_id, principal_arn, amr, next_url), or None when absent or stale."""
    return _live(MFA_KEY)


def clear() -> None:
    """Forget the pending MFA sign-in."""
    session.pop(MFA_KEY, None)


def finish(extra_amr: list[str], acr: str | None) -> Response:
    """Start the session (amr = pending amr + extra_amr + mfa), clear pending, redirect to where sign-in began."""
    state = get()
    clear()
    if state is None:
        return sessions.login_redirect("/account")
    amr = [*state["amr"], *extra_amr, "mfa"]
    if state.get("password_change"):
        begin_password_change(account_id=state["account_id"], user_id=state["user_id"], amr=amr, acr=acr,
                              principal_arn=state["principal_arn"], next_url=state["next_url"])
        return redirect(url_for("web.password_change"))
    return start_from(state, amr, acr)


def begin_password_change(*, account_id: str, user_id: int, principal_arn: str, amr: list[str], acr: str | None,
                          next_url: str) -> None:
    """Remember a sign-in (all its factors passed) that must set a new password before it becomes a session."""
    session.pop(MFA_KEY, None)
    session[CHANGE_KEY] = {**_state(account_id, user_id, principal_arn, amr, next_url), "acr": acr}


def password_change() -> dict | None:
    """The sign-in waiting for its forced password change, or None."""
    return _live(CHANGE_KEY)


def clear_password_change() -> None:
    """Forget the forced password change."""
    session.pop(CHANGE_KEY, None)


def start_from(state: dict, amr: list[str], acr: str | None) -> Response:
    """Start the session described by a pending state and redirect to its next URL."""
    user = db.session.get(User, state["user_id"]) if state["user_id"] is not None else None
    if state["user_id"] is not None and (user is None or user.login_profile is None):
        # Deleted, or its console password removed, while signing in.
        return sessions.login_redirect(state["next_url"])
    sessions.start(account_id=state["account_id"], user=user, principal_arn=state["principal_arn"], amr=amr, acr=acr)
    return redirect(safe_next(state["next_url"]) or "/account")


def _state(account_id: str, user_id: int | None, principal_arn: str, amr: list[str], next_url: str) -> dict:
    expires = clock.now() + LIFETIME
    return {"account_id": account_id, "user_id": user_id, "principal_arn": principal_arn, "amr": list(amr),
            "next_url": safe_next(next_url) or "/account", "expires": expires.timestamp()}


def _live(key: str) -> dict | None:
    state = session.get(key)
    if not isinstance(state, dict) or state.get("expires", 0) <= clock.now().timestamp():
        session.pop(key, None)
        return None
    return state
