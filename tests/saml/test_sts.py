"""AssumeRoleWithSAML through boto3 and the aws CLI against the live server, with the test IdP's responses."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from models.audit import AuditEvent
from tests.sts import Keys, allow, client, error_of
from tests.support.aws_clients import client_for
from tests.support.saml_idp import AWS_AUDIENCE, ROLE_ATTRIBUTE, SESSION_NAME_ATTRIBUTE, decoded, encoded

AWS = str(Path(sys.executable).parent / "aws")
ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"


@pytest.fixture
def provider_arn(iam, saml_idp) -> str:
    return iam.create_saml_provider(SAMLMetadataDocument=saml_idp.metadata(), Name="corp")["SAMLProviderArn"]


@pytest.fixture
def saml_role(make_role, provider_arn) -> str:
    """A role that trusts the provider's users whose saml:aud is AWS's and whose saml:sub is alice's."""
    statement = {"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"],
                 "Condition": {"StringEquals": {"saml:aud": AWS_AUDIENCE, "saml:sub": "alice@corp.example"}}}
    return make_role("saml-admins", [statement], allow("iam:ListUsers"))


def _response(saml_idp, role_arn, provider_arn, **options):
    attributes = {ROLE_ATTRIBUTE: [f"{provider_arn},{role_arn}"], SESSION_NAME_ATTRIBUTE: ["alice"],
                  **options.pop("attributes", {})}
    return saml_idp.response(attributes=attributes, **options)


def _sts(live_server):
    return client_for(live_server, "sts", "unused", "unused")


def test_boto3_assume_role_with_saml_and_use_the_session(live_server, root, saml_idp, saml_role, provider_arn):
    response = _response(saml_idp, saml_role, provider_arn, attributes={
        ATTRIBUTES + "PrincipalTag:dept": ["eng"], ATTRIBUTES + "SourceIdentity": ["alice-src"],
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.3": ["o=corp"]})
    answer = _sts(live_server).assume_role_with_saml(RoleArn=saml_role, PrincipalArn=provider_arn,
                                                      SAMLAssertion=response, DurationSeconds=900)
    expected_qualifier = base64.b64encode(hashlib.sha1(
        f"{saml_idp.entity_id}{root.account_id}/corp".encode()).digest()).decode()
    assert (answer["Subject"], answer["SubjectType"], answer["Issuer"], answer["Audience"]) == (
        "alice@corp.example", "persistent", saml_idp.entity_id, AWS_AUDIENCE)
    assert answer["NameQualifier"] == expected_qualifier and answer["SourceIdentity"] == "alice-src"
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{root.account_id}:assumed-role/saml-admins/alice"
    assert answer["PackedPolicySize"] >= 1
    session = Keys.of(answer["Credentials"])
    me = client(live_server, "sts", session).get_caller_identity()
    assert me["Arn"] == answer["AssumedRoleUser"]["Arn"]
    assert client(live_server, "iam", session).list_users()["Users"] == []

    with pytest.raises(ClientError) as replayed:
        _sts(live_server).assume_role_with_saml(RoleArn=saml_role, PrincipalArn=provider_arn, SAMLAssertion=response)
    assert error_of(replayed)[0] == "InvalidIdentityToken"


def test_aws_cli_then_trust_conditions_and_refusals(live_server, tmp_path, saml_idp, other_idp, saml_role,
                                                    provider_arn):
    _aws_cli_assume_role_with_saml(live_server, tmp_path, saml_idp, saml_role, provider_arn)
    sts = _sts(live_server)

    def refused(response, role=saml_role, **extra):
        with pytest.raises(ClientError) as raised:
            sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider_arn, SAMLAssertion=response, **extra)
        return error_of(raised)[0]

    assert refused(_response(saml_idp, saml_role, provider_arn, name_id="mallory@corp.example")) == "AccessDenied"
    own_audience = f"{live_server.url}/sts/saml"
    assert refused(_response(saml_idp, saml_role, provider_arn, audience=own_audience,
                             recipient=own_audience)) == "AccessDenied"  # accepted audience, but saml:aud differs
    assert refused(_response(saml_idp, saml_role, provider_arn, audience="https://elsewhere.example")) == (
        "InvalidIdentityToken")
    assert refused(_response(other_idp, saml_role, provider_arn, issuer=saml_idp.entity_id)) == (
        "InvalidIdentityToken")
    assert refused(saml_idp.response(attributes={SESSION_NAME_ATTRIBUTE: ["alice"]})) == "IDPRejectedClaim"
    other_role = saml_role.replace("saml-admins", "someone-else")
    assert refused(_response(saml_idp, other_role, provider_arn), role=saml_role) == "IDPRejectedClaim"
    expired = _response(saml_idp, saml_role, provider_arn, now=datetime.now(UTC) - timedelta(hours=2))
    assert refused(expired) == "ExpiredTokenException"
    assert refused(_response(saml_idp, saml_role, provider_arn), Policy="{not json") == "MalformedPolicyDocument"
    no_name = saml_idp.response(attributes={ROLE_ATTRIBUTE: [f"{saml_role},{provider_arn}"]})
    assert refused(no_name) == "InvalidIdentityToken"


def _aws_cli_assume_role_with_saml(live_server, tmp_path, saml_idp, saml_role, provider_arn):
    response = _response(saml_idp, saml_role, provider_arn)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IDP_"))}
    env.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_MAX_ATTEMPTS": "1"})
    done = subprocess.run([AWS, "sts", "assume-role-with-saml", "--role-arn", saml_role, "--principal-arn",
                           provider_arn, "--saml-assertion", response, "--endpoint-url", live_server.url,
                           "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["Subject"] == "alice@corp.example"
    me = client(live_server, "sts", Keys.of(answer["Credentials"])).get_caller_identity()
    assert me["Arn"].endswith(":assumed-role/saml-admins/alice")


def _audit_rows(db) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sts:AssumeRoleWithSAML").order_by(AuditEvent.id)))


def _refused(sts, role, provider, response, **extra) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a refused AssumeRoleWithSAML."""
    with pytest.raises(ClientError) as raised:
        sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=response, **extra)
    return (*error_of(raised), raised.value.response["ResponseMetadata"]["HTTPStatusCode"])


def test_malformed_signatures_and_session_tags_are_refused_and_audited_once(live_server, db, saml_idp, saml_role,
                                                                            provider_arn):
    sts = _sts(live_server)
    signed = decoded(_response(saml_idp, saml_role, provider_arn))
    for malformed in (re.sub(r"<ds:SignatureValue>.*?</ds:SignatureValue>", "", signed, flags=re.DOTALL),
                      re.sub(r"<ds:SignatureValue>.*?</ds:SignatureValue>", "<ds:SignatureValue/>", signed,
                             flags=re.DOTALL)):
        code, message, status = _refused(sts, saml_role, provider_arn, encoded(malformed))
        assert (code, message, status) == ("InvalidIdentityToken", "The SAML signature is malformed.", 400)
    for key, value in [("dept*", "eng"), ("dept", "e?g"), ("dept", "$HOME"), ("de{p}t", "eng"),
                       ("dept", "eng\nadmin")]:
        response = _response(saml_idp, saml_role, provider_arn, attributes={ATTRIBUTES + f"PrincipalTag:{key}": [value]})
        code, message, _ = _refused(sts, saml_role, provider_arn, response)
        assert code == "InvalidIdentityToken" and "is not valid" in message, (key, value, message)
    rows = _audit_rows(db)
    assert len(rows) == 7 and {row.decision for row in rows} == {"Deny"}  # one row per call

    accepted = sts.assume_role_with_saml(RoleArn=saml_role, PrincipalArn=provider_arn, SAMLAssertion=_response(
        saml_idp, saml_role, provider_arn, attributes={ATTRIBUTES + "PrincipalTag:dept": ["r-d: eng/web+ops"]}))
    assert accepted["AssumedRoleUser"]["Arn"].endswith("/saml-admins/alice")
    denied = _refused(sts, saml_role, provider_arn, _response(saml_idp, saml_role, provider_arn, name_id="mallory"))
    assert denied[0] == "AccessDenied"
    assert [row.decision for row in _audit_rows(db)[7:]] == ["Allow", "Deny"]  # the trust decision adds no row


def test_audience_recipient_session_end_and_subject_type(live_server, saml_idp, saml_role, provider_arn):
    sts = _sts(live_server)
    amazon = _response(saml_idp, saml_role, provider_arn, audience="urn:amazon:webservices", name_id_format=None,
                       session_not_on_or_after=datetime.now(UTC) + timedelta(minutes=20))
    answer = sts.assume_role_with_saml(RoleArn=saml_role, PrincipalArn=provider_arn, SAMLAssertion=amazon,
                                       DurationSeconds=3600)
    # saml:aud and Audience are the Recipient (the trust policy wants AWS's), not the audience restriction.
    assert (answer["Audience"], answer["SubjectType"]) == (AWS_AUDIENCE, "unspecified")
    left = (answer["Credentials"]["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 1100 <= left <= 1200  # capped at the IdP's SessionNotOnOrAfter, not the hour asked for
    own = f"{live_server.url}/sts/saml"
    to_us = _response(saml_idp, saml_role, provider_arn, audience=AWS_AUDIENCE, recipient=own)
    assert _refused(sts, saml_role, provider_arn, to_us)[0] == "AccessDenied"  # saml:aud is our Recipient
    ended = _response(saml_idp, saml_role, provider_arn,
                      session_not_on_or_after=datetime.now(UTC) - timedelta(minutes=10))
    assert _refused(sts, saml_role, provider_arn, ended)[0] == "ExpiredTokenException"


def test_replay_other_accounts_provider_expired_metadata_and_source_identity(
        live_server, db, iam, saml_idp, saml_role, provider_arn, make_role, other_account):
    sts = _sts(live_server)
    response = _response(saml_idp, saml_role, provider_arn)
    sts.assume_role_with_saml(RoleArn=saml_role, PrincipalArn=provider_arn, SAMLAssertion=response)
    code, message, _ = _refused(sts, saml_role, provider_arn, response)
    assert (code, message) == ("InvalidIdentityToken", "The SAML assertion was already used.")
    assert _audit_rows(db)[-1].decision == "Deny" and _audit_rows(db)[-1].detail["message"] == message

    other_id, other_iam = other_account
    theirs = other_iam.create_saml_provider(SAMLMetadataDocument=saml_idp.metadata(), Name="corp")["SAMLProviderArn"]
    code, message, _ = _refused(sts, saml_role, theirs, _response(saml_idp, saml_role, theirs))
    assert code == "InvalidIdentityToken" and other_id in theirs and "was not found in account" in message

    stale = iam.create_saml_provider(SAMLMetadataDocument=saml_idp.metadata(valid_until="2020-01-01T00:00:00Z"),
                                     Name="stale")["SAMLProviderArn"]
    code, message, _ = _refused(sts, saml_role, stale, _response(saml_idp, saml_role, stale))
    assert code == "InvalidIdentityToken" and "ValidUntil" in message

    statement = {"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithSAML"}
    plain = make_role("saml-plain", [statement])
    with_source = _response(saml_idp, plain, provider_arn, attributes={ATTRIBUTES + "SourceIdentity": ["alice-src"]})
    assert _refused(sts, plain, provider_arn, with_source)[0] == "AccessDenied"  # needs sts:SetSourceIdentity
    bad_source = _response(saml_idp, saml_role, provider_arn, attributes={ATTRIBUTES + "SourceIdentity": ["a b"]})
    assert _refused(sts, saml_role, provider_arn, bad_source)[0] == "InvalidIdentityToken"
