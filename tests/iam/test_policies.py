"""Managed policies and their versions through boto3: CRUD, AWS's errors, lists, AWS-managed policies, effect."""
import json
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

AWS_MANAGED = [
    "AdministratorAccess", "IAMFullAccess", "IAMReadOnlyAccess", "IAMUserChangePassword", "PowerUserAccess",
    "ReadOnlyAccess",
]


def allow(actions, resources="*", effect="Allow"):
    statement = {"Effect": effect, "Action": actions, "Resource": resources}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def local_names(iam):
    return [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]


def test_create_get_list_delete(iam, root):
    created = iam.create_policy(
        PolicyName="readers", Path="/team/", PolicyDocument=allow("iam:Get*"), Description="Read things",
        Tags=[{"Key": "team", "Value": "blue"}],
    )["Policy"]
    policy_arn = f"arn:aws:iam::{root.account_id}:policy/team/readers"
    assert created["Arn"] == policy_arn
    assert created["PolicyId"].startswith("ANPA") and len(created["PolicyId"]) == 21
    assert (created["DefaultVersionId"], created["AttachmentCount"], created["PermissionsBoundaryUsageCount"]) == (
        "v1", 0, 0,
    )
    assert created["IsAttachable"] is True and created["Tags"] == [{"Key": "team", "Value": "blue"}]

    fetched = iam.get_policy(PolicyArn=policy_arn)["Policy"]
    assert fetched["Description"] == "Read things" and fetched["CreateDate"] == created["CreateDate"]
    assert fetched["UpdateDate"] == created["CreateDate"]
    version = iam.get_policy_version(PolicyArn=policy_arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == json.loads(allow("iam:Get*")) and version["IsDefaultVersion"] is True

    listed = iam.list_policies(Scope="Local")["Policies"]
    assert [p["Arn"] for p in listed] == [policy_arn]
    assert "Description" not in listed[0] and "Tags" not in listed[0]

    iam.delete_policy(PolicyArn=policy_arn)
    error, status = error_of(iam.get_policy, PolicyArn=policy_arn)
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == f"Policy {policy_arn} was not found."


def test_duplicate_names_differ_only_in_case(iam):
    iam.create_policy(PolicyName="Ops", PolicyDocument=allow("iam:Get*"))
    error, status = error_of(iam.create_policy, PolicyName="OPS", Path="/other/", PolicyDocument=allow("iam:Get*"))
    assert (error["Code"], status) == ("EntityAlreadyExists", 409)
    assert error["Message"] == "A policy called OPS already exists. Duplicate names are not allowed."
    # An AWS-managed policy's name is not taken in the account.
    iam.create_policy(PolicyName="AdministratorAccess", PolicyDocument=allow("iam:Get*"))


BAD_INPUT = [
    ({"PolicyDocument": "{not json"}, "MalformedPolicyDocument",
     "Syntax errors in policy. (invalid JSON, Expecting property name enclosed in double quotes at line 1 column 2)"),
    ({"PolicyDocument": allow("iam:GetUser").replace('"Effect": "Allow"', '"Effect": "Permit"')},
     "MalformedPolicyDocument", "Syntax errors in policy. (Statement[0].Effect: Effect must be Allow or Deny, got 'Permit')"),
    ({"PolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*", "Principal": "*"}]})},
     "MalformedPolicyDocument",
     "Policy document should not specify a principal. (Statement[0].Principal: Principal in a managed policy)"),
    ({"PolicyDocument": allow([f"iam:Get{'x' * 60}{i}" for i in range(100)])}, "LimitExceeded",
     "Cannot exceed quota for PolicySize: 6144"),
    ({"PolicyName": "has space"}, "ValidationError", None),
    ({"Path": "/no-trailing-slash"}, "ValidationError", None),
    ({"Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]}, "InvalidInput",
     "Duplicate tag keys found. Please note that Tag keys are case insensitive."),
]


def test_bad_input_is_refused_and_creates_nothing(iam):
    # One server for every case: each refusal must leave the account without policies.
    for kwargs, code, message in BAD_INPUT:
        error, _ = error_of(iam.create_policy, **{"PolicyName": "p", "PolicyDocument": allow("iam:GetUser"), **kwargs})
        assert error["Code"] == code, kwargs
        if message is not None:
            assert error["Message"] == message
        assert local_names(iam) == []


def test_url_encoded_documents_are_accepted_and_returned_as_sent(iam):
    document = allow("iam:ListUsers")
    policy = iam.create_policy(PolicyName="encoded", PolicyDocument=quote(document, safe=""))["Policy"]
    stored = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]["Document"]
    assert stored == json.loads(document)


def test_list_policies_scope_path_and_pagination(iam):
    for name, path in (("a1", "/x/"), ("a2", "/x/y/"), ("a3", "/z/")):
        iam.create_policy(PolicyName=name, Path=path, PolicyDocument=allow("iam:Get*"))
    aws = iam.list_policies(Scope="AWS")["Policies"]
    assert [p["PolicyName"] for p in aws] == AWS_MANAGED
    assert all(p["Arn"] == f"arn:aws:iam::aws:policy/{p['PolicyName']}" for p in aws)
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local", PathPrefix="/x/")["Policies"]] == ["a1", "a2"]

    first = iam.list_policies(MaxItems=4)
    assert len(first["Policies"]) == 4 and first["IsTruncated"] is True
    rest = iam.list_policies(Marker=first["Marker"])
    names = [p["PolicyName"] for p in first["Policies"] + rest["Policies"]]
    assert sorted(names, key=str.lower) == names and len(names) == 9 and rest["IsTruncated"] is False
    assert iam.list_policies(OnlyAttached=True)["Policies"] == []

    error, _ = error_of(iam.list_policies, Scope="Mine")
    assert error["Code"] == "ValidationError"
    assert "Member must satisfy enum value set: [All, AWS, Local]" in error["Message"]


def test_versions_lifecycle_and_limits(iam):
    policy_arn = iam.create_policy(PolicyName="v", PolicyDocument=allow("iam:GetUser"))["Policy"]["Arn"]
    for n in range(2, 6):
        made = iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=allow(f"iam:Get{n}"))["PolicyVersion"]
        assert (made["VersionId"], made["IsDefaultVersion"]) == (f"v{n}", False) and "Document" not in made
    error, status = error_of(iam.create_policy_version, PolicyArn=policy_arn, PolicyDocument=allow("iam:X"))
    assert (error["Code"], status) == ("LimitExceeded", 409)
    assert error["Message"] == (
        "A managed policy can have up to 5 versions. "
        "Before you create a new version, you must delete an existing version."
    )
    listed = iam.list_policy_versions(PolicyArn=policy_arn)["Versions"]
    assert [v["VersionId"] for v in listed] == ["v5", "v4", "v3", "v2", "v1"]
    assert [v["IsDefaultVersion"] for v in listed] == [False] * 4 + [True]

    error, _ = error_of(iam.delete_policy_version, PolicyArn=policy_arn, VersionId="v1")
    assert (error["Code"], error["Message"]) == ("DeleteConflict", "Cannot delete the default version of a policy.")
    iam.set_default_policy_version(PolicyArn=policy_arn, VersionId="v3")
    policy = iam.get_policy(PolicyArn=policy_arn)["Policy"]
    assert policy["DefaultVersionId"] == "v3" and policy["UpdateDate"] >= policy["CreateDate"]
    assert iam.get_policy_version(PolicyArn=policy_arn, VersionId="v1")["PolicyVersion"]["IsDefaultVersion"] is False

    iam.delete_policy_version(PolicyArn=policy_arn, VersionId="v2")
    made = iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=allow("iam:X"), SetAsDefault=True)
    assert made["PolicyVersion"]["VersionId"] == "v6"  # v2 is never handed out again
    assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"] == "v6"

    error, status = error_of(iam.get_policy_version, PolicyArn=policy_arn, VersionId="v2")
    assert (error["Code"], status) == ("NoSuchEntity", 404)
    assert error["Message"] == f"Policy {policy_arn} version v2 does not exist or is not attachable."
    error, _ = error_of(iam.set_default_policy_version, PolicyArn=policy_arn, VersionId="v9")
    assert error["Code"] == "NoSuchEntity"
    assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"] == "v6"


def test_delete_policy_conflicts(iam, root):
    policy_arn = iam.create_policy(PolicyName="busy", PolicyDocument=allow("iam:GetUser"))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=allow("iam:ListUsers"))
    error, status = error_of(iam.delete_policy, PolicyArn=policy_arn)
    assert (error["Code"], status) == ("DeleteConflict", 409)
    assert error["Message"] == (
        "This policy has more than one version. Before you delete a policy, you must delete the policy's "
        "versions. The default version is deleted with the policy."
    )
    iam.delete_policy_version(PolicyArn=policy_arn, VersionId="v2")

    iam.create_user(UserName="attached")
    iam.attach_user_policy(UserName="attached", PolicyArn=policy_arn)
    error, _ = error_of(iam.delete_policy, PolicyArn=policy_arn)
    assert (error["Code"], error["Message"]) == ("DeleteConflict", "Cannot delete a policy attached to entities.")
    iam.detach_user_policy(UserName="attached", PolicyArn=policy_arn)

    iam.create_user(UserName="bounded", PermissionsBoundary=policy_arn)
    error, _ = error_of(iam.delete_policy, PolicyArn=policy_arn)
    assert (error["Code"], error["Message"]) == ("DeleteConflict", "Cannot delete a policy attached to entities.")
    assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    iam.delete_user(UserName="bounded")
    iam.delete_policy(PolicyArn=policy_arn)
    assert local_names(iam) == []


def test_policy_tags(iam):
    policy_arn = iam.create_policy(
        PolicyName="tagged", PolicyDocument=allow("iam:GetUser"), Tags=[{"Key": "a", "Value": "1"}]
    )["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=policy_arn, Tags=[{"Key": "A", "Value": "2"}, {"Key": "b", "Value": "3"}])
    assert iam.list_policy_tags(PolicyArn=policy_arn)["Tags"] == [
        {"Key": "A", "Value": "2"}, {"Key": "b", "Value": "3"},
    ]
    iam.untag_policy(PolicyArn=policy_arn, TagKeys=["a", "missing"])
    assert iam.list_policy_tags(PolicyArn=policy_arn)["Tags"] == [{"Key": "b", "Value": "3"}]
    error, _ = error_of(iam.tag_policy, PolicyArn=policy_arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error["Code"] == "LimitExceeded"
    assert iam.list_policy_tags(PolicyArn=policy_arn)["Tags"] == [{"Key": "b", "Value": "3"}]


def test_aws_managed_policies_cannot_be_changed(iam):
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    for call, kwargs in (
        (iam.delete_policy, {}),
        (iam.create_policy_version, {"PolicyDocument": allow("*")}),
        (iam.set_default_policy_version, {"VersionId": "v1"}),
        (iam.tag_policy, {"Tags": [{"Key": "a", "Value": "b"}]}),
    ):
        error, status = error_of(call, PolicyArn=admin, **kwargs)
        assert (error["Code"], status) == ("AccessDenied", 403)
    assert [p["PolicyName"] for p in iam.list_policies(Scope="AWS")["Policies"]] == AWS_MANAGED


def test_aws_managed_policies_are_readable(iam):
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]
    assert (policy["Path"], policy["DefaultVersionId"], policy["AttachmentCount"]) == ("/", "v1", 0)
    document = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]["Document"]
    assert "iam:Get*" in document["Statement"][0]["Action"]
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=policy["Arn"])["Versions"]] == ["v1"]


def test_seeding_aws_managed_policies_is_idempotent(app, iam):
    from idp.bootstrap import bootstrap

    before = iam.list_policies(Scope="AWS")["Policies"]
    bootstrap(app)
    assert iam.list_policies(Scope="AWS")["Policies"] == before


def test_aws_managed_usage_is_counted_per_account(iam, root):
    iam.create_user(UserName="u")
    iam.attach_user_policy(UserName="u", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")["Policy"]["AttachmentCount"] == 1
    attached = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert [p["PolicyName"] for p in attached] == ["IAMReadOnlyAccess"]
    users = iam.list_entities_for_policy(PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")["PolicyUsers"]
    assert [u["UserName"] for u in users] == ["u"]


def test_a_user_may_only_do_what_its_policy_allows(user_client, root):
    client = user_client("reader", policy=allow(["iam:GetPolicy", "iam:ListPolicies"]))
    assert len(client.list_policies(Scope="AWS")["Policies"]) == len(AWS_MANAGED)
    error, status = error_of(client.create_policy, PolicyName="p", PolicyDocument=allow("*"))
    assert (error["Code"], status) == ("AccessDenied", 403)
    assert error["Message"] == (
        f"User: arn:aws:iam::{root.account_id}:user/reader is not authorized to perform: iam:CreatePolicy on "
        f"resource: arn:aws:iam::{root.account_id}:policy/p because no identity-based policy allows the "
        "iam:CreatePolicy action"
    )


def test_a_narrower_default_version_takes_effect_on_the_next_request(iam, user_client, root):
    policy_arn = iam.create_policy(
        PolicyName="grant", PolicyDocument=allow(["iam:ListUsers", "iam:ListPolicies"])
    )["Policy"]["Arn"]
    client = user_client("worker")
    iam.attach_user_policy(UserName="worker", PolicyArn=policy_arn)
    assert client.list_users()["Users"]
    iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=allow("iam:ListPolicies"), SetAsDefault=True)
    error, _ = error_of(client.list_users)
    assert error["Code"] == "AccessDenied"
    assert error["Message"].endswith("because no identity-based policy allows the iam:ListUsers action")
    iam.set_default_policy_version(PolicyArn=policy_arn, VersionId="v1")
    assert client.list_users()["Users"]


def test_version_ids_are_never_reused(iam):
    arn = iam.create_policy(PolicyName="counted", PolicyDocument=allow("iam:GetUser"))["Policy"]["Arn"]
    second = iam.create_policy_version(PolicyArn=arn, PolicyDocument=allow("iam:ListUsers"))["PolicyVersion"]
    assert second["VersionId"] == "v2"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    third = iam.create_policy_version(PolicyArn=arn, PolicyDocument=allow("iam:ListGroups"))["PolicyVersion"]
    assert third["VersionId"] == "v3"
