"""openid-client v6 (panva's OpenID-certified relying party) against the app on a free port.

The npm package is installed into tests/oidc/js/node_modules (ignored by git) from package-lock.json
on first use. The alice_http part of the code flow is driven through the real login and consent pages
with HTTP form posts; everything protocol-side (discovery, PKCE, iss/state checks, the code exchange,
ID token validation, userinfo, refresh, introspection, revocation, client credentials) is openid-client's.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from joserfc import jwk

from tests.oidc.flow import REDIRECT_URI

JS = Path(__file__).parent / "js"


@pytest.fixture(scope="session")
def node_rp() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed for the openid-client tests (apt-get install nodejs npm)")
    if not (JS / "node_modules" / "openid-client").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, capture_output=True, timeout=300)
    return JS / "rp.mjs"


@pytest.fixture
def rp(node_rp, live_server):
    def call(command: str, client: dict, auth: dict, **extra) -> dict:
        document = {"issuer": live_server.url, "client_id": client["client_id"], "auth": auth, **extra}
        done = subprocess.run(["node", str(node_rp), command, json.dumps(document)], capture_output=True, text=True,
                              timeout=60)
        output = json.loads(done.stdout or "{}")
        assert output.get("ok"), (output, done.stderr[-2000:])
        return output

    return call


def browser_callback(alice_http, url: str) -> str:
    """Follow the authorization URL through sign-in and consent; the URL the alice_http is sent back to."""
    response = alice_http.get(url)
    for _ in range(4):
        location = response.headers.get("Location", "")
        if response.status_code == 302 and location.startswith("/login"):
            from urllib.parse import parse_qs, urlsplit

            signed_in = alice_http.sign_in(parse_qs(urlsplit(location).query)["next"][0])
            response = alice_http.get(signed_in.headers["Location"])
        elif response.status_code == 200 and 'id="consent-title"' in response.text:
            response = alice_http.answer_consent(response.text, "allow")
        else:
            break
    assert response.status_code == 302 and response.headers["Location"].startswith(REDIRECT_URI), response.text[:300]
    return response.headers["Location"]


def code_flow(rp, alice_http, client, auth, test_clock, alice):
    start = rp("authorization-url", client, auth, redirect_uri=REDIRECT_URI, scope="openid profile email")
    done = rp("callback", client, auth, callback=browser_callback(alice_http, start["url"]), verifier=start["verifier"],
              state=start["state"], nonce=start["nonce"])
    assert done["claims"]["sub"] == alice["UserId"] and done["claims"]["nonce"] == start["nonce"]
    assert done["userinfo"]["sub"] == alice["UserId"] and done["userinfo"]["preferred_username"] == "alice"
    rotated = rp("refresh", client, auth, refresh_token=done["refresh_token"])
    assert rotated["refresh_token"] and rotated["refresh_token"] != done["refresh_token"]
    assert rotated["id_token_sub"] == alice["UserId"]
    if client.get("client_secret") or auth["method"] == "private_key_jwt":
        introspected = rp("introspect", client, auth, token=done["access_token"])["result"]
        assert introspected["active"] is True and introspected["sub"] == alice["UserId"]
    test_clock.advance(11)
    reused = rp("refresh", client, auth, refresh_token=done["refresh_token"])
    assert reused["refused"] == "invalid_grant"
    if client.get("client_secret") or auth["method"] == "private_key_jwt":
        # Reuse revoked the whole grant, its access tokens too.
        assert rp("introspect", client, auth, token=done["access_token"])["result"]["active"] is False
    return done


def test_discovery(rp, web_client, live_server):
    metadata = rp("discover", web_client, {"method": "client_secret_basic", "secret": web_client["client_secret"]})[
        "metadata"]
    assert metadata["issuer"] == live_server.url and metadata["code_challenge_methods_supported"] == ["S256"]


def test_code_flow_client_secret_basic(rp, alice_http, web_client, test_clock, alice):
    auth = {"method": "client_secret_basic", "secret": web_client["client_secret"]}
    code_flow(rp, alice_http, web_client, auth, test_clock, alice)


def test_code_flow_client_secret_post(rp, alice_http, make_client, test_clock, alice):
    made = make_client("--name", "Poster", "--redirect-uri", REDIRECT_URI, "--auth-method", "client_secret_post")
    code_flow(rp, alice_http, made, {"method": "client_secret_post", "secret": made["client_secret"]}, test_clock, alice)


def test_code_flow_private_key_jwt(rp, alice_http, make_client, test_clock, alice):
    key = jwk.ECKey.generate_key("P-256", private=True)
    private = {**key.as_dict(private=True), "kid": "rp-1"}
    public = {**key.as_dict(private=False), "kid": "rp-1", "alg": "ES256", "use": "sig"}
    made = make_client("--name", "Signer", "--redirect-uri", REDIRECT_URI, "--auth-method", "private_key_jwt",
                       "--jwks", json.dumps({"keys": [public]}))
    code_flow(rp, alice_http, made, {"method": "private_key_jwt", "jwk": private}, test_clock, alice)


def test_code_flow_public_client(rp, alice_http, make_client, test_clock, alice):
    made = make_client("--name", "SPA", "--public", "--redirect-uri", REDIRECT_URI)
    code_flow(rp, alice_http, made, {"method": "none"}, test_clock, alice)


def test_client_credentials(rp, make_client):
    made = make_client("--name", "Worker", "--grant-type", "client_credentials", "--scope", "jobs")
    auth = {"method": "client_secret_basic", "secret": made["client_secret"]}
    tokens = rp("client-credentials", made, auth, scope="jobs")
    assert tokens["token_type"].lower() == "bearer" and tokens["scope"] == "jobs"
    assert rp("introspect", made, auth, token=tokens["access_token"])["result"]["client_id"] == made["client_id"]
    revoked = rp("revoke", made, auth, token=tokens["access_token"])
    assert revoked["after"]["active"] is False
