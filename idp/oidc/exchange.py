"""Token exchange (RFC 8693): which tokens may be presented, and what is minted for them.

Subject and actor tokens are this provider's access tokens (RFC 9068, live
grant) or ID tokens, or tokens of an IAM OIDC provider registered in the
client's account, verified by `idp.sts.web_identity.verify_web_identity`
exactly as AssumeRoleWithWebIdentity verifies them. The issued token is an
access token (`typ: at+jwt`) or an ID token for the requested targets, never
outliving the subject token; an actor becomes `act` (RFC 8693 4.1, earlier
actors nested inside).

Never wider than the subject: the issued scope is within the subject token's
own (`scope` of an access token; for one of our ID tokens, the consented scope
of the grant it names in `gid`), and a token of ours carries its subject's
`gid` on, so revoking that grant or ending its browser session (which revokes
the session's grants) refuses the exchanged token at introspection, userinfo
and the shared authorizer too. The subject's (and actor's) account must be one
the exchanging client admits (`idp.oidc.admission`).
"""
from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError

from idp import clock, json_input
from idp.authz import liveness
from idp.errors import ClientError
from idp.keys import jwt, keystore, verify_own_token
from idp.oidc import issuance, tokens
from idp.oidc.token_info import access_token_is_live
from idp.sts.web_identity import ExpiredTokenException, verify_web_identity
from models import db
from models.oauth_grant import RefreshTokenFamily

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
    # For our ID tokens: the consented scope of the grant named by `gid`.
    granted_scopes: tuple[str, ...] | None = None

    @property
    def scopes(self) -> list[str] | None:
        """The most an exchange may issue: an access token's scopes, an ID token's grant's; None for external
        tokens (bounded by the client's registration only)."""
        scope = self.claims.get("scope")
        if isinstance(scope, str):
            return scope.split()
        return list(self.granted_scopes) if self.granted_scopes is not None else None

    @property
    def account(self) -> str | None:
        """The account of the token's subject (ours: the `account` claim); None for external tokens."""
        account = self.claims.get("account")
        return account if not self.external and isinstance(account, str) else None

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
        expired = isinstance(error, jwt.TokenExpired)
        raise InvalidGrantError(f"The {role}_token has expired." if expired else
                                f"The {role}_token is not valid: {error.message}.") from None
    if typ == tokens.ACCESS_TOKEN_TYP:
        if not access_token_is_live(claims):
            raise InvalidGrantError(f"The {role}_token has been revoked.")
        return PresentedToken(tokens.issuer(), str(claims.get("sub")), ACCESS_TOKEN, claims, False)
    return PresentedToken(tokens.issuer(), str(claims.get("sub")), ID_TOKEN, claims, False,
                          granted_scopes=_granted_scopes(claims, role))


def _granted_scopes(claims: dict, role: str) -> tuple[str, ...]:
    """The consented scope of the live grant an ID token of ours names (`gid`), refused when that grant is revoked
    or expired (consent withdrawn, session ended). An ID token of no grant (one exchanged from a client's own
    token) delegates nothing: no scope."""
    gid = claims.get("gid")
    if gid is None:
        return ()
    family = db.session.get(RefreshTokenFamily, int(gid)) if isinstance(gid, str) and gid.isdigit() else None
    if family is None or family.subject != claims.get("sub"):
        raise InvalidGrantError(f"The {role}_token is not bound to a grant of its subject.")
    if not issuance.grant_is_live(gid):
        raise InvalidGrantError(f"The {role}_token's grant has been revoked.")
    return tuple((family.scope or "").split())


def _unverified_issuer(value: str) -> str | None:
    try:
        jwt.unverified_header(value)
        payload = value.split(".")[1]
        claims = json_input.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
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
                    "jti": secrets.token_urlsafe(16), "client_id": client_id, "account": subject.account or account_id,
                    "aud": audiences[0] if len(audiences) == 1 else audiences}
    act = actor_claim(actor, subject)
    if act is not None:
        claims["act"] = act
    if subject.external:
        claims["subject_issuer"] = subject.issuer
    # `gid` binds the issued token to the subject's grant (and so to its browser session).
    for name in ("auth_time", "amr", "acr", "gid"):
        if name in subject.claims and not subject.external:
            claims[name] = subject.claims[name]
    bound = liveness.bound_jtis(subject.claims) if not subject.external else []
    if bound:
        # A subject of no grant (client credentials) is revoked by jti: the issued token dies with it too.
        claims[liveness.BOUND_JTI_CLAIM] = bound
    signing = keystore().signing_key(tokens.DEFAULT_ALG)
    if requested == ID_TOKEN:
        claims.pop("jti")
        value = jwt.sign(claims, signing.key, tokens.DEFAULT_ALG)
        return {"access_token": value, "issued_token_type": ID_TOKEN, "token_type": "N_A",
                "expires_in": max(0, exp - now)}
    claims["scope"] = scope
    value = jwt.sign(claims, signing.key, tokens.DEFAULT_ALG, typ=tokens.ACCESS_TOKEN_TYP)
    return {"access_token": value, "issued_token_type": ACCESS_TOKEN, "token_type": "Bearer",
            "expires_in": max(0, exp - now), "scope": scope}
