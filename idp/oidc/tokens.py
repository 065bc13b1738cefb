"""Minting what the token endpoint hands out: JWT access tokens (RFC 9068), ID tokens, refresh token values.

Every JWT goes through the one signer (`idp.keys.sign_token` / `idp.keys.jwt`).
Refresh tokens are opaque; only their SHA-256 is stored. A successor refresh
token is derived from its predecessor with a keyed MAC, so a second request
presenting the same token inside the grace window gets the same successor
without the server storing any token value.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app

from idp import clock
from idp.keys import jwt, keystore, master_key
from idp.oidc.roles import assumable_roles
from idp.oidc.subjects import Subject, scope_claims

ACCESS_TOKEN_TYP = jwt.ACCESS_TOKEN.signed_typ  # one definition, the verifier's
DEFAULT_ALG = "ES256"


@dataclass(frozen=True)
class AccessToken:
    """A signed access token and what the token response says about it."""

    value: str
    expires_in: int
    jti: str


def issuer() -> str:
    """This provider's issuer identifier."""
    return current_app.config["IDP_SETTINGS"].issuer


def lifetime() -> int:
    """Seconds an access or ID token is valid (`IDP_TOKEN_LIFETIME`)."""
    return current_app.config["IDP_SETTINGS"].token_lifetime


def access_token(*, client_id: str, account_id: str, scope: str, subject: Subject | None,
                 grant_id: int | None = None, resources: list[str] | tuple[str, ...] = ()) -> AccessToken:
    """An RFC 9068 access token: `aud` is this issuer (userinfo, introspection) and the granted APIs (RFC 8707)."""
    now = int(clock.now().timestamp())
    expires_in = lifetime()
    jti = secrets.token_urlsafe(16)
    audience = [issuer(), *dict.fromkeys(resources)] if resources else issuer()
    claims = {
        "iss": issuer(), "sub": subject.sub if subject else client_id, "aud": audience, "exp": now + expires_in,
        "iat": now, "jti": jti, "client_id": client_id, "scope": scope, "account": account_id,
    }
    if subject is not None:
        if subject.auth_time is not None:
            claims["auth_time"] = int(subject.auth_time.timestamp())
        if subject.amr:
            claims["amr"] = list(subject.amr)
        if subject.acr:
            claims["acr"] = subject.acr
    if grant_id is not None:
        # Lets introspection and userinfo refuse tokens of a revoked grant.
        claims["gid"] = str(grant_id)
    signing = keystore().signing_key(DEFAULT_ALG)
    return AccessToken(jwt.sign(claims, signing.key, DEFAULT_ALG, typ=ACCESS_TOKEN_TYP), expires_in, jti)


def id_token(*, client_id: str, alg: str | None, subject: Subject, scope: set[str], nonce: str | None,
             access_token_value: str | None, grant_id: int | None = None) -> str:
    """An ID token (OIDC Core 2, 3.1.3.6) with scope claims, `groups` and the derived `roles`."""
    alg = alg or DEFAULT_ALG
    now = int(clock.now().timestamp())
    claims: dict = {"iss": issuer(), "sub": subject.sub, "aud": client_id, "exp": now + lifetime(), "iat": now,
                    "account": subject.account_id}
    if subject.auth_time is not None:
        claims["auth_time"] = int(subject.auth_time.timestamp())
    if nonce:
        claims["nonce"] = nonce
    if subject.acr:
        claims["acr"] = subject.acr
    if subject.amr:
        claims["amr"] = list(subject.amr)
    if subject.session_id:
        claims["sid"] = public_sid(subject.session_id)
    if access_token_value:
        claims["at_hash"] = half_hash(access_token_value, alg)
    if grant_id is not None:
        # The grant it was issued in: token exchange bounds its scope by the grant's and dies with it.
        claims["gid"] = str(grant_id)
    claims.update(scope_claims(subject, scope))
    claims["roles"] = assumable_roles(claims, client_id, alg)
    signing = keystore().signing_key(alg)
    return jwt.sign(claims, signing.key, alg)


def public_sid(session_id_hash: str) -> str:
    """The `sid` claim: derived from the session's stored id, never the key that names its row."""
    return hashlib.sha256(f"sid:{session_id_hash}".encode()).hexdigest()[:32]


def half_hash(value: str, alg: str = "ES256") -> str:
    """`at_hash` (OIDC Core 3.1.3.6): the left half of the ID token algorithm's hash, base64url.

    ES256 and RS256 hash with SHA-256; EdDSA over Ed25519 with SHA-512 (OpenID Connect Core errata).
    """
    digest = (hashlib.sha512 if alg == "EdDSA" else hashlib.sha256)(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def token_hash(value: str) -> str:
    """What the database keeps of a code or refresh token."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret_value() -> str:
    """A fresh 256-bit code or refresh token."""
    return secrets.token_urlsafe(32)


def successor_value(refresh_token: str) -> str:
    """The refresh token that replaces `refresh_token`; only the server can compute it, only from it."""
    key = current_app.extensions.get("idp.refresh_successor_key")
    if key is None:
        key = current_app.extensions["idp.refresh_successor_key"] = master_key().derive("refresh-token-successor")
    mac = hmac.new(key, refresh_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
