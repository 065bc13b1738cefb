"""IAM groups through boto3: lifecycle, membership, DeleteConflict rules, pagination, authorization."""
import json

import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def allow(*actions, resource="*"):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": resource}]})


def group_names(iam, **kwargs):
    return [g["GroupName"] for g in iam.list_groups(**kwargs)["Groups"]]


def test_create_get_list_update_delete(iam, root):
    created = iam.create_group(GroupName="eng", Path="/dept/")["Group"]
    assert created["Arn"] == f"arn:aws:iam::{root.account_id}:group/dept/eng"
    assert created["GroupId"].startswith("AGPA") and len(created["GroupId"]) == 21
    assert created["Path"] == "/dept/"

    fetched = iam.get_group(GroupName="ENG")
    assert fetched["Group"] == created and fetched["Users"] == [] and fetched["IsTruncated"] is False

    iam.update_group(GroupName="eng", NewGroupName="engineering", NewPath="/tech/")
    moved = iam.get_group(GroupName="engineering")["Group"]
    assert moved["Arn"] == f"arn:aws:iam::{root.account_id}:group/tech/engineering"
    assert moved["GroupId"] == created["GroupId"]
    assert group_names(iam, PathPrefix="/tech/") == ["engineering"]
    assert group_names(iam, PathPrefix="/dept/") == []
    error, status = error_of(iam.get_group, GroupName="eng")
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == "The group with name eng cannot be found."

    iam.delete_group(GroupName="engineering")
    assert group_names(iam) == []
    error, _ = error_of(iam.delete_group, GroupName="engineering")
    assert error["Message"] == "The group with name engineering cannot be found."


def test_names_are_unique_regardless_of_case(iam):
    iam.create_group(GroupName="ops")
    iam.create_group(GroupName="dev")
    error, status = error_of(iam.create_group, GroupName="OPS")
    assert (error["Code"], status) == ("EntityAlreadyExists", 409)
    assert error["Message"] == "Group with name OPS already exists."
    error, _ = error_of(iam.update_group, GroupName="dev", NewGroupName="Ops")
    assert (error["Code"], error["Message"]) == ("EntityAlreadyExists", "Group with name Ops already exists.")
    assert group_names(iam) == ["dev", "ops"]


def test_group_names_may_be_128_characters(iam):
    iam.create_group(GroupName="g" * 128)
    assert group_names(iam) == ["g" * 128]


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"GroupName": "has space"}, "Member must satisfy regular expression pattern"),
        ({"GroupName": "g" * 129}, "Member must have length less than or equal to 128"),
        ({"GroupName": "ok", "Path": "no-slashes"}, "at 'path' failed to satisfy constraint"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(iam, kwargs, fragment):
    error, status = error_of(iam.create_group, **kwargs)
    assert (error["Code"], status) == ("ValidationError", 400) and fragment in error["Message"]
    assert group_names(iam) == []


def test_bad_update_changes_nothing(iam, root):
    iam.create_group(GroupName="team", Path="/a/")
    error, _ = error_of(iam.update_group, GroupName="team", NewPath="bad")
    assert error["Code"] == "ValidationError"
    error, _ = error_of(iam.update_group, GroupName="missing", NewGroupName="other")
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", "The group with name missing cannot be found.")
    assert iam.get_group(GroupName="team")["Group"]["Arn"] == f"arn:aws:iam::{root.account_id}:group/a/team"


def test_membership(iam):
    iam.create_group(GroupName="eng")
    iam.create_group(GroupName="all")
    iam.create_user(UserName="alice")
    iam.create_user(UserName="bob")
    iam.add_user_to_group(GroupName="eng", UserName="alice")
    iam.add_user_to_group(GroupName="eng", UserName="BOB")
    iam.add_user_to_group(GroupName="eng", UserName="alice")  # again: no error, no duplicate
    iam.add_user_to_group(GroupName="all", UserName="alice")

    members = iam.get_group(GroupName="eng")["Users"]
    assert [u["UserName"] for u in members] == ["alice", "bob"]
    assert set(members[0]) >= {"Path", "UserName", "UserId", "Arn", "CreateDate"}
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]] == ["all", "eng"]

    iam.remove_user_from_group(GroupName="eng", UserName="alice")
    iam.remove_user_from_group(GroupName="eng", UserName="alice")  # not a member any more: no error
    assert [u["UserName"] for u in iam.get_group(GroupName="eng")["Users"]] == ["bob"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]] == ["all"]

    error, status = error_of(iam.add_user_to_group, GroupName="eng", UserName="nobody")
    assert (error["Code"], status, error["Message"]) == ("NoSuchEntity", 404, "The user with name nobody cannot be found.")
    error, _ = error_of(iam.add_user_to_group, GroupName="nogroup", UserName="bob")
    assert error["Message"] == "The group with name nogroup cannot be found."
    error, _ = error_of(iam.list_groups_for_user, UserName="nobody")
    assert error["Message"] == "The user with name nobody cannot be found."

    # A user in a group cannot be deleted; the group's rename is seen from the user.
    error, _ = error_of(iam.delete_user, UserName="bob")
    assert error["Code"] == "DeleteConflict"
    iam.update_group(GroupName="eng", NewGroupName="engineering")
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="bob")["Groups"]] == ["engineering"]


def test_a_user_belongs_to_at_most_ten_groups(iam):
    iam.create_user(UserName="joiner")
    for i in range(11):
        iam.create_group(GroupName=f"g{i:02d}")
    for i in range(10):
        iam.add_user_to_group(GroupName=f"g{i:02d}", UserName="joiner")
    error, status = error_of(iam.add_user_to_group, GroupName="g10", UserName="joiner")
    assert (error["Code"], status) == ("LimitExceeded", 409)
    assert error["Message"] == "Cannot exceed quota for GroupsPerUser: 10"
    assert iam.get_group(GroupName="g10")["Users"] == []
    assert len(iam.list_groups_for_user(UserName="joiner")["Groups"]) == 10


def test_delete_conflicts(iam, root):
    iam.create_group(GroupName="busy")
    iam.create_user(UserName="member")
    iam.add_user_to_group(GroupName="busy", UserName="member")
    error, status = error_of(iam.delete_group, GroupName="busy")
    assert (error["Code"], status) == ("DeleteConflict", 409)
    assert error["Message"] == "Cannot delete entity, must remove users from group first."
    iam.remove_user_from_group(GroupName="busy", UserName="member")

    iam.put_group_policy(GroupName="busy", PolicyName="inline", PolicyDocument=allow("iam:GetUser"))
    error, _ = error_of(iam.delete_group, GroupName="busy")
    assert (error["Code"], error["Message"]) == ("DeleteConflict", "Cannot delete entity, must delete policies first.")
    iam.delete_group_policy(GroupName="busy", PolicyName="inline")

    policy_arn = iam.create_policy(PolicyName="managed", PolicyDocument=allow("iam:GetUser"))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="busy", PolicyArn=policy_arn)
    error, _ = error_of(iam.delete_group, GroupName="busy")
    assert (error["Code"], error["Message"]) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.")
    assert group_names(iam) == ["busy"]
    iam.detach_group_policy(GroupName="busy", PolicyArn=policy_arn)
    iam.delete_group(GroupName="busy")
    assert group_names(iam) == []


def test_pagination(iam):
    for i in range(7):
        iam.create_group(GroupName=f"group{i}", Path="/p/" if i % 2 else "/")
        iam.create_user(UserName=f"user{i}")
    for i in range(7):
        iam.add_user_to_group(GroupName="group0", UserName=f"user{i}")

    first = iam.list_groups(MaxItems=3)
    assert group_names(iam, MaxItems=3) == ["group0", "group1", "group2"] and first["IsTruncated"] is True
    second = iam.list_groups(MaxItems=3, Marker=first["Marker"])
    assert [g["GroupName"] for g in second["Groups"]] == ["group3", "group4", "group5"]
    listed = [g["GroupName"] for page in iam.get_paginator("list_groups").paginate(PaginationConfig={"PageSize": 2})
              for g in page["Groups"]]
    assert listed == [f"group{i}" for i in range(7)]
    assert group_names(iam, PathPrefix="/p/") == ["group1", "group3", "group5"]

    pages = list(iam.get_paginator("get_group").paginate(GroupName="group0", PaginationConfig={"PageSize": 3}))
    assert [len(page["Users"]) for page in pages] == [3, 3, 1]
    assert [u["UserName"] for page in pages for u in page["Users"]] == [f"user{i}" for i in range(7)]

    iam.add_user_to_group(GroupName="group1", UserName="user0")
    page = iam.list_groups_for_user(UserName="user0", MaxItems=1)
    assert [g["GroupName"] for g in page["Groups"]] == ["group0"] and page["IsTruncated"] is True
    rest = iam.list_groups_for_user(UserName="user0", Marker=page["Marker"])
    assert [g["GroupName"] for g in rest["Groups"]] == ["group1"] and rest["IsTruncated"] is False
    error, _ = error_of(iam.list_groups, Marker="garbage!")
    assert error["Code"] == "ValidationError"


def test_authorization(iam, root, user_client):
    account = root.account_id
    iam.create_group(GroupName="team-a")
    iam.create_group(GroupName="ops")
    iam.create_user(UserName="newbie")
    reader = user_client("reader", policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:GetGroup", "iam:ListGroups"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["iam:UpdateGroup", "iam:AddUserToGroup"],
         "Resource": f"arn:aws:iam::{account}:group/team-*"},
    ]}))
    assert group_names(reader) == ["ops", "team-a"]

    error, status = error_of(reader.create_group, GroupName="g")
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: arn:aws:iam::{account}:user/reader is not authorized to perform: iam:CreateGroup on resource: "
        f"arn:aws:iam::{account}:group/g because no identity-based policy allows the iam:CreateGroup action"
    )
    error, _ = error_of(reader.add_user_to_group, GroupName="ops", UserName="newbie")
    assert error["Code"] == "AccessDenied" and "group/ops because no identity-based policy" in error["Message"]
    reader.add_user_to_group(GroupName="team-a", UserName="newbie")

    # Renaming needs permission on the new name too.
    error, _ = error_of(reader.update_group, GroupName="team-a", NewGroupName="outsiders")
    assert error["Code"] == "AccessDenied" and "group/outsiders because" in error["Message"]
    reader.update_group(GroupName="team-a", NewGroupName="team-b")
    assert group_names(iam) == ["ops", "team-b"]


def test_group_policies_apply_to_members_only(iam, root, user_client):
    iam.create_group(GroupName="listers")
    iam.put_group_policy(GroupName="listers", PolicyName="list", PolicyDocument=allow("iam:ListRoles"))
    client = user_client("joiner", policy=allow("iam:GetUser"))
    assert error_of(client.list_roles)[0]["Code"] == "AccessDenied"
    iam.add_user_to_group(GroupName="listers", UserName="joiner")
    assert client.list_roles()["Roles"] == []
    iam.remove_user_from_group(GroupName="listers", UserName="joiner")
    assert error_of(client.list_roles)[0]["Code"] == "AccessDenied"
