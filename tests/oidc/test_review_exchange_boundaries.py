"""Review of issue 13 (classes 1, 3 and 7) at token exchange: holes found by attacking the running server.

Each test showed one hole when it was written; each is fixed now and pins the rule.
"""
from __future__ import annotations

import json

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.oidc.flow import REDIRECT_URI, Browser, callback_params, pkce_pair
from tests.oidc.test_api_tokens import claims_of
from tests.support.aws_clients import client_for
from tests.support.signin import create_user_with_password

TE = "urn:ietf:params:oauth:grant-type:token-exchange"
AT = "urn:ietf:params:oauth:token-type:access_token"
IDT = "urn:ietf:params:oauth:token-type:id_token"
NOTES_A = "https://notes-a.example/api"
NOTES_B = "https://notes-b.example/api"
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "notes:GetNote", "Resource": "*"}]}
NOTE = "arn:aws:notes:::notebook/x/note/1"


def ask(live_server, token: str, audience: str) -> requests.Response:
    return requests.post(f"{live_server.url}/authorize", json={"action": "notes:GetNote", "resource": NOTE,
                                                                "token": token, "audience": audience}, timeout=30)


def exchange_policy(account_id: str) -> str:
    """What an operator writes for a gateway: exchange for any audience (of its own account, it believes)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "oidc:TokenExchange", "Resource": f"arn:aws:oidc::{account_id}:audience/*"}]})


def register_api(app, tmp_path, identifier: str, account: str | None = None) -> None:
    path = tmp_path / f"read-{len(identifier)}-{identifier[8:15]}.json"
    path.write_text(json.dumps(READ))
    args = ["idp", "apis", "create", "--json", "--identifier", identifier, "--name", "Notes",
            "--scope", f"notes.read={path}"]
    if account:
        args += ["--account", account]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output


@pytest.fixture
def sts(live_server):
    return boto3.client("sts", endpoint_url=live_server.url, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"}))


@pytest.fixture
def account_b(app, live_server, root):
    """Account B with its user bob (who may read notes) and an internal client of B's own."""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["idp", "create-account", "--json"])
    assert result.exit_code == 0, result.output
    account = json.loads(result.output)
    iam = client_for(live_server, "iam", account["access_key_id"], account["secret_access_key"])
    create_user_with_password(iam, "bob")
    iam.put_user_policy(UserName="bob", PolicyName="read", PolicyDocument=json.dumps(READ))
    made = runner.invoke(args=["idp", "clients", "create", "--json", "--account", account["account_id"],
                               "--name", "B internal", "--redirect-uri", REDIRECT_URI])
    assert made.exit_code == 0, made.output
    return {**account, "iam": iam, "internal": json.loads(made.output)}


@pytest.fixture
def alice_reads(iam, alice):
    iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=json.dumps(READ))
    return alice


def test_a_partner_portal_cannot_exchange_a_partner_users_token_for_the_partners_roles(
        app, live_server, root, account_b, make_client, redeem, token_request, sts):
    """B's role trusts only B's own internal client. A's portal admits B's users (multi-account) and may
    exchange tokens (its operator's policy names only A's own `audience/*`). bob signs in at the portal; the
    portal exchanges his ID token for one whose `aud` is B's internal client, and STS in B hands over the role:
    account A has crossed into account B without B listing anything of A's."""
    b = account_b["account_id"]
    url = live_server.url.split("://", 1)[1]
    provider = f"arn:aws:iam::{b}:oidc-provider/{url}"
    internal = account_b["internal"]["client_id"]
    role = account_b["iam"].create_role(RoleName="b-internal", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{url}:aud": internal}}}]}))["Role"]["Arn"]
    portal = make_client("--name", "Portal", "--redirect-uri", REDIRECT_URI, "--multi-account", b,
                         "--grant-type", "authorization_code", "--grant-type", TE, "--scope", "openid",
                         "--token-exchange-policy", exchange_policy(root.account_id))
    verifier, challenge = pkce_pair()
    code = callback_params(Browser(live_server.url, b, "bob").authorize(portal["client_id"], challenge=challenge,
                                                                        scope="openid"))["code"]
    id_token = redeem(portal, code, verifier).json()["id_token"]

    answer = token_request(portal, grant_type=TE, subject_token=id_token, subject_token_type=IDT,
                           audience=internal, requested_token_type=IDT)
    if answer.status_code == 200:   # minted today: aud = B's internal client, account = B
        with pytest.raises(ClientError):
            sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="portal",
                                              WebIdentityToken=answer.json()["access_token"])
    else:
        assert answer.json()["error"] in ("invalid_target", "invalid_request")


def test_a_partner_portal_cannot_exchange_a_partner_users_token_for_the_partners_api(
        app, tmp_path, live_server, root, account_b, make_client, redeem, token_request):
    """The code flow refuses `resource=` naming another account's API (invalid_target); token exchange does not:
    A's portal turns bob's consent to the portal into bob's authority over B's API."""
    b = account_b["account_id"]
    register_api(app, tmp_path, NOTES_B, b)
    portal = make_client("--name", "Portal", "--redirect-uri", REDIRECT_URI, "--multi-account", b,
                         "--grant-type", "authorization_code", "--grant-type", TE, "--scope", "openid",
                         "--scope", "notes.read", "--token-exchange-policy", exchange_policy(root.account_id))
    verifier, challenge = pkce_pair()
    code = callback_params(Browser(live_server.url, b, "bob").authorize(
        portal["client_id"], challenge=challenge, scope="openid notes.read"))["code"]
    access_token = redeem(portal, code, verifier).json()["access_token"]
    # The same client is refused B's API at the authorization endpoint's rule:
    assert ask(live_server, access_token, NOTES_B).status_code == 401

    answer = token_request(portal, grant_type=TE, subject_token=access_token, subject_token_type=AT,
                           resource=NOTES_B)
    if answer.status_code == 200:
        assert ask(live_server, answer.json()["access_token"], NOTES_B).status_code == 401
    else:
        assert answer.json()["error"] == "invalid_target"


def test_exchange_cannot_target_another_accounts_api_for_own_users(
        app, tmp_path, live_server, root, account_b, alice_reads, make_client, code_for, redeem, token_request):
    register_api(app, tmp_path, NOTES_B, account_b["account_id"])
    web = make_client("--name", "Web", "--redirect-uri", REDIRECT_URI, "--scope", "openid", "--scope", "notes.read")
    gateway = make_client("--name", "Gateway", "--grant-type", TE, "--scope", "openid", "--scope", "notes.read",
                          "--token-exchange-policy", exchange_policy(root.account_id))
    code, verifier = code_for(web, scope="openid notes.read")
    subject = redeem(web, code, verifier).json()["access_token"]
    answer = token_request(gateway, grant_type=TE, subject_token=subject, subject_token_type=AT, audience=NOTES_B)
    if answer.status_code == 200:   # today: aud = B's API, and B's API answers Allow for alice of account A
        assert claims_of(live_server, answer.json()["access_token"])["aud"] == NOTES_B
        assert ask(live_server, answer.json()["access_token"], NOTES_B).status_code == 401
    else:
        assert answer.json()["error"] == "invalid_target"


def test_an_exchanged_id_token_dies_with_the_subjects_grant_at_sts(
        live_server, root, iam, alice, web_client, make_client, code_for, redeem, token_request, sts):
    url = live_server.url.split("://", 1)[1]
    provider = f"arn:aws:iam::{root.account_id}:oidc-provider/{url}"
    role = iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{url}:aud": web_client["client_id"]}}}]}))["Role"]["Arn"]
    gateway = make_client("--name", "Gateway", "--grant-type", TE, "--scope", "openid",
                          "--token-exchange-policy", exchange_policy(root.account_id))
    code, verifier = code_for(web_client, scope="openid")
    tokens = redeem(web_client, code, verifier).json()
    answer = token_request(gateway, grant_type=TE, subject_token=tokens["id_token"], subject_token_type=IDT,
                           audience=web_client["client_id"], requested_token_type=IDT)
    assert answer.status_code == 200, answer.text
    exchanged = answer.json()["access_token"]
    assert "gid" in claims_of(live_server, exchanged)
    sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="before", WebIdentityToken=exchanged)

    revoked = requests.post(f"{live_server.url}/oauth2/revoke", data={"token": tokens["access_token"]},
                            auth=(web_client["client_id"], web_client["client_secret"]), timeout=30)
    assert revoked.status_code == 200
    # The exchange endpoint itself now refuses the subject ("grant has been revoked") ...
    again = token_request(gateway, grant_type=TE, subject_token=tokens["id_token"], subject_token_type=IDT,
                          audience=web_client["client_id"], requested_token_type=IDT)
    assert again.status_code == 400
    # ... but the token it issued, bound to that grant, still buys role credentials.
    with pytest.raises(ClientError):
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="after", WebIdentityToken=exchanged)


def test_an_exchanged_api_token_can_be_revoked_by_its_client(
        app, tmp_path, live_server, root, alice_reads, make_client, code_for, redeem, token_request, test_clock):
    register_api(app, tmp_path, NOTES_A)
    web = make_client("--name", "Web", "--redirect-uri", REDIRECT_URI, "--scope", "openid", "--scope", "notes.read")
    gateway = make_client("--name", "Gateway", "--grant-type", TE, "--scope", "openid", "--scope", "notes.read",
                          "--token-exchange-policy", exchange_policy(root.account_id))
    code, verifier = code_for(web, scope="openid notes.read", resource=NOTES_A)
    subject = redeem(web, code, verifier).json()["access_token"]
    answer = token_request(gateway, grant_type=TE, subject_token=subject, subject_token_type=AT, resource=NOTES_A)
    assert answer.status_code == 200, answer.text
    exchanged = answer.json()["access_token"]
    assert claims_of(live_server, exchanged)["aud"] == NOTES_A  # the API alone: not the issuer
    assert ask(live_server, exchanged, NOTES_A).json()["decision"] == "Allow"

    revoked = requests.post(f"{live_server.url}/oauth2/revoke", data={"token": exchanged},
                            auth=(gateway["client_id"], gateway["client_secret"]), timeout=30)
    assert revoked.status_code == 200
    test_clock.advance(app.config["IDP_SETTINGS"].authz_refresh_seconds + 1)
    assert ask(live_server, exchanged, NOTES_A).status_code == 401


def test_an_exchanged_token_dies_with_its_revoked_client_credentials_subject(
        app, tmp_path, live_server, root, make_client, token_request, test_clock):
    register_api(app, tmp_path, NOTES_A)
    worker = make_client("--name", "Worker", "--grant-type", "client_credentials", "--grant-type", TE,
                         "--scope", "notes.read", "--token-exchange-policy", exchange_policy(root.account_id))
    subject = token_request(worker, grant_type="client_credentials", resource=NOTES_A).json()["access_token"]
    answer = token_request(worker, grant_type=TE, subject_token=subject, subject_token_type=AT, resource=NOTES_A)
    assert answer.status_code == 200, answer.text
    exchanged = answer.json()["access_token"]
    assert ask(live_server, exchanged, NOTES_A).json()["decision"] == "Allow"

    revoked = requests.post(f"{live_server.url}/oauth2/revoke", data={"token": subject},
                            auth=(worker["client_id"], worker["client_secret"]), timeout=30)
    assert revoked.status_code == 200
    test_clock.advance(app.config["IDP_SETTINGS"].authz_refresh_seconds + 1)
    assert ask(live_server, subject, NOTES_A).status_code == 401       # the subject is dead ...
    assert ask(live_server, exchanged, NOTES_A).status_code == 401     # ... its exchange still answers Allow
