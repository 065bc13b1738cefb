"""private_key_jwt client authentication (RFC 7523): a signed assertion per request, never twice."""
from __future__ import annotations

import json
import secrets
import time

import pytest
import requests
from joserfc import jwk
from joserfc import jwt as jose_jwt

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def client_key():
    return jwk.ECKey.generate_key("P-256", private=True, parameters={"kid": "client-key-1", "alg": "ES256"})


@pytest.fixture
def jwt_client(make_client, client_key):
    public = {**client_key.as_dict(private=False), "kid": "client-key-1", "alg": "ES256", "use": "sig"}
    return make_client("--name", "signer", "--auth-method", "private_key_jwt", "--grant-type", "client_credentials",
                       "--scope", "jobs", "--jwks", json.dumps({"keys": [public]}))


def assertion(client_id: str, audience: str, key, **overrides) -> str:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + 60,
              "jti": secrets.token_urlsafe(12), **overrides}
    header = {"alg": "ES256", "kid": "client-key-1"}
    return jose_jwt.encode(header, claims, key, algorithms=["ES256"])


def grant(live_server, value: str) -> requests.Response:
    return requests.post(f"{live_server.url}/oauth2/token", data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE, "client_assertion": value,
    }, timeout=30)


def test_signed_assertion_authenticates(live_server, jwt_client, client_key):
    assert "client_secret" not in jwt_client
    value = assertion(jwt_client["client_id"], f"{live_server.url}/oauth2/token", client_key)
    response = grant(live_server, value)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "jobs"


def test_assertion_replay_is_refused(live_server, jwt_client, client_key):
    value = assertion(jwt_client["client_id"], live_server.url, client_key)
    assert grant(live_server, value).status_code == 200
    replay = grant(live_server, value)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"
    assert "WWW-Authenticate" in replay.headers


def test_an_assertion_spent_on_a_refused_request_stays_spent(live_server, jwt_client, client_key):
    """The grant's refusal comes after client authentication, which keeps what it wrote: the jti."""
    value = assertion(jwt_client["client_id"], live_server.url, client_key)
    refused = requests.post(f"{live_server.url}/oauth2/token", data={
        "grant_type": "client_credentials", "scope": "not-registered", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": value}, timeout=30)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    replay = grant(live_server, value)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"


@pytest.mark.parametrize("overrides", [
    {"aud": "https://elsewhere.example/token"},
    {"exp": int(time.time()) - 3600},
    {"exp": int(time.time()) + 86400},       # lives far too long
    {"sub": "someone-else"},
    {"jti": None},
])
def test_bad_assertions_are_refused(live_server, jwt_client, client_key, overrides):
    claims = {k: v for k, v in overrides.items() if v is not None}
    value = assertion(jwt_client["client_id"], live_server.url, client_key, **claims)
    if overrides.get("jti", "") is None:
        now = int(time.time())
        value = jose_jwt.encode({"alg": "ES256", "kid": "client-key-1"},
                                {"iss": jwt_client["client_id"], "sub": jwt_client["client_id"],
                                 "aud": live_server.url, "iat": now, "exp": now + 60}, client_key, algorithms=["ES256"])
    response = grant(live_server, value)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_assertion_signed_by_another_key(live_server, jwt_client):
    stranger = jwk.ECKey.generate_key("P-256", private=True)
    response = grant(live_server, assertion(jwt_client["client_id"], live_server.url, stranger))
    assert response.status_code == 401


def test_assertion_with_an_embedded_key(live_server, jwt_client):
    stranger = jwk.ECKey.generate_key("P-256", private=True)
    now = int(time.time())
    value = jose_jwt.encode({"alg": "ES256", "kid": "client-key-1", "jwk": stranger.as_dict(private=False)},
                            {"iss": jwt_client["client_id"], "sub": jwt_client["client_id"], "aud": live_server.url,
                             "iat": now, "exp": now + 60, "jti": "j1"}, stranger, algorithms=["ES256"])
    assert grant(live_server, value).status_code == 401


def test_secret_methods_are_refused_for_a_jwt_client(live_server, jwt_client):
    response = requests.post(f"{live_server.url}/oauth2/token", data={"grant_type": "client_credentials"},
                             auth=(jwt_client["client_id"], "guess"), timeout=30)
    assert response.status_code == 401


def test_keys_from_the_clients_jwks_uri(live_server, make_client, client_key):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    document = json.dumps({"keys": [{**client_key.as_dict(private=False), "kid": "client-key-1", "alg": "ES256"}]})
    fetched = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            fetched.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document.encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        made = make_client("--name", "remote keys", "--auth-method", "private_key_jwt", "--grant-type",
                           "client_credentials", "--scope", "jobs", "--jwks-uri",
                           f"http://127.0.0.1:{server.server_port}/jwks.json")
        for _ in range(2):
            response = grant(live_server, assertion(made["client_id"], live_server.url, client_key))
            assert response.status_code == 200, response.text
        assert fetched == ["/jwks.json"]  # cached after the first fetch
    finally:
        server.shutdown()
