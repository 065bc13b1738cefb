"""AssumeRoleWithWebIdentity with real boto3: this IdP's own tokens and a second, independent issuer's."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from joserfc import jwk
from joserfc import jwt as jose_jwt
from sqlalchemy import select

from idp.clock import FixedClock
from idp.keys import keystore, sign_token
from idp.sts.jwks_cache import COOLDOWN_SECONDS, TIMEOUT_SECONDS
from idp.sts.web_identity import NO_KEY
from models.audit import AuditEvent
from tests.support import test_issuer
from tests.support.aws_clients import client_for

# The second issuer's fixtures, used by name below.
external_issuer = test_issuer.external_issuer
silent_server = test_issuer.silent_server

CLIENT = "my-app"
EXTERNAL_CLIENT = "sts.amazonaws.com"
NOT_AUTHORIZED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"


@dataclass
class Provider:
    """An IAM OIDC provider of the test account and a way to get tokens from its issuer."""

    issuer: str
    arn: str
    mint: Callable[..., str]

    @property
    def url(self) -> str:
        return self.issuer.split("://", 1)[1]


@pytest.fixture
def test_clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def app_config(app_config, test_clock):
    return {**app_config, "IDP_CLOCK": test_clock}


def _sts(live_server, **extra):
    config = Config(signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"}, **extra)
    return boto3.client("sts", endpoint_url=live_server.url, region_name="us-east-1", config=config)


@pytest.fixture
def sts(live_server):
    """An STS client without credentials: AssumeRoleWithWebIdentity is unsigned."""
    return _sts(live_server)


@pytest.fixture
def own(app, root, iam) -> Provider:
    """This IdP's own issuer, registered at bootstrap, with CLIENT added to its audiences."""
    issuer = app.config["IDP_SETTINGS"].issuer
    arn = f"arn:aws:iam::{root.account_id}:oidc-provider/{issuer.split('://', 1)[1]}"
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=CLIENT)

    def mint(claims: dict, alg: str = "ES256") -> str:
        now = int(time.time())
        with app.app_context():
            # Every token of ours names its subject's account (a provider of another account refuses it).
            return sign_token({"iss": issuer, "aud": CLIENT, "iat": now, "exp": now + 300,
                               "account": root.account_id, **claims}, alg)

    return Provider(issuer, arn, mint)


@pytest.fixture
def ext(external_issuer, iam) -> Provider:
    """The second issuer, registered with CreateOpenIDConnectProvider."""
    arn = iam.create_open_id_connect_provider(Url=external_issuer.issuer, ClientIDList=[EXTERNAL_CLIENT])[
        "OpenIDConnectProviderArn"]

    def mint(claims: dict, **kw) -> str:
        return external_issuer.mint({"aud": EXTERNAL_CLIENT, **claims}, **kw)

    return Provider(external_issuer.issuer, arn, mint)


def make_role(iam, name: str, provider: Provider, condition: dict | None = None, *, actions=(), policy=None) -> str:
    statement = {"Effect": "Allow", "Principal": {"Federated": provider.arn},
                 "Action": ["sts:AssumeRoleWithWebIdentity", *actions]}
    if condition:
        statement["Condition"] = condition
    trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    return arn


def assume(sts, role_arn: str, token: str, **extra) -> dict:
    return sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="session", WebIdentityToken=token,
                                             **extra)


def refused(sts, role_arn: str, token: str, code: str, message: str | None = None, status: int = 400,
            **extra) -> str:
    with pytest.raises(ClientError) as info:
        assume(sts, role_arn, token, **extra)
    error = info.value.response["Error"]
    assert (error["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    if message is not None:
        assert error["Message"] == message
    return error["Message"]


def audit_rows(db) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sts:AssumeRoleWithWebIdentity").order_by(AuditEvent.id)))


def get_role_policy(name: str, condition: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*", "Condition": condition}]}


# -- accepted tokens ---------------------------------------------------------

def test_own_token_with_sub_aud_and_amr_conditions(sts, iam, own, live_server, db):
    arn = make_role(iam, "own", own, {
        "StringEquals": {f"{own.url}:sub": "alice", f"{own.url}:aud": CLIENT},
        "ForAnyValue:StringEquals": {f"{own.url}:amr": "mfa"},
    }, policy=get_role_policy("own", {"StringEquals": {f"{own.url}:sub": "alice",
                                                        "aws:FederatedProvider": own.arn}}))
    result = assume(sts, arn, own.mint({"sub": "alice", "amr": ["pwd", "mfa"]}), DurationSeconds=900)
    assert result["SubjectFromWebIdentityToken"] == "alice"
    assert result["Provider"] == own.arn
    assert result["Audience"] == CLIENT
    assert result["AssumedRoleUser"]["Arn"].endswith(":assumed-role/own/session")
    credentials = result["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert 890 <= (credentials["Expiration"] - datetime.now(UTC)).total_seconds() <= 910
    # The session keeps <url>:sub and aws:FederatedProvider for its later requests.
    session = client_for(live_server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])
    assert session.get_role(RoleName="own")["Role"]["Arn"] == arn
    rows = audit_rows(db)
    assert rows[-1].decision == "Allow" and rows[-1].detail["subject"] == "alice"
    assert rows[-1].resource == arn

    refused(sts, arn, own.mint({"sub": "alice", "amr": ["pwd"]}), "AccessDenied", NOT_AUTHORIZED, 403)
    refused(sts, arn, own.mint({"sub": "bob", "amr": ["mfa"]}), "AccessDenied", NOT_AUTHORIZED, 403)
    assert audit_rows(db)[-1].decision == "Deny"


def test_external_issuer_with_a_custom_claim(sts, iam, ext, external_issuer):
    arn = make_role(iam, "deploy", ext, {
        "StringEquals": {f"{ext.url}:aud": EXTERNAL_CLIENT},
        "StringLike": {f"{ext.url}:repository": "octo-org/*", f"{ext.url}:sub": "repo:octo-org/*"},
    })
    claims = {"sub": "repo:octo-org/app:ref:refs/heads/main", "repository": "octo-org/app"}
    result = assume(sts, arn, ext.mint(claims))
    assert result["Provider"] == ext.arn and result["Audience"] == EXTERNAL_CLIENT
    # RS256 keys of the same JWKS verify too.
    assert assume(sts, arn, ext.mint(claims, alg="RS256"))["SubjectFromWebIdentityToken"] == claims["sub"]
    refused(sts, arn, ext.mint({**claims, "repository": "evil-org/app"}), "AccessDenied", NOT_AUTHORIZED, 403)
    assert external_issuer.jwks_fetches == 1
    # Deleting the provider stops its tokens at once, roles that trust it notwithstanding.
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=ext.arn)
    refused(sts, arn, ext.mint(claims), "InvalidIdentityToken",
            f"No OpenIDConnect provider found in your account for {ext.issuer}")


def test_principal_tags_from_the_tags_claim(sts, iam, ext, live_server):
    tags_claim = {"https://aws.amazon.com/tags": {"principal_tags": {"team": ["blue"], "env": ["prod"]},
                                                  "transitive_tag_keys": ["team"]}}
    policy = get_role_policy("tagged", {"StringEquals": {"aws:PrincipalTag/team": "blue"}})
    untagged = make_role(iam, "untagged", ext)
    refused(sts, untagged, ext.mint({"sub": "ci", **tags_claim}), "AccessDenied", NOT_AUTHORIZED, 403)
    source = {"https://aws.amazon.com/source_identity": "alice@example.com"}
    refused(sts, untagged, ext.mint({"sub": "ci", **source}), "AccessDenied", NOT_AUTHORIZED, 403)
    arn = make_role(iam, "tagged", ext, actions=["sts:TagSession", "sts:SetSourceIdentity"], policy=policy)
    result = assume(sts, arn, ext.mint({"sub": "ci", **tags_claim, **source}))
    assert result["PackedPolicySize"] >= 1
    assert result["SourceIdentity"] == "alice@example.com"
    credentials = result["Credentials"]
    session = client_for(live_server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])
    assert session.get_role(RoleName="tagged")["Role"]["RoleName"] == "tagged"
    red = {"https://aws.amazon.com/tags": {"principal_tags": {"team": ["red"]}}}
    credentials = assume(sts, arn, ext.mint({"sub": "ci", **red}))["Credentials"]
    session = client_for(live_server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])
    with pytest.raises(ClientError) as info:
        session.get_role(RoleName="tagged")
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    bad = {"https://aws.amazon.com/tags": {"principal_tags": {"team": ["blue"]}, "transitive_tag_keys": ["env"]}}
    assert "transitive_tag_keys" in refused(sts, arn, ext.mint({"sub": "ci", **bad}), "InvalidIdentityToken")


def test_audience_from_azp(sts, iam, own):
    arn = make_role(iam, "azp", own)
    # Without azp, any aud in the client-id list will do; with azp, azp is the audience.
    assert assume(sts, arn, own.mint({"sub": "a", "aud": ["api", CLIENT]}))["Audience"] == CLIENT
    assert assume(sts, arn, own.mint({"sub": "a", "aud": "api", "azp": CLIENT}))["Audience"] == CLIENT
    refused(sts, arn, own.mint({"sub": "a", "azp": "other"}), "InvalidIdentityToken", "Incorrect token audience")
    refused(sts, arn, own.mint({"sub": "a", "aud": "someone-else"}), "InvalidIdentityToken", "Incorrect token audience")
    refused(sts, arn, own.mint({"sub": "a", "aud": None}), "InvalidIdentityToken", "Incorrect token audience")


# -- refused tokens ----------------------------------------------------------

def test_unknown_issuer_and_foreign_keys(sts, iam, own, external_issuer, db):
    arn = make_role(iam, "r", own)
    token = external_issuer.mint({"sub": "x", "aud": CLIENT})
    refused(sts, arn, token, "InvalidIdentityToken",
            f"No OpenIDConnect provider found in your account for {external_issuer.issuer}")
    assert external_issuer.jwks_fetches == 0
    assert [row.decision for row in audit_rows(db)] == ["Deny"]
    assert iam.get_role(RoleName="r")["Role"]["RoleLastUsed"] == {}
    # Signed by the other issuer's key but claiming ours: our keystore has no such key, and nothing is fetched.
    token = external_issuer.mint({"iss": own.issuer, "sub": "x", "aud": CLIENT})
    refused(sts, arn, token, "InvalidIdentityToken", NO_KEY)
    assert external_issuer.jwks_fetches == 0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict, claims: dict) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def test_forged_and_untimely_tokens(sts, iam, own, app, test_clock):
    arn = make_role(iam, "r", own)
    good = own.mint({"sub": "x"})
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    # Tampered claims under the original signature.
    tampered = f"{header}.{_b64(json.dumps({**claims, 'sub': 'admin'}).encode())}.{signature}"
    assert refused(sts, arn, tampered, "InvalidIdentityToken").endswith("token signature does not verify.")
    kid = json.loads(base64.urlsafe_b64decode(header + "=="))["kid"]
    # alg none (CVE-2022-23540), with and without a signature.
    none = _segments({"alg": "none", "kid": kid}, claims)
    assert "'none' is not allowed" in refused(sts, arn, none + ".", "InvalidIdentityToken")
    assert "'none' is not allowed" in refused(sts, arn, none + "." + signature, "InvalidIdentityToken")
    # HS256 keyed with the public key (CVE-2016-10555).
    with app.app_context():
        from idp.keys import keystore

        public = json.dumps(keystore().verification_key(kid).public_jwk).encode()
    signing_input = _segments({"alg": "HS256", "kid": kid}, claims)
    mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    assert "'HS256' is not allowed" in refused(sts, arn, f"{signing_input}.{_b64(mac)}", "InvalidIdentityToken")
    # A key embedded in the header (CVE-2018-0114).
    attacker = jwk.ECKey.generate_key("P-256", private=True, parameters={"kid": kid})
    embedded = jose_jwt.encode({"alg": "ES256", "kid": kid, "jwk": attacker.as_dict(private=False)}, claims, attacker)
    assert "embedded" in refused(sts, arn, embedded, "InvalidIdentityToken")
    # Garbage.
    refused(sts, arn, "not.a.jwt", "InvalidIdentityToken", "The web identity token is not a valid JWT.")
    assert "must carry sub" in refused(sts, arn, own.mint({}), "InvalidIdentityToken")
    # Expired, not yet valid, without exp.
    now = int(test_clock.now().timestamp())
    expired = own.mint({"sub": "x", "iat": now - 900, "exp": now - 120})
    refused(sts, arn, expired, "ExpiredTokenException",
            f"Token expired: current date/time {now} must be before the expiration date/time {now - 120}")
    # An expired token whose signature does not verify is a forgery, not an expired token.
    e_header, e_payload, e_signature = expired.split(".")
    e_claims = json.loads(base64.urlsafe_b64decode(e_payload + "=="))
    forged = f"{e_header}.{_b64(json.dumps({**e_claims, 'sub': 'y'}).encode())}.{e_signature}"
    assert refused(sts, arn, forged, "InvalidIdentityToken").endswith("token signature does not verify.")
    assert "not valid yet" in refused(sts, arn, own.mint({"sub": "x", "nbf": now + 600}), "InvalidIdentityToken")
    assert "exp is not a finite number" in refused(sts, arn, own.mint({"sub": "x", "exp": None}), "InvalidIdentityToken")
    # Within the 60-second leeway a just-expired token still counts.
    assume(sts, arn, own.mint({"sub": "x", "exp": now - 30}))


def test_trust_and_role_refusals(sts, iam, own, root):
    arn = make_role(iam, "r", own, {"StringEquals": {f"{own.url}:sub": "alice"}})
    token = own.mint({"sub": "mallory"})
    refused(sts, arn, token, "AccessDenied", NOT_AUTHORIZED, 403)
    missing = f"arn:aws:iam::{root.account_id}:role/missing"
    refused(sts, missing, own.mint({"sub": "alice"}), "AccessDenied", NOT_AUTHORIZED, 403)
    refused(sts, f"arn:aws:iam::{root.account_id}:role/other-path/r", own.mint({"sub": "alice"}),
            "AccessDenied", NOT_AUTHORIZED, 403)
    assert iam.get_role(RoleName="r")["Role"]["RoleLastUsed"] == {}


def test_parameter_limits(live_server, iam, own):
    sts = _sts(live_server, parameter_validation=False)
    arn = make_role(iam, "r", own)
    token = own.mint({"sub": "x"})
    message = refused(sts, arn, token, "ValidationError", DurationSeconds=899)
    assert "durationSeconds" in message and "greater than or equal to 900" in message
    refused(sts, arn, token, "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", DurationSeconds=3601)
    message = refused(sts, arn, "abc", "ValidationError")
    assert "webIdentityToken" in message
    with pytest.raises(ClientError) as info:
        sts.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="no spaces", WebIdentityToken=token)
    assert info.value.response["Error"]["Code"] == "ValidationError"
    refused(sts, arn, token, "MalformedPolicyDocument", Policy='{"Statement": "nope"}')
    missing = "arn:aws:iam::aws:policy/NoSuchPolicy"
    refused(sts, arn, token, "InvalidParameterValue", f"Policy {missing} does not exist or is not attachable.",
            PolicyArns=[{"arn": missing}])
    big = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"iam:Get{'X' * 30}{n}" for n in range(45)], "Resource": "*"}]},
        separators=(",", ":"))
    assert 1900 < len(big) <= 2048
    message = refused(sts, arn, token, "PackedPolicyTooLarge", Policy=big,
                      PolicyArns=[{"arn": f"arn:aws:iam::aws:policy/ReadOnlyAccess{n}"} for n in range(10)])
    assert message.startswith("Packed policy consumes 1")


def test_a_malformed_session_policy_is_answered_as_it_is_read_and_not_audited(live_server, iam, own, db):
    # The policy is checked with the parameters, before the token: a later parameter's error does not win, and
    # no audit row is written, as for any other parameter error.
    sts = _sts(live_server, parameter_validation=False)
    arn = make_role(iam, "r", own)
    token = own.mint({"sub": "x"})
    refused(sts, arn, token, "MalformedPolicyDocument", Policy='{"Statement": "nope"}', DurationSeconds=899)
    refused(sts, arn, "not-a-jwt", "MalformedPolicyDocument", Policy='{"Statement": "nope"}')
    assert audit_rows(db) == []


def test_session_policy_limits_the_session(sts, iam, own, live_server):
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    arn = make_role(iam, "r", own, policy=policy)
    only_get = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}]})
    credentials = assume(sts, arn, own.mint({"sub": "x"}), Policy=only_get)["Credentials"]
    session = client_for(live_server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])
    session.get_role(RoleName="r")
    with pytest.raises(ClientError) as info:
        session.list_roles()
    assert info.value.response["Error"]["Code"] == "AccessDenied"


# -- the JWKS of external issuers ---------------------------------------------

def test_rotation_refreshes_once_and_is_rate_limited(sts, iam, ext, external_issuer, test_clock):
    arn = make_role(iam, "r", ext)
    assume(sts, arn, ext.mint({"sub": "x"}))
    assert external_issuer.jwks_fetches == 1
    external_issuer.rotate()  # the new signing key was already published as `next`
    assume(sts, arn, ext.mint({"sub": "x"}))
    assert external_issuer.jwks_fetches == 1
    external_issuer.rotate()  # this one appeared after our fetch
    token = ext.mint({"sub": "x"})
    # Within the cooldown, unknown kids do not reach the issuer.
    refused(sts, arn, token, "InvalidIdentityToken", NO_KEY)
    assert external_issuer.jwks_fetches == 1
    test_clock.advance(COOLDOWN_SECONDS)
    assume(sts, arn, token)
    assume(sts, arn, token)
    assert external_issuer.jwks_fetches == 2


def test_issuer_unreachable_or_silent(sts, iam, ext, external_issuer, silent_server):
    arn = make_role(iam, "r", ext)
    token = ext.mint({"sub": "x"})
    external_issuer.stop()
    refused(sts, arn, token, "IDPCommunicationError", NO_KEY)
    # An issuer that accepts the connection and never answers costs one fetch deadline, no more.
    provider = iam.create_open_id_connect_provider(Url=silent_server, ClientIDList=[CLIENT])
    arn = make_role(iam, "silent", Provider(silent_server, provider["OpenIDConnectProviderArn"], ext.mint))
    token = external_issuer.mint({"iss": silent_server, "sub": "x", "aud": CLIENT})
    started = time.monotonic()
    refused(sts, arn, token, "IDPCommunicationError", NO_KEY)
    assert time.monotonic() - started < TIMEOUT_SECONDS + 1.5


# -- token kinds (issue 13, class 2) ---------------------------------------------


def _typed(issuer_app, issuer: str, claims: dict, typ: str) -> str:
    """A token of `issuer` with the header `typ` its other kinds of token carry."""
    now = int(time.time())
    with issuer_app.app_context():
        return sign_token({"iss": issuer, "iat": now, "exp": now + 300, **claims}, typ=typ)


def test_only_identity_tokens_are_web_identities(sts, iam, own, ext, app, external_issuer, db, root):
    """A logout token, or an access token, is never exchanged for role credentials, from us or anyone else."""
    own_role, ext_role = make_role(iam, "own-kinds", own), make_role(iam, "ext-kinds", ext)
    logout = {"sub": "alice", "aud": CLIENT, "jti": "j-1", "sid": "s-1",
              "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}
    access = {"sub": "alice", "aud": CLIENT, "jti": "j-2", "client_id": CLIENT, "scope": "openid"}
    for token, reason in [
        (_typed(app, own.issuer, logout, "logout+jwt"), "a token of typ logout+jwt is not an ID token"),
        (_typed(app, own.issuer, logout, "JWT"), "an ID token must not carry events"),
        (_typed(app, own.issuer, access, "at+jwt"), "a token of typ at+jwt is not an ID token"),
        (_typed(app, own.issuer, {"sub": "123456789012", "aud": CLIENT, "account": "123456789012", "jti": "j-3"},
                "initial-access+jwt"), "a token of typ initial-access+jwt is not an ID token"),
    ]:
        denials = len(audit_rows(db))
        message = refused(sts, own_role, token, "InvalidIdentityToken")
        assert message == f"The web identity token could not be validated: {reason}."
        rows = audit_rows(db)
        assert len(rows) == denials + 1 and rows[-1].decision == "Deny" and rows[-1].resource == own_role
    external = external_issuer.app
    for token, reason in [
        (_typed(external, ext.issuer, {**logout, "aud": EXTERNAL_CLIENT}, "logout+jwt"), "typ logout+jwt"),
        (_typed(external, ext.issuer, {**access, "aud": EXTERNAL_CLIENT}, "at+jwt"), "typ at+jwt"),
        (_typed(external, ext.issuer, {**access, "aud": EXTERNAL_CLIENT}, "application/at+jwt"),
         "typ application/at+jwt"),
        (ext.mint({**logout, "aud": EXTERNAL_CLIENT}), "must not carry events"),
    ]:
        assert reason in refused(sts, ext_role, token, "InvalidIdentityToken")
    assert iam.get_role(RoleName="own-kinds")["Role"]["RoleLastUsed"] == {}
    assert iam.get_role(RoleName="ext-kinds")["Role"]["RoleLastUsed"] == {}
    # What AWS accepts from an external issuer: an ID token, or an untyped service-account token.
    assert assume(sts, ext_role, ext.mint({"sub": "alice"}))["SubjectFromWebIdentityToken"] == "alice"
    now = int(time.time())
    with external.app_context():
        signing = keystore().signing_key("ES256")
        untyped = jose_jwt.encode({"alg": "ES256", "kid": signing.kid},  # no typ, as Kubernetes signs them
                                  {"iss": ext.issuer, "sub": "system:serviceaccount:ci:deployer",
                                   "aud": EXTERNAL_CLIENT, "iat": now, "exp": now + 300},
                                  signing.key, algorithms=["ES256"])
    assert assume(sts, ext_role, untyped)["SubjectFromWebIdentityToken"] == "system:serviceaccount:ci:deployer"
    own_id_token = own.mint({"sub": "alice", "account": root.account_id})
    assert assume(sts, own_role, own_id_token)["SubjectFromWebIdentityToken"] == "alice"
