"""AssumeRole through boto3: results, every parameter limit, trust, cross-account, chaining, tags, MFA."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from tests.sts import (
    Keys, allow, client, document, error_of, make_role, make_user, raw_client, root_keys, sts, trust,
    validation,
)

__all__ = ["make_role", "make_user", "sts"]  # fixtures


@pytest.fixture
def alice(make_user):
    return make_user("alice", allow("sts:AssumeRole"), allow(["sts:TagSession", "sts:SetSourceIdentity"]))


def user_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def last_used(iam, role: str) -> dict:
    return iam.get_role(RoleName=role)["Role"].get("RoleLastUsed", {})


def test_result_is_shaped_as_botocore_expects(live_server, iam, root, alice, make_role):
    role_arn = make_role("reader", [trust(user_arn(root.account_id, "alice"))], allow("iam:ListUsers"),
                         Path="/team/")
    before = datetime.now(timezone.utc)
    result = client(live_server, "sts", alice).assume_role(RoleArn=role_arn, RoleSessionName="alice@example.com",
                                                           DurationSeconds=1800)
    credentials = result["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40
    assert timedelta(seconds=1795) <= credentials["Expiration"] - before <= timedelta(seconds=1805)
    role_id = iam.get_role(RoleName="reader")["Role"]["RoleId"]
    assert result["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role_id}:alice@example.com",
        # The role's path is not part of the assumed-role ARN.
        "Arn": f"arn:aws:sts::{root.account_id}:assumed-role/reader/alice@example.com",
    }
    assert "PackedPolicySize" not in result and "SourceIdentity" not in result
    assert last_used(iam, "reader")["Region"] == "us-east-1"
    # The key id itself names the account, as AWS's do.
    assert client(live_server, "sts", root_keys(root)).get_access_key_info(
        AccessKeyId=credentials["AccessKeyId"])["Account"] == root.account_id


LIMITS = [
    ({"RoleSessionName": "a"}, "ValidationError",
     validation("a", "roleSessionName", "Member must have length greater than or equal to 2")),
    ({"RoleSessionName": "x" * 65}, "ValidationError",
     validation("x" * 65, "roleSessionName", "Member must have length less than or equal to 64")),
    ({"RoleSessionName": "has space"}, "ValidationError",
     validation("has space", "roleSessionName", r"Member must satisfy regular expression pattern: [\w+=,.@-]*")),
    ({"DurationSeconds": 899}, "ValidationError",
     validation(899, "durationSeconds", "Member must have value greater than or equal to 900")),
    ({"DurationSeconds": 43201}, "ValidationError",
     validation(43201, "durationSeconds", "Member must have value less than or equal to 43200")),
    ({"DurationSeconds": 3601}, "ValidationError",
     "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
    ({"ExternalId": "x"}, "ValidationError",
     validation("x", "externalId", "Member must have length greater than or equal to 2")),
    ({"SerialNumber": "arn:mfa"}, "ValidationError",
     validation("arn:mfa", "serialNumber", "Member must have length greater than or equal to 9")),
    ({"TokenCode": "12345"}, "ValidationError",
     validation("12345", "tokenCode", "Member must have length greater than or equal to 6")),
    ({"SourceIdentity": "a"}, "ValidationError",
     validation("a", "sourceIdentity", "Member must have length greater than or equal to 2")),
    ({"Policy": "{not json"}, "MalformedPolicyDocument", None),
    ({"RoleArn": "arn:aws:iam::123456789012:user/not-a-role"}, "ValidationError", "Request ARN is invalid"),
    ({"SerialNumber": "arn:aws:iam::123456789012:mfa/x"}, "AccessDenied",
     "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."),
]


@pytest.mark.parametrize("change, code, message", LIMITS)
def test_parameter_limits(live_server, iam, root, alice, make_role, change, code, message):
    role_arn = make_role("limited", [trust(user_arn(root.account_id, "alice"))])
    call = {"RoleArn": role_arn, "RoleSessionName": "ok", **change}
    with pytest.raises(ClientError) as refused:
        raw_client(live_server, "sts", alice).assume_role(**call)
    assert error_of(refused)[0] == code
    if message is not None:
        assert error_of(refused)[1] == message
    assert last_used(iam, "limited") == {}  # no session was issued


def test_list_limits_and_packed_policy_size(live_server, iam, root, alice, make_role):
    account = root.account_id
    role_arn = make_role("packed", [trust(user_arn(account, "alice"), ["sts:AssumeRole", "sts:TagSession"])])
    sts = raw_client(live_server, "sts", alice)
    arns = [{"arn": f"arn:aws:iam::{account}:policy/p{i}"} for i in range(11)]
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", PolicyArns=arns)
    assert error_of(refused)[0] == "ValidationError"
    assert "Member must have length less than or equal to 10" in error_of(refused)[1]
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", Tags=tags)
    assert error_of(refused) == ("ValidationError", "1 validation error detected: Value at 'tags' failed to "
                                 "satisfy constraint: Member must have length less than or equal to 50")
    big = [{"Key": f"{i:02d}" + "k" * 126, "Value": "v" * 256} for i in range(10)]
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", Tags=big)
    assert error_of(refused) == ("PackedPolicyTooLarge",
                                 "Packed policy consumes 188% of allotted space, please use smaller policy.")
    assert last_used(iam, "packed") == {}

    policy = document(allow("iam:ListUsers"))
    result = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", Policy=policy,
                             Tags=[{"Key": "team", "Value": "red"}])
    used = sum(not c.isspace() for c in policy) + len("team") + len("red")
    assert result["PackedPolicySize"] == -(-used * 100 // 2048)


def test_trust_policy_decides(live_server, iam, root, alice, make_user, make_role):
    account = root.account_id
    role_arn = make_role("guarded", [trust(user_arn(account, "alice"),
                                           condition={"StringEquals": {"sts:ExternalId": "ticket-42"}})])
    sts = client(live_server, "sts", alice)
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert error_of(refused) == ("AccessDenied", f"User: {user_arn(account, 'alice')} is not authorized to perform: "
                                 f"sts:AssumeRole on resource: {role_arn} because no resource-based policy allows "
                                 "the sts:AssumeRole action")
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="ticket-41")
    assert sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="ticket-42")["Credentials"]

    # A role that does not exist is refused the same way, without saying so.
    missing = f"arn:aws:iam::{account}:role/missing"
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=missing, RoleSessionName="s1")
    assert error_of(refused) == ("AccessDenied", f"User: {user_arn(account, 'alice')} is not authorized to perform: "
                                 f"sts:AssumeRole on resource: {missing}")

    # Trusting the account delegates to identity policies: bob has none for sts:AssumeRole.
    make_role("delegated", [trust(account)])
    bob = client(live_server, "sts", make_user("bob", allow("iam:GetUser")))
    with pytest.raises(ClientError) as refused:
        bob.assume_role(RoleArn=f"arn:aws:iam::{account}:role/delegated", RoleSessionName="s1")
    assert "because no identity-based policy allows the sts:AssumeRole action" in error_of(refused)[1]
    assert client(live_server, "sts", alice).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/delegated", RoleSessionName="s1")["Credentials"]

    with pytest.raises(ClientError) as refused:
        client(live_server, "sts", root_keys(root)).assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert error_of(refused) == ("AccessDenied", "Roles may not be assumed by root accounts.")


@pytest.fixture
def other_account(app, live_server):
    """A second account (root keys) created as the CLI's create-account does."""
    from idp.iam.accounts import create_account
    from models import db

    with app.app_context():
        created = create_account()
        db.session.commit()
    keys = Keys(created.access_key_id, created.secret_access_key)
    return created.account_id, client(live_server, "iam", keys)


def test_cross_account_needs_both_sides(live_server, iam, root, make_role, other_account):
    other_id, other_iam = other_account
    role_arn = make_role("shared", [trust(other_id)], allow("iam:ListRoles"))
    other_iam.create_user(UserName="carol")
    key = other_iam.create_access_key(UserName="carol")["AccessKey"]
    carol = client(live_server, "sts", Keys(key["AccessKeyId"], key["SecretAccessKey"]))
    # The role's account trusts carol's account, but carol's account does not allow her to assume it.
    with pytest.raises(ClientError) as refused:
        carol.assume_role(RoleArn=role_arn, RoleSessionName="carol")
    assert "because no identity-based policy allows the sts:AssumeRole action" in error_of(refused)[1]

    other_iam.put_user_policy(UserName="carol", PolicyName="p", PolicyDocument=document(
        allow("sts:AssumeRole", role_arn)))
    session = carol.assume_role(RoleArn=role_arn, RoleSessionName="carol")
    keys = Keys.of(session["Credentials"])
    assert client(live_server, "sts", keys).get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{root.account_id}:assumed-role/shared/carol")
    assert client(live_server, "iam", keys).list_roles()["Roles"][0]["RoleName"] == "shared"

    # Carol's account allows it, but the role's account stops trusting hers.
    iam.update_assume_role_policy(RoleName="shared", PolicyDocument=document(trust(root.account_id)))
    with pytest.raises(ClientError) as refused:
        carol.assume_role(RoleArn=role_arn, RoleSessionName="carol")
    assert "because no resource-based policy allows the sts:AssumeRole action" in error_of(refused)[1]


def test_chaining_duration_tags_and_source_identity(live_server, iam, root, alice, make_role):
    account = root.account_id
    first_arn = make_role("first", [trust(user_arn(account, "alice"),
                                          ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"])],
                          allow("sts:AssumeRole"), MaxSessionDuration=7200)
    second_arn = make_role("second", [trust(first_arn, ["sts:AssumeRole", "sts:TagSession",
                                                        "sts:SetSourceIdentity"])],
                           allow("iam:GetRole", Condition={"StringEquals": {"aws:PrincipalTag/project": "apollo"}}),
                           MaxSessionDuration=7200, Tags=[{"Key": "project", "Value": "gemini"}])
    first = client(live_server, "sts", alice).assume_role(
        RoleArn=first_arn, RoleSessionName="one", DurationSeconds=7200, SourceIdentity="alice",
        Tags=[{"Key": "project", "Value": "apollo"}, {"Key": "desk", "Value": "7"}], TransitiveTagKeys=["project"])
    assert first["SourceIdentity"] == "alice"
    chained = raw_client(live_server, "sts", Keys.of(first["Credentials"]))

    with pytest.raises(ClientError) as refused:
        chained.assume_role(RoleArn=second_arn, RoleSessionName="two", DurationSeconds=3601)
    assert error_of(refused) == ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session "
                                 "limit for roles assumed by role chaining.")
    with pytest.raises(ClientError) as refused:
        chained.assume_role(RoleArn=second_arn, RoleSessionName="two", Tags=[{"Key": "Project", "Value": "x"}])
    assert error_of(refused)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as refused:
        chained.assume_role(RoleArn=second_arn, RoleSessionName="two", SourceIdentity="mallory")
    assert error_of(refused)[0] == "ValidationError"

    second = chained.assume_role(RoleArn=second_arn, RoleSessionName="two", SourceIdentity="alice")
    assert second["SourceIdentity"] == "alice"
    assert second["Credentials"]["Expiration"] - datetime.now(timezone.utc) <= timedelta(seconds=3600)
    # The transitive tag overrides the role's own tag; the non-transitive one stayed behind.
    second_iam = client(live_server, "iam", Keys.of(second["Credentials"]))
    assert second_iam.get_role(RoleName="second")["Role"]["RoleName"] == "second"
    third = client(live_server, "sts", Keys.of(second["Credentials"]))
    iam.update_assume_role_policy(RoleName="first", PolicyDocument=document(
        trust(second_arn, condition={"StringEquals": {"aws:PrincipalTag/project": "apollo",
                                                       "aws:SourceIdentity": "alice"},
                                     "Null": {"aws:PrincipalTag/desk": "true"}}),
        trust(second_arn, ["sts:SetSourceIdentity"])))
    assert third.assume_role(RoleArn=first_arn, RoleSessionName="three")["SourceIdentity"] == "alice"


def test_tags_and_source_identity_need_their_permissions(live_server, iam, root, alice, make_role):
    account = root.account_id
    role_arn = make_role("plain", [trust(user_arn(account, "alice"))])
    sts = client(live_server, "sts", alice)
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", Tags=[{"Key": "a", "Value": "b"}])
    assert "sts:TagSession" in error_of(refused)[1]
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", SourceIdentity="alice")
    assert "sts:SetSourceIdentity" in error_of(refused)[1]
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", Tags=[{"Key": "a", "Value": "b"}],
                        TransitiveTagKeys=["c"])
    assert error_of(refused)[0] == "InvalidParameterValue"
    assert last_used(iam, "plain") == {}


def test_session_policies_intersect_with_the_role(live_server, iam, root, alice, make_role):
    account = root.account_id
    role_arn = make_role("wide", [trust(user_arn(account, "alice"))], allow(["iam:List*", "iam:Get*"]))
    managed = iam.create_policy(PolicyName="only-roles", PolicyDocument=document(allow("iam:ListRoles")))
    sts = client(live_server, "sts", alice)
    narrow = Keys.of(sts.assume_role(RoleArn=role_arn, RoleSessionName="s1",
                                     Policy=document(allow(["iam:ListUsers", "iam:CreateUser"])))["Credentials"])
    narrowed = client(live_server, "iam", narrow)
    assert narrowed.list_users()["Users"][0]["UserName"] == "alice"
    with pytest.raises(ClientError) as refused:
        narrowed.list_roles()
    assert error_of(refused)[1].endswith("because no session policy allows the iam:ListRoles action")
    with pytest.raises(ClientError) as refused:  # the session policy alone grants nothing
        narrowed.create_user(UserName="x")
    assert error_of(refused)[1].endswith("because no identity-based policy allows the iam:CreateUser action")

    by_arn = Keys.of(sts.assume_role(RoleArn=role_arn, RoleSessionName="s1",
                                     PolicyArns=[{"arn": managed["Policy"]["Arn"]}])["Credentials"])
    assert client(live_server, "iam", by_arn).list_roles()["Roles"]
    with pytest.raises(ClientError):
        client(live_server, "iam", by_arn).list_users()
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1",
                        PolicyArns=[{"arn": f"arn:aws:iam::{account}:policy/missing"}])
    assert error_of(refused)[0] == "InvalidParameterValue"


def test_mfa_from_the_callers_virtual_device(app, live_server, iam, root, alice, make_role):
    from idp.iam import totp

    account = root.account_id
    role_arn = make_role("guarded", [trust(user_arn(account, "alice"),
                                           condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})],
                         allow("iam:ListUsers", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}}))
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")["VirtualMFADevice"]
    seed, serial = device["Base32StringSeed"].decode(), device["SerialNumber"]
    step = totp.step_at(datetime.now(timezone.utc))
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial, AuthenticationCode1=totp.code_at_step(seed, step - 1),
                          AuthenticationCode2=totp.code_at_step(seed, step))
    sts = client(live_server, "sts", alice)
    with pytest.raises(ClientError) as refused:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert error_of(refused)[0] == "AccessDenied"
    with pytest.raises(ClientError) as refused:  # already used
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", SerialNumber=serial,
                        TokenCode=totp.code_at_step(seed, step))
    assert error_of(refused) == ("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass "
                                 "code. ")
    session = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", SerialNumber=serial,
                              TokenCode=totp.code_at_step(seed, step + 1))
    assert client(live_server, "iam", Keys.of(session["Credentials"])).list_users()["Users"]
