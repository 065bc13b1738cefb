"""Authlib's own OAuth 2.0 client (requests integration) for the same happy paths."""
from __future__ import annotations

import json

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwk

from idp.keys import jwt, verify_own_token
from tests.oidc.flow import REDIRECT_URI
from tests.oidc.test_openid_client import browser_callback


def metadata(live_server) -> dict:
    return requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=30).json()


def test_code_flow_refresh_and_userinfo(app, live_server, alice_http, web_client, alice):
    meta = metadata(live_server)
    session = OAuth2Session(web_client["client_id"], web_client["client_secret"], scope="openid profile email",
                            redirect_uri=REDIRECT_URI, code_challenge_method="S256")
    verifier = "v" * 64
    url, state = session.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier,
                                                  nonce="authlib-nonce")
    callback = browser_callback(alice_http, url)
    token = session.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier,
                                state=state)
    with app.app_context():
        claims = verify_own_token(token["id_token"], kind=jwt.ID_TOKEN, audience=web_client["client_id"])
    assert claims["nonce"] == "authlib-nonce" and claims["sub"] == alice["UserId"]
    assert session.get(meta["userinfo_endpoint"], timeout=30).json()["sub"] == alice["UserId"]
    refreshed = session.refresh_token(meta["token_endpoint"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    introspected = session.introspect_token(meta["introspection_endpoint"], token=refreshed["access_token"]).json()
    assert introspected["active"] is True
    assert session.revoke_token(meta["revocation_endpoint"], token=refreshed["refresh_token"]).status_code == 200
    assert session.introspect_token(meta["introspection_endpoint"],
                                    token=refreshed["access_token"]).json()["active"] is False


def test_client_credentials_with_secret_post(live_server, make_client):
    made = make_client("--name", "Worker", "--grant-type", "client_credentials", "--scope", "jobs",
                       "--auth-method", "client_secret_post")
    session = OAuth2Session(made["client_id"], made["client_secret"], token_endpoint_auth_method="client_secret_post")
    token = session.fetch_token(metadata(live_server)["token_endpoint"], grant_type="client_credentials", scope="jobs")
    assert token["scope"] == "jobs" and token["token_type"] == "Bearer"


def test_client_credentials_with_private_key_jwt(live_server, make_client):
    key = jwk.ECKey.generate_key("P-256", private=True)
    public = {**key.as_dict(private=False), "kid": "authlib-1", "alg": "ES256", "use": "sig"}
    made = make_client("--name", "Signer", "--grant-type", "client_credentials", "--scope", "jobs",
                       "--auth-method", "private_key_jwt", "--jwks", json.dumps({"keys": [public]}))
    token_endpoint = metadata(live_server)["token_endpoint"]
    private = jwk.ECKey.import_key(key.as_dict(private=True), parameters={"kid": "authlib-1"})
    session = OAuth2Session(made["client_id"], private, token_endpoint_auth_method=PrivateKeyJWT(
        token_endpoint, alg="ES256", headers={"kid": "authlib-1"}))
    token = session.fetch_token(token_endpoint, grant_type="client_credentials", scope="jobs")
    assert token["scope"] == "jobs"
