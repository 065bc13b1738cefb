"""Inline policies through boto3: users, groups, roles, size quotas, AWS's errors, and their effect."""
import json
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def allow(actions, resources="*", effect="Allow"):
    statement = {"Effect": effect, "Action": actions, "Resource": resources}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def sized(characters):
    """A valid document of exactly `characters` non-whitespace characters."""
    base = json.dumps(json.loads(allow("iam:GetUser", "arn:aws:iam::*:user/")), separators=(",", ":"))
    return base.replace("user/", "user/" + "x" * (characters - len(base)))


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def holders(iam):
    """One user, group and role, with their inline-policy calls."""
    iam.create_user(UserName="u")
    iam.create_group(GroupName="g")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    return [
        ("user", "UserName", "u", iam.put_user_policy, iam.get_user_policy, iam.list_user_policies,
         iam.delete_user_policy),
        ("group", "GroupName", "g", iam.put_group_policy, iam.get_group_policy, iam.list_group_policies,
         iam.delete_group_policy),
        ("role", "RoleName", "r", iam.put_role_policy, iam.get_role_policy, iam.list_role_policies,
         iam.delete_role_policy),
    ]


def test_put_get_list_replace_delete(holders):
    for kind, key, name, put, get, list_names, delete in holders:
        put(PolicyName="b", PolicyDocument=allow("iam:GetUser"), **{key: name})
        put(PolicyName="a", PolicyDocument=allow("iam:ListUsers"), **{key: name})
        assert list_names(**{key: name})["PolicyNames"] == ["a", "b"]
        fetched = get(PolicyName="b", **{key: name})
        assert (fetched[key], fetched["PolicyName"]) == (name, "b")
        assert fetched["PolicyDocument"] == json.loads(allow("iam:GetUser"))

        put(PolicyName="b", PolicyDocument=allow("iam:GetGroup"), **{key: name})
        assert get(PolicyName="b", **{key: name})["PolicyDocument"] == json.loads(allow("iam:GetGroup"))
        delete(PolicyName="b", **{key: name})
        assert list_names(**{key: name})["PolicyNames"] == ["a"]
        error, status = error_of(get, PolicyName="b", **{key: name})
        assert (error["Code"], status) == ("NoSuchEntity", 404)
        assert error["Message"] == f"The {kind} policy with name b cannot be found."
        error, _ = error_of(delete, PolicyName="b", **{key: name})
        assert error["Message"] == f"The {kind} policy with name b cannot be found."


def test_missing_holders(iam):
    for call, key, kind in (
        (iam.put_user_policy, "UserName", "user"), (iam.put_group_policy, "GroupName", "group"),
        (iam.put_role_policy, "RoleName", "role"),
    ):
        error, status = error_of(call, PolicyName="p", PolicyDocument=allow("iam:GetUser"), **{key: "ghost"})
        assert (error["Code"], status) == ("NoSuchEntity", 404)
        assert error["Message"] == f"The {kind} with name ghost cannot be found."


def test_size_quota_is_per_holder_and_kind(holders):
    limits = {"user": 2048, "group": 5120, "role": 10240}
    for kind, key, name, put, get, list_names, delete in holders:
        limit = limits[kind]
        put(PolicyName="full", PolicyDocument=sized(limit), **{key: name})
        error, status = error_of(put, PolicyName="more", PolicyDocument=sized(60), **{key: name})
        assert (error["Code"], status) == ("LimitExceeded", 409)
        assert error["Message"] == f"Maximum policy size of {limit} bytes exceeded for {kind} {name}"
        # Replacing a policy counts its new size, not old + new.
        put(PolicyName="full", PolicyDocument=sized(limit - 100), **{key: name})
        error, _ = error_of(put, PolicyName="full", PolicyDocument=sized(limit + 1), **{key: name})
        assert error["Code"] == "LimitExceeded"
        assert list_names(**{key: name})["PolicyNames"] == ["full"]
        stored = get(PolicyName="full", **{key: name})["PolicyDocument"]
        assert len(json.dumps(stored, separators=(",", ":"))) == limit - 100


@pytest.mark.parametrize(
    "document, message",
    [
        ("[]", "Syntax errors in policy. (the policy document must be a JSON object)"),
        (allow("iam:GetUser").replace('"Resource"', '"Resources"'),
         "Syntax errors in policy. (Statement[0].Resources: unknown element 'Resources')"),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser"}]}),
         "Policy statement must contain resources. (Statement[0]: the statement has no Resource or NotResource)"),
    ],
)
def test_malformed_documents_are_refused_and_store_nothing(iam, document, message):
    iam.create_user(UserName="u")
    error, status = error_of(iam.put_user_policy, UserName="u", PolicyName="p", PolicyDocument=document)
    assert (error["Code"], status, error["Message"]) == ("MalformedPolicyDocument", 400, message)
    assert iam.list_user_policies(UserName="u")["PolicyNames"] == []


def test_url_encoded_documents_and_pagination(iam):
    iam.create_user(UserName="u")
    for i in range(5):
        iam.put_user_policy(UserName="u", PolicyName=f"p{i}", PolicyDocument=quote(allow(f"iam:Get{i}"), safe=""))
    assert iam.get_user_policy(UserName="u", PolicyName="p3")["PolicyDocument"] == json.loads(allow("iam:Get3"))
    first = iam.list_user_policies(UserName="u", MaxItems=2)
    assert first["PolicyNames"] == ["p0", "p1"] and first["IsTruncated"] is True
    second = iam.list_user_policies(UserName="u", MaxItems=2, Marker=first["Marker"])
    third = iam.list_user_policies(UserName="u", Marker=second["Marker"])
    assert second["PolicyNames"] + third["PolicyNames"] == ["p2", "p3", "p4"] and third["IsTruncated"] is False


def test_a_user_allowed_get_user_on_itself_only(iam, user_client, root):
    me = f"arn:aws:iam::{root.account_id}:user/self"
    client = user_client("self", policy=allow("iam:GetUser", me))
    iam.create_user(UserName="other")
    assert client.get_user(UserName="self")["User"]["Arn"] == me
    error, status = error_of(client.get_user, UserName="other")
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: {me} is not authorized to perform: iam:GetUser on resource: "
        f"arn:aws:iam::{root.account_id}:user/other because no identity-based policy allows the iam:GetUser action"
    )
    error, _ = error_of(client.put_user_policy, UserName="self", PolicyName="more", PolicyDocument=allow("*"))
    assert error["Code"] == "AccessDenied"
    assert iam.list_user_policies(UserName="self")["PolicyNames"] == ["inline"]


def test_policy_variables_through_the_api(iam, user_client, root):
    document = allow(["iam:GetUser", "iam:ListUserPolicies"], "arn:aws:iam::*:user/${aws:username}")
    alice, bob = user_client("alice", policy=document), user_client("bob", policy=document)
    assert alice.list_user_policies(UserName="alice")["PolicyNames"] == ["inline"]
    assert bob.get_user(UserName="bob")["User"]["UserName"] == "bob"
    error, _ = error_of(alice.get_user, UserName="bob")
    assert error["Code"] == "AccessDenied"
    assert f"on resource: arn:aws:iam::{root.account_id}:user/bob because" in error["Message"]


def test_deleting_an_inline_policy_revokes_at_once(iam, user_client):
    client = user_client("temp", policy=allow("iam:ListUsers"))
    assert client.list_users()["Users"]
    iam.delete_user_policy(UserName="temp", PolicyName="inline")
    assert error_of(client.list_users)[0]["Code"] == "AccessDenied"
