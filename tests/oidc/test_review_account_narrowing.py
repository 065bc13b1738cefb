"""Review of issue 13 (class 3): narrowing a multi-account client ends another account's access through it.

`clients update --single-account` refuses the refresh of a grant it no longer admits, but the access tokens
already issued for that account's users stay accepted by the shared authorizer until they expire
(IDP_TOKEN_LIFETIME, an hour), not within the documented IDP_AUTHZ_REFRESH_SECONDS.
Fixed: such a client's client_credentials tokens hold no API scope.
"""
from __future__ import annotations

import json

import requests

from tests.oidc.flow import REDIRECT_URI, Browser, callback_params, pkce_pair
from tests.support.aws_clients import client_for
from tests.support.signin import create_user_with_password

PORTAL_API = "https://portal.example/api"
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "portal:GetReport", "Resource": "*"}]}


def test_narrowing_a_client_ends_the_other_accounts_api_access(app, live_server, root, make_api, make_client,
                                                               redeem, test_clock):
    make_api(PORTAL_API, {"reports.read": READ}, name="Portal API")
    runner = app.test_cli_runner()
    made = runner.invoke(args=["idp", "create-account", "--json"])
    assert made.exit_code == 0, made.output
    b = json.loads(made.output)
    b_iam = client_for(live_server, "iam", b["access_key_id"], b["secret_access_key"])
    create_user_with_password(b_iam, "bob")
    b_iam.put_user_policy(UserName="bob", PolicyName="read", PolicyDocument=json.dumps(READ))
    portal = make_client("--name", "Portal", "--redirect-uri", REDIRECT_URI, "--multi-account", b["account_id"],
                         "--scope", "openid", "--scope", "reports.read")
    verifier, challenge = pkce_pair()
    code = callback_params(Browser(live_server.url, b["account_id"], "bob").authorize(
        portal["client_id"], challenge=challenge, scope="openid reports.read", resource=PORTAL_API))["code"]
    token = redeem(portal, code, verifier).json()["access_token"]

    def ask() -> requests.Response:
        return requests.post(f"{live_server.url}/authorize", timeout=30, json={
            "action": "portal:GetReport", "resource": "arn:aws:portal:::report/1", "token": token,
            "audience": PORTAL_API})

    assert ask().json()["decision"] == "Allow"
    narrowed = runner.invoke(args=["idp", "clients", "update", "--single-account", "--json", "--",
                                   portal["client_id"]])
    assert narrowed.exit_code == 0, narrowed.output
    test_clock.advance(app.config["IDP_SETTINGS"].authz_refresh_seconds + 1)
    answer = ask()
    assert answer.status_code == 401 or answer.json()["decision"] == "Deny", answer.text
