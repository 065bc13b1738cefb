"""The one JWT signer and verifier (joserfc underneath).

Verification follows SECURITY.md: the algorithm must be on the allow-list and
equal to the key's own algorithm (no `none`, no HS with a public key), keys are
never taken from the token (`jwk`, `jku`, `x5u`, `x5c` are refused), `kid` is
only a lookup key, every segment is size-limited, and `exp`, `nbf`, `iat`,
`iss`, `aud` are checked with a small leeway.
"""
from __future__ import annotations

import base64
import json
import warnings
from typing import Callable, Iterable

from joserfc import jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import Key

from idp import clock
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
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken("token header is not base64url JSON") from None
    if not isinstance(header, dict):
        raise InvalidToken("token header is not a JSON object")
    return header


def verify(
    token: str,
    lookup: KeyLookup,
    *,
    issuer: str | None,
    audience: str | Iterable[str] | None,
    algorithms: Iterable[str] = ASYMMETRIC_ALGS,
    leeway: int = LEEWAY_SECONDS,
) -> dict:
    """Verify signature and registered claims; return the claims or raise InvalidToken."""
    header = unverified_header(token)
    alg = header.get("alg")
    if alg not in set(algorithms) or alg not in ASYMMETRIC_ALGS:
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
    except (JoseError, ValueError):
        raise InvalidToken("token signature does not verify") from None
    _check_claims(claims, issuer, audience, leeway)
    return claims


def _check_claims(claims: dict, issuer: str | None, audience, leeway: int) -> None:
    now = clock.now().timestamp()
    for name in ("exp", "nbf", "iat"):
        if name in claims and (isinstance(claims[name], bool) or not isinstance(claims[name], (int, float))):
            raise InvalidToken(f"claim {name} is not a number")
    if "exp" not in claims or claims["exp"] + leeway <= now:
        raise InvalidToken("token has expired" if "exp" in claims else "token has no exp")
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
