"""Issue 13 class 10 at STS: an IAM OIDC provider is registered by an account's administrators, not the
operator, so its discovery document and JWKS are fetched only from global addresses (idp.fetch).

With loopback allowed (the suite's default config) the same provider works: tests/sts/test_web_identity.py.
"""
from __future__ import annotations

import json

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import select

from idp.sts.web_identity import NO_KEY
from models.audit import AuditEvent
from tests.support import test_issuer

external_issuer = test_issuer.external_issuer  # fixture
CLIENT = "sts.amazonaws.com"


@pytest.fixture
def app_config(app_config):
    """The production default: no private network may be fetched for untrusted input."""
    return {**app_config, "IDP_FETCH_ALLOWED_NETWORKS": ""}


def test_a_provider_on_loopback_is_never_fetched_and_no_credentials_are_issued(live_server, iam, db,
                                                                             external_issuer):
    provider = iam.create_open_id_connect_provider(Url=external_issuer.issuer, ClientIDList=[CLIENT])
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider["OpenIDConnectProviderArn"]},
        "Action": "sts:AssumeRoleWithWebIdentity"}]}
    role = iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    token = external_issuer.mint({"sub": "alice", "aud": CLIENT})
    sts = boto3.client("sts", endpoint_url=live_server.url, region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"}))
    with pytest.raises(ClientError) as refused:
        sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="s1", WebIdentityToken=token)
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("IDPCommunicationError", NO_KEY)
    assert "Credentials" not in refused.value.response
    assert external_issuer.requests == {}  # not even the discovery document was asked for
    db.session.expire_all()
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "fetch:DestinationRefused")).all()
    assert event.decision == "Deny"
    assert event.resource == external_issuer.issuer + "/.well-known/openid-configuration"
    assert event.detail == {"purpose": "OpenID provider keys", "addresses": ["127.0.0.1"]}
