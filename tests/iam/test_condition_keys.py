"""Condition keys IAM supplies (Service Authorization Reference): `iam:PermissionsBoundary`, `iam:PolicyARN`,
`aws:ResourceTag/*` on users; the IAM User Guide's delegated-administrator pattern end to end with boto3."""
import json

import pytest
from botocore.exceptions import ClientError

DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def denied(call, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["Error"]["Code"] == "AccessDenied", kwargs
    return caught.value.response["Error"]["Message"]


def delegated_admin_policy(boundary: str, other_boundary: str) -> str:
    """The IAM User Guide's "delegating responsibility by using permissions boundaries" example, trimmed."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "CreateOrChangeOnlyWithBoundary", "Effect": "Allow",
         "Action": ["iam:CreateUser", "iam:DeleteUserPolicy", "iam:AttachUserPolicy", "iam:DetachUserPolicy",
                    "iam:PutUserPermissionsBoundary", "iam:PutUserPolicy"],
         "Resource": "*", "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}}},
        {"Sid": "IAMReadTasks", "Effect": "Allow",
         "Action": ["iam:GetUser", "iam:ListUsers", "iam:ListAttachedUserPolicies", "iam:GetPolicy"],
         "Resource": "*"},
        {"Sid": "NoBoundaryPolicyEdit", "Effect": "Deny",
         "Action": ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                    "iam:SetDefaultPolicyVersion"],
         "Resource": [boundary, other_boundary]},
        {"Sid": "NoBoundaryUserDelete", "Effect": "Deny", "Action": "iam:DeleteUserPermissionsBoundary",
         "Resource": "*"},
    ]})


def test_a_delegated_admin_manages_only_users_that_keep_the_boundary(iam, user_client, root):
    boundary = iam.create_policy(PolicyName="XCompanyBoundaries", PolicyDocument=DOCUMENT)["Policy"]["Arn"]
    other = iam.create_policy(PolicyName="OtherBoundary", PolicyDocument=DOCUMENT)["Policy"]["Arn"]
    work = iam.create_policy(PolicyName="Work", PolicyDocument=DOCUMENT)["Policy"]["Arn"]
    admin = user_client("delegate", policy=delegated_admin_policy(boundary, other))

    # Allowed: a user created with the boundary, and policies attached to and put on them.
    admin.create_user(UserName="dev", PermissionsBoundary=boundary)
    admin.attach_user_policy(UserName="dev", PolicyArn=work)
    admin.put_user_policy(UserName="dev", PolicyName="inline", PolicyDocument=DOCUMENT)
    admin.detach_user_policy(UserName="dev", PolicyArn=work)
    admin.delete_user_policy(UserName="dev", PolicyName="inline")

    # Refused: no boundary, another boundary, removing it, changing a user without it, editing the boundary.
    message = denied(admin.create_user, UserName="rogue")
    assert message.endswith(":user/rogue because no identity-based policy allows the iam:CreateUser action")
    denied(admin.create_user, UserName="rogue", PermissionsBoundary=other)
    denied(admin.delete_user_permissions_boundary, UserName="dev")
    denied(admin.put_user_permissions_boundary, UserName="dev", PermissionsBoundary=other)
    iam.create_user(UserName="plain")
    denied(admin.attach_user_policy, UserName="plain", PolicyArn=work)
    denied(admin.put_user_policy, UserName="plain", PolicyName="inline", PolicyDocument=DOCUMENT)
    denied(admin.delete_policy, PolicyArn=boundary)

    # Nothing a refusal touched changed.
    assert sorted(u["UserName"] for u in iam.list_users()["Users"]) == ["delegate", "dev", "plain"]
    assert iam.get_user(UserName="dev")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert "PermissionsBoundary" not in iam.get_user(UserName="plain")["User"]
    assert iam.list_attached_user_policies(UserName="plain")["AttachedPolicies"] == []
    assert iam.list_user_policies(UserName="plain")["PolicyNames"] == []
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["PolicyName"] == "XCompanyBoundaries"

    # Giving a user the boundary brings it under the delegate's care.
    admin.put_user_permissions_boundary(UserName="plain", PermissionsBoundary=boundary)
    admin.attach_user_policy(UserName="plain", PolicyArn=work)
    assert iam.list_attached_user_policies(UserName="plain")["AttachedPolicies"][0]["PolicyArn"] == work


def test_role_boundary_policy_arn_and_user_tags_are_condition_keys(iam, user_client, root):
    boundary = iam.create_policy(PolicyName="RoleBoundary", PolicyDocument=DOCUMENT)["Policy"]["Arn"]
    work = iam.create_policy(PolicyName="Work", PolicyDocument=DOCUMENT)["Policy"]["Arn"]
    wide = iam.create_policy(PolicyName="Wide", PolicyDocument=DOCUMENT)["Policy"]["Arn"]
    iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary)
    iam.create_role(RoleName="free", AssumeRolePolicyDocument=TRUST)
    iam.create_user(UserName="blue", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName="red", Tags=[{"Key": "team", "Value": "red"}])
    operator = user_client("operator", policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": "*",
         "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary},
                       "ArnEquals": {"iam:PolicyARN": work}}},
        {"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*",
         "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}}},
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:CreateAccessKey", "iam:ListGroupsForUser"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}},
    ]}))
    operator.attach_role_policy(RoleName="bounded", PolicyArn=work)
    operator.put_role_policy(RoleName="bounded", PolicyName="inline", PolicyDocument=DOCUMENT)
    denied(operator.attach_role_policy, RoleName="bounded", PolicyArn=wide)  # iam:PolicyARN
    denied(operator.attach_role_policy, RoleName="free", PolicyArn=work)  # no boundary on the role
    denied(operator.put_role_policy, RoleName="free", PolicyName="inline", PolicyDocument=DOCUMENT)
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="bounded")["AttachedPolicies"]] == [work]
    assert iam.list_attached_role_policies(RoleName="free")["AttachedPolicies"] == []

    assert operator.get_user(UserName="blue")["User"]["UserName"] == "blue"
    assert operator.list_groups_for_user(UserName="blue")["Groups"] == []
    operator.create_access_key(UserName="blue")
    for call, kwargs in ((operator.get_user, {}), (operator.create_access_key, {}), (operator.list_groups_for_user, {})):
        denied(call, UserName="red", **kwargs)
    assert iam.list_access_keys(UserName="red")["AccessKeyMetadata"] == []
