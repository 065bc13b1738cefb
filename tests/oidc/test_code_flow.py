"""Authorization code flow with PKCE through the real login page, consent and the token endpoint."""
from __future__ import annotations

import base64
import hashlib

import requests

from idp.keys import jwt, verify_own_token
from idp.keys.jwt import unverified_header
from tests.oidc.flow import REDIRECT_URI, callback_params, pkce_pair


def test_code_flow_issues_id_access_and_refresh_tokens(app, live_server, web_client, alice_http, alice, root, redeem):
    verifier, challenge = pkce_pair()
    response = alice_http.authorize(web_client["client_id"], challenge=challenge, nonce="n-0S6_WzA2Mj")
    params = callback_params(response)
    assert params["iss"] == live_server.url and params["state"].startswith("st-") and params["code"]
    tokens = redeem(web_client, params["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    assert tokens.headers["Cache-Control"] == "no-store"
    body = tokens.json()
    assert {"access_token", "id_token", "refresh_token", "expires_in", "token_type"} <= body.keys()
    with app.app_context():
        claims = verify_own_token(body["id_token"], kind=jwt.ID_TOKEN, audience=web_client["client_id"])
    assert unverified_header(body["id_token"])["alg"] == "ES256"
    assert claims["sub"] == alice["UserId"] and claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["iss"] == live_server.url and claims["account"] == root.account_id
    assert claims["amr"] == ["pwd"] and claims["auth_time"] <= claims["iat"] and claims["sid"]
    expected_at_hash = base64.urlsafe_b64encode(
        hashlib.sha256(body["access_token"].encode()).digest()[:16]).rstrip(b"=").decode()
    assert claims["at_hash"] == expected_at_hash
    assert claims["preferred_username"] == "alice" and claims["groups"] == [] and claims["roles"] == []
    userinfo = requests.get(f"{live_server.url}/oauth2/userinfo",
                            headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=30)
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == alice["UserId"]


def test_consent_is_remembered_and_trusted_clients_skip_it(live_server, make_client, web_client, alice_http):
    verifier, challenge = pkce_pair()
    callback_params(alice_http.authorize(web_client["client_id"], challenge=challenge))
    again = alice_http.authorize(web_client["client_id"], challenge=challenge, consent=None)
    assert callback_params(again)["code"]
    trusted = make_client("--name", "Console", "--redirect-uri", REDIRECT_URI, "--trusted")
    first = alice_http.authorize(trusted["client_id"], challenge=challenge, consent=None)
    assert callback_params(first)["code"]


def test_denied_consent_returns_access_denied_with_iss(live_server, web_client, alice_http):
    _, challenge = pkce_pair()
    params = callback_params(alice_http.authorize(web_client["client_id"], challenge=challenge, consent="deny"))
    assert params["error"] == "access_denied" and params["iss"] == live_server.url and "code" not in params


def test_access_token_works_with_the_shared_authorizer(iam, live_server, make_client, make_api, code_for, redeem,
                                                       alice):
    import json

    from tests.oidc.flow import REDIRECT_URI

    iam.put_user_policy(UserName="alice", PolicyName="notes", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "notes:GetNote",
                                                "Resource": "arn:aws:notes:::notebook/team/*"}]}))
    api = "https://notes.example/api"
    make_api(api, {"notes.read": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "notes:GetNote", "Resource": "*"}]}})
    client = make_client("--name", "Notes app", "--redirect-uri", REDIRECT_URI, "--scope", "openid",
                         "--scope", "notes.read")
    code, verifier = code_for(client, scope="openid notes.read", resource=api)
    access_token = redeem(client, code, verifier).json()["access_token"]

    def decide(resource: str) -> dict:
        answer = requests.post(f"{live_server.url}/authorize", json={
            "action": "notes:GetNote", "resource": resource, "token": access_token, "audience": api}, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    allowed = decide("arn:aws:notes:::notebook/team/note/1")
    assert allowed["decision"] == "Allow" and allowed["principal"]["arn"] == alice["Arn"]
    assert decide("arn:aws:notes:::notebook/secret/note/1")["decision"] == "Deny"


def test_an_id_token_is_not_introspected_as_active(live_server, web_client, code_for, redeem):
    code, verifier = code_for(web_client)
    id_token = redeem(web_client, code, verifier).json()["id_token"]
    answer = requests.post(f"{live_server.url}/oauth2/introspect", data={"token": id_token},
                           auth=(web_client["client_id"], web_client["client_secret"]), timeout=30)
    assert answer.json() == {"active": False}
