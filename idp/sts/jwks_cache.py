"""The signing keys of external OpenID Connect issuers, for AssumeRoleWithWebIdentity.

Keys come from the issuer's JWKS, found through its discovery document
(`<issuer>/.well-known/openid-configuration` -> `jwks_uri`, OpenID Connect
Discovery 1.0 section 4). Both documents are fetched through `idp.fetch`
within one short deadline, without following redirects and with a size cap;
an IAM OIDC provider is registered by an account's administrators, not the
operator, so its URLs reach only global addresses (or IDP_FETCH_ALLOWED_NETWORKS),
while an operator's upstream provider is fetched with `trusted=True`. Each
issuer's keys are cached for `ttl` seconds; an unknown `kid` refreshes them, but an issuer is fetched at
most once per `cooldown` seconds, so a stream of tokens with made-up `kid`s
cannot turn this service into an amplifier against the issuer. When a refresh
fails, keys fetched less than `ttl + stale` seconds ago keep verifying.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from joserfc import jwk
from joserfc.errors import JoseError

from idp import audit, clock, fetch, json_input, metrics
from idp.fetch import is_loopback_host

TIMEOUT_SECONDS = 3.0
TTL_SECONDS = 600
COOLDOWN_SECONDS = 30
STALE_SECONDS = 3600
MAX_DOCUMENT_BYTES = 256 * 1024
MAX_KEYS = 100
EC_ALGS = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
PUBLIC_MEMBERS = {
    "EC": ("kty", "crv", "x", "y"),
    "RSA": ("kty", "n", "e"),
    "OKP": ("kty", "crv", "x"),
}

VerificationKey = tuple[jwk.Key, str]


class JwksUnavailable(Exception):
    """The issuer's discovery document or JWKS could not be fetched or read."""


@dataclass
class _IssuerKeys:
    keys: dict[str, VerificationKey] | None = None
    fetched_at: float = float("-inf")
    attempted_at: float = float("-inf")
    failed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class JwksCache:
    """Per-issuer verification keys, fetched on demand and cached; one per app."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT_SECONDS,
        ttl: float = TTL_SECONDS,
        cooldown: float = COOLDOWN_SECONDS,
        stale: float = STALE_SECONDS,
    ):
        self.timeout = timeout
        self.ttl = ttl
        self.cooldown = cooldown
        self.stale = stale
        # By (issuer, trusted): keys an operator's upstream fetched never stand in for an untrusted one's.
        self._issuers: dict[tuple[str, bool], _IssuerKeys] = {}
        self._guard = threading.Lock()

    def key(self, issuer: str, kid: str, *, trusted: bool = False) -> VerificationKey | None:
        """The issuer's key `kid` (None when it has none); JwksUnavailable when no usable keys can be had.

        `trusted` says the issuer is an operator's upstream provider (its URLs
        may name private addresses); an IAM OIDC provider is not.
        """
        entry = self._entry(issuer, trusted)
        with entry.lock:
            now = clock.now().timestamp()
            held = entry.keys if entry.keys is not None and now - entry.fetched_at < self.ttl + self.stale else None
            if held is not None and kid in held and now - entry.fetched_at < self.ttl:
                metrics.record_jwks_lookup(hit=True)
                return held[kid]
            if now - entry.attempted_at >= self.cooldown:
                metrics.record_jwks_lookup(hit=False)
                entry.attempted_at = now
                try:
                    entry.keys, entry.fetched_at, entry.failed = self._fetch(issuer, trusted), now, False
                    return entry.keys.get(kid)
                except JwksUnavailable:
                    metrics.record_jwks_fetch_error()
                    entry.failed = True
                    if held is None or kid not in held:
                        raise
                    return held[kid]
            if held is None or (entry.failed and kid not in held):
                raise JwksUnavailable(f"the keys of {issuer} could not be fetched recently")
            return held.get(kid)

    def forget(self, issuer: str) -> None:
        """Drop what is cached for `issuer`."""
        with self._guard:
            self._issuers.pop((issuer, False), None)
            self._issuers.pop((issuer, True), None)

    def _entry(self, issuer: str, trusted: bool) -> _IssuerKeys:
        with self._guard:
            return self._issuers.setdefault((issuer, trusted), _IssuerKeys())

    def _fetch(self, issuer: str, trusted: bool) -> dict[str, VerificationKey]:
        deadline = time.monotonic() + self.timeout
        metadata = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", deadline, trusted)
        if metadata.get("issuer") != issuer:
            raise JwksUnavailable(f"the discovery document of {issuer} names another issuer")
        jwks_uri = metadata.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not _acceptable_url(jwks_uri, issuer):
            raise JwksUnavailable(f"the discovery document of {issuer} has no usable jwks_uri")
        return parse_jwks(_get_json(jwks_uri, deadline, trusted))


def jwks_cache() -> JwksCache:
    """The app's cache of external issuers' keys."""
    return current_app.extensions.setdefault("idp.jwks_cache", JwksCache())


def parse_jwks(document: dict) -> dict[str, VerificationKey]:
    """The usable public signing keys of a JWK Set, by kid, each with the one algorithm it verifies."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise JwksUnavailable("the JWKS has no keys array")
    keys: dict[str, VerificationKey] = {}
    for entry in entries[:MAX_KEYS]:
        parsed = _public_key(entry) if isinstance(entry, dict) else None
        if parsed is not None:
            keys[entry["kid"]] = parsed
    return keys


def _public_key(entry: dict) -> VerificationKey | None:
    kty, kid = entry.get("kty"), entry.get("kid")
    if kty not in PUBLIC_MEMBERS or not isinstance(kid, str) or not 0 < len(kid) <= 128:
        return None
    if entry.get("use", "sig") != "sig":
        return None
    alg = entry.get("alg") or _default_alg(entry)
    if alg is None:
        return None
    # Only the public members: a JWKS that leaks private parts still verifies, and nothing else.
    public = {name: entry[name] for name in PUBLIC_MEMBERS[kty] if name in entry}
    try:
        return jwk.import_key(public, kty, parameters={"kid": kid, "alg": alg}), alg
    except (JoseError, ValueError, TypeError):
        return None


def _default_alg(entry: dict) -> str | None:
    if entry["kty"] == "EC":
        return EC_ALGS.get(entry.get("crv"))
    if entry["kty"] == "OKP":
        return "EdDSA" if entry.get("crv") == "Ed25519" else None
    return "RS256"


def _acceptable_url(url: str, issuer: str) -> bool:
    """https, or plain http only where the issuer itself is a loopback http URL (local providers, tests)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.hostname or parts.username is not None:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and urlsplit(issuer).scheme == "http" and is_loopback_host(parts.hostname)



def _get_json(url: str, deadline: float, trusted: bool) -> dict:
    """GET a JSON object, all of it before `deadline` (time.monotonic), at most MAX_DOCUMENT_BYTES."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise JwksUnavailable(f"no time left to fetch {url}")
    try:
        answer = fetch.fetch(url, purpose="OpenID provider keys", trusted=trusted, max_bytes=MAX_DOCUMENT_BYTES,
                             timeout=remaining, headers={"Accept": "application/json"})
    except fetch.DestinationRefused as refused:
        _note_refusal(url, refused)
        raise JwksUnavailable(f"{url} is not fetched: {refused.message}") from None
    except fetch.FetchFailed as error:
        raise JwksUnavailable(f"{url} could not be fetched: {error.message}") from None
    if answer.status != 200:
        raise JwksUnavailable(f"{url} answered {answer.status}")
    try:
        document = json_input.loads(answer.body)
    except ValueError:
        raise JwksUnavailable(f"{url} is not JSON") from None
    if not isinstance(document, dict):
        raise JwksUnavailable(f"{url} is not a JSON object")
    return document


def _note_refusal(url: str, refused: fetch.DestinationRefused) -> None:
    """Leave the refusal for the request's adapter to write to the audit log with its decisions."""
    if has_request_context():
        audit.note("fetch:DestinationRefused", resource=url[:512], decision="Deny",
                   detail={"purpose": "OpenID provider keys", "addresses": list(refused.addresses[:5])})
