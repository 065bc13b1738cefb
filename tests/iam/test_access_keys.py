"""IAM access keys through boto3: lifecycle, the two-key quota, root keys, last use, revocation at once."""
import json

import pytest
from botocore.exceptions import ClientError

from tests.iam.conftest import client_for


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def key_ids(iam, **kwargs):
    return [k["AccessKeyId"] for k in iam.list_access_keys(**kwargs)["AccessKeyMetadata"]]


def test_create_list_update_delete(iam):
    iam.create_user(UserName="alice")
    created = iam.create_access_key(UserName="alice")["AccessKey"]
    assert created["UserName"] == "alice" and created["Status"] == "Active"
    assert created["AccessKeyId"].startswith("AKIA") and len(created["AccessKeyId"]) == 20
    assert len(created["SecretAccessKey"]) == 40 and created["CreateDate"]

    listed = iam.list_access_keys(UserName="ALICE")
    assert listed["AccessKeyMetadata"] == [
        {"UserName": "alice", "AccessKeyId": created["AccessKeyId"], "Status": "Active",
         "CreateDate": created["CreateDate"]}
    ]
    assert listed["IsTruncated"] is False

    iam.update_access_key(UserName="alice", AccessKeyId=created["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    iam.update_access_key(UserName="alice", AccessKeyId=created["AccessKeyId"], Status="Active")
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Active"

    error, status = error_of(iam.delete_user, UserName="alice")
    assert (error["Code"], status) == ("DeleteConflict", 409)
    iam.delete_access_key(UserName="alice", AccessKeyId=created["AccessKeyId"])
    assert key_ids(iam, UserName="alice") == []
    iam.delete_user(UserName="alice")


def test_at_most_two_keys_per_user_and_pagination(iam):
    iam.create_user(UserName="bob")
    first = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    second = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    error, status = error_of(iam.create_access_key, UserName="bob")
    assert (error["Code"], status) == ("LimitExceeded", 409)
    assert error["Message"] == "Cannot exceed quota for AccessKeysPerUser: 2"
    assert key_ids(iam, UserName="bob") == [first, second]

    page = iam.list_access_keys(UserName="bob", MaxItems=1)
    assert [k["AccessKeyId"] for k in page["AccessKeyMetadata"]] == [first] and page["IsTruncated"] is True
    rest = iam.list_access_keys(UserName="bob", MaxItems=1, Marker=page["Marker"])
    assert [k["AccessKeyId"] for k in rest["AccessKeyMetadata"]] == [second] and rest["IsTruncated"] is False
    paginated = [k["AccessKeyId"] for p in iam.get_paginator("list_access_keys").paginate(
        UserName="bob", PaginationConfig={"PageSize": 1}) for k in p["AccessKeyMetadata"]]
    assert paginated == [first, second]


def test_root_keys_without_a_user_name(iam, root):
    assert key_ids(iam) == [root.access_key_id]
    assert "UserName" not in iam.list_access_keys()["AccessKeyMetadata"][0]
    created = iam.create_access_key()["AccessKey"]
    assert "UserName" not in created and len(created["SecretAccessKey"]) == 40
    assert key_ids(iam) == [root.access_key_id, created["AccessKeyId"]]
    error, _ = error_of(iam.create_access_key)
    assert error["Code"] == "LimitExceeded"

    # A root key is not a user's: naming a user does not reach it.
    iam.create_user(UserName="carol")
    error, status = error_of(iam.delete_access_key, UserName="carol", AccessKeyId=created["AccessKeyId"])
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    iam.delete_access_key(AccessKeyId=created["AccessKeyId"])
    assert key_ids(iam) == [root.access_key_id]


def test_deactivated_and_deleted_keys_stop_working_at_once(iam, live_server, root):
    spare = iam.create_access_key()["AccessKey"]
    spare_client = client_for(live_server, "iam", spare["AccessKeyId"], spare["SecretAccessKey"])
    assert spare_client.get_user()["User"]["Arn"] == f"arn:aws:iam::{root.account_id}:root"

    iam.update_access_key(AccessKeyId=spare["AccessKeyId"], Status="Inactive")
    error, status = error_of(spare_client.get_user)
    assert (error["Code"], status) == ("InvalidClientTokenId", 403)

    iam.update_access_key(AccessKeyId=spare["AccessKeyId"], Status="Active")
    assert spare_client.get_user()["User"]["UserId"] == root.account_id

    iam.delete_access_key(AccessKeyId=spare["AccessKeyId"])
    error, status = error_of(spare_client.get_user)
    assert (error["Code"], status) == ("InvalidClientTokenId", 403)


def test_a_users_key_is_revoked_at_once_too(iam, live_server):
    iam.create_user(UserName="dave")
    key = iam.create_access_key(UserName="dave")["AccessKey"]
    dave = client_for(live_server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    # Authenticated (no policy yet, so AccessDenied), then not even authenticated.
    assert error_of(dave.list_access_keys)[0]["Code"] == "AccessDenied"
    iam.update_access_key(UserName="dave", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert error_of(dave.list_access_keys)[0]["Code"] == "InvalidClientTokenId"
    iam.update_access_key(UserName="dave", AccessKeyId=key["AccessKeyId"], Status="Active")
    assert error_of(dave.list_access_keys)[0]["Code"] == "AccessDenied"
    iam.delete_access_key(UserName="dave", AccessKeyId=key["AccessKeyId"])
    assert error_of(dave.list_access_keys)[0]["Code"] == "InvalidClientTokenId"


def test_last_used(iam, live_server, root):
    iam.create_user(UserName="erin")
    key = iam.create_access_key(UserName="erin")["AccessKey"]
    never = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert never["UserName"] == "erin"
    assert never["AccessKeyLastUsed"] == {"ServiceName": "N/A", "Region": "N/A"}

    spare = iam.create_access_key()["AccessKey"]
    assert iam.get_access_key_last_used(AccessKeyId=spare["AccessKeyId"])["AccessKeyLastUsed"]["Region"] == "N/A"
    client_for(live_server, "iam", spare["AccessKeyId"], spare["SecretAccessKey"]).get_user()
    used = iam.get_access_key_last_used(AccessKeyId=spare["AccessKeyId"])["AccessKeyLastUsed"]
    assert used["ServiceName"] == "iam" and used["Region"] == "us-east-1" and used["LastUsedDate"]

    mine = iam.get_access_key_last_used(AccessKeyId=root.access_key_id)
    assert "UserName" not in mine and mine["AccessKeyLastUsed"]["ServiceName"] == "iam"

    error, status = error_of(iam.get_access_key_last_used, AccessKeyId="AKIAAAAAAAAAAAAAAAAA")
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found."


def test_errors_change_nothing(iam):
    iam.create_user(UserName="frank")
    iam.create_user(UserName="grace")
    key = iam.create_access_key(UserName="frank")["AccessKey"]["AccessKeyId"]

    error, status = error_of(iam.create_access_key, UserName="nobody")
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == "The user with name nobody cannot be found."
    error, _ = error_of(iam.list_access_keys, UserName="nobody")
    assert error["Code"] == "NoSuchEntity"

    for call in (iam.delete_access_key, lambda **kw: iam.update_access_key(Status="Inactive", **kw)):
        error, status = error_of(call, UserName="grace", AccessKeyId=key)
        assert (error["Code"], status) == ("NoSuchEntity", 404)
        assert error["Message"] == f"The Access Key with id {key} cannot be found."

    error, status = error_of(iam.update_access_key, UserName="frank", AccessKeyId=key, Status="Paused")
    assert (error["Code"], status) == ("ValidationError", 400)
    assert "Member must satisfy enum value set: [Active, Inactive, Expired]" in error["Message"]
    error, _ = error_of(iam.update_access_key, UserName="frank", AccessKeyId=key, Status="Expired")
    assert error["Code"] == "InvalidInput"
    error, _ = error_of(iam.delete_access_key, UserName="frank", AccessKeyId="AKIA-not-a-key-id!")
    assert error["Code"] == "ValidationError" and "regular expression pattern" in error["Message"]
    error, _ = error_of(iam.list_access_keys, UserName="frank", Marker="garbage!")
    assert error["Code"] == "ValidationError"

    assert iam.list_access_keys(UserName="frank")["AccessKeyMetadata"][0]["Status"] == "Active"
    assert key_ids(iam, UserName="frank") == [key] and key_ids(iam, UserName="grace") == []


def test_a_user_manages_its_own_keys_and_only_those(iam, user_client, root):
    account = root.account_id
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["iam:ListAccessKeys", "iam:CreateAccessKey", "iam:UpdateAccessKey"],
        "Resource": f"arn:aws:iam::{account}:user/${{aws:username}}",
    }]})
    henry = user_client("henry", policy=policy)
    iam.create_user(UserName="other")

    own = henry.list_access_keys()["AccessKeyMetadata"]
    assert len(own) == 1 and own[0]["UserName"] == "henry"
    second = henry.create_access_key()["AccessKey"]
    assert second["UserName"] == "henry"
    henry.update_access_key(AccessKeyId=second["AccessKeyId"], Status="Inactive")

    error, status = error_of(henry.create_access_key, UserName="other")
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: arn:aws:iam::{account}:user/henry is not authorized to perform: iam:CreateAccessKey "
        f"on resource: arn:aws:iam::{account}:user/other because no identity-based policy allows "
        "the iam:CreateAccessKey action"
    )
    error, _ = error_of(henry.delete_access_key, AccessKeyId=second["AccessKeyId"])
    assert error["Code"] == "AccessDenied" and "iam:DeleteAccessKey" in error["Message"]
    assert key_ids(iam, UserName="other") == []
    assert len(key_ids(iam, UserName="henry")) == 2
