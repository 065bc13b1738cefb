"""IAM users through boto3: happy paths, AWS's error codes, pagination."""
import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_get_list_update_delete(iam, root):
    created = iam.create_user(UserName="alice", Path="/eng/", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::{root.account_id}:user/eng/alice"
    assert created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21
    assert created["Tags"] == [{"Key": "team", "Value": "blue"}]

    fetched = iam.get_user(UserName="ALICE")["User"]
    assert fetched["UserName"] == "alice" and fetched["UserId"] == created["UserId"]
    assert fetched["CreateDate"] == created["CreateDate"]

    iam.update_user(UserName="alice", NewUserName="alicia", NewPath="/ops/")
    moved = iam.get_user(UserName="alicia")["User"]
    assert moved["Arn"] == f"arn:aws:iam::{root.account_id}:user/ops/alicia"
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/ops/")["Users"]] == ["alicia"]
    assert iam.list_users(PathPrefix="/eng/")["Users"] == []

    iam.delete_user(UserName="alicia")
    error, status = error_of(iam.get_user, UserName="alicia")
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == "The user with name alicia cannot be found."


def test_duplicate_names_differ_only_in_case(iam):
    iam.create_user(UserName="bob")
    error, status = error_of(iam.create_user, UserName="BOB")
    assert (error["Code"], status) == ("EntityAlreadyExists", 409)
    assert error["Message"] == "User with name BOB already exists."


@pytest.mark.parametrize(
    "kwargs, code, fragment",
    [
        ({"UserName": "has space"}, "ValidationError", "Member must satisfy regular expression pattern"),
        ({"UserName": "x" * 65}, "ValidationError", "Member must have length less than or equal to 64"),
        ({"UserName": "ok", "Path": "no-slashes"}, "ValidationError", "at 'path' failed to satisfy constraint"),
        ({"UserName": "ok", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]}, "InvalidInput",
         "Duplicate tag keys"),
        ({"UserName": "ok", "PermissionsBoundary": "arn:aws:iam::aws:policy/Nope"}, "NoSuchEntity",
         "does not exist or is not attachable"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(iam, kwargs, code, fragment):
    error, status = error_of(iam.create_user, **kwargs)
    assert error["Code"] == code and fragment in error["Message"]
    assert iam.list_users()["Users"] == []


def test_get_user_without_a_name_is_the_caller(iam, root):
    me = iam.get_user()["User"]
    assert me["Arn"] == f"arn:aws:iam::{root.account_id}:root" and me["UserId"] == root.account_id


def test_tags(iam):
    iam.create_user(UserName="carol", Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_user(UserName="carol", Tags=[{"Key": "A", "Value": "2"}, {"Key": "b", "Value": "3"}])
    assert iam.list_user_tags(UserName="carol")["Tags"] == [{"Key": "A", "Value": "2"}, {"Key": "b", "Value": "3"}]
    iam.untag_user(UserName="carol", TagKeys=["a", "missing"])
    assert iam.list_user_tags(UserName="carol")["Tags"] == [{"Key": "b", "Value": "3"}]
    error, _ = error_of(iam.tag_user, UserName="carol", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error["Code"] == "LimitExceeded"
    assert iam.list_user_tags(UserName="carol")["Tags"] == [{"Key": "b", "Value": "3"}]


def test_pagination_over_more_than_a_hundred_users(iam):
    for i in range(105):
        iam.create_user(UserName=f"user{i:03d}")
    first = iam.list_users()
    assert len(first["Users"]) == 100 and first["IsTruncated"] is True
    second = iam.list_users(Marker=first["Marker"])
    assert len(second["Users"]) == 5 and second["IsTruncated"] is False
    names = [u["UserName"] for u in first["Users"] + second["Users"]]
    assert names == sorted(names) and len(set(names)) == 105
    paginated = [u for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 40})
                 for u in page["Users"]]
    assert len(paginated) == 105
    error, _ = error_of(iam.list_users, Marker="garbage!")
    assert error["Code"] == "ValidationError"
