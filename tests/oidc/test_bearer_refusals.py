"""Known JWT incidents replayed against userinfo (and introspection): every forged token is refused.

alg none (CVE-2022-23540), HS256 signed with our public key (CVE-2016-10555 and kin),
embedded or referenced keys (CVE-2018-0114, CVE-2022-39175), kid injection,
oversized tokens, and an ID token presented as an access token.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
import requests
from joserfc import jwk
from joserfc import jwt as jose_jwt

from idp.keys import keystore


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(header: dict, claims: dict, signature: bytes = b"") -> str:
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    return f"{head}.{body}.{b64(signature)}"


@pytest.fixture
def good(service_client, live_server):
    """A genuine access token, to copy claims and kid from."""
    response = requests.post(f"{live_server.url}/oauth2/token", data={"grant_type": "client_credentials"},
                             auth=(service_client["client_id"], service_client["client_secret"]), timeout=30)
    token = response.json()["access_token"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=" * (-len(token.split(".")[1]) % 4)))
    claims["scope"] = "openid"
    return token, header, claims


def userinfo(live_server, token: str) -> requests.Response:
    return requests.get(f"{live_server.url}/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"},
                        timeout=30)


def assert_refused(response: requests.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_alg_none(live_server, good):
    _, header, claims = good
    assert_refused(userinfo(live_server, forged({**header, "alg": "none"}, claims)))


def test_hs256_signed_with_our_public_key(app, live_server, good):
    _, header, claims = good
    with app.app_context():
        public = keystore().verification_key(header["kid"]).key.as_pem(private=False)
    head = b64(json.dumps({**header, "alg": "HS256"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert_refused(userinfo(live_server, f"{head}.{body}.{b64(signature)}"))


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u"])
def test_keys_from_the_token_header(live_server, good, member):
    _, header, claims = good
    attacker = jwk.ECKey.generate_key("P-256", private=True)
    values = {"jwk": attacker.as_dict(private=False), "jku": "http://127.0.0.1:1/jwks.json",
              "x5u": "http://127.0.0.1:1/cert.pem"}
    token = jose_jwt.encode({"alg": "ES256", "kid": attacker.thumbprint(), member: values[member], "typ": "at+jwt"},
                            claims, attacker, algorithms=["ES256"])
    assert_refused(userinfo(live_server, token))


@pytest.mark.parametrize("kid", ["../../../../etc/passwd", "' OR '1'='1", "x" * 4096, ""])
def test_kid_injection(live_server, good, kid):
    _, header, claims = good
    attacker = jwk.ECKey.generate_key("P-256", private=True)
    token = jose_jwt.encode({"alg": "ES256", "kid": kid, "typ": "at+jwt"}, claims, attacker, algorithms=["ES256"])
    assert_refused(userinfo(live_server, token))


def test_oversized_token(live_server, good):
    _, header, claims = good
    assert_refused(userinfo(live_server, forged(header, {**claims, "pad": "x" * 20_000}, b"sig")))


def test_tampered_claims(live_server, good):
    token, _, claims = good
    head, _, signature = token.split(".")
    body = b64(json.dumps({**claims, "sub": "someone-else"}).encode())
    assert_refused(userinfo(live_server, f"{head}.{body}.{signature}"))


def test_missing_bearer(live_server):
    assert_refused(requests.get(f"{live_server.url}/oauth2/userinfo", timeout=30))


def test_id_token_is_not_an_access_token(live_server, web_client, code_for, redeem):
    code, verifier = code_for(web_client)
    tokens = redeem(web_client, code, verifier).json()
    assert_refused(userinfo(live_server, tokens["id_token"]))
    assert userinfo(live_server, tokens["access_token"]).status_code == 200


def test_token_without_openid_scope_is_insufficient(live_server, good):
    token, _, _ = good
    response = userinfo(live_server, token)
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"
