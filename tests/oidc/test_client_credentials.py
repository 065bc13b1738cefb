"""client_credentials (RFC 6749 4.4) with client_secret_basic and client_secret_post, RFC 9068 access tokens."""
from __future__ import annotations

import base64

from idp.keys.jwt import unverified_header

from idp.authz.tokens import identity_for_token
from idp.keys import jwt, verify_own_token


def basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_basic_auth_gets_an_rfc9068_access_token(app, client, service_client, make_api):
    make_api("https://reports.example/api", {"reports.read": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "notes:ListNotes", "Resource": "*"}]}})
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials", "scope": "reports.read",
                                                  "resource": "https://reports.example/api"},
                           headers=basic(service_client["client_id"], service_client["client_secret"]))
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["token_type"] == "Bearer" and body["scope"] == "reports.read" and "refresh_token" not in body
    assert "id_token" not in body
    header = unverified_header(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    with app.app_context():
        claims = verify_own_token(body["access_token"], kind=jwt.ACCESS_TOKEN,
                                  audience=app.config["IDP_SETTINGS"].issuer)
        assert claims["client_id"] == service_client["client_id"] == claims["sub"]
        assert claims["scope"] == "reports.read" and claims["jti"]
        assert claims["exp"] - claims["iat"] == body["expires_in"]
        # The shared authorizer's bearer path accepts it.
        identity = identity_for_token(body["access_token"], "https://reports.example/api")
        assert identity.claims["client_id"] == service_client["client_id"]
        assert identity.caller.arn.endswith(f":oidc-client/{service_client['client_id']}")


def test_post_auth_and_default_scope(client, make_client):
    made = make_client("--name", "poster", "--grant-type", "client_credentials", "--auth-method",
                       "client_secret_post", "--scope", "a", "--scope", "b")
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials",
                                                  "client_id": made["client_id"],
                                                  "client_secret": made["client_secret"]})
    assert response.status_code == 200, response.json
    assert response.json["scope"] == "a b"


def test_wrong_secret_is_401_with_www_authenticate(client, service_client):
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials"},
                           headers=basic(service_client["client_id"], "not-the-secret"))
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["Cache-Control"] == "no-store"


def test_registered_method_only(client, service_client):
    # A client_secret_basic client may not send its secret in the body.
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials",
                                                  "client_id": service_client["client_id"],
                                                  "client_secret": service_client["client_secret"]})
    assert response.status_code == 401 and response.json["error"] == "invalid_client"


def test_unregistered_scope_refused(client, service_client):
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials", "scope": "admin"},
                           headers=basic(service_client["client_id"], service_client["client_secret"]))
    assert response.status_code == 400 and response.json["error"] == "invalid_scope"


def test_grant_type_not_registered(client, make_client):
    made = make_client("--name", "web", "--redirect-uri", "https://app.example/cb")
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials"},
                           headers=basic(made["client_id"], made["client_secret"]))
    assert response.status_code == 400 and response.json["error"] == "unauthorized_client"


def test_unsupported_grant_and_json_body(client, service_client):
    auth = basic(service_client["client_id"], service_client["client_secret"])
    response = client.post("/oauth2/token", data={"grant_type": "password"}, headers=auth)
    assert response.status_code == 400 and response.json["error"] == "unsupported_grant_type"
    response = client.post("/oauth2/token", json={"grant_type": "client_credentials"}, headers=auth)
    assert response.status_code == 400 and response.json["error"] == "invalid_request"


def test_token_endpoint_allows_cross_origin_calls_without_cookies(client):
    preflight = client.options("/oauth2/token", headers={"Origin": "https://spa.example",
                                                         "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers
