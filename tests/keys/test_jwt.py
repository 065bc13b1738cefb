"""The one JWT verifier refuses every known JWT attack (SECURITY.md's incident list)."""
import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc import jwk, jwt as jose_jwt

from idp.keys import jwt

ISSUER = "https://issuer.example"


def b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def es_key():
    key = jwk.ECKey.generate_key("P-256", private=True)
    return jwk.import_key(key.as_dict(private=True), "EC", parameters={"kid": key.thumbprint(), "alg": "ES256"})


@pytest.fixture
def lookup(es_key):
    return lambda kid: (es_key, "ES256") if kid == es_key.kid else None


def claims(**extra):
    now = int(time.time())
    return {"iss": ISSUER, "aud": "client-1", "sub": "alice", "iat": now, "exp": now + 300, **extra}


def verify(token, lookup, **kw):
    return jwt.verify(token, lookup, issuer=kw.pop("issuer", ISSUER), audience=kw.pop("audience", "client-1"),
                      kind=kw.pop("kind", jwt.ID_TOKEN), **kw)


def test_a_well_formed_token_verifies(es_key, lookup):
    token = jwt.sign(claims(), es_key, "ES256")
    assert verify(token, lookup)["sub"] == "alice"
    assert jwt.unverified_header(token) == {"alg": "ES256", "kid": es_key.kid, "typ": "JWT"}


def test_alg_none_is_refused(es_key, lookup):  # CVE-2022-23540
    token = f"{b64({'alg': 'none', 'kid': es_key.kid})}.{b64(claims())}."
    with pytest.raises(jwt.InvalidToken, match="algorithm 'none' is not allowed"):
        verify(token, lookup)


def test_hs256_signed_with_the_public_key_is_refused(es_key, lookup):  # CVE-2016-10555 and kin
    public_pem = es_key.as_pem(private=False)
    signing_input = f"{b64({'alg': 'HS256', 'kid': es_key.kid})}.{b64(claims())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(jwt.InvalidToken, match="algorithm 'HS256' is not allowed"):
        verify(f"{signing_input}.{b64(mac)}", lookup)


@pytest.mark.parametrize("header", ["jwk", "jku", "x5u", "x5c"])
def test_keys_named_by_the_token_are_never_used(es_key, lookup, header):  # CVE-2018-0114
    attacker = jwk.ECKey.generate_key("P-256", private=True)
    value = {"jwk": attacker.as_dict(private=False), "x5c": ["MIIB"]}.get(header, "https://attacker.example/keys")
    token = jose_jwt.encode({"alg": "ES256", "kid": es_key.kid, header: value}, claims(), attacker)
    with pytest.raises(jwt.InvalidToken, match="embedded in or referenced"):
        verify(token, lookup)


def test_a_token_signed_by_another_key_with_our_kid_is_refused(es_key, lookup):
    attacker = jwk.ECKey.generate_key("P-256", private=True)
    token = jose_jwt.encode({"alg": "ES256", "kid": es_key.kid}, claims(), attacker)
    with pytest.raises(jwt.InvalidToken, match="signature does not verify"):
        verify(token, lookup)


def test_unknown_kid_and_alg_mismatch_are_refused(es_key, lookup):
    other = jwk.ECKey.generate_key("P-256", private=True, parameters={"kid": "other"})
    with pytest.raises(jwt.InvalidToken, match="unknown key"):
        verify(jose_jwt.encode({"alg": "ES256", "kid": "other"}, claims(), other), lookup)
    rsa = jwk.RSAKey.generate_key(2048, private=True)
    token = jose_jwt.encode({"alg": "RS256", "kid": es_key.kid}, claims(), rsa)
    with pytest.raises(jwt.InvalidToken, match="does not match the key's algorithm"):
        verify(token, lookup)


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"exp": -61}, "expired"),
        ({"nbf": 120}, "not valid yet"),
        ({"iat": 120}, "issued in the future"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"aud": "someone-else"}, "audience"),
        ({"exp": "tomorrow"}, "exp is not a finite number"),
    ],
)
def test_registered_claims_are_checked(es_key, lookup, extra, message):
    # Times are offsets from now, taken when the test runs (not when it was collected).
    now = int(time.time())
    extra = {k: now + v if isinstance(v, int) else v for k, v in extra.items()}
    with pytest.raises(jwt.InvalidToken, match=message):
        verify(jwt.sign(claims(**extra), es_key, "ES256"), lookup)


def test_small_leeway_is_tolerated_and_audience_lists_work(es_key, lookup):
    token = jwt.sign(claims(exp=int(time.time()) - 30, aud=["x", "client-1"]), es_key, "ES256")
    assert verify(token, lookup)["sub"] == "alice"


def test_missing_exp_is_refused(es_key, lookup):
    body = claims()
    del body["exp"]
    with pytest.raises(jwt.InvalidToken, match="no exp"):
        verify(jwt.sign(body, es_key, "ES256"), lookup)


@pytest.mark.parametrize("token", ["", "a.b", "x" * 20_000, "!!!.e30.sig", f"{b64(b'[1]')}.e30.sig"])
def test_malformed_tokens_are_refused_before_any_crypto(lookup, token):
    with pytest.raises(jwt.InvalidToken):
        verify(token, lookup)
