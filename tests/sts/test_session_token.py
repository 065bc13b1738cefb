"""GetSessionToken, GetAccessKeyInfo and DecodeAuthorizationMessage through boto3."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from tests.sts import (
    Keys, allow, client, deny, error_of, make_role, make_user, raw_client, root_keys, sts, trust, validation,
)

__all__ = ["make_role", "make_user", "sts"]  # fixtures


def lifetime(credentials: dict) -> timedelta:
    return credentials["Expiration"] - datetime.now(timezone.utc)


def test_durations(live_server, root, make_user):
    bob = make_user("bob", allow("iam:GetUser"))
    bob_sts = raw_client(live_server, "sts", bob)
    assert timedelta(hours=11, minutes=59) < lifetime(bob_sts.get_session_token()["Credentials"]) <= timedelta(hours=12)
    assert lifetime(bob_sts.get_session_token(DurationSeconds=129600)["Credentials"]) > timedelta(hours=35)
    for value, constraint in ((899, "Member must have value greater than or equal to 900"),
                              (129601, "Member must have value less than or equal to 129600")):
        with pytest.raises(ClientError) as refused:
            bob_sts.get_session_token(DurationSeconds=value)
        assert error_of(refused) == ("ValidationError", validation(value, "durationSeconds", constraint))
    # The root user's sessions are shortened to an hour, silently, as at AWS.
    root_session = raw_client(live_server, "sts", root_keys(root)).get_session_token(DurationSeconds=7200)
    assert lifetime(root_session["Credentials"]) <= timedelta(hours=1)
    assert client(live_server, "sts", Keys.of(root_session["Credentials"])).get_caller_identity()["Arn"] == (
        f"arn:aws:iam::{root.account_id}:root")


def test_session_acts_as_the_user_and_cannot_mint_more(live_server, iam, root, make_user, make_role):
    bob = make_user("bob", allow("iam:GetUser"), allow("sts:AssumeRole"))
    keys = Keys.of(client(live_server, "sts", bob).get_session_token()["Credentials"])
    session_sts = client(live_server, "sts", keys)
    identity = session_sts.get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{root.account_id}:user/bob"
    assert identity["UserId"] == iam.get_user(UserName="bob")["User"]["UserId"]
    with pytest.raises(ClientError) as refused:
        session_sts.get_session_token()
    assert error_of(refused) == ("AccessDenied", "Cannot call GetSessionToken with session credentials")
    # Without MFA these credentials cannot call IAM at all.
    with pytest.raises(ClientError) as refused:
        client(live_server, "iam", keys).get_user(UserName="bob")
    assert error_of(refused)[0] == "InvalidClientTokenId"
    # They can assume a role, as the user.
    role_arn = make_role("r", [trust(f"arn:aws:iam::{root.account_id}:user/bob")])
    assumed = session_sts.assume_role(RoleArn=role_arn, RoleSessionName="from-session")
    role_keys = Keys.of(assumed["Credentials"])
    with pytest.raises(ClientError) as refused:
        client(live_server, "sts", role_keys).get_session_token()
    assert error_of(refused)[0] == "AccessDenied"


def test_mfa_session(live_server, iam, root, make_user):
    from idp.iam import totp

    bob = make_user("bob", allow("iam:GetUser", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob-phone")["VirtualMFADevice"]
    seed, serial = device["Base32StringSeed"].decode(), device["SerialNumber"]
    step = totp.step_at(datetime.now(timezone.utc))
    iam.enable_mfa_device(UserName="bob", SerialNumber=serial, AuthenticationCode1=totp.code_at_step(seed, step - 1),
                          AuthenticationCode2=totp.code_at_step(seed, step))
    bob_sts = client(live_server, "sts", bob)
    with pytest.raises(ClientError) as refused:
        bob_sts.get_session_token(SerialNumber=serial, TokenCode="000000" if totp.code_at_step(
            seed, step + 1) != "000000" else "111111")
    assert error_of(refused) == ("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass "
                                 "code. ")
    with pytest.raises(ClientError):  # another user's device
        client(live_server, "sts", make_user("eve")).get_session_token(
            SerialNumber=serial, TokenCode=totp.code_at_step(seed, step + 1))
    keys = Keys.of(bob_sts.get_session_token(SerialNumber=serial,
                                             TokenCode=totp.code_at_step(seed, step + 1))["Credentials"])
    assert client(live_server, "iam", keys).get_user(UserName="bob")["User"]["UserName"] == "bob"
    with pytest.raises(ClientError):  # the long-term key has no MFA
        client(live_server, "iam", bob).get_user(UserName="bob")


def test_get_access_key_info(live_server, root, make_user, other_account_keys):
    bob = make_user("bob", allow("sts:GetAccessKeyInfo"))
    bob_sts = raw_client(live_server, "sts", bob)
    assert bob_sts.get_access_key_info(AccessKeyId=bob.access_key_id)["Account"] == root.account_id
    assert bob_sts.get_access_key_info(AccessKeyId=other_account_keys[1].access_key_id)["Account"] == (
        other_account_keys[0])
    with pytest.raises(ClientError) as refused:
        bob_sts.get_access_key_info(AccessKeyId="AKIA-short")
    assert error_of(refused)[0] == "ValidationError"
    with pytest.raises(ClientError) as refused:
        raw_client(live_server, "sts", make_user("eve")).get_access_key_info(AccessKeyId=bob.access_key_id)
    assert error_of(refused)[1].endswith("because no identity-based policy allows the sts:GetAccessKeyInfo action")


@pytest.fixture
def other_account_keys(app, live_server):
    from idp.iam.accounts import create_account
    from models import db

    with app.app_context():
        created = create_account()
        db.session.commit()
    return created.account_id, Keys(created.access_key_id, created.secret_access_key)


def test_decode_authorization_message(app, live_server, root, make_user, other_account_keys):
    from idp.authz.authorizer import decide
    from idp.authz.principals import Caller, user_principal
    from idp.iam import users
    from idp.authz.authorization_messages import encode

    make_user("denied", deny("s3:GetObject"))
    reader = make_user("reader", allow("sts:DecodeAuthorizationMessage"))
    with app.app_context():
        user = users.get(root.account_id, "denied")
        decision = decide(Caller(user_principal(user), user_pk=user.id), "s3:GetObject", "arn:aws:s3:::b/k",
                          context={"s3:prefix": "k"})
        encoded = encode(decision)
    decoded = json.loads(client(live_server, "sts", reader).decode_authorization_message(
        EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is True
    assert decoded["matchedStatements"]["items"][0]["effect"] == "DENY"
    assert decoded["context"]["principal"]["arn"] == f"arn:aws:iam::{root.account_id}:user/denied"
    assert decoded["context"]["action"] == "s3:GetObject"
    assert {"key": "s3:prefix", "values": {"items": [{"value": "k"}]}} in decoded["context"]["conditions"]["items"]

    with pytest.raises(ClientError) as refused:
        client(live_server, "sts", make_user("nosy")).decode_authorization_message(EncodedMessage=encoded)
    assert error_of(refused)[0] == "AccessDenied"
    tampered = encoded[:20] + ("A" if encoded[20] != "A" else "B") + encoded[21:]
    with pytest.raises(ClientError) as refused:
        client(live_server, "sts", reader).decode_authorization_message(EncodedMessage=tampered)
    assert error_of(refused)[0] == "InvalidAuthorizationMessageException"
    with pytest.raises(ClientError) as refused:  # another account's root cannot read this account's message
        client(live_server, "sts", other_account_keys[1]).decode_authorization_message(EncodedMessage=encoded)
    assert error_of(refused)[0] == "InvalidAuthorizationMessageException"
