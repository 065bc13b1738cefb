"""Review of issue 13 (class 1): a delegated token's bound and liveness, attacked over the running server.

Each test showed one hole when it was written; each is fixed now and pins the rule.
"""
from __future__ import annotations

import json

import pytest
import requests

from tests.oidc.flow import REDIRECT_URI
from tests.oidc.test_api_tokens import claims_of
from tests.support.signin import csrf_token

NOTES = "https://notes.example/api"
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "notes:GetNote", "Resource": "*"}]}
NOTE = "arn:aws:notes:::notebook/alice/note/1"


def ask(live_server, token: str) -> requests.Response:
    return requests.post(f"{live_server.url}/authorize", json={"action": "notes:GetNote", "resource": NOTE,
                                                                "token": token, "audience": NOTES}, timeout=30)


@pytest.fixture
def notes_api(make_api):
    make_api(NOTES, {"notes.read": READ}, name="Notes")


@pytest.fixture
def alice_reads(iam, alice):
    iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=json.dumps(READ))
    return alice


def test_refresh_does_not_outlive_the_clients_registered_scopes(app, live_server, notes_api, alice_reads,
                                                                 make_client, code_for, redeem, token_request):
    web = make_client("--name", "Web", "--redirect-uri", REDIRECT_URI, "--grant-type", "authorization_code",
                      "--grant-type", "refresh_token", "--scope", "openid", "--scope", "offline_access",
                      "--scope", "notes.read")
    code, verifier = code_for(web, scope="openid offline_access notes.read", resource=NOTES)
    tokens = redeem(web, code, verifier).json()
    assert ask(live_server, tokens["access_token"]).json()["decision"] == "Allow"
    # The operator withdraws the API scope from the client (token exchange and client credentials honour
    # the client's registered scopes at once; the refresh grant does not).
    result = app.test_cli_runner().invoke(args=["idp", "clients", "update", "--scope", "openid", "--scope",
                                                "offline_access", "--", web["client_id"]])
    assert result.exit_code == 0, result.output
    fresh = token_request(web, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    if fresh.status_code == 200:
        assert "notes.read" not in claims_of(live_server, fresh.json()["access_token"])["scope"].split()
        assert ask(live_server, fresh.json()["access_token"]).json()["decision"] == "Deny"


def test_a_password_change_ends_the_grants_of_the_session_it_is_made_in(live_server, notes_api, alice_reads,
                                                                        alice_http, make_client, code_for, redeem,
                                                                        app, test_clock):
    """With a stolen session cookie an attacker consents to their own app as alice; alice, in that same
    (stolen) session, changes her password, which the product documents as ending her grants. The grants of
    every other session end; the one made in this session keeps its API authority."""
    app_of_attacker = make_client("--name", "Helpful app", "--redirect-uri", REDIRECT_URI, "--scope", "openid",
                                  "--scope", "notes.read")
    code, verifier = code_for(app_of_attacker, scope="openid notes.read", resource=NOTES)
    token = redeem(app_of_attacker, code, verifier).json()["access_token"]
    assert ask(live_server, token).json()["decision"] == "Allow"

    page = alice_http.get("/account")
    answer = alice_http.http.post(f"{live_server.url}/account/password", timeout=30, allow_redirects=False, data={
        "csrf_token": csrf_token(page.text), "current_password": alice_http.password,
        "new_password": "Amber-Lantern-Harbor-77", "confirm_password": "Amber-Lantern-Harbor-77"})
    assert answer.status_code == 200 and "Password changed" in answer.text
    test_clock.advance(app.config["IDP_SETTINGS"].authz_refresh_seconds + 1)  # past the liveness cache
    assert ask(live_server, token).status_code == 401
