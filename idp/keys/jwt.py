"""The one JWT signer and verifier (joserfc underneath).

Verification follows SECURITY.md: the algorithm must be on the allow-list and
equal to the key's own algorithm (no `none`, no HS with a public key), keys are
never taken from the token (`jwk`, `jku`, `x5u`, `x5c` are refused), `kid` is
only a lookup key, every segment is size-limited, and `exp`, `nbf`, `iat`,
`iss`, `aud` are checked with a small leeway.

Every caller names the one kind of token it accepts (`kind=`, required): the
verifier checks the header `typ` against that kind and the claims the kind
must and must not carry, so no token of one kind is accepted as another.
"""
from __future__ import annotations

import base64
import hmac
import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import Key

from idp import clock, json_input
from idp.errors import AuthenticationError

# RFC 9864 names the Ed25519 algorithm "Ed25519" and deprecates "EdDSA", but OpenID Connect
# clients and their libraries still register and verify "EdDSA" (Ed25519 keys only, here).
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

MAX_TOKEN_BYTES = 16_384
MAX_HEADER_BYTES = 1_024
ASYMMETRIC_ALGS = frozenset({"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"})
KEY_BEARING_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c"})
LEEWAY_SECONDS = 60


class InvalidToken(AuthenticationError):
    """A JWT that does not verify; OAuth renders it as `invalid_token`."""

    status = 401
    oauth_error = "invalid_token"


class TokenExpired(InvalidToken):
    """A JWT whose signature verified but whose `exp` has passed (callers tell it apart by type, not by text)."""


class WrongTokenKind(InvalidToken):
    """A JWT that verifies but is not the kind of token this caller accepts."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
NO_TYP = None  # stands for a header without `typ` in TokenKind.typs


@dataclass(frozen=True)
class TokenKind:
    """One kind of JWT: the header `typ` values it may carry and the claims it must and must not carry.

    `typ` is compared case-insensitively and without an `application/` prefix (RFC 7515 4.1.9).
    `signed_typ` is what this product puts in the header when it issues the kind (None: never issued here).
    """

    name: str
    typs: frozenset[str | None]
    required: tuple[str, ...]
    forbidden: tuple[str, ...] = ()
    signed_typ: str | None = None
    subject_is_issuer: bool = False
    required_event: str | None = None

    def check(self, header: dict, claims: dict) -> None:
        """Raise WrongTokenKind unless the header and claims are of this kind."""
        typ = header.get("typ")
        if typ is not None and not isinstance(typ, str):
            raise WrongTokenKind("token typ is not a string", kind=self.name)
        if _normal_typ(typ) not in self.typs:
            shown = "".join(c for c in typ[:40] if c.isprintable()) if typ else "(none)"
            raise WrongTokenKind(f"a token of typ {shown} is not {self.name}", kind=self.name)
        missing = [name for name in self.required if name not in claims]
        if missing:
            raise WrongTokenKind(f"{self.name} must carry {', '.join(missing)}", kind=self.name)
        present = [name for name in self.forbidden if name in claims]
        if present:
            raise WrongTokenKind(f"{self.name} must not carry {', '.join(present)}", kind=self.name)
        if self.subject_is_issuer and (claims.get("sub") != claims.get("iss") or not isinstance(claims["sub"], str)):
            raise WrongTokenKind(f"{self.name} must have sub equal to iss", kind=self.name)
        if self.required_event is not None:
            events = claims.get("events")
            if not isinstance(events, dict) or not isinstance(events.get(self.required_event), dict):
                raise WrongTokenKind(f"{self.name} must carry the event {self.required_event}", kind=self.name)


def _normal_typ(typ: str | None) -> str | None:
    if typ is None:
        return None
    typ = typ.strip().lower()
    return typ.removeprefix("application/")


# OpenID Connect Core 2 / 3.1.3.7. We sign `typ: JWT`; external issuers may leave typ out. A nonce is
# allowed (its value is checked by verify(nonce=...) where the caller sent one); an event is not.
ID_TOKEN = TokenKind("an ID token", frozenset({"jwt", NO_TYP}), ("iss", "sub", "aud", "exp", "iat"),
                     forbidden=("events",), signed_typ="JWT")
# RFC 9068 2.1-2.2: typ at+jwt, iss, exp, aud, sub, client_id, iat, jti.
ACCESS_TOKEN = TokenKind("an access token", frozenset({"at+jwt"}),
                         ("iss", "exp", "aud", "sub", "client_id", "iat", "jti"), forbidden=("events", "nonce"),
                         signed_typ="at+jwt")
# OpenID Connect Back-Channel Logout 2.4: iss, aud, iat, exp, jti, events with the logout event; never a nonce.
LOGOUT_TOKEN = TokenKind("a logout token", frozenset({"logout+jwt"}), ("iss", "aud", "iat", "exp", "jti", "events"),
                         forbidden=("nonce",), signed_typ="logout+jwt", required_event=LOGOUT_EVENT)
# RFC 7523 3 / OIDC Core 9: iss = sub = client_id, aud, exp, jti. Never one of the typed tokens we issue.
CLIENT_ASSERTION = TokenKind("a client assertion", frozenset({"jwt", NO_TYP, "client-authentication+jwt"}),
                             ("iss", "sub", "aud", "exp", "jti"), forbidden=("events", "nonce"),
                             subject_is_issuer=True)
# The initial access token of dynamic registration (idp/oidc/registration.py), bound to one account.
INITIAL_ACCESS_TOKEN = TokenKind("an initial access token", frozenset({"initial-access+jwt"}),
                                 ("iss", "sub", "aud", "exp", "iat", "jti", "account"), forbidden=("events", "nonce"),
                                 signed_typ="initial-access+jwt")
# AssumeRoleWithWebIdentity from an external issuer, as AWS accepts it: an untyped or `typ: JWT` token (ID tokens,
# Kubernetes and CI service-account tokens), never a typed access, logout or registration token, never an event.
WEB_IDENTITY_TOKEN = TokenKind("a web identity token", frozenset({"jwt", NO_TYP}), ("iss", "sub", "aud", "exp"),
                               forbidden=("events",))

KINDS = (ID_TOKEN, ACCESS_TOKEN, LOGOUT_TOKEN, CLIENT_ASSERTION, INITIAL_ACCESS_TOKEN, WEB_IDENTITY_TOKEN)


KeyLookup = Callable[[str], "tuple[Key, str] | None"]


def sign(claims: dict, key: Key, alg: str, *, typ: str = "JWT") -> str:
    """Sign `claims` with `key` (whose kid goes in the header)."""
    header = {"alg": alg, "kid": key.kid, "typ": typ}
    return jwt.encode(header, claims, key, algorithms=[alg])


def unverified_header(token: str) -> dict:
    """The JOSE header of a compact JWS, size- and shape-checked, not trusted."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES:
        raise InvalidToken("token is missing or larger than 16 KiB")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]) or len(parts[0]) > MAX_HEADER_BYTES:
        raise InvalidToken("token is not a compact JWS")
    try:
        header = json_input.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken("token header is not base64url JSON") from None
    if not isinstance(header, dict):
        raise InvalidToken("token header is not a JSON object")
    return header


def verify(
    token: str,
    lookup: KeyLookup,
    *,
    kind: TokenKind,
    issuer: str | None,
    audience: str | Iterable[str] | None,
    algorithms: Iterable[str] = ASYMMETRIC_ALGS,
    leeway: int = LEEWAY_SECONDS,
    nonce: str | None = None,
) -> dict:
    """Verify signature, registered claims and that the token is of `kind`; return the claims or raise InvalidToken.

    `nonce`, when given, must equal the token's `nonce` claim (an ID token answering an authentication request).
    """
    if not isinstance(kind, TokenKind):
        raise TypeError("verify() needs kind=, the TokenKind the caller accepts")
    header = unverified_header(token)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in set(algorithms) or alg not in ASYMMETRIC_ALGS:
        raise InvalidToken(f"algorithm {alg!r} is not allowed")
    if KEY_BEARING_HEADERS & header.keys():
        raise InvalidToken("keys embedded in or referenced by the token header are not accepted")
    kid = header.get("kid")
    found = lookup(kid) if isinstance(kid, str) and 0 < len(kid) <= 128 else None
    if found is None:
        raise InvalidToken("token is signed by an unknown key")
    key, key_alg = found
    if key_alg != alg:
        raise InvalidToken(f"algorithm {alg} does not match the key's algorithm {key_alg}")
    try:
        claims = jwt.decode(token, key, algorithms=[alg]).claims
    except (JoseError, ValueError, RecursionError):
        raise InvalidToken("token signature does not verify") from None
    _check_claims(claims, issuer, audience, leeway)
    kind.check(header, claims)
    if nonce is not None and not (isinstance(claims.get("nonce"), str) and hmac.compare_digest(claims["nonce"], nonce)):
        raise InvalidToken("token nonce does not match")
    return claims


def _check_claims(claims: dict, issuer: str | None, audience, leeway: int) -> None:
    now = clock.now().timestamp()
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if name in claims and (isinstance(value, bool) or not isinstance(value, (int, float))
                               or not math.isfinite(value)):
            raise InvalidToken(f"claim {name} is not a finite number")
    aud = claims.get("aud")
    if audience is not None and not (isinstance(aud, str) or isinstance(aud, list)
                                     and all(isinstance(a, str) for a in aud)):
        raise InvalidToken("token audience is not accepted")  # RFC 7519 4.1.3: a string or a list of strings
    if "exp" not in claims:
        raise InvalidToken("token has no exp")
    if claims["exp"] + leeway <= now:
        raise TokenExpired("token has expired")
    if claims.get("nbf", 0) - leeway > now:
        raise InvalidToken("token is not valid yet")
    if claims.get("iat", 0) - leeway > now:
        raise InvalidToken("token was issued in the future")
    if issuer is not None and claims.get("iss") != issuer:
        raise InvalidToken("token issuer is not accepted")
    if audience is not None:
        wanted = {audience} if isinstance(audience, str) else set(audience)
        got = claims.get("aud")
        got = {got} if isinstance(got, str) else set(got) if isinstance(got, list) else set()
        if not wanted & got:
            raise InvalidToken("token audience is not accepted")
