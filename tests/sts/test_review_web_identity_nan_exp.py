"""Review (issue 13): a provider token whose `exp` is NaN never expires at AssumeRoleWithWebIdentity.

Python's json reads `NaN`; every comparison with NaN is false, so the shared claim checks of
idp.keys.jwt neither find it expired nor refuse it as malformed: credentials are issued for a token
that carries no usable expiry (a leaked one would work forever). `nbf`/`iat` of NaN pass the same way.
At the token endpoint the same claim in a client assertion answers 500 (test_review_client_assertion_5xx).
"""
from __future__ import annotations

import json

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support import test_issuer

external_issuer = test_issuer.external_issuer  # fixture
CLIENT = "sts.amazonaws.com"


def test_a_provider_token_whose_exp_is_nan_is_refused(live_server, iam, external_issuer):
    provider = iam.create_open_id_connect_provider(Url=external_issuer.issuer, ClientIDList=[CLIENT])
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider["OpenIDConnectProviderArn"]},
        "Action": "sts:AssumeRoleWithWebIdentity"}]}
    role = iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    token = external_issuer.mint({"sub": "alice", "aud": CLIENT, "exp": float("nan")})
    sts = boto3.client("sts", endpoint_url=live_server.url, region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"}))
    with pytest.raises(ClientError) as refused:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="s1", WebIdentityToken=token)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert refused.value.response["Error"]["Code"] in ("InvalidIdentityToken", "ExpiredTokenException")
