"""Server-side browser sessions: the cookie holds a random value, the database its SHA-256.

A session is a `browser_sessions` row, so a revocation is seen by every
instance at its next request. Ids are renewed at sign-in and at step-up; a
cookie value that matches no live session is never adopted. Nothing here
commits: the request's unit of work (`idp.work`) does, and a new session's
cookie is sent only when its row was committed with it.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Response, after_this_request, redirect, request, url_for
from flask import session as flask_session
from sqlalchemy import inspect, select, update

from idp import audit, clock
from idp.authz.liveness import end_grants_of_sessions
from idp.iam.accounts import root_arn
from idp.signin.cookies import current_cookie_policy
from idp.signin.urls import safe_next
from models import db
from models.session import BrowserSession
from models.user import User

COOKIE = "idp_session"
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# Sliding the idle expiry writes a row; once a minute per session is plenty.
SLIDE_AFTER = timedelta(seconds=60)
MAX_COOKIE_LENGTH = 128
ACR_PASSWORD = "urn:idp:acr:pwd"
ACR_MFA = "urn:idp:acr:mfa"
# Cached per request in the WSGI environ: `g` outlives a request when an app context was already pushed.
_CACHE = "idp.browser_session"


def cookie_name() -> str:
    """`__Host-idp_session`, or `idp_session` on loopback http."""
    return current_cookie_policy().name(COOKIE)


def hash_id(value: str) -> str:
    """The stored form of a cookie value."""
    return hashlib.sha256(value.encode()).hexdigest()


def _cookie_row() -> BrowserSession | None:
    value = request.cookies.get(cookie_name())
    if not value or len(value) > MAX_COOKIE_LENGTH:
        return None
    return db.session.get(BrowserSession, hash_id(value))


def current() -> BrowserSession | None:
    """The live session of this request's cookie (expiry and revocation checked, idle expiry slid)."""
    if _CACHE in request.environ:
        return request.environ[_CACHE]
    row = _cookie_row()
    now = clock.now()
    if row is None or not row.is_active(now):
        row = None
    elif now - (row.last_seen_at or row.created_at) >= SLIDE_AFTER:
        row.last_seen_at = now
        row.idle_expires_at = min(now + IDLE_TIMEOUT, row.absolute_expires_at)
    request.environ[_CACHE] = row
    return row


def start(
    *, account_id: str, user: User | None, principal_arn: str, amr: list[str], acr: str | None
) -> BrowserSession:
    """A new session with a fresh random id (any session of the current cookie is revoked); audits `signin`."""
    previous = _cookie_row()
    if previous is not None and previous.revoked_at is None:
        _mark_revoked(previous, "renewed")
    now = clock.now()
    value = secrets.token_urlsafe(32)
    row = BrowserSession(
        id_hash=hash_id(value), account_id=account_id, user_id=user.id if user else None,
        principal_arn=principal_arn, created_at=now, last_seen_at=now, idle_expires_at=now + IDLE_TIMEOUT,
        absolute_expires_at=now + ABSOLUTE_TIMEOUT, auth_time=now, amr=_unique(amr), acr=acr,
        user_agent=(request.user_agent.string or "")[:512] or None, source_ip=request.remote_addr,
    )
    db.session.add(row)
    audit.record("signin", actor=principal_arn, resource=principal_arn, decision="Allow", account_id=account_id,
                 detail={"amr": row.amr, "acr": acr, "session": row.id_hash[:16]})
    _issue_cookie(value, row)
    # A new CSRF token for the new privilege level (Flask-WTF makes one on the next form).
    flask_session.pop("csrf_token", None)
    return row


def step_up(session: BrowserSession, *, amr: list[str], acr: str | None) -> BrowserSession:
    """Renew the id after another factor: amr merged, auth_time now, the old id revoked."""
    now = clock.now()
    value = secrets.token_urlsafe(32)
    row = BrowserSession(
        id_hash=hash_id(value), account_id=session.account_id, user_id=session.user_id,
        principal_arn=session.principal_arn, created_at=now, last_seen_at=now,
        idle_expires_at=now + IDLE_TIMEOUT, absolute_expires_at=now + ABSOLUTE_TIMEOUT, auth_time=now,
        amr=_unique([*session.amr, *amr]), acr=acr or session.acr, user_agent=session.user_agent,
        source_ip=request.remote_addr,
    )
    _mark_revoked(session, "step_up")
    db.session.add(row)
    audit.record("session_step_up", actor=row.principal_arn, resource=row.principal_arn, decision="Allow",
                 account_id=row.account_id, detail={"amr": row.amr, "acr": row.acr, "session": row.id_hash[:16]})
    _issue_cookie(value, row)
    return row


def renew(session: BrowserSession, reason: str) -> BrowserSession:
    """A new id for this browser after a credential change: the old id (and any stolen copy of its cookie) and
    the grants made under it end; the person keeps working under the new one (auth_time now: they just proved it)."""
    end_grants_of_sessions(select(BrowserSession.id_hash).where(BrowserSession.id_hash == session.id_hash), reason)
    return step_up(session, amr=[], acr=None)


def revoke(session: BrowserSession, reason: str) -> int:
    """End one session and the grants made in it (audited); clears the cookie when it is this request's own.

    Returns how many grants were revoked.
    """
    grants = end_grants_of_sessions(select(BrowserSession.id_hash).where(BrowserSession.id_hash == session.id_hash),
                                    reason)
    _mark_revoked(session, reason)
    if session is request.environ.get(_CACHE):
        request.environ[_CACHE] = None
        after_this_request(_clear_cookie)
    return grants


def revoke_all(account_id: str, user_id: int | None, *, except_id_hash: str | None = None, reason: str) -> int:
    """End every live session of a user (None: the account root user) but `except_id_hash`, and their grants.

    Returns how many sessions ended.
    """
    owner = BrowserSession.user_id == user_id if user_id is not None else (
        BrowserSession.user_id.is_(None) & (BrowserSession.principal_arn == root_arn(account_id)))
    which = [BrowserSession.account_id == account_id, owner, BrowserSession.revoked_at.is_(None)]
    if except_id_hash is not None:
        which.append(BrowserSession.id_hash != except_id_hash)
    end_grants_of_sessions(select(BrowserSession.id_hash).where(*which), reason)
    query = update(BrowserSession).where(*which)
    count = db.session.execute(query.values(revoked_at=clock.now())).rowcount or 0
    audit.record("session_revoked", account_id=account_id, decision="Allow",
                 actor=request.environ[_CACHE].principal_arn if request.environ.get(_CACHE) else None,
                 detail={"reason": reason, "count": count, "user_id": user_id})
    return count


def active_for(session: BrowserSession) -> list[BrowserSession]:
    """The live sessions of the same principal, newest first."""
    now = clock.now()
    rows = db.session.scalars(
        select(BrowserSession).where(
            BrowserSession.account_id == session.account_id,
            BrowserSession.principal_arn == session.principal_arn, BrowserSession.revoked_at.is_(None),
        ).order_by(BrowserSession.created_at.desc())
    )
    return [row for row in rows if row.is_active(now)]


def login_redirect(next_url: str) -> Response:
    """302 to the sign-in page, coming back to `next_url` (when it is a local path) afterwards."""
    target = safe_next(next_url)
    return redirect(url_for("web.login", next=target) if target else url_for("web.login"))


def _mark_revoked(session: BrowserSession, reason: str) -> None:
    session.revoked_at = clock.now()
    audit.record("session_revoked", actor=session.principal_arn, resource=session.principal_arn, decision="Allow",
                 account_id=session.account_id, detail={"reason": reason, "session": session.id_hash[:16]})


def _issue_cookie(value: str, row: BrowserSession) -> None:
    # Later calls to current() in this request see the new session.
    request.environ[_CACHE] = row
    policy = current_cookie_policy()

    @after_this_request
    def _set(response: Response) -> Response:
        # Only a committed row is persistent here: when the request's work was rolled back (an error after a
        # step-up, a failed commit), the browser keeps its cookie, whose session was not revoked either.
        if inspect(row).persistent:
            response.set_cookie(cookie_name(), value, secure=policy.secure, httponly=True, samesite="Lax", path="/")
        return response


def _clear_cookie(response: Response) -> Response:
    policy = current_cookie_policy()
    response.delete_cookie(cookie_name(), secure=policy.secure, httponly=True, samesite="Lax", path="/")
    return response


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
