"""The `profile`, `email` and `phone` scopes release a local user's standard claims (OIDC Core 5.4).

openid-client (the node relying party of test_openid_client.py) runs the code flow and fetches userinfo; the
profile is set through the IAM extension with boto3. Which claims each scope releases is checked on the one
function userinfo and the ID token both take them from. Released is not trusted: a self-asserted claim is
never a web identity condition key, so it neither puts a role in `roles` nor passes a trust policy at STS.
"""
from __future__ import annotations

import json

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from idp.authz.tokens import trusted_claims
from idp.oidc.subjects import Subject, scope_claims
from tests.oidc import test_openid_client
from tests.oidc.flow import REDIRECT_URI
from tests.oidc.test_openid_client import browser_callback
from tests.support.profile_client import profile_client, write_extended_model

PROFILE = {"Name": "Alice Liddell", "GivenName": "Alice", "FamilyName": "Liddell",
           "Locale": "en-GB", "Zoneinfo": "Europe/London", "Picture": "https://cdn.example.com/alice.png",
           "Email": "alice@example.com", "PhoneNumber": "+447700900123"}
STANDARD = {"name": "Alice Liddell", "given_name": "Alice", "family_name": "Liddell", "preferred_username": "alice",
            "locale": "en-GB", "zoneinfo": "Europe/London", "picture": "https://cdn.example.com/alice.png",
            "email": "alice@example.com", "email_verified": False, "phone_number": "+447700900123",
            "phone_number_verified": False}

# openid-client's fixtures (the node relying party), shared with test_openid_client.py.
node_rp, rp = test_openid_client.node_rp, test_openid_client.rp


@pytest.fixture
def alice_profile(tmp_path, live_server, root, alice):
    admin = profile_client(write_extended_model(tmp_path), live_server, root.access_key_id, root.secret_access_key)
    return admin.update_user_profile(UserName="alice", **PROFILE)["UserProfile"]


def test_openid_client_receives_the_standard_claims_in_userinfo_and_the_id_token(rp, alice_http, make_client,
                                                                                 alice_profile, alice):
    made = make_client("--name", "Profile app", "--redirect-uri", REDIRECT_URI, "--scope", "openid",
                       "--scope", "profile", "--scope", "email", "--scope", "phone")
    auth = {"method": "client_secret_basic", "secret": made["client_secret"]}
    start = rp("authorization-url", made, auth, redirect_uri=REDIRECT_URI, scope="openid profile email phone")

    done = rp("callback", made, auth, callback=browser_callback(alice_http, start["url"]),
              verifier=start["verifier"], state=start["state"], nonce=start["nonce"])

    updated_at = int(alice_profile["UpdatedAt"].timestamp())
    for claims in (done["userinfo"], done["claims"]):
        assert claims["sub"] == alice["UserId"]
        assert {name: claims.get(name) for name in STANDARD} == STANDARD
        assert claims["updated_at"] == updated_at


def _claims(app, account_id: str, user_id: str | None, scopes: set[str]) -> dict:
    """What `scope_claims` releases for the user with this unique id (None: the root user)."""
    with app.app_context():
        from models import db
        from models.user import User

        if user_id is None:
            return scope_claims(Subject(account_id, None, f"arn:aws:iam::{account_id}:root"), scopes)
        user = db.session.scalar(db.select(User).filter_by(user_id=user_id))
        return scope_claims(Subject(account_id, user.id, user.arn), scopes)


def test_each_scope_releases_only_its_own_claims(app, tmp_path, live_server, root, alice):
    everything = {"openid", "profile", "email", "phone"}
    # No profile yet: the IAM user name stands for name; preferred_username is always the IAM user name.
    assert _claims(app, root.account_id, alice["UserId"], everything) == {
        "preferred_username": "alice", "name": "alice", "groups": []}
    admin = profile_client(write_extended_model(tmp_path), live_server, root.access_key_id, root.secret_access_key)
    admin.update_user_profile(UserName="alice", **PROFILE)

    email_only = _claims(app, root.account_id, alice["UserId"], {"openid", "email"})
    phone_only = _claims(app, root.account_id, alice["UserId"], {"openid", "phone"})
    profile_only = _claims(app, root.account_id, alice["UserId"], {"openid", "profile"})

    assert email_only == {"email": "alice@example.com", "email_verified": False, "groups": []}
    assert phone_only == {"phone_number": "+447700900123", "phone_number_verified": False, "groups": []}
    assert "email" not in profile_only and "phone_number" not in profile_only
    assert profile_only["given_name"] == "Alice" and isinstance(profile_only["updated_at"], int)
    assert _claims(app, root.account_id, None, everything) == {
        "preferred_username": "root", "name": "root", "groups": []}


def test_discovery_lists_the_scopes_and_claims_served(client):
    metadata = client.get("/.well-known/openid-configuration").get_json()

    assert "phone" in metadata["scopes_supported"] and "address" not in metadata["scopes_supported"]
    assert set(STANDARD) | {"updated_at"} <= set(metadata["claims_supported"])


def test_only_claims_the_idp_asserts_are_trusted():
    claims = {"iss": "http://127.0.0.1:5000", "sub": "AIDAALICE", "aud": "app", "account": "123456789012",
              "amr": ["pwd"], "acr": "urn:x", "groups": ["eng"], "preferred_username": "alice", "name": "Boss",
              "given_name": "Root", "nonce": "n", "locale": "en", "picture": "https://x.example/p.png",
              "email": "boss@example.com", "email_verified": False, "phone_number": "+15555550100"}

    trusted = trusted_claims(claims)

    assert set(trusted) == {"iss", "sub", "aud", "account", "amr", "acr", "groups", "preferred_username",
                            "email_verified"}
    assert trusted_claims({**claims, "email_verified": True})["email"] == "boss@example.com"
    assert "email" not in trusted_claims({**claims, "email_verified": "true"})  # only a real true


def _trust(provider_arn: str, conditions: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": conditions}}]})


def _claims_of(token: str) -> dict:
    import base64

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_self_asserted_claims_reach_no_trust_decision_and_a_verified_email_does(
        app, tmp_path, live_server, root, iam, alice, web_client, code_for, redeem):
    """alice's name and unproven email are in her ID token, but neither puts a role in `roles` nor lets STS
    assume it; her IAM user name (preferred_username) does, and her email does once it is verified."""
    url = live_server.url.split("://", 1)[1]
    provider = f"arn:aws:iam::{root.account_id}:oidc-provider/{url}"
    aud = {f"{url}:aud": web_client["client_id"]}
    roles = {name: iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(provider, {**aud, **only}))[
        "Role"]["Arn"] for name, only in {
        "by-name": {f"{url}:name": "Bob Admin"}, "by-given-name": {f"{url}:given_name": "Bob"},
        "by-email": {f"{url}:email": "bob@example.com"}, "by-user-name": {f"{url}:preferred_username": "alice"},
    }.items()}
    admin = profile_client(write_extended_model(tmp_path), live_server, root.access_key_id, root.secret_access_key)
    admin.update_user_profile(UserName="alice", Name="Bob Admin", GivenName="Bob", Email="bob@example.com")
    sts = boto3.client("sts", endpoint_url=live_server.url, region_name="us-east-1", config=Config(
        signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"}))

    def id_token() -> str:
        return redeem(web_client, *code_for(web_client)).json()["id_token"]

    def assumable(token: str) -> set[str]:
        allowed = set()
        for name, arn in roles.items():
            try:
                sts.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="s1", WebIdentityToken=token)
                allowed.add(name)
            except ClientError as refused:
                assert refused.response["Error"]["Code"] == "AccessDenied"
        return allowed

    unproven = id_token()
    claims = _claims_of(unproven)
    assert (claims["name"], claims["email"], claims["email_verified"]) == ("Bob Admin", "bob@example.com", False)
    assert claims["roles"] == [roles["by-user-name"]]
    assert assumable(unproven) == {"by-user-name"}

    with app.app_context():
        from idp.lifecycle import verification
        from models import db
        from models.user import User

        assert verification.mark_verified(db.session.scalar(db.select(User).filter_by(name="alice")),
                                          "bob@example.com")
        db.session.commit()
    proven = id_token()
    assert _claims_of(proven)["roles"] == sorted([roles["by-email"], roles["by-user-name"]])
    assert assumable(proven) == {"by-email", "by-user-name"}
