"""Permissions boundaries through boto3: setting them, their errors, and what they do to a principal's access."""
import json

import pytest
from botocore.exceptions import ClientError

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def statement(effect, *actions, resource="*", condition=None):
    entry = {"Effect": effect, "Action": list(actions), "Resource": resource}
    if condition:
        entry["Condition"] = condition
    return entry


def managed(iam, name, *actions):
    return iam.create_policy(PolicyName=name, PolicyDocument=policy(statement("Allow", *actions)))["Policy"]["Arn"]


def boundary_of(entity):
    return entity.get("PermissionsBoundary")


def test_user_boundary_put_replace_delete(iam):
    first, second = managed(iam, "first", "iam:Get*"), managed(iam, "second", "iam:List*")
    iam.create_user(UserName="bounded")
    iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=first)
    assert boundary_of(iam.get_user(UserName="bounded")["User"]) == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": first}
    iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=second)
    assert boundary_of(iam.get_user(UserName="bounded")["User"])["PermissionsBoundaryArn"] == second
    iam.delete_user_permissions_boundary(UserName="bounded")
    assert boundary_of(iam.get_user(UserName="bounded")["User"]) is None
    iam.delete_user_permissions_boundary(UserName="bounded")  # none left: nothing to do, no error


def test_role_boundary_put_replace_delete(iam):
    first, second = managed(iam, "first", "iam:Get*"), managed(iam, "second", "iam:List*")
    role = iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=first)["Role"]
    assert boundary_of(role) == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": first}
    assert boundary_of(iam.get_role(RoleName="bounded")["Role"])["PermissionsBoundaryArn"] == first
    iam.put_role_permissions_boundary(RoleName="bounded", PermissionsBoundary=second)
    assert boundary_of(iam.get_role(RoleName="bounded")["Role"])["PermissionsBoundaryArn"] == second
    iam.delete_role_permissions_boundary(RoleName="bounded")
    assert boundary_of(iam.get_role(RoleName="bounded")["Role"]) is None
    iam.delete_role_permissions_boundary(RoleName="bounded")


def test_errors_change_nothing(iam, root):
    kept = managed(iam, "kept", "iam:Get*")
    iam.create_user(UserName="u", PermissionsBoundary=kept)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=kept)
    missing = f"arn:aws:iam::{root.account_id}:policy/missing"
    for call, name in ((iam.put_user_permissions_boundary, {"UserName": "u"}),
                       (iam.put_role_permissions_boundary, {"RoleName": "r"})):
        error, status = error_of(call, PermissionsBoundary=missing, **name)
        assert (error["Code"], status) == ("NoSuchEntity", 404)
        assert error["Message"] == f"Policy {missing} does not exist or is not attachable."
        error, status = error_of(call, PermissionsBoundary="arn:aws:s3:::not-a-policy-arn", **name)
        assert (error["Code"], status) == ("InvalidInput", 400)
        assert error["Message"] == "ARN arn:aws:s3:::not-a-policy-arn is not valid."
    error, _ = error_of(iam.put_user_permissions_boundary, UserName="nobody", PermissionsBoundary=kept)
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", "The user with name nobody cannot be found.")
    error, _ = error_of(iam.delete_role_permissions_boundary, RoleName="nobody")
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", "The role with name nobody cannot be found.")
    assert boundary_of(iam.get_user(UserName="u")["User"])["PermissionsBoundaryArn"] == kept
    assert boundary_of(iam.get_role(RoleName="r")["Role"])["PermissionsBoundaryArn"] == kept


def test_a_policy_in_use_as_a_boundary_cannot_be_deleted(iam):
    arn = managed(iam, "in-use", "iam:Get*")
    iam.create_user(UserName="u", PermissionsBoundary=arn)
    error, _ = error_of(iam.delete_policy, PolicyArn=arn)
    assert error["Code"] == "DeleteConflict"
    iam.delete_user_permissions_boundary(UserName="u")
    iam.delete_policy(PolicyArn=arn)


def test_the_boundary_caps_what_identity_policies_allow(iam, root, user_client):
    account = root.account_id
    read_only = managed(iam, "read-only", "iam:Get*", "iam:List*")
    client = user_client("capped", policy=policy(statement("Allow", "iam:*")))
    client.create_group(GroupName="before")
    iam.put_user_permissions_boundary(UserName="capped", PermissionsBoundary=read_only)

    assert [g["GroupName"] for g in client.list_groups()["Groups"]] == ["before"]
    error, status = error_of(client.create_group, GroupName="after")
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: arn:aws:iam::{account}:user/capped is not authorized to perform: iam:CreateGroup on resource: "
        f"arn:aws:iam::{account}:group/after because no permissions boundary allows the iam:CreateGroup action"
    )
    # The boundary grants nothing by itself: what the identity policy lacks stays denied.
    iam.put_user_policy(UserName="capped", PolicyName="inline", PolicyDocument=policy(statement("Allow", "iam:ListGroups")))
    assert "no identity-based policy allows the iam:GetUser action" in error_of(client.get_user)[0]["Message"]
    assert client.list_groups()["Groups"]
    iam.put_user_policy(UserName="capped", PolicyName="inline", PolicyDocument=policy(statement("Allow", "iam:*")))

    # Nor can it lift its own boundary.
    error, _ = error_of(client.delete_user_permissions_boundary, UserName="capped")
    assert "no permissions boundary allows the iam:DeleteUserPermissionsBoundary action" in error["Message"]
    iam.delete_user_permissions_boundary(UserName="capped")
    client.create_group(GroupName="after")
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["after", "before"]


def test_delegated_admin_must_pass_the_boundary(iam, root, user_client):
    account = root.account_id
    boundary = managed(iam, "dev-boundary", "iam:Get*")
    other = managed(iam, "other", "iam:*")
    condition = {"StringEquals": {"iam:PermissionsBoundary": boundary}}
    admin = user_client("delegate", policy=policy(
        statement("Allow", "iam:CreateUser", "iam:PutUserPermissionsBoundary", condition=condition),
        statement("Allow", "iam:CreateRole", condition=condition),
        statement("Allow", "iam:GetUser", "iam:ListUsers"),
    ))

    error, _ = error_of(admin.create_user, UserName="free")
    assert error["Message"] == (
        f"User: arn:aws:iam::{account}:user/delegate is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{account}:user/free because no identity-based policy allows the iam:CreateUser action"
    )
    assert error_of(admin.create_user, UserName="free", PermissionsBoundary=other)[0]["Code"] == "AccessDenied"
    created = admin.create_user(UserName="dev", PermissionsBoundary=boundary)["User"]
    assert created["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert [u["UserName"] for u in admin.list_users()["Users"]] == ["delegate", "dev"]

    # Nor may it swap the boundary for a wider one, or remove it.
    error, _ = error_of(admin.put_user_permissions_boundary, UserName="dev", PermissionsBoundary=other)
    assert error["Code"] == "AccessDenied" and "iam:PutUserPermissionsBoundary on resource: " in error["Message"]
    admin.put_user_permissions_boundary(UserName="dev", PermissionsBoundary=boundary)
    assert error_of(admin.delete_user_permissions_boundary, UserName="dev")[0]["Code"] == "AccessDenied"
    assert boundary_of(iam.get_user(UserName="dev")["User"])["PermissionsBoundaryArn"] == boundary

    assert error_of(admin.create_role, RoleName="r", AssumeRolePolicyDocument=TRUST)[0]["Code"] == "AccessDenied"
    admin.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary)
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["r"]


def test_removing_a_boundary_is_checked_against_the_boundary_in_place(iam, root, user_client):
    protected = managed(iam, "protected", "iam:*")
    loose = managed(iam, "loose", "iam:*")
    client = user_client("admin", policy=policy(
        statement("Allow", "iam:*"),
        statement("Deny", "iam:DeleteUserPermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
                  condition={"StringEquals": {"iam:PermissionsBoundary": protected}}),
    ))
    client.create_user(UserName="kept", PermissionsBoundary=protected)
    client.create_user(UserName="free", PermissionsBoundary=loose)
    client.create_role(RoleName="kept", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=protected)

    error, _ = error_of(client.delete_user_permissions_boundary, UserName="kept")
    assert error["Message"].endswith("with an explicit deny in an identity-based policy")
    assert error_of(client.delete_role_permissions_boundary, RoleName="kept")[0]["Code"] == "AccessDenied"
    client.delete_user_permissions_boundary(UserName="free")
    assert boundary_of(iam.get_user(UserName="kept")["User"])["PermissionsBoundaryArn"] == protected
    assert boundary_of(iam.get_role(RoleName="kept")["Role"])["PermissionsBoundaryArn"] == protected
    assert boundary_of(iam.get_user(UserName="free")["User"]) is None
