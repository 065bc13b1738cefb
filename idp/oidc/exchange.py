"""Token exchange (RFC 8693): which tokens may be presented, and what is minted for them.

Subject and actor tokens are this provider's access tokens (RFC 9068, live
grant) or ID tokens, or tokens of an IAM OIDC provider registered in the
client's account, verified by `idp.sts.web_identity.verify_web_identity`
exactly as AssumeRoleWithWebIdentity verifies them. The issued token is an
access token (`typ: at+jwt`) or an ID token for the requested targets, never
outliving the subject token; `scope` can only narrow; an actor becomes `act`
(RFC 8693 4.1, earlier actors nested inside).
"""
from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError

from idp import clock
from idp.errors import ClientError
from idp.keys import jwt, keystore, verify_own_token
from idp.oidc import tokens
from idp.oidc.token_info import access_token_is_live
from idp.sts.web_identity import ExpiredTokenException, verify_web_identity

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
JWT = "urn:ietf:params:oauth:token-type:jwt"
PRESENTABLE = (ACCESS_TOKEN, ID_TOKEN, JWT)
ISSUABLE = (ACCESS_TOKEN, ID_TOKEN)


@dataclass(frozen=True)
class PresentedToken:
    """A verified subject or actor token."""

    issuer: str
    subject: str
    token_type: str
    claims: dict
    external: bool
    # For IAM OIDC provider tokens: the condition keys STS derives (`<url>:sub`, `<url>:aud`, ...).
    provider_keys: dict = field(default_factory=dict)

    @property
    def scopes(self) -> list[str] | None:
        """The token's own scopes (access tokens), None when it carries none."""
        scope = self.claims.get("scope")
        return scope.split() if isinstance(scope, str) else None

    @property
    def client(self) -> str | None:
        """The client the token was issued to: `client_id`, else a single `aud`."""
        if isinstance(self.claims.get("client_id"), str):
            return self.claims["client_id"]
        aud = self.claims.get("aud")
        return aud if isinstance(aud, str) else None

    @property
    def local_subject(self) -> str:
        """`sub` of the issued token: ours as is; an external one qualified by its provider, so it can never
        be read as one of our users' ids by the shared authorizer's bearer path."""
        return f"{self.issuer}#{self.subject}" if self.external else self.subject


def presented(value: str | None, token_type: str | None, account_id: str, role: str) -> PresentedToken:
    """Verify a `subject_token` or `actor_token` (role names which, for the error)."""
    if not value:
        raise InvalidRequestError(f"Missing {role}_token.")
    if token_type not in PRESENTABLE:
        raise InvalidRequestError(f"{role}_token_type must be one of {', '.join(PRESENTABLE)}.")
    if _unverified_issuer(value) == tokens.issuer():
        return _own(value, token_type, role)
    try:
        identity = verify_web_identity(value, account_id)
    except ExpiredTokenException:
        raise InvalidGrantError(f"The {role}_token has expired.") from None
    except ClientError as error:
        raise InvalidGrantError(f"The {role}_token is not accepted: {error.message}") from None
    return PresentedToken(identity.issuer, identity.subject, token_type, dict(identity.claims), True,
                          {k: v for k, v in identity.session_context.items() if k != "provider"})


def _own(value: str, token_type: str, role: str) -> PresentedToken:
    typ = jwt.unverified_header(value).get("typ", "JWT")
    wanted = tokens.ACCESS_TOKEN_TYP if token_type == ACCESS_TOKEN else "JWT" if token_type == ID_TOKEN else typ
    if typ != wanted or typ not in (tokens.ACCESS_TOKEN_TYP, "JWT"):
        raise InvalidGrantError(f"The {role}_token is not a token of type {token_type}.")
    try:
        claims = verify_own_token(value, kind=jwt.ACCESS_TOKEN if typ == tokens.ACCESS_TOKEN_TYP else jwt.ID_TOKEN,
                                  audience=tokens.issuer() if typ == tokens.ACCESS_TOKEN_TYP else None)
    except jwt.InvalidToken as error:
        expired = "expired" in error.message
        raise InvalidGrantError(f"The {role}_token has expired." if expired else
                                f"The {role}_token is not valid: {error.message}.") from None
    if typ == tokens.ACCESS_TOKEN_TYP and not access_token_is_live(claims):
        raise InvalidGrantError(f"The {role}_token has been revoked.")
    issued_type = ACCESS_TOKEN if typ == tokens.ACCESS_TOKEN_TYP else ID_TOKEN
    return PresentedToken(tokens.issuer(), str(claims.get("sub")), issued_type, claims, False)


def _unverified_issuer(value: str) -> str | None:
    try:
        jwt.unverified_header(value)
        payload = value.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (jwt.InvalidToken, ValueError, UnicodeDecodeError):
        raise InvalidGrantError("The token is not a JWT.") from None
    return claims.get("iss") if isinstance(claims, dict) else None


def actor_claim(actor: PresentedToken | None, subject: PresentedToken) -> dict | None:
    """RFC 8693 4.1: the current actor, with the subject token's own `act` (earlier actors) nested inside."""
    if actor is None:
        return subject.claims.get("act") if isinstance(subject.claims.get("act"), dict) else None
    act = {"sub": actor.local_subject, "iss": actor.issuer}
    if isinstance(subject.claims.get("act"), dict):
        act["act"] = subject.claims["act"]
    return act


def mint(*, client_id: str, account_id: str, subject: PresentedToken, actor: PresentedToken | None,
         audiences: list[str], scope: str, requested: str) -> dict:
    """The RFC 8693 2.2.1 response: the issued token, its type, lifetime and scope (no refresh token)."""
    now = int(clock.now().timestamp())
    exp = min(now + tokens.lifetime(), int(subject.claims.get("exp", now)))
    claims: dict = {"iss": tokens.issuer(), "sub": subject.local_subject, "iat": now, "exp": exp,
                    "jti": secrets.token_urlsafe(16), "client_id": client_id, "account": account_id,
                    "aud": audiences[0] if len(audiences) == 1 else audiences}
    act = actor_claim(actor, subject)
    if act is not None:
        claims["act"] = act
    if subject.external:
        claims["subject_issuer"] = subject.issuer
    for name in ("auth_time", "amr", "acr", "gid"):
        if name in subject.claims and not subject.external:
            claims[name] = subject.claims[name]
    signing = keystore().signing_key(tokens.DEFAULT_ALG)
    if requested == ID_TOKEN:
        claims.pop("jti")
        claims.pop("gid", None)
        value = jwt.sign(claims, signing.key, tokens.DEFAULT_ALG)
        return {"access_token": value, "issued_token_type": ID_TOKEN, "token_type": "N_A",
                "expires_in": max(0, exp - now)}
    claims["scope"] = scope
    value = jwt.sign(claims, signing.key, tokens.DEFAULT_ALG, typ=tokens.ACCESS_TOKEN_TYP)
    return {"access_token": value, "issued_token_type": ACCESS_TOKEN, "token_type": "Bearer",
            "expires_in": max(0, exp - now), "scope": scope}
