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
