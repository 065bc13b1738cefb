"""The JWKS cache against a real second issuer over HTTP: discovery, caching, refresh on unknown kid, limits."""
from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from joserfc import jwk

from idp.clock import FixedClock
from idp.sts.jwks_cache import (
    COOLDOWN_SECONDS,
    TTL_SECONDS,
    JwksCache,
    JwksUnavailable,
    _acceptable_url,
    parse_jwks,
)
from tests.support import test_issuer

# The second issuer's fixtures, used by name below.
external_issuer = test_issuer.external_issuer
silent_server = test_issuer.silent_server


@pytest.fixture
def test_clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def app_config(app_config, test_clock):
    return {**app_config, "IDP_CLOCK": test_clock}


@pytest.fixture
def cache(app) -> JwksCache:
    with app.app_context():
        yield JwksCache(timeout=1.0)


def test_fetches_through_discovery_and_caches(cache, external_issuer):
    kid = external_issuer.signing_kid()
    key, alg = cache.key(external_issuer.issuer, kid)
    assert alg == "ES256" and key.kid == kid and not key.is_private
    assert external_issuer.requests["/.well-known/openid-configuration"] == 1
    assert external_issuer.jwks_fetches == 1
    assert cache.key(external_issuer.issuer, kid)[0].kid == kid
    assert external_issuer.jwks_fetches == 1


def test_unknown_kid_refreshes_once_per_cooldown(cache, external_issuer, test_clock):
    assert cache.key(external_issuer.issuer, external_issuer.signing_kid()) is not None
    # The `next` key is published before it signs: the first rotation needs no refresh.
    external_issuer.rotate()
    assert cache.key(external_issuer.issuer, external_issuer.signing_kid()) is not None
    assert external_issuer.jwks_fetches == 1
    external_issuer.rotate()
    newest = external_issuer.signing_kid()
    # Within the cooldown an unknown kid does not reach the issuer, however many tokens carry one.
    for _ in range(5):
        assert cache.key(external_issuer.issuer, newest) is None
        assert cache.key(external_issuer.issuer, "made-up") is None
    assert external_issuer.jwks_fetches == 1
    test_clock.advance(COOLDOWN_SECONDS)
    assert cache.key(external_issuer.issuer, newest)[0].kid == newest
    assert external_issuer.jwks_fetches == 2
    assert cache.key(external_issuer.issuer, "made-up") is None
    assert external_issuer.jwks_fetches == 2


def test_keys_expire_after_the_ttl(cache, external_issuer, test_clock):
    kid = external_issuer.signing_kid()
    cache.key(external_issuer.issuer, kid)
    test_clock.advance(TTL_SECONDS - 1)
    cache.key(external_issuer.issuer, kid)
    assert external_issuer.jwks_fetches == 1
    test_clock.advance(1)
    cache.key(external_issuer.issuer, kid)
    assert external_issuer.jwks_fetches == 2


def test_unreachable_issuer(cache, external_issuer):
    external_issuer.stop()
    with pytest.raises(JwksUnavailable, match="could not be fetched"):
        cache.key(external_issuer.issuer, "any")
    # A failed fetch is not retried within the cooldown either.
    with pytest.raises(JwksUnavailable, match="recently"):
        cache.key(external_issuer.issuer, "any")


def test_stale_keys_serve_while_the_issuer_is_down_but_not_forever(cache, external_issuer, test_clock):
    kid = external_issuer.signing_kid()
    cache.key(external_issuer.issuer, kid)
    external_issuer.stop()
    test_clock.advance(TTL_SECONDS)
    assert cache.key(external_issuer.issuer, kid)[0].kid == kid
    with pytest.raises(JwksUnavailable):
        cache.key(external_issuer.issuer, "unknown-while-down")
    test_clock.advance(cache.stale)
    with pytest.raises(JwksUnavailable):
        cache.key(external_issuer.issuer, kid)


def test_discovery_document_must_name_the_issuer(cache, external_issuer):
    # Same document, asked for under another issuer string: refused (OIDC Discovery 4.3).
    with pytest.raises(JwksUnavailable, match="names another issuer"):
        cache.key(external_issuer.issuer + "/", external_issuer.signing_kid())


def test_fetch_gives_up_at_the_deadline(cache, silent_server):
    started = time.monotonic()
    with pytest.raises(JwksUnavailable, match="ReadTimeout"):
        cache.key(silent_server, "kid")
    assert time.monotonic() - started < cache.timeout + 0.5


def test_parse_jwks_keeps_only_public_signing_keys():
    ec = jwk.ECKey.generate_key("P-384", private=True)
    rsa = jwk.RSAKey.generate_key(2048, private=True)
    ed = jwk.OKPKey.generate_key("Ed25519", private=True)
    document = {"keys": [
        {**ec.as_dict(private=True), "kid": "ec"},  # private members leaked: only the public ones are kept
        {**rsa.as_dict(private=False), "kid": "rsa"},  # no alg: RS256
        {**rsa.as_dict(private=False), "kid": "ps", "alg": "PS256"},
        {**ed.as_dict(private=False), "kid": "ed"},
        {**ec.as_dict(private=False), "kid": "enc", "use": "enc"},
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
        {**ec.as_dict(private=False)},  # no kid
        {"kty": "EC", "crv": "P-256", "x": "bad", "y": "bad", "kid": "broken"},
        "not a key",
    ]}
    keys = parse_jwks(document)
    assert {kid: alg for kid, (_, alg) in keys.items()} == {"ec": "ES384", "rsa": "RS256", "ps": "PS256", "ed": "EdDSA"}
    assert not keys["ec"][0].is_private
    with pytest.raises(JwksUnavailable):
        parse_jwks({"keys": "nope"})


@pytest.mark.parametrize(("url", "issuer", "ok"), [
    ("https://keys.example.com/jwks", "https://issuer.example.com", True),
    ("http://keys.example.com/jwks", "https://issuer.example.com", False),
    ("http://keys.example.com/jwks", "http://127.0.0.1:5000", False),
    ("http://127.0.0.1:5000/jwks", "http://127.0.0.1:5000", True),
    ("http://127.0.0.1:5000/jwks", "https://issuer.example.com", False),
    ("https://user@keys.example.com/jwks", "https://issuer.example.com", False),
    ("file:///etc/passwd", "https://issuer.example.com", False),
])
def test_jwks_uri_must_be_https_or_loopback(url, issuer, ok):
    assert _acceptable_url(url, issuer) is ok
