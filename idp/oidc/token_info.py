"""Introspection (RFC 7662) and revocation (RFC 7009) of our access and refresh tokens."""
from __future__ import annotations

from datetime import datetime, timezone

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from idp import audit, clock
from idp.authz import liveness
from idp.clock import as_utc
from idp.keys import jwt, verify_own_token
from idp.oidc import issuance, tokens
from idp.oidc.grants.client_credentials import CLIENT_AUTH_METHODS
from models import db
from models.jti import UsedJti
from models.oauth_grant import RefreshToken, RefreshTokenFamily

# Revoked access tokens (those of no grant: client credentials) share the jti table, in their own namespace.
REVOKED_NAMESPACE = liveness.REVOKED_NAMESPACE


class AccessTokenRecord:
    """A verified access token JWT."""

    kind = "access_token"

    def __init__(self, claims: dict):
        self.claims = claims

    def check_client(self, client) -> bool:
        """Only the client it was issued to may introspect or revoke it."""
        return self.claims.get("client_id") == client.client_id

    def is_expired(self) -> bool:
        return self.claims["exp"] <= clock.now().timestamp()

    def is_revoked(self) -> bool:
        return not access_token_is_live(self.claims)


class RefreshTokenRecord:
    """A stored refresh token and its family."""

    kind = "refresh_token"

    def __init__(self, row: RefreshToken, family: RefreshTokenFamily):
        self.row, self.family = row, family

    def check_client(self, client) -> bool:
        return self.family.client_id == client.model.id

    def is_expired(self) -> bool:
        now = clock.now()
        return as_utc(self.row.expires_at) <= now or as_utc(self.family.absolute_expires_at) <= now

    def is_revoked(self) -> bool:
        return self.family.revoked_at is not None or self.row.used_at is not None


def verified_access_token(value: str, *, audience: str | None = None) -> dict | None:
    """The claims of an access token this issuer signed (typ at+jwt, whatever APIs its `aud` names), or None.

    Introspection and revocation are the issuer's own business with the client the token was issued to, so
    a token exchanged for APIs alone is still found here; userinfo names the issuer as `audience`."""
    try:
        if jwt.unverified_header(value).get("typ") != tokens.ACCESS_TOKEN_TYP:
            return None
        return verify_own_token(value, kind=jwt.ACCESS_TOKEN, audience=audience)
    except jwt.InvalidToken:
        return None


def access_token_is_live(claims: dict) -> bool:
    """Neither its grant revoked nor the token itself revoked: the authorizer's one check, read now."""
    return liveness.is_live(claims, max_age=0)


def find_token(value: str, hint: str | None):
    """An access token or refresh token record for `value`, or None."""
    if not isinstance(value, str) or not value or len(value) > jwt.MAX_TOKEN_BYTES:
        return None
    order = ("refresh_token", "access_token") if hint == "refresh_token" else ("access_token", "refresh_token")
    for kind in order:
        if kind == "access_token" and value.count(".") == 2:
            claims = verified_access_token(value)
            if claims is not None:
                return AccessTokenRecord(claims)
        if kind == "refresh_token" and value.count(".") == 0:
            row = db.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == tokens.token_hash(value)))
            if row is not None:
                return RefreshTokenRecord(row, db.session.get(RefreshTokenFamily, row.family_id))
    return None


class Introspection(IntrospectionEndpoint):
    """Client-authenticated; a client only learns about its own tokens."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None):
        return find_token(token_string, token_type_hint)

    def check_permission(self, token, client, request) -> bool:
        return token.check_client(client)

    def introspect_token(self, token) -> dict:
        if isinstance(token, AccessTokenRecord):
            claims = token.claims
            keep = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "jti", "auth_time", "acr", "amr")
            return {"active": True, "token_type": "Bearer", **{k: claims[k] for k in keep if k in claims}}
        family = token.family
        return {
            "active": True, "token_type": "refresh_token", "scope": family.scope, "client_id": family.client.client_id,
            "sub": family.subject, "iss": tokens.issuer(), "exp": int(as_utc(token.row.expires_at).timestamp()),
            "iat": int(as_utc(token.row.issued_at).timestamp()),
        }


class Revocation(RevocationEndpoint):
    """Revoking a refresh token or a grant's access token revokes the grant; other access tokens by jti."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS + ["none"]

    def query_token(self, token_string: str, token_type_hint: str | None):
        return find_token(token_string, token_type_hint)

    def authenticate_token(self, request, client):
        """RFC 7009 2.2: a token of another client is not an error, it is simply not revoked."""
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        return token if token is not None and token.check_client(client) else None

    def revoke_token(self, token, request) -> None:
        if isinstance(token, RefreshTokenRecord):
            grant = token.family.id
        else:
            grant = int(token.claims["gid"]) if str(token.claims.get("gid", "")).isdigit() else None
            family = db.session.get(RefreshTokenFamily, grant) if grant is not None else None
            if family is not None and family.client_id != request.client.model.id:
                grant = None  # an exchanged token carries another client's grant: revoke this token alone
        if grant is not None:
            issuance.revoke_family(grant, "revoked_by_client")
        else:
            exp = datetime.fromtimestamp(token.claims["exp"] + jwt.LEEWAY_SECONDS, timezone.utc)
            try:
                with db.session.begin_nested():
                    db.session.add(UsedJti(issuer=REVOKED_NAMESPACE, jti=str(token.claims["jti"]), expires_at=exp))
            except IntegrityError:
                pass  # already revoked
        audit.record("oauth:RevokeToken", actor=request.client.client_id, resource=token.kind,
                     detail={"grant": grant})
