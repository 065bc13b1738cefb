"""`private_key_jwt` client authentication (RFC 7523 2.2, OIDC Core 9) with a shared `jti` replay cache.

The assertion is verified by the one verifier (`idp.keys.jwt.verify`: asymmetric
algorithms only, the key's own algorithm, no keys from the token header, size
limits, times with a small leeway) against the client's registered JWKS (inline
or from its `jwks_uri`, fetched with a timeout and cached). `iss` and `sub` must
be the client id, `aud` this issuer or its token endpoint, `exp` at most
`MAX_LIFETIME` ahead, and `jti` never seen before: the `used_jtis` table (one
row per assertion, unique per client) is shared by every instance, and is
written at once in a transaction of its own: a token request refused after its
client authenticated is rolled back (`idp.work`), and must not free the jti.
"""
from __future__ import annotations

import base64
import time
from datetime import datetime, timezone

from authlib.oauth2.rfc6749 import InvalidClientError
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from idp import audit, clock, fetch, json_input
from idp.cache import app_cache
from idp.keys import jwt
from idp.oidc.tokens import issuer
from idp.sts.jwks_cache import JwksUnavailable, parse_jwks
from models import db
from models.jti import UsedJti

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Long enough for common clients (Authlib signs assertions for an hour), short enough to bound the jti cache.
MAX_LIFETIME = 3600
JWKS_TTL = 300
# A failed fetch is retried sooner: a client whose JWKS host hiccupped should not be locked out for long.
JWKS_FAILURE_TTL = 30
JWKS_TIMEOUT = 5
MAX_JWKS_BYTES = 65_536
MAX_CACHED_JWKS = 1_000


def authenticate_private_key_jwt(query_client, request):
    """Authlib client-auth method: the client whose signed assertion verifies, or None."""
    form = request.form
    assertion = form.get("client_assertion")
    if form.get("client_assertion_type") != ASSERTION_TYPE or not assertion:
        return None
    client_id = _unverified_subject(assertion)
    client = query_client(client_id) if client_id else None
    if client is None or client.model.token_endpoint_auth_method != "private_key_jwt":
        raise InvalidClientError(description="The client assertion names no private_key_jwt client.", status_code=401)
    if form.get("client_id") not in (None, client_id):
        raise InvalidClientError(description="client_id does not match the assertion.", status_code=401)
    keys = _client_keys(client.model)
    try:
        claims = jwt.verify(assertion, keys.get, kind=jwt.CLIENT_ASSERTION, issuer=client_id,
                            audience=[issuer(), f"{issuer()}/oauth2/token", request.uri.split("?")[0]])  # uri is on the issuer
    except jwt.InvalidToken as error:
        audit.note("oauth:RefuseToken", actor=client_id, resource="client_assertion", decision="Deny",
                   account_id=client.model.account_id,
                   detail={"accepts": jwt.CLIENT_ASSERTION.name, "reason": error.message})
        raise InvalidClientError(description=f"The client assertion is invalid: {error.message}.",
                                 status_code=401) from None
    now = clock.now().timestamp()
    if claims.get("sub") != client_id or not isinstance(claims.get("jti"), str) or not 0 < len(claims["jti"]) <= 255:
        raise InvalidClientError(description="The client assertion needs sub = client_id and a jti.", status_code=401)
    if claims["exp"] - now > MAX_LIFETIME + jwt.LEEWAY_SECONDS:
        raise InvalidClientError(description="The client assertion lives too long.", status_code=401)
    _remember_jti(client_id, claims["jti"], claims["exp"])
    return client


def _unverified_subject(assertion: str) -> str | None:
    try:
        jwt.unverified_header(assertion)
        payload = assertion.split(".")[1]
        claims = json_input.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (jwt.InvalidToken, ValueError, UnicodeDecodeError):
        return None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) and 0 < len(subject) <= 64 else None


def _remember_jti(client_id: str, jti: str, exp: float) -> None:
    """Record the jti for its lifetime, whatever becomes of this request; a second use of it is a replay.

    The spent assertion is a ledger entry, like the audit entries of a refusal, so it is the one write of a
    token request outside the request's unit of work. Client authentication comes first, before the request
    writes anything, so this never waits for the request's own transaction.
    """
    try:
        with db.engine.begin() as ledger:
            ledger.execute(insert(UsedJti), {"issuer": f"client:{client_id}", "jti": jti, "expires_at":
                                            datetime.fromtimestamp(exp + jwt.LEEWAY_SECONDS, timezone.utc)})
    except IntegrityError:
        audit.note("oauth:ClientAssertionReplay", actor=client_id, decision="Deny", detail={"jti": jti[:64]})
        raise InvalidClientError(description="The client assertion was already used.", status_code=401) from None


def _client_keys(client) -> dict:
    """The client's verification keys by kid: inline JWKS, or its jwks_uri's (cached for JWKS_TTL)."""
    try:
        if client.jwks is not None:
            return parse_jwks(client.jwks)
        return _fetched(client.jwks_uri)
    except JwksUnavailable:
        return {}


def _fetched(url: str) -> dict:
    jwks_cache = app_cache("idp.client_jwks", MAX_CACHED_JWKS)
    cached = jwks_cache.get(url)  # (fetched at, keys by kid)
    if cached is not None and time.monotonic() - cached[0] < (JWKS_TTL if cached[1] else JWKS_FAILURE_TTL):
        return cached[1]
    try:  # idp.fetch: global addresses only (a client chose this URL), pinned, no redirects, bounded
        answer = fetch.fetch(url, purpose="client jwks_uri", max_bytes=MAX_JWKS_BYTES, timeout=JWKS_TIMEOUT,
                             headers={"Accept": "application/json"})
        document = json_input.loads(answer.body) if answer.status == 200 else {}
    except fetch.DestinationRefused as refused:
        audit.note("fetch:DestinationRefused", resource=url[:512], decision="Deny",
                   detail={"purpose": "jwks_uri", "addresses": list(refused.addresses[:5])})
        document = {}
    except (fetch.FetchFailed, ValueError):
        document = {}
    keys = parse_jwks(document) if isinstance(document, dict) and "keys" in document else {}
    return jwks_cache.put(url, (time.monotonic(), keys))[1]
