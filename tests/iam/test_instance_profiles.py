"""IAM instance profiles through boto3 and the aws CLI: life cycle, the one role, conflicts, tags, paging, authorization."""
import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.iam.test_aws_cli import aws  # noqa: F401  (the aws CLI fixture)

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions, resource="*", condition=None):
    statement = {"Effect": "Allow", "Action": list(actions), "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def make_role(iam, name, **kwargs):
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **kwargs)["Role"]


def profile_names(iam, **kwargs):
    return [p["InstanceProfileName"] for p in iam.list_instance_profiles(**kwargs)["InstanceProfiles"]]


def test_life_cycle_with_one_role(iam, root):
    account = root.account_id
    created = iam.create_instance_profile(InstanceProfileName="web", Path="/apps/",
                                          Tags=[{"Key": "team", "Value": "blue"}])["InstanceProfile"]
    assert created["Arn"] == f"arn:aws:iam::{account}:instance-profile/apps/web"
    assert created["InstanceProfileId"].startswith("AIPA") and len(created["InstanceProfileId"]) == 21
    assert (created["Path"], created["Roles"], created["Tags"]) == ("/apps/", [], [{"Key": "team", "Value": "blue"}])

    role = make_role(iam, "web-role", Path="/svc/")
    iam.add_role_to_instance_profile(InstanceProfileName="WEB", RoleName="web-role")
    fetched = iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert fetched["InstanceProfileId"] == created["InstanceProfileId"]
    assert fetched["CreateDate"] == created["CreateDate"]
    [held] = fetched["Roles"]
    assert (held["RoleName"], held["RoleId"], held["Arn"]) == ("web-role", role["RoleId"], role["Arn"])
    assert held["AssumeRolePolicyDocument"] == TRUST

    # One role per profile, the same one included; nothing changes.
    make_role(iam, "other")
    for name in ("other", "web-role"):
        error, status = error_of(iam.add_role_to_instance_profile, InstanceProfileName="web", RoleName=name)
        assert (error["Code"], status) == ("LimitExceeded", 409)
        assert error["Message"] == "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    for_role = iam.list_instance_profiles_for_role(RoleName="web-role")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in for_role] == ["web"] and for_role[0]["Roles"][0]["RoleName"] == "web-role"
    assert iam.list_instance_profiles_for_role(RoleName="other")["InstanceProfiles"] == []

    # Neither the profile nor its role can be deleted while they are together.
    for delete, kwargs in ((iam.delete_instance_profile, {"InstanceProfileName": "web"}),
                           (iam.delete_role, {"RoleName": "web-role"})):
        error, status = error_of(delete, **kwargs)
        assert (error["Code"], status) == ("DeleteConflict", 409)
        assert error["Message"] == "Cannot delete entity, must remove roles from instance profile first."
    error, _ = error_of(iam.remove_role_from_instance_profile, InstanceProfileName="web", RoleName="other")
    assert error["Code"] == "NoSuchEntity"
    assert iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Roles"][0]["RoleName"] == "web-role"

    iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="web-role")
    assert iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Roles"] == []
    iam.delete_role(RoleName="web-role")
    iam.delete_instance_profile(InstanceProfileName="web")
    error, status = error_of(iam.get_instance_profile, InstanceProfileName="web")
    assert (error["Code"], status, error["Message"]) == ("NoSuchEntity", 404, "Instance Profile web cannot be found.")


def test_bad_input_changes_nothing(iam, live_server, root):
    unchecked = boto3.client(
        "iam", endpoint_url=live_server.url, region_name="us-east-1", aws_access_key_id=root.access_key_id,
        aws_secret_access_key=root.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"}),
    )
    iam.create_instance_profile(InstanceProfileName="kept")
    error, status = error_of(iam.create_instance_profile, InstanceProfileName="KEPT")
    assert (error["Code"], status, error["Message"]) == ("EntityAlreadyExists", 409, "Instance Profile KEPT already exists.")
    error, _ = error_of(unchecked.create_instance_profile, InstanceProfileName="p" * 129)
    assert error["Code"] == "ValidationError" and "Member must have length less than or equal to 128" in error["Message"]
    error, _ = error_of(unchecked.create_instance_profile, InstanceProfileName="bad", Path="nope")
    assert error["Code"] == "ValidationError" and "at 'path'" in error["Message"]
    error, _ = error_of(iam.create_instance_profile, InstanceProfileName="dup-tags",
                        Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    assert error["Code"] == "InvalidInput"
    for call, kwargs in ((iam.add_role_to_instance_profile, {"InstanceProfileName": "nope", "RoleName": "r"}),
                         (iam.delete_instance_profile, {"InstanceProfileName": "nope"}),
                         (iam.tag_instance_profile, {"InstanceProfileName": "nope", "Tags": [{"Key": "k", "Value": "v"}]}),
                         (iam.list_instance_profile_tags, {"InstanceProfileName": "nope"})):
        error, status = error_of(call, **kwargs)
        assert (error["Code"], status, error["Message"]) == ("NoSuchEntity", 404, "Instance Profile nope cannot be found.")
    error, _ = error_of(iam.add_role_to_instance_profile, InstanceProfileName="kept", RoleName="ghost")
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", "The role with name ghost cannot be found.")
    error, _ = error_of(iam.list_instance_profiles_for_role, RoleName="ghost")
    assert error["Code"] == "NoSuchEntity"
    assert profile_names(iam) == ["kept"]
    assert iam.get_instance_profile(InstanceProfileName="kept")["InstanceProfile"]["Roles"] == []


def test_tags_paging_and_path_prefix(iam):
    for i in range(5):
        iam.create_instance_profile(InstanceProfileName=f"p{i}", Path="/odd/" if i % 2 else "/")
    first = iam.list_instance_profiles(MaxItems=2)
    assert [p["InstanceProfileName"] for p in first["InstanceProfiles"]] == ["p0", "p1"] and first["IsTruncated"]
    assert "Tags" not in first["InstanceProfiles"][0]
    listed = [p["InstanceProfileName"] for page in iam.get_paginator("list_instance_profiles").paginate(
        PaginationConfig={"PageSize": 2}) for p in page["InstanceProfiles"]]
    assert listed == [f"p{i}" for i in range(5)]
    assert profile_names(iam, PathPrefix="/odd/") == ["p1", "p3"]

    iam.tag_instance_profile(InstanceProfileName="p0", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.tag_instance_profile(InstanceProfileName="p0", Tags=[{"Key": "A", "Value": "3"}])
    page = iam.list_instance_profile_tags(InstanceProfileName="p0", MaxItems=1)
    assert page["Tags"] == [{"Key": "A", "Value": "3"}] and page["IsTruncated"] is True
    rest = iam.list_instance_profile_tags(InstanceProfileName="p0", Marker=page["Marker"])
    assert rest["Tags"] == [{"Key": "b", "Value": "2"}]
    iam.untag_instance_profile(InstanceProfileName="p0", TagKeys=["b", "missing"])
    assert iam.get_instance_profile(InstanceProfileName="p0")["InstanceProfile"]["Tags"] == [{"Key": "A", "Value": "3"}]
    error, status = error_of(iam.tag_instance_profile, InstanceProfileName="p0",
                             Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert (error["Code"], status) == ("LimitExceeded", 409)
    assert iam.list_instance_profile_tags(InstanceProfileName="p0")["Tags"] == [{"Key": "A", "Value": "3"}]


def test_authorization_tags_and_pass_role(iam, root, user_client):
    account = root.account_id
    make_role(iam, "app-role", Path="/apps/")
    make_role(iam, "admin-role")
    client = user_client("deployer", policy=policy(
        allow("iam:CreateInstanceProfile", condition={"StringEquals": {"aws:RequestTag/team": "blue"}}),
        allow("iam:AddRoleToInstanceProfile", "iam:GetInstanceProfile", "iam:ListInstanceProfiles",
              condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}),
        allow("iam:PassRole", resource=f"arn:aws:iam::{account}:role/apps/*",
              condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
    ))
    error, status = error_of(client.create_instance_profile, InstanceProfileName="untagged")
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: arn:aws:iam::{account}:user/deployer is not authorized to perform: iam:CreateInstanceProfile on "
        f"resource: arn:aws:iam::{account}:instance-profile/untagged because no identity-based policy allows the "
        "iam:CreateInstanceProfile action")
    client.create_instance_profile(InstanceProfileName="blue", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_instance_profile(InstanceProfileName="red", Tags=[{"Key": "team", "Value": "red"}])

    error, _ = error_of(client.add_role_to_instance_profile, InstanceProfileName="red", RoleName="app-role")
    assert "iam:AddRoleToInstanceProfile on resource: " f"arn:aws:iam::{account}:instance-profile/red" in error["Message"]
    error, _ = error_of(client.add_role_to_instance_profile, InstanceProfileName="blue", RoleName="admin-role")
    assert error["Code"] == "AccessDenied"
    assert f"iam:PassRole on resource: arn:aws:iam::{account}:role/admin-role" in error["Message"]
    assert iam.get_instance_profile(InstanceProfileName="blue")["InstanceProfile"]["Roles"] == []
    client.add_role_to_instance_profile(InstanceProfileName="blue", RoleName="app-role")
    assert client.get_instance_profile(InstanceProfileName="blue")["InstanceProfile"]["Roles"][0]["RoleName"] == "app-role"
    assert error_of(client.list_instance_profiles)[0]["Code"] == "AccessDenied"  # no tags on a listing's ARN


def test_aws_cli(aws, root):  # noqa: F811  (the imported fixture)
    created = aws("iam", "create-instance-profile", "--instance-profile-name", "cli", "--path", "/ops/")
    assert created["InstanceProfile"]["Arn"] == f"arn:aws:iam::{root.account_id}:instance-profile/ops/cli"
    aws("iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", json.dumps(TRUST))
    aws("iam", "add-role-to-instance-profile", "--instance-profile-name", "cli", "--role-name", "cli-role")
    listed = aws("iam", "list-instance-profiles-for-role", "--role-name", "cli-role")["InstanceProfiles"]
    assert [(p["InstanceProfileName"], p["Roles"][0]["RoleName"]) for p in listed] == [("cli", "cli-role")]
    refused = aws("iam", "delete-instance-profile", "--instance-profile-name", "cli", check=False)
    assert refused.returncode != 0 and "DeleteConflict" in refused.stderr
