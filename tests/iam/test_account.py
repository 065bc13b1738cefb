"""Account settings through boto3: the password policy, the account alias, GetAccountSummary."""
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.iam.conftest import client_for

PERMISSIVE = Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=False)


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def unchecked_iam(live_server, root):
    """Root's IAM client without botocore's client-side checks, to reach the server's own validation."""
    return boto3.client(
        "iam", endpoint_url=live_server.url, region_name="us-east-1", aws_access_key_id=root.access_key_id,
        aws_secret_access_key=root.secret_access_key, config=PERMISSIVE,
    )


@pytest.fixture
def other_account_iam(runner, live_server):
    """IAM as the root user of a second account, created with the CLI."""
    result = runner.invoke(args=["idp", "create-account", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    return client_for(live_server, "iam", created["access_key_id"], created["secret_access_key"])


def test_password_policy_lifecycle(iam, root):
    error, status = error_of(iam.get_account_password_policy)
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == f"The Password Policy with domain name {root.account_id} cannot be found."

    iam.update_account_password_policy(
        MinimumPasswordLength=14, RequireSymbols=True, MaxPasswordAge=90, PasswordReusePrevention=5,
        AllowUsersToChangePassword=True, HardExpiry=False,
    )
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": False,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": True, "ExpirePasswords": True, "MaxPasswordAge": 90,
        "PasswordReusePrevention": 5, "HardExpiry": False,
    }
    # An update replaces the whole policy: what it leaves out goes back to AWS's defaults.
    iam.update_account_password_policy(RequireNumbers=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": True,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": False,
    }

    iam.delete_account_password_policy()
    assert error_of(iam.get_account_password_policy)[0]["Code"] == "NoSuchEntity"
    error, status = error_of(iam.delete_account_password_policy)
    assert (error["Code"], status) == ("NoSuchEntity", 404)


BAD_POLICY_VALUES = [
    ({"MinimumPasswordLength": 5}, "at 'minimumPasswordLength' failed to satisfy constraint: "
                                   "Member must have value greater than or equal to 6"),
    ({"MinimumPasswordLength": 129}, "Member must have value less than or equal to 128"),
    ({"MaxPasswordAge": 1096}, "at 'maxPasswordAge' failed to satisfy constraint"),
    ({"PasswordReusePrevention": 25}, "at 'passwordReusePrevention' failed to satisfy constraint"),
    ({"PasswordReusePrevention": 0}, "Member must have value greater than or equal to 1"),
]


def test_bad_policy_values_change_nothing(iam, unchecked_iam):
    iam.update_account_password_policy(MinimumPasswordLength=10)
    for kwargs, fragment in BAD_POLICY_VALUES:
        error, status = error_of(unchecked_iam.update_account_password_policy, **kwargs)
        assert (error["Code"], status) == ("ValidationError", 400) and fragment in error["Message"], kwargs
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 10


def test_account_alias(iam, other_account_iam):
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias="example-corp")
    listed = iam.list_account_aliases()
    assert listed["AccountAliases"] == ["example-corp"] and listed["IsTruncated"] is False
    iam.create_account_alias(AccountAlias="example-corp")  # the same alias again: nothing changes
    # One alias per account: a new one replaces the old, as the console's "edit alias" does.
    iam.create_account_alias(AccountAlias="example-2")
    assert iam.list_account_aliases()["AccountAliases"] == ["example-2"]

    error, status = error_of(other_account_iam.create_account_alias, AccountAlias="example-2")
    assert (error["Code"], status) == ("EntityAlreadyExists", 409)
    assert error["Message"] == "The account alias example-2 already exists."
    other_account_iam.create_account_alias(AccountAlias="example-corp")  # released by the rename
    assert other_account_iam.list_account_aliases()["AccountAliases"] == ["example-corp"]

    error, status = error_of(iam.delete_account_alias, AccountAlias="example-corp")
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == "The account alias example-corp cannot be found."
    iam.delete_account_alias(AccountAlias="example-2")
    assert iam.list_account_aliases()["AccountAliases"] == []


BAD_ALIASES = [
    ("ab", "ValidationError", "Member must have length greater than or equal to 3"),
    ("a" * 64, "ValidationError", "Member must have length less than or equal to 63"),
    ("-leading", "ValidationError", "Member must satisfy regular expression pattern"),
    ("trailing-", "ValidationError", "Member must satisfy regular expression pattern"),
    ("double--dash", "ValidationError", "Member must satisfy regular expression pattern"),
    ("Upper-Case", "ValidationError", "Member must satisfy regular expression pattern"),
    ("with_underscore", "ValidationError", "Member must satisfy regular expression pattern"),
    ("123456789012", "InvalidInput", "cannot consist of digits only"),
]


def test_bad_aliases_change_nothing(iam, unchecked_iam):
    iam.create_account_alias(AccountAlias="keep-me")
    for alias, code, fragment in BAD_ALIASES:
        error, status = error_of(unchecked_iam.create_account_alias, AccountAlias=alias)
        assert (error["Code"], status) == (code, 400) and fragment in error["Message"], alias
    assert iam.list_account_aliases()["AccountAliases"] == ["keep-me"]


def test_account_summary_counts_what_the_account_holds(iam):
    raw = {}
    iam.meta.events.register("after-call.iam.GetAccountSummary",
                             lambda http_response, **_: raw.setdefault("xml", http_response.text))
    before = iam.get_account_summary()["SummaryMap"]
    assert "<SummaryMap><entry><key>Users</key><value>0</value></entry>" in raw["xml"]
    assert before["Users"] == 0 and before["Groups"] == 0 and before["Roles"] == 0 and before["Policies"] == 0
    assert before["AccountAccessKeysPresent"] == 1 and before["AccountPasswordPresent"] == 1
    assert before["AccountMFAEnabled"] == 0 and before["MFADevices"] == 0 and before["MFADevicesInUse"] == 0
    assert before["Providers"] == 1  # the IdP's own issuer, registered at bootstrap
    assert before["ServerCertificates"] == 0 and before["InstanceProfiles"] == 0
    assert {k: before[k] for k in ("AccessKeysPerUserQuota", "UsersQuota", "GroupsQuota", "RolesQuota",
                                   "PoliciesQuota", "AttachedPoliciesPerUserQuota")} == {
        "AccessKeysPerUserQuota": 2, "UsersQuota": 5000, "GroupsQuota": 300, "RolesQuota": 1000,
        "PoliciesQuota": 1500, "AttachedPoliciesPerUserQuota": 10,
    }

    iam.create_user(UserName="u1")
    iam.create_user(UserName="u2")
    iam.create_group(GroupName="g1")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName="r1", AssumeRolePolicyDocument=trust)
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
    policy_arn = iam.create_policy(PolicyName="p1", PolicyDocument=document)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="u1", PolicyArn=policy_arn)
    iam.attach_group_policy(GroupName="g1", PolicyArn=policy_arn)

    after = iam.get_account_summary()["SummaryMap"]
    assert (after["Users"], after["Groups"], after["Roles"], after["Policies"]) == (2, 1, 1, 1)
    assert after["PolicyVersionsInUse"] == 2

    iam.delete_user(UserName="u2")
    assert iam.get_account_summary()["SummaryMap"]["Users"] == 1


def test_only_what_the_policy_allows(user_client, root):
    account = root.account_id
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["iam:GetAccountSummary", "iam:ListAccountAliases"], "Resource": "*",
    }]})
    viewer = user_client("viewer", policy=policy)
    assert viewer.get_account_summary()["SummaryMap"]["Users"] == 1
    assert viewer.list_account_aliases()["AccountAliases"] == []

    for call, action, kwargs in (
        (viewer.create_account_alias, "CreateAccountAlias", {"AccountAlias": "sneaky"}),
        (viewer.update_account_password_policy, "UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 6}),
        (viewer.get_account_password_policy, "GetAccountPasswordPolicy", {}),
    ):
        error, status = error_of(call, **kwargs)
        assert (error["Code"], status) == ("AccessDenied", 403)
        assert error["Message"] == (
            f"User: arn:aws:iam::{account}:user/viewer is not authorized to perform: iam:{action} "
            f"on resource: * because no identity-based policy allows the iam:{action} action"
        )
    assert viewer.list_account_aliases()["AccountAliases"] == []
