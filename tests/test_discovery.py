"""Discovery and JWKS over real HTTP, and tokens that verify against the published JWKS."""
import time

import requests
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet


def test_discovery_document_names_issuer_and_jwks(live_server):
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        response = requests.get(live_server.url + path, timeout=5)
        assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
        document = response.json()
        assert document["issuer"] == live_server.url
        assert document["jwks_uri"] == f"{live_server.url}/.well-known/jwks.json"


def test_jwks_lists_public_keys_that_verify_our_tokens(live_server, app):
    from idp.keys import sign_token

    response = requests.get(live_server.url + "/.well-known/jwks.json", timeout=5)
    assert response.status_code == 200 and "max-age" in response.headers["Cache-Control"]
    keys = response.json()["keys"]
    assert {k["kty"] for k in keys} == {"EC", "RSA", "OKP"}
    assert all(set(k) & {"d", "p", "q", "dp", "dq", "qi"} == set() for k in keys)
    now = int(time.time())
    with app.app_context():
        token = sign_token({"iss": live_server.url, "sub": "x", "iat": now, "exp": now + 60}, alg="RS256")
    verified = jose_jwt.decode(token, KeySet.import_key_set({"keys": keys}), algorithms=["RS256"])
    assert verified.claims["sub"] == "x"
    with app.app_context():
        token = sign_token({"iss": live_server.url, "sub": "y", "iat": now, "exp": now + 60}, alg="EdDSA")
    verified = jose_jwt.decode(token, KeySet.import_key_set({"keys": keys}), algorithms=["EdDSA"])
    assert verified.claims["sub"] == "y"


def test_auto_bootstrap_on_first_request(app_config):
    from idp import create_app

    app = create_app({**app_config, "IDP_AUTO_BOOTSTRAP": "1"})
    response = app.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 200 and len(response.get_json()["keys"]) == 6
