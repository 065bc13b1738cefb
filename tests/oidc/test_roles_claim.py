"""The `roles` claim is derived: every role in it can be assumed with the ID token at STS, and no other."""
from __future__ import annotations

import base64
import json

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.oidc.flow import REDIRECT_URI


def trust(provider_arn: str, conditions: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": conditions,
    }]})


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture
def sts(live_server):
    config = Config(signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("sts", endpoint_url=live_server.url, region_name="us-east-1", config=config)


@pytest.fixture
def roles(iam, live_server, root, alice, web_client):
    """Roles trusting this IdP in different ways; the expected claim is the first three."""
    url = live_server.url.split("://", 1)[1]
    provider = f"arn:aws:iam::{root.account_id}:oidc-provider/{url}"
    iam.create_group(GroupName="eng")
    iam.add_user_to_group(GroupName="eng", UserName="alice")
    client_id = web_client["client_id"]
    made = {
        "app-reader": {"StringEquals": {f"{url}:aud": client_id}},
        "alice-only": {"StringEquals": {f"{url}:aud": client_id, f"{url}:sub": alice["UserId"]}},
        "eng": {"ForAnyValue:StringEquals": {f"{url}:groups": ["eng"]}, "StringEquals": {f"{url}:aud": client_id}},
        "other-app": {"StringEquals": {f"{url}:aud": "some-other-client"}},
        "bob-only": {"StringEquals": {f"{url}:sub": "AIDABOBBOBBOBBOBBOBBO"}},
        "needs-mfa": {"ForAnyValue:StringEquals": {f"{url}:amr": ["mfa"]}},
    }
    arns = {}
    for name, conditions in made.items():
        arns[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(provider, conditions))["Role"]["Arn"]
    # A role trusting only an AWS account, not web identities at all.
    iam.create_role(RoleName="account-only", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": root.account_id},
                                                "Action": "sts:AssumeRole"}]}))
    return arns


def test_every_role_in_the_claim_can_be_assumed_and_no_other(roles, web_client, code_for, redeem, sts):
    code, verifier = code_for(web_client)
    id_token = redeem(web_client, code, verifier).json()["id_token"]
    claimed = claims_of(id_token)["roles"]
    assert claimed == sorted([roles["app-reader"], roles["alice-only"], roles["eng"]])
    for arn in claimed:
        answer = sts.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="s1", WebIdentityToken=id_token)
        assert answer["AssumedRoleUser"]["Arn"].split("/")[1] == arn.split("/")[1]
    for name in ("other-app", "bob-only", "needs-mfa"):
        with pytest.raises(ClientError) as refused:
            sts.assume_role_with_web_identity(RoleArn=roles[name], RoleSessionName="s1", WebIdentityToken=id_token)
        assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_another_client_sees_only_roles_trusting_its_audience(roles, make_client, code_for, redeem, sts):
    other = make_client("--name", "Other", "--redirect-uri", REDIRECT_URI, "--trusted")
    code, verifier = code_for(other)
    id_token = redeem(other, code, verifier).json()["id_token"]
    assert claims_of(id_token)["roles"] == []
    with pytest.raises(ClientError):
        sts.assume_role_with_web_identity(RoleArn=roles["app-reader"], RoleSessionName="s1",
                                          WebIdentityToken=id_token)


def test_deleted_client_is_removed_from_the_providers_audiences(app, iam, live_server, root, roles, web_client,
                                                                code_for, redeem, sts):
    code, verifier = code_for(web_client)
    id_token = redeem(web_client, code, verifier).json()["id_token"]
    url = live_server.url.split("://", 1)[1]
    provider = f"arn:aws:iam::{root.account_id}:oidc-provider/{url}"
    assert web_client["client_id"] in iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider)["ClientIDList"]
    result = app.test_cli_runner().invoke(args=["idp", "clients", "delete", web_client["client_id"]])
    assert result.exit_code == 0, result.output
    assert web_client["client_id"] not in iam.get_open_id_connect_provider(
        OpenIDConnectProviderArn=provider)["ClientIDList"]
    with pytest.raises(ClientError) as refused:
        sts.assume_role_with_web_identity(RoleArn=roles["app-reader"], RoleSessionName="s1", WebIdentityToken=id_token)
    assert refused.value.response["Error"]["Code"] == "InvalidIdentityToken"


@pytest.fixture
def partner(app, live_server):
    """Account B: its root's IAM client and bob, a user with a console password."""
    from tests.support.aws_clients import client_for
    from tests.support.signin import create_user_with_password

    result = app.test_cli_runner().invoke(args=["idp", "create-account", "--json"])
    assert result.exit_code == 0, result.output
    account = json.loads(result.output)
    iam = client_for(live_server, "iam", account["access_key_id"], account["secret_access_key"])
    return {**account, "iam": iam, "bob": create_user_with_password(iam, "bob")}


def test_across_accounts_the_claim_is_what_sts_allows_and_each_account_keeps_its_roles(
        app, live_server, root, iam, alice, alice_http, partner, make_client, redeem, sts):
    """A's multi-account portal admits B. A's roles trust A's provider (which lists the portal); B's operator
    lists the portal in B's own provider. B's users reach A's roles only through the portal that admits B
    (and a trust policy can say which account with `<url>:account`); A's users never reach B's roles, although
    B's provider lists A's client: a provider accepts another account's principals only through a client of
    its own account that admits them."""
    from tests.oidc.flow import Browser, callback_params, pkce_pair

    url = live_server.url.split("://", 1)[1]
    b = partner["account_id"]
    portal = make_client("--name", "Portal", "--redirect-uri", REDIRECT_URI, "--trusted", "--multi-account", b)
    a_provider = f"arn:aws:iam::{root.account_id}:oidc-provider/{url}"
    aud = {f"{url}:aud": portal["client_id"]}
    a_roles = {name: iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(a_provider, conditions))[
        "Role"]["Arn"] for name, conditions in {
        "portal-any": {"StringEquals": aud},
        "portal-partner": {"StringEquals": {**aud, f"{url}:account": b}},
        "portal-home": {"StringEquals": {**aud, f"{url}:account": root.account_id}},
    }.items()}
    b_provider = partner["iam"].create_open_id_connect_provider(
        Url=live_server.url, ClientIDList=[portal["client_id"]])["OpenIDConnectProviderArn"]
    b_role = partner["iam"].create_role(RoleName="portal-b", AssumeRolePolicyDocument=trust(
        b_provider, {"StringEquals": aud}))["Role"]["Arn"]

    def id_token_of(browser: Browser) -> str:
        verifier, challenge = pkce_pair()
        code = callback_params(browser.authorize(portal["client_id"], challenge=challenge))["code"]
        return redeem(portal, code, verifier).json()["id_token"]

    def assumable(token: str) -> set[str]:
        allowed = set()
        for arn in [*a_roles.values(), b_role]:
            try:
                sts.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="s1", WebIdentityToken=token)
                allowed.add(arn)
            except ClientError as refused:
                assert refused.response["Error"]["Code"] in ("AccessDenied", "IDPRejectedClaim")
        return allowed

    bobs = id_token_of(Browser(live_server.url, b, "bob"))
    assert claims_of(bobs)["roles"] == sorted([a_roles["portal-any"], a_roles["portal-partner"], b_role])
    assert assumable(bobs) == set(claims_of(bobs)["roles"])
    alices = id_token_of(alice_http)
    assert claims_of(alices)["roles"] == sorted([a_roles["portal-any"], a_roles["portal-home"]])
    assert assumable(alices) == set(claims_of(alices)["roles"])
    with pytest.raises(ClientError) as refused:
        sts.assume_role_with_web_identity(RoleArn=b_role, RoleSessionName="s1", WebIdentityToken=alices)
    assert refused.value.response["Error"]["Code"] == "IDPRejectedClaim"
    from models.audit import AuditEvent
    from tests.support.signin import stored

    noted = stored(app, AuditEvent, AuditEvent.action == "oauth:AccountNotAdmitted")
    assert {(e.account_id, e.decision, e.detail["surface"]) for e in noted} == {(b, "Deny", "web_identity")}
