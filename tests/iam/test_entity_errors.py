"""NoSuchEntity as AWS answers it, action by action, in the IAM API reference's words; nothing changes."""
import json

import pytest
from botocore.exceptions import ClientError

DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def refusal(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def test_absent_entities_are_named_in_aws_words(iam, root):
    account = root.account_id
    iam.create_user(UserName="u")
    iam.create_group(GroupName="g")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    policy_arn = iam.create_policy(PolicyName="p", PolicyDocument=DOCUMENT)["Policy"]["Arn"]
    absent_policy = f"arn:aws:iam::{account}:policy/absent"
    provider = f"arn:aws:iam::{account}:oidc-provider/absent.example"
    serial = f"arn:aws:iam::{account}:mfa/absent"
    cases = [
        (iam.delete_account_password_policy, {}, "The account policy with name PasswordPolicy cannot be found."),
        (iam.get_account_password_policy, {}, f"The Password Policy with domain name {account} cannot be found."),
        (iam.detach_user_policy, {"UserName": "u", "PolicyArn": policy_arn}, f"Policy {policy_arn} was not found."),
        (iam.detach_group_policy, {"GroupName": "g", "PolicyArn": policy_arn}, f"Policy {policy_arn} was not found."),
        (iam.detach_role_policy, {"RoleName": "r", "PolicyArn": policy_arn}, f"Policy {policy_arn} was not found."),
        (iam.attach_user_policy, {"UserName": "u", "PolicyArn": absent_policy},
         f"Policy {absent_policy} does not exist or is not attachable."),
        (iam.get_policy, {"PolicyArn": absent_policy}, f"Policy {absent_policy} was not found."),
        (iam.delete_user_policy, {"UserName": "u", "PolicyName": "x"}, "The user policy with name x cannot be found."),
        (iam.get_group_policy, {"GroupName": "g", "PolicyName": "x"}, "The group policy with name x cannot be found."),
        (iam.get_role_policy, {"RoleName": "r", "PolicyName": "x"}, "The role policy with name x cannot be found."),
        (iam.delete_login_profile, {"UserName": "u"}, "Login Profile for User u cannot be found."),
        (iam.get_login_profile, {"UserName": "u"}, "Login Profile for User u cannot be found."),
        (iam.get_user, {"UserName": "nobody"}, "The user with name nobody cannot be found."),
        (iam.add_user_to_group, {"GroupName": "g", "UserName": "nobody"}, "The user with name nobody cannot be found."),
        (iam.remove_user_from_group, {"GroupName": "none", "UserName": "u"},
         "The group with name none cannot be found."),
        (iam.delete_role, {"RoleName": "none"}, "The role with name none cannot be found."),
        (iam.put_user_permissions_boundary, {"UserName": "nobody", "PermissionsBoundary": policy_arn},
         "The user with name nobody cannot be found."),
        (iam.delete_access_key, {"UserName": "u", "AccessKeyId": "AKIAABSENTABSENT0000"},
         "The Access Key with id AKIAABSENTABSENT0000 cannot be found."),
        (iam.get_open_id_connect_provider, {"OpenIDConnectProviderArn": provider},
         f"OpenIDConnect Provider not found for arn {provider}"),
        (iam.delete_virtual_mfa_device, {"SerialNumber": serial},
         f"VirtualMFADevice with serial number {serial} does not exist."),
        (iam.delete_account_alias, {"AccountAlias": "absent-alias"}, "The account alias absent-alias cannot be found."),
    ]
    for call, kwargs, message in cases:
        assert refusal(call, **kwargs) == ("NoSuchEntity", 404, message), call.__name__
    # Removing a user from a group it is not in is no error at AWS: it answers success and changes nothing.
    iam.remove_user_from_group(GroupName="g", UserName="u")
    assert iam.get_group(GroupName="g")["Users"] == [] and iam.list_groups_for_user(UserName="u")["Groups"] == []
    # Nothing any refusal touched changed.
    assert iam.list_attached_user_policies(UserName="u")["AttachedPolicies"] == []
    assert iam.list_user_policies(UserName="u")["PolicyNames"] == []
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["u"]
    assert iam.list_roles()["Roles"][0]["RoleName"] == "r" and len(iam.list_roles()["Roles"]) == 1
