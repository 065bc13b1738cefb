"""A CI system's token, as GitHub Actions OIDC is used with AWS: the upstream provider's JWT (`typ: JWT`, `sub` the
pipeline) is exchanged with AssumeRoleWithWebIdentity for a role whose trust policy pins `sub`; another `sub` or a
wrong `aud` is refused, and so is the upstream's RFC 9068 access token (`typ: at+jwt`): it is meant for an API."""
from __future__ import annotations

import json
import uuid

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError


def _ci_token(upstream_op, client: dict) -> str:
    """What a CI system hands its job: a JWT about the pipeline, for the audience the job asked for."""
    return upstream_op.mint({"sub": client["client_id"], "aud": upstream_op.issuer})


def _access_token(upstream_op, client: dict) -> str:
    response = requests.post(f"{upstream_op.issuer}/oauth2/token", data={"grant_type": "client_credentials"},
                             auth=(client["client_id"], client["client_secret"]), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def sts(live_server):
    config = Config(signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("sts", endpoint_url=live_server.url, region_name="us-east-1", config=config)


def test_a_ci_token_assumes_the_role_pinned_to_its_sub_and_nothing_else(live_server, root, iam, upstream_op, sts):
    suffix = uuid.uuid4().hex[:6]
    pipeline = upstream_op.cli("clients", "create", "--name", f"pipeline-{suffix}", "--grant-type",
                               "client_credentials", "--scope", "deploy")
    intruder = upstream_op.cli("clients", "create", "--name", f"intruder-{suffix}", "--grant-type",
                               "client_credentials", "--scope", "deploy")
    url = upstream_op.issuer.split("://", 1)[1]
    provider = iam.create_open_id_connect_provider(Url=upstream_op.issuer, ClientIDList=[upstream_op.issuer],
                                                   ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
    role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{url}:sub": pipeline["client_id"], f"{url}:aud": upstream_op.issuer}},
        }]}))["Role"]["Arn"]

    token = _ci_token(upstream_op, pipeline)
    assumed = sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="build-17", WebIdentityToken=token)
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{root.account_id}:assumed-role/deployer/build-17"
    assert assumed["SubjectFromWebIdentityToken"] == pipeline["client_id"]
    assert assumed["Credentials"]["AccessKeyId"].startswith("ASIA")

    with pytest.raises(ClientError) as other_sub:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="build-17",
                                          WebIdentityToken=_ci_token(upstream_op, intruder))
    assert other_sub.value.response["Error"]["Code"] == "AccessDenied"

    access_token = _access_token(upstream_op, pipeline)  # sub = the pipeline, aud = the issuer: all but the kind
    with pytest.raises(ClientError) as not_web_identity:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="build-17", WebIdentityToken=access_token)
    assert not_web_identity.value.response["Error"]["Code"] == "InvalidIdentityToken"
    assert "typ at+jwt" in not_web_identity.value.response["Error"]["Message"]

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=provider, ClientID="another-audience")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=provider, ClientID=upstream_op.issuer)
    with pytest.raises(ClientError) as wrong_aud:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="build-17", WebIdentityToken=token)
    assert wrong_aud.value.response["Error"]["Code"] == "InvalidIdentityToken"
    assert "Incorrect token audience" in wrong_aud.value.response["Error"]["Message"]
