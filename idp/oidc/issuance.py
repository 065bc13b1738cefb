"""Grants and what they issue: refresh-token families, token responses, revocation.

A family is one grant: made when a code is redeemed, it holds the rotating
refresh tokens and stamps the access tokens issued from it (`gid`), so that
revoking the family (code replay, refresh-token reuse, RFC 7009 revocation,
consent withdrawn) refuses them at introspection and userinfo too.
"""
from __future__ import annotations

from datetime import timedelta

from authlib.oauth2.rfc6749 import InvalidGrantError
from sqlalchemy import select, update

from idp import audit, clock
from idp.authz import liveness
from idp.oidc import admission, tokens
from idp.oidc.subjects import Subject
from models import db
from models.oauth_client import OAuthClient
from models.oauth_grant import AuthorizationCode, RefreshToken, RefreshTokenFamily

REFRESH_TOKEN_LIFETIME = timedelta(days=14)
FAMILY_ABSOLUTE_LIFETIME = timedelta(days=30)


def token_response(client: OAuthClient, subject: Subject | None, scope: str, *, family: RefreshTokenFamily | None,
                   refresh_token: str | None, nonce: str | None = None, resources: list[str] | None = None) -> dict:
    """The RFC 6749 5.1 body: access token, its lifetime and scope, refresh and ID tokens when due.

    The access token is for the APIs in `resources` (default: the grant's; RFC 8707).
    """
    if resources is None:
        resources = list(family.resources or []) if family is not None else []
    if subject is not None:
        _admitted(client, subject)
    access = tokens.access_token(client_id=client.client_id, account_id=subject.account_id if subject else
                                 client.account_id, scope=scope, subject=subject,
                                 grant_id=family.id if family else None, resources=resources)
    body = {"access_token": access.value, "token_type": "Bearer", "expires_in": access.expires_in, "scope": scope}
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    scopes = set(scope.split())
    if subject is not None and "openid" in scopes:
        body["id_token"] = tokens.id_token(client_id=client.client_id, alg=client.id_token_signed_response_alg,
                                           subject=subject, scope=scopes, nonce=nonce, access_token_value=access.value,
                                           grant_id=family.id if family else None)
    return body


def _admitted(client: OAuthClient, subject: Subject) -> None:
    """Defense in depth for codes, device codes and refresh tokens: the client still admits the subject's
    account (an operator may have narrowed `--multi-account` since the grant was made)."""
    try:
        admission.require(client, subject.account_id, actor=subject.sub, surface="token")
    except admission.AccountNotAdmitted as refused:
        raise InvalidGrantError(refused.message) from None


def issue_for_code(client: OAuthClient, subject: Subject, code: AuthorizationCode,
                   resources: list[str] | None = None) -> dict:
    """Start a grant from a redeemed code (for the code's APIs); a refresh token only for clients allowed to refresh.

    `resources` narrows this first access token to some of the code's APIs (RFC 8707 2.2).
    """
    now = clock.now()
    family = RefreshTokenFamily(
        client_id=client.id, subject=code.subject, account_id=code.account_id, user_id=code.user_id,
        scope=code.scope, resources=list(code.resources or []), browser_session_id=code.browser_session_id,
        authorization_code_id=code.id,
        auth_time=code.auth_time, amr=list(code.amr or []), acr=code.acr,
        absolute_expires_at=now + FAMILY_ABSOLUTE_LIFETIME,
    )
    db.session.add(family)
    db.session.flush()
    value = None
    if "refresh_token" in client.grant_types:
        value = tokens.new_secret_value()
        add_refresh_token(family, value)
    audit.record("oauth:IssueTokens", actor=client.client_id, resource=code.subject, account_id=code.account_id,
                 detail={"grant": family.id, "scope": code.scope, "refresh_token": value is not None,
                         "resources": family.resources})
    return token_response(client, subject, code.scope, family=family, refresh_token=value, nonce=code.nonce,
                          resources=resources)


def add_refresh_token(family: RefreshTokenFamily, value: str) -> RefreshToken:
    """Store a new refresh token of the family (hash only), bounded by the family's absolute lifetime."""
    now = clock.now()
    absolute = clock.as_utc(family.absolute_expires_at)
    row = RefreshToken(token_hash=tokens.token_hash(value), family_id=family.id, issued_at=now,
                       expires_at=min(now + REFRESH_TOKEN_LIFETIME, absolute))
    db.session.add(row)
    db.session.flush()
    return row


def revoke_family(family_id: int, reason: str) -> bool:
    """Revoke one grant; True when it was live."""
    return db.session.execute(
        update(RefreshTokenFamily).where(RefreshTokenFamily.id == family_id, RefreshTokenFamily.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason)
    ).rowcount == 1


def revoke_grants_of_code(code_id: int, reason: str) -> list[int]:
    """Revoke every grant made from a code (a replayed code)."""
    ids = list(db.session.scalars(select(RefreshTokenFamily.id).where(
        RefreshTokenFamily.authorization_code_id == code_id)))
    for family_id in ids:
        revoke_family(family_id, reason)
    return ids


def revoke_grants_of(user_pk: int | None, account_id: str, client_pk: int, reason: str) -> int:
    """Revoke a subject's grants to one client (consent withdrawn); the count revoked."""
    condition = (RefreshTokenFamily.user_id == user_pk) if user_pk is not None else RefreshTokenFamily.user_id.is_(None)
    return db.session.execute(
        update(RefreshTokenFamily).where(
            condition, RefreshTokenFamily.account_id == account_id, RefreshTokenFamily.client_id == client_pk,
            RefreshTokenFamily.revoked_at.is_(None),
        ).values(revoked_at=clock.now(), revoked_reason=reason)
    ).rowcount


def grant_is_live(grant_id: str | None) -> bool:
    """True for tokens without a grant (client credentials) and for grants neither revoked nor expired (read now)."""
    return grant_id is None or liveness.grant_is_live(grant_id, max_age=0)
