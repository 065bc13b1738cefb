"""Review of issue 13 (class 1): a client_credentials principal's authority is what the client was *granted*.

A client registered through RFC 7591 names its own `scope`, and may ask for `client_credentials`; its token then
holds exactly the policies of those API scopes. So whoever holds an initial access token (meant for
registering apps that still need a user's consent) grants itself every registered API's authority.
Fixed: such a client's client_credentials tokens hold no API scope.
"""
from __future__ import annotations

import json

import pytest
import requests

NOTES = "https://notes.example/api"
WRITE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "notes:PutNote", "Resource": "*"}]}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "IDP_DYNAMIC_REGISTRATION": "on"}


def test_a_self_registered_client_gets_no_api_authority_from_scopes_it_named(app, root, live_server, make_api):
    make_api(NOTES, {"notes.write": WRITE}, name="Notes")
    made = app.test_cli_runner().invoke(args=["idp", "clients", "initial-access-token", "--json"])
    assert made.exit_code == 0, made.output
    initial = json.loads(made.output)["initial_access_token"]
    registered = requests.post(f"{live_server.url}/oauth2/register", timeout=30,
                               headers={"Authorization": f"Bearer {initial}"},
                               json={"client_name": "Innocent app", "grant_types": ["client_credentials"],
                                     "scope": "notes.write"})
    assert registered.status_code == 201, registered.text
    body = registered.json()
    answer = requests.post(f"{live_server.url}/oauth2/token", timeout=30,
                           auth=(body["client_id"], body["client_secret"]),
                           data={"grant_type": "client_credentials", "resource": NOTES})
    if answer.status_code == 200:
        decision = requests.post(f"{live_server.url}/authorize", timeout=30, json={
            "action": "notes:PutNote", "resource": "arn:aws:notes:::notebook/alice/note/1",
            "token": answer.json()["access_token"], "audience": NOTES})
        assert decision.status_code == 401 or decision.json()["decision"] == "Deny", decision.text
