"""Managed-policy attachments through boto3: users, groups, roles, counts, ListEntitiesForPolicy, effect."""
import json

import pytest
from botocore.exceptions import ClientError

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def allow(actions, resources="*", effect="Allow", condition=None):
    statement = {"Effect": effect, "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def make_policy(iam, name, document=None, path="/"):
    return iam.create_policy(PolicyName=name, Path=path, PolicyDocument=document or allow("iam:Get*"))["Policy"]["Arn"]


def attached_names(call, **kwargs):
    return [p["PolicyName"] for p in call(**kwargs)["AttachedPolicies"]]


def test_attach_list_detach_for_users_groups_and_roles(iam):
    policy_arn = make_policy(iam, "shared", path="/team/")
    iam.create_user(UserName="u")
    iam.create_group(GroupName="g")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    for attach, list_attached, detach, key, name in (
        (iam.attach_user_policy, iam.list_attached_user_policies, iam.detach_user_policy, "UserName", "u"),
        (iam.attach_group_policy, iam.list_attached_group_policies, iam.detach_group_policy, "GroupName", "g"),
        (iam.attach_role_policy, iam.list_attached_role_policies, iam.detach_role_policy, "RoleName", "r"),
    ):
        attach(PolicyArn=policy_arn, **{key: name})
        attach(PolicyArn=policy_arn, **{key: name})  # attaching twice is a no-op, as at AWS
        attach(PolicyArn=READ_ONLY, **{key: name})
        listed = list_attached(**{key: name})["AttachedPolicies"]
        assert listed == [
            {"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}, {"PolicyName": "shared", "PolicyArn": policy_arn},
        ]
        assert attached_names(list_attached, PathPrefix="/team/", **{key: name}) == ["shared"]
        detach(PolicyArn=policy_arn, **{key: name})
        assert attached_names(list_attached, **{key: name}) == ["ReadOnlyAccess"]
        error, status = error_of(detach, PolicyArn=policy_arn, **{key: name})
        assert (error["Code"], status) == ("NoSuchEntity", 404)
        assert error["Message"] == f"Policy {policy_arn} was not found."


@pytest.mark.parametrize(
    "kwargs, code, message",
    [
        ({"UserName": "ghost"}, "NoSuchEntity", "The user with name ghost cannot be found."),
        ({"PolicyArn": "arn:aws:iam::aws:policy/Nope"}, "NoSuchEntity",
         "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable."),
        ({"PolicyArn": "arn:aws:iam::aws:role/NotAPolicy"}, "InvalidInput",
         "ARN arn:aws:iam::aws:role/NotAPolicy is not valid."),
    ],
)
def test_bad_attachments_change_nothing(iam, kwargs, code, message):
    iam.create_user(UserName="u")
    error, _ = error_of(iam.attach_user_policy, **{"UserName": "u", "PolicyArn": READ_ONLY, **kwargs})
    assert (error["Code"], error["Message"]) == (code, message)
    assert attached_names(iam.list_attached_user_policies, UserName="u") == []


def test_at_most_ten_managed_policies_per_entity(iam):
    arns = [make_policy(iam, f"p{i:02d}") for i in range(11)]
    iam.create_user(UserName="u")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    for policy_arn in arns[:10]:
        iam.attach_user_policy(UserName="u", PolicyArn=policy_arn)
        iam.attach_role_policy(RoleName="r", PolicyArn=policy_arn)
    error, status = error_of(iam.attach_user_policy, UserName="u", PolicyArn=arns[10])
    assert (error["Code"], status) == ("LimitExceeded", 409)
    assert error["Message"] == "Cannot exceed quota for PoliciesPerUser: 10"
    error, _ = error_of(iam.attach_role_policy, RoleName="r", PolicyArn=arns[10])
    assert error["Message"] == "Cannot exceed quota for PoliciesPerRole: 10"
    assert len(attached_names(iam.list_attached_user_policies, UserName="u")) == 10

    page = iam.list_attached_user_policies(UserName="u", MaxItems=4)
    assert len(page["AttachedPolicies"]) == 4 and page["IsTruncated"] is True
    rest = iam.list_attached_user_policies(UserName="u", Marker=page["Marker"])
    assert [p["PolicyArn"] for p in page["AttachedPolicies"] + rest["AttachedPolicies"]] == arns[:10]


def test_usage_counts_and_entities_for_policy(iam):
    policy_arn = make_policy(iam, "used")
    iam.create_user(UserName="ann", Path="/eng/")
    iam.create_user(UserName="bob")
    iam.create_user(UserName="cat", PermissionsBoundary=policy_arn)
    iam.create_group(GroupName="devs")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    iam.attach_user_policy(UserName="bob", PolicyArn=policy_arn)
    iam.attach_user_policy(UserName="ann", PolicyArn=policy_arn)
    iam.attach_group_policy(GroupName="devs", PolicyArn=policy_arn)
    iam.attach_role_policy(RoleName="app", PolicyArn=policy_arn)

    policy = iam.get_policy(PolicyArn=policy_arn)["Policy"]
    assert (policy["AttachmentCount"], policy["PermissionsBoundaryUsageCount"]) == (4, 1)
    assert [p["PolicyName"] for p in iam.list_policies(OnlyAttached=True)["Policies"]] == ["used"]
    boundaries = iam.list_policies(OnlyAttached=True, PolicyUsageFilter="PermissionsBoundary")["Policies"]
    assert [p["Arn"] for p in boundaries] == [policy_arn]

    everything = iam.list_entities_for_policy(PolicyArn=policy_arn)
    assert [u["UserName"] for u in everything["PolicyUsers"]] == ["ann", "bob", "cat"]
    assert [g["GroupName"] for g in everything["PolicyGroups"]] == ["devs"]
    assert [r["RoleName"] for r in everything["PolicyRoles"]] == ["app"]
    assert everything["PolicyUsers"][0]["UserId"].startswith("AIDA")

    users = iam.list_entities_for_policy(
        PolicyArn=policy_arn, EntityFilter="User", PolicyUsageFilter="PermissionsPolicy"
    )
    assert [u["UserName"] for u in users["PolicyUsers"]] == ["ann", "bob"]
    assert users["PolicyGroups"] == [] and users["PolicyRoles"] == []
    bounded = iam.list_entities_for_policy(PolicyArn=policy_arn, PolicyUsageFilter="PermissionsBoundary")
    assert [u["UserName"] for u in bounded["PolicyUsers"]] == ["cat"] and bounded["PolicyRoles"] == []
    under_eng = iam.list_entities_for_policy(PolicyArn=policy_arn, PathPrefix="/eng/")
    assert [u["UserName"] for u in under_eng["PolicyUsers"]] == ["ann"] and under_eng["PolicyGroups"] == []

    seen = []
    kwargs = {"PolicyArn": policy_arn, "MaxItems": 2}
    while True:
        page = iam.list_entities_for_policy(**kwargs)
        seen += [e["UserName"] for e in page["PolicyUsers"]] + [e["RoleName"] for e in page["PolicyRoles"]]
        seen += [e["GroupName"] for e in page["PolicyGroups"]]
        if not page["IsTruncated"]:
            break
        kwargs["Marker"] = page["Marker"]
    assert seen == ["ann", "bob", "cat", "devs", "app"]

    error, status = error_of(iam.list_entities_for_policy, PolicyArn=policy_arn.replace("used", "unused"))
    assert (error["Code"], status) == ("NoSuchEntity", 404)


def test_attaching_grants_and_detaching_revokes_at_once(iam, user_client, root):
    client = user_client("dev")
    denied, _ = error_of(client.list_users)
    assert denied["Message"] == (
        f"User: arn:aws:iam::{root.account_id}:user/dev is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{root.account_id}:user/* because no identity-based policy allows the iam:ListUsers action"
    )
    iam.attach_user_policy(UserName="dev", PolicyArn=READ_ONLY)
    assert [u["UserName"] for u in client.list_users()["Users"]] == ["dev"]
    iam.detach_user_policy(UserName="dev", PolicyArn=READ_ONLY)
    assert error_of(client.list_users)[0] == denied


def test_a_deny_in_a_group_policy_overrides_the_users_allow(iam, user_client, root):
    client = user_client("eve", policy=allow("iam:*"))
    deny_arn = make_policy(iam, "no-user-listing", allow("iam:ListUsers", effect="Deny"))
    iam.create_group(GroupName="restricted")
    iam.attach_group_policy(GroupName="restricted", PolicyArn=deny_arn)
    assert client.list_users()["Users"]
    iam.add_user_to_group(GroupName="restricted", UserName="eve")
    error, status = error_of(client.list_users)
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: arn:aws:iam::{root.account_id}:user/eve is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{root.account_id}:user/* with an explicit deny in an identity-based policy"
    )
    assert client.get_user(UserName="eve")["User"]["UserName"] == "eve"


def test_the_policy_arn_condition_key_limits_what_may_be_attached(iam, user_client, root):
    client = user_client("admin", policy=allow(
        ["iam:AttachUserPolicy", "iam:DetachUserPolicy"],
        condition={"ArnEquals": {"iam:PolicyARN": READ_ONLY}},
    ))
    iam.create_user(UserName="target")
    client.attach_user_policy(UserName="target", PolicyArn=READ_ONLY)
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    error, _ = error_of(client.attach_user_policy, UserName="target", PolicyArn=admin)
    assert error["Code"] == "AccessDenied"
    assert f"iam:AttachUserPolicy on resource: arn:aws:iam::{root.account_id}:user/target" in error["Message"]
    assert attached_names(iam.list_attached_user_policies, UserName="target") == ["ReadOnlyAccess"]
