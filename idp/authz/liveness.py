"""Whether an access token of this issuer is still live: its grant (`gid`) and its own `jti` not revoked.

One function, `check_live`, for every path that accepts our access tokens:
the bearer authorizer (`POST /authorize`, `idp.authz`, the decorators),
userinfo, introspection and token exchange. A grant is a refresh-token family:
revoking it (RFC 7009, sign-out of the browser session it was made in,
withdrawing consent on /account/apps, code or refresh-token replay) refuses
every access token stamped with its `gid`; a token of no grant (client
credentials) is revoked by `jti` in the replay table's `revoked-access-token`
namespace. Answers are remembered per app for at most `max_age` seconds
(default `IDP_AUTHZ_REFRESH_SECONDS`, measured on the app's clock), so a
revocation made on another instance is honoured on the bearer path within
that delay; a revoked answer is final and kept.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import Select, select, update

from idp import clock
from idp.cache import Cache, app_cache
from idp.keys.jwt import InvalidToken
from models import db
from models.jti import UsedJti
from models.oauth_grant import RefreshTokenFamily

REVOKED_NAMESPACE = "revoked-access-token"
# The jtis of the access tokens (of no grant) a token was exchanged from: it dies when any of them is revoked.
BOUND_JTI_CLAIM = "bound_jti"
MAX_BOUND = 10
MAX_REMEMBERED = 10_000


class RevokedToken(InvalidToken):
    """An access token whose grant or own id was revoked (or whose grant expired); `claims` are its verified claims."""

    def __init__(self, message: str, claims: dict | None = None):
        super().__init__(message)
        self.claims = claims or {}


def check_live(claims: dict, *, max_age: float | None = None) -> None:
    """Raise RevokedToken unless the token's grant and jti are live (answers at most `max_age` seconds old)."""
    if not is_live(claims, max_age=max_age):
        raise RevokedToken("the access token has been revoked", claims)


def is_live(claims: dict, *, max_age: float | None = None) -> bool:
    """True when neither the token's grant nor the token itself is revoked, and the grant has not expired."""
    if max_age is None:
        max_age = current_app.config["IDP_SETTINGS"].authz_refresh_seconds
    grant = claims.get("gid")
    if grant is not None and not grant_is_live(grant, max_age=max_age):
        return False
    jtis = [claims.get("jti"), *_bound(claims)]
    return all(_remembered(("jti", str(jti)), max_age, lambda jti=jti: _jti_is_live(jti)) for jti in jtis)


def bound_jtis(subject: dict) -> list[str]:
    """What a token exchanged from `subject` (our access token) is bound to by jti: the subject's own chain
    and, when the subject belongs to no grant, its jti."""
    bound = _bound(subject)
    if "gid" not in subject and isinstance(subject.get("jti"), str) and "scope" in subject:
        bound = [*bound, subject["jti"]]
    return bound[-MAX_BOUND:]


def _bound(claims: dict) -> list[str]:
    value = claims.get(BOUND_JTI_CLAIM)
    return [item for item in value if isinstance(item, str)][:MAX_BOUND] if isinstance(value, list) else []


def grant_is_live(grant: object, *, max_age: float | None = None) -> bool:
    """True when the grant (refresh-token family) `grant` is neither revoked nor past its absolute lifetime."""
    if max_age is None:
        max_age = current_app.config["IDP_SETTINGS"].authz_refresh_seconds
    return _remembered(("gid", str(grant)), max_age, lambda: _grant_is_live(grant))


def _answers() -> Cache[tuple[bool, float]]:
    """(grant or jti) -> (live?, the app clock's timestamp of the answer)."""
    return app_cache("idp.token_liveness", MAX_REMEMBERED)


def _remembered(key: tuple[str, str], max_age: float, load) -> bool:
    answers = _answers()
    now = clock.now().timestamp()
    seen = answers.get(key)
    if seen is not None and (not seen[0] or now - seen[1] < max_age):
        return seen[0]
    live = load()
    if max_age > 0:
        answers.put(key, (live, now))
    return live


def _grant_is_live(grant: object) -> bool:
    if not isinstance(grant, str) or not grant.isdigit() or len(grant) > 18:
        return False
    row = db.session.execute(select(RefreshTokenFamily.revoked_at, RefreshTokenFamily.absolute_expires_at)
                             .where(RefreshTokenFamily.id == int(grant))).first()
    return row is not None and row[0] is None and clock.as_utc(row[1]) > clock.now()


def _jti_is_live(jti: object) -> bool:
    if not isinstance(jti, str) or not jti:
        return False
    return db.session.scalar(select(UsedJti.id).where(
        UsedJti.issuer == REVOKED_NAMESPACE, UsedJti.jti == jti)) is None


def end_grants_of_sessions(session_ids: Select, reason: str) -> int:
    """Revoke every live grant made in the browser sessions whose id hashes `session_ids` selects.

    A grant dies with the session it was made in whenever that session is ended on purpose (sign-out,
    password change, an administrator's new password, the user ending it on /account); call this before
    marking the sessions revoked. Renewal at sign-in or step-up is not an end.
    """
    return db.session.execute(
        update(RefreshTokenFamily).where(RefreshTokenFamily.browser_session_id.in_(session_ids),
                                         RefreshTokenFamily.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason)
    ).rowcount or 0
