"""The UserInfo endpoint (OIDC Core 5.3): the claims an `openid` access token's scopes release."""
from __future__ import annotations

from flask import request

from idp.errors import OAuthError
from idp.oidc.subjects import scope_claims, subject_of_token
from idp.oidc.token_info import access_token_is_live, verified_access_token
from idp.oidc.tokens import issuer


def invalid_bearer(description: str) -> OAuthError:
    """A missing, invalid, expired or revoked bearer token (RFC 6750 3.1)."""
    return OAuthError("invalid_token", description, status=401)


def bearer_value() -> str:
    """The access token from `Authorization: Bearer` or, for POST, the `access_token` form field."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.method == "POST" and request.form.get("access_token") and not header:
        return request.form["access_token"]
    raise invalid_bearer("An access token is required.")


def userinfo_claims(value: str) -> dict:
    """Verify the access token and return `sub` and its scopes' claims."""
    claims = verified_access_token(value, audience=issuer())
    if claims is None or not access_token_is_live(claims):
        raise invalid_bearer("The access token is invalid, expired or revoked.")
    scopes = set(str(claims.get("scope", "")).split())
    if "openid" not in scopes:
        raise OAuthError("insufficient_scope", "The access token was not granted the openid scope.", status=403)
    subject = subject_of_token(str(claims.get("account", "")), claims["sub"])
    if subject is None:
        raise invalid_bearer("The user this token was issued for no longer exists.")
    return {"sub": claims["sub"], **scope_claims(subject, scopes)}

