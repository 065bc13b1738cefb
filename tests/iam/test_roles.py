"""IAM roles through boto3: trust policies, updates, DeleteConflict, tags, pagination, authorization, iam:PassRole."""
import json
from urllib.parse import quote

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture
def unchecked_iam(live_server, root):
    """IAM as root with botocore's client-side validation off, so the server's own checks are reached."""
    return boto3.client(
        "iam", endpoint_url=live_server.url, region_name="us-east-1", aws_access_key_id=root.access_key_id,
        aws_secret_access_key=root.secret_access_key,
        config=Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"}),
    )


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


def role_names(iam, **kwargs):
    return [r["RoleName"] for r in iam.list_roles(**kwargs)["Roles"]]


def test_create_get_list_update_delete(iam, root):
    created = make_role(iam, "app", Path="/svc/", Description="the app", Tags=[{"Key": "team", "Value": "blue"}])
    assert created["Arn"] == f"arn:aws:iam::{root.account_id}:role/svc/app"
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    assert created["AssumeRolePolicyDocument"] == TRUST
    assert created["Tags"] == [{"Key": "team", "Value": "blue"}]

    fetched = iam.get_role(RoleName="APP")["Role"]
    assert fetched["RoleId"] == created["RoleId"] and fetched["CreateDate"] == created["CreateDate"]
    assert fetched["AssumeRolePolicyDocument"] == TRUST and fetched["Description"] == "the app"
    assert fetched["MaxSessionDuration"] == 3600 and fetched["RoleLastUsed"] == {}
    assert "PermissionsBoundary" not in fetched

    listed = iam.list_roles(PathPrefix="/svc/")["Roles"]
    assert [r["RoleName"] for r in listed] == ["app"]
    assert listed[0]["AssumeRolePolicyDocument"] == TRUST and "Tags" not in listed[0]
    assert role_names(iam, PathPrefix="/other/") == []

    iam.update_role(RoleName="app", Description="changed", MaxSessionDuration=43200)
    fetched = iam.get_role(RoleName="app")["Role"]
    assert (fetched["Description"], fetched["MaxSessionDuration"]) == ("changed", 43200)
    iam.update_role(RoleName="app", MaxSessionDuration=7200)  # no Description: it stays
    assert iam.get_role(RoleName="app")["Role"]["Description"] == "changed"
    described = iam.update_role_description(RoleName="app", Description="again")["Role"]
    assert described["Description"] == "again" and described["MaxSessionDuration"] == 7200

    iam.delete_role(RoleName="app")
    error, status = error_of(iam.get_role, RoleName="app")
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == "The role with name app cannot be found."


def test_trust_policy_is_returned_url_encoded(iam):
    raw = {}
    iam.meta.events.register("after-call.iam.GetRole", lambda http_response, **_: raw.update(body=http_response.text))
    make_role(iam, "encoded")
    assert iam.get_role(RoleName="encoded")["Role"]["AssumeRolePolicyDocument"] == TRUST
    assert f"<AssumeRolePolicyDocument>{quote(json.dumps(TRUST), safe='')}</AssumeRolePolicyDocument>" in raw["body"]


def test_url_encoded_trust_policy_is_accepted(iam):
    iam.create_role(RoleName="enc", AssumeRolePolicyDocument=quote(json.dumps(TRUST)))
    assert iam.get_role(RoleName="enc")["Role"]["AssumeRolePolicyDocument"] == TRUST
    iam.update_assume_role_policy(RoleName="enc", PolicyDocument=quote(json.dumps(TRUST), safe=""))
    assert iam.get_role(RoleName="enc")["Role"]["AssumeRolePolicyDocument"] == TRUST


def test_duplicate_names_differ_only_in_case(iam):
    make_role(iam, "dup")
    error, status = error_of(make_role, iam, "DUP")
    assert (error["Code"], status) == ("EntityAlreadyExists", 409)
    assert error["Message"] == "Role with name DUP already exists."


NO_PRINCIPAL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
WITH_RESOURCE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Resource": "*"}]}


@pytest.mark.parametrize(
    "kwargs, code, message",
    [
        ({"AssumeRolePolicyDocument": json.dumps(NO_PRINCIPAL)}, "MalformedPolicyDocument",
         "Missing required field Principal (Statement[0]: a trust policy names who it applies to)"),
        ({"AssumeRolePolicyDocument": json.dumps(WITH_RESOURCE)}, "MalformedPolicyDocument",
         "Has prohibited field Resource. (Statement[0].Resource: a trust policy applies to the role itself)"),
        ({"AssumeRolePolicyDocument": "{not json"}, "MalformedPolicyDocument", "Syntax errors in policy"),
        ({"MaxSessionDuration": 3599}, "ValidationError",
         "1 validation error detected: Value '3599' at 'maxSessionDuration' failed to satisfy constraint: "
         "Member must have value greater than or equal to 3600"),
        ({"MaxSessionDuration": 43201}, "ValidationError", "Member must have value less than or equal to 43200"),
        ({"RoleName": "r" * 65}, "ValidationError", "Member must have length less than or equal to 64"),
        ({"Path": "nope"}, "ValidationError", "at 'path' failed to satisfy constraint"),
        ({"Description": "d" * 1001}, "ValidationError", "Member must have length less than or equal to 1000"),
        ({"Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]}, "InvalidInput", "Duplicate tag keys"),
        ({"PermissionsBoundary": "arn:aws:iam::aws:policy/Nope"}, "NoSuchEntity",
         "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable."),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(iam, unchecked_iam, kwargs, code, message):
    arguments = {"RoleName": "r", "AssumeRolePolicyDocument": json.dumps(TRUST), **kwargs}
    error, status = error_of(unchecked_iam.create_role, **arguments)
    assert error["Code"] == code and status in (400, 404) and message in error["Message"]
    assert role_names(iam) == []


def test_bad_updates_change_nothing(iam, unchecked_iam):
    make_role(iam, "steady", Description="kept", MaxSessionDuration=7200)
    error, _ = error_of(iam.update_assume_role_policy, RoleName="steady", PolicyDocument=json.dumps(NO_PRINCIPAL))
    assert (error["Code"], error["Message"]) == (
        "MalformedPolicyDocument", "Missing required field Principal (Statement[0]: a trust policy names who it applies to)")
    error, _ = error_of(unchecked_iam.update_role, RoleName="steady", Description="new", MaxSessionDuration=100)
    assert error["Code"] == "ValidationError"
    error, _ = error_of(iam.update_role, RoleName="missing", Description="x")
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", "The role with name missing cannot be found.")
    role = iam.get_role(RoleName="steady")["Role"]
    assert (role["AssumeRolePolicyDocument"], role["Description"], role["MaxSessionDuration"]) == (TRUST, "kept", 7200)

    other = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}
    iam.update_assume_role_policy(RoleName="steady", PolicyDocument=json.dumps(other))
    assert iam.get_role(RoleName="steady")["Role"]["AssumeRolePolicyDocument"] == other


def test_delete_conflicts(iam):
    make_role(iam, "busy")
    iam.put_role_policy(RoleName="busy", PolicyName="inline", PolicyDocument=policy(allow("iam:GetUser")))
    error, status = error_of(iam.delete_role, RoleName="busy")
    assert (error["Code"], status) == ("DeleteConflict", 409)
    assert error["Message"] == "Cannot delete entity, must delete policies first."
    iam.delete_role_policy(RoleName="busy", PolicyName="inline")

    policy_arn = iam.create_policy(PolicyName="managed", PolicyDocument=policy(allow("iam:GetUser")))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="busy", PolicyArn=policy_arn)
    error, _ = error_of(iam.delete_role, RoleName="busy")
    assert (error["Code"], error["Message"]) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.")
    assert role_names(iam) == ["busy"]
    iam.detach_role_policy(RoleName="busy", PolicyArn=policy_arn)
    # A permissions boundary does not block deletion.
    iam.put_role_permissions_boundary(RoleName="busy", PermissionsBoundary=policy_arn)
    iam.delete_role(RoleName="busy")
    assert role_names(iam) == []


def test_tags(iam):
    make_role(iam, "tagged", Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_role(RoleName="tagged", Tags=[{"Key": "A", "Value": "2"}, {"Key": "b", "Value": "3"}])
    assert iam.list_role_tags(RoleName="tagged")["Tags"] == [{"Key": "A", "Value": "2"}, {"Key": "b", "Value": "3"}]
    page = iam.list_role_tags(RoleName="tagged", MaxItems=1)
    assert page["Tags"] == [{"Key": "A", "Value": "2"}] and page["IsTruncated"] is True
    assert iam.list_role_tags(RoleName="tagged", Marker=page["Marker"])["Tags"] == [{"Key": "b", "Value": "3"}]
    iam.untag_role(RoleName="tagged", TagKeys=["a", "missing"])
    assert iam.get_role(RoleName="tagged")["Role"]["Tags"] == [{"Key": "b", "Value": "3"}]
    error, status = error_of(iam.tag_role, RoleName="tagged", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert (error["Code"], status) == ("LimitExceeded", 409)
    assert error["Message"] == "The number of tags has reached the maximum limit of 50 for role."
    assert iam.list_role_tags(RoleName="tagged")["Tags"] == [{"Key": "b", "Value": "3"}]
    error, _ = error_of(iam.tag_role, RoleName="nope", Tags=[{"Key": "k", "Value": "v"}])
    assert (error["Code"], error["Message"]) == ("NoSuchEntity", "The role with name nope cannot be found.")


def test_pagination(iam, unchecked_iam):
    for i in range(7):
        make_role(iam, f"role{i}", Path="/odd/" if i % 2 else "/")
    first = iam.list_roles(MaxItems=3)
    assert [r["RoleName"] for r in first["Roles"]] == ["role0", "role1", "role2"] and first["IsTruncated"] is True
    second = iam.list_roles(MaxItems=3, Marker=first["Marker"])
    assert [r["RoleName"] for r in second["Roles"]] == ["role3", "role4", "role5"]
    listed = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 2})
              for r in page["Roles"]]
    assert listed == [f"role{i}" for i in range(7)]
    assert role_names(iam, PathPrefix="/odd/") == ["role1", "role3", "role5"]
    assert error_of(unchecked_iam.list_roles, MaxItems=0)[0]["Code"] == "ValidationError"


def test_authorization(iam, root, user_client):
    account = root.account_id
    make_role(iam, "blue", Tags=[{"Key": "team", "Value": "blue"}])
    make_role(iam, "red", Tags=[{"Key": "team", "Value": "red"}])
    client = user_client("operator", policy=policy(
        allow("iam:GetRole", "iam:ListRoles"),
        allow("iam:UpdateRole", condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}),
        allow("iam:CreateRole", condition={"StringEquals": {"aws:RequestTag/team": "blue"}}),
    ))
    assert role_names(client) == ["blue", "red"]

    client.update_role(RoleName="blue", Description="mine")
    error, status = error_of(client.update_role, RoleName="red", Description="theirs")
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: arn:aws:iam::{account}:user/operator is not authorized to perform: iam:UpdateRole on resource: "
        f"arn:aws:iam::{account}:role/red because no identity-based policy allows the iam:UpdateRole action"
    )
    assert "Description" not in iam.get_role(RoleName="red")["Role"]

    error, _ = error_of(make_role, client, "untagged")
    assert error["Code"] == "AccessDenied" and "role/untagged because" in error["Message"]
    make_role(client, "blue2", Tags=[{"Key": "team", "Value": "blue"}])
    error, _ = error_of(client.delete_role, RoleName="blue2")
    assert "iam:DeleteRole on resource: " in error["Message"]
    assert role_names(iam) == ["blue", "blue2", "red"]


# --- iam:PassRole, asked through the shared authorizer as STS/OIDC will ask it ---

@pytest.fixture
def pass_role_call(app, root):
    """`(user name) -> Call` for an IAM user, without an HTTP request: the shape STS hands to check_pass_role."""
    from idp.authz.principals import Caller, user_principal
    from idp.aws.api import Call
    from idp.iam import users

    def make(name: str) -> Call:
        user = users.get(root.account_id, name)
        return Call("sts", "AssumeRoleWithWebIdentity", {}, Caller(user_principal(user), user_pk=user.id))

    with app.app_context():
        yield make


def test_pass_role(iam, root, pass_role_call):
    from idp.authz.principals import Caller, root_principal
    from idp.aws.api import Call
    from idp.errors import AccessDenied
    from idp.iam.pass_role import check_pass_role

    account = root.account_id
    role_arn = make_role(iam, "worker", Path="/svc/")["Arn"]
    iam.create_user(UserName="deployer")
    iam.put_user_policy(UserName="deployer", PolicyName="pass", PolicyDocument=policy(
        allow("iam:PassRole", resource=f"arn:aws:iam::{account}:role/svc/*", condition={
            "StringEquals": {"iam:PassedToService": "sts.amazonaws.com"},
            "ArnLikeIfExists": {"iam:AssociatedResourceArn": f"arn:aws:iam::{account}:oidc-provider/*"},
        }),
    ))
    call = pass_role_call("deployer")
    assert check_pass_role(call, role_arn, "sts.amazonaws.com").allowed
    assert check_pass_role(call, role_arn, "sts.amazonaws.com",
                           associated_resource=f"arn:aws:iam::{account}:oidc-provider/idp.example").allowed
    # It never stands in for the action's own authorization.
    assert call.authorized is False

    with pytest.raises(AccessDenied) as denied:
        check_pass_role(call, role_arn, "ec2.amazonaws.com")
    assert denied.value.message == (
        f"User: arn:aws:iam::{account}:user/deployer is not authorized to perform: iam:PassRole on resource: "
        f"{role_arn} because no identity-based policy allows the iam:PassRole action"
    )
    with pytest.raises(AccessDenied):
        check_pass_role(call, role_arn, "sts.amazonaws.com", associated_resource="arn:aws:s3:::bucket")
    with pytest.raises(AccessDenied):
        check_pass_role(call, f"arn:aws:iam::{account}:role/other", "sts.amazonaws.com")
    # A role of another account cannot be passed, even when the policy names every account's roles.
    iam.put_user_policy(UserName="deployer", PolicyName="any", PolicyDocument=policy(allow("iam:PassRole")))
    with pytest.raises(AccessDenied):
        check_pass_role(pass_role_call("deployer"), "arn:aws:iam::123456789012:role/svc/worker", "sts.amazonaws.com")

    root_call = Call("sts", "AssumeRole", {}, Caller(root_principal(account)))
    assert check_pass_role(root_call, role_arn, "sts.amazonaws.com").allowed
