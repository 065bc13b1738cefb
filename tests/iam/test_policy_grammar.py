"""IAM's policy grammar at the API, both ways, and AWS's own resources kept read-only, through real boto3."""
import json

import pytest
from botocore.exceptions import ClientError

V = "2012-10-17"
ADMIN = json.dumps({"Version": V, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def document(*statements: dict, version: str | None = V) -> str:
    return json.dumps({**({"Version": version} if version else {}), "Statement": list(statements)})


def refusal(call, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    error = caught.value.response["Error"]
    assert error["Code"] == "MalformedPolicyDocument"
    return error["Message"]


def test_iam_stores_what_it_accepts_and_refuses_the_rest_in_its_words(iam):
    odd = {"Effect": "Allow", "Action": ["s3: GetObject", "iam:", "iam:Get,List", "a.b:c.d"],
           "Resource": ["arn:aws:xyz", None], "Condition": {"StringEquals": {}, "Bool": {"flag": []}}}
    arn = iam.create_policy(PolicyName="odd", PolicyDocument=document(odd))["Policy"]["Arn"]
    stored = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert stored["Statement"][0]["Action"] == odd["Action"]

    allow = {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}
    for version in (None, "2008-10-17"):
        message = refusal(iam.create_policy, PolicyName="old", PolicyDocument=document(allow, version=version))
        assert message.startswith("Policy document must be version 2012-10-17 or greater.")
        message = refusal(iam.create_policy_version, PolicyArn=arn, PolicyDocument=document(allow, version=version))
        assert message.startswith("Policy document must be version 2012-10-17 or greater.")
    # An inline policy may still leave Version out (2008-10-17 semantics).
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="legacy", PolicyDocument=document(allow, version=None))

    regional = {**allow, "Resource": "arn:aws:iam:us-east-1:123456789012:user/x"}
    assert refusal(iam.create_policy, PolicyName="r", PolicyDocument=document(regional)) == (
        "IAM resource arn:aws:iam:us-east-1:123456789012:user/x cannot contain region information. "
        "(Statement[0].Resource)")
    trust = {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "s3:GetObject"}
    assert refusal(iam.create_role, RoleName="r", AssumeRolePolicyDocument=document(trust)).startswith(
        "AssumeRole policy may only specify STS AssumeRole actions. (Statement[0].Action")
    names = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert names == ["odd"] and iam.list_roles()["Roles"] == []
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v1"]


def test_an_action_iam_stores_but_cannot_match_allows_nothing(iam, user_client):
    caller = user_client("odd", policy=document({"Effect": "Allow", "Action": ["iam: ListUsers", "iam:"], "Resource": "*"}))
    with pytest.raises(ClientError) as caught:
        caller.list_users()
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    # As NotAction it names nothing, so the statement covers every request.
    iam.put_user_policy(UserName="odd", PolicyName="inline",
                        PolicyDocument=document({"Effect": "Allow", "NotAction": "iam: ListUsers", "Resource": "*"}))
    assert "odd" in [user["UserName"] for user in caller.list_users()["Users"]]


def test_aws_managed_policies_and_reserved_roles_are_read_only_even_for_an_administrator(iam, user_client):
    admin = user_client("admin", policy=ADMIN)
    account = iam.get_user(UserName="admin")["User"]["Arn"].split(":")[4]
    cases = [
        ("iam:DeletePolicy", "arn:aws:iam::aws:policy/AdministratorAccess", "AWS managed policies cannot be changed"),
        ("iam:DeleteRole", f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/R", "/aws-reserved/"),
        ("iam:AttachRolePolicy", f"arn:aws:iam::{account}:role/aws-service-role/x.amazonaws.com/R", "service-linked"),
        ("iam:DeleteRole", f"arn:aws:iam::{account}:role/ordinary", None),
    ]
    for action, resource, why in cases:
        (result,) = admin.simulate_custom_policy(
            PolicyInputList=[ADMIN], ActionNames=[action], ResourceArns=[resource])["EvaluationResults"]
        assert result["EvalDecision"] == ("allowed" if why is None else "implicitDeny"), (action, resource)
    with pytest.raises(ClientError) as caught:
        admin.create_policy_version(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess", PolicyDocument=ADMIN)
    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDenied" and "AWS managed policies cannot be changed" in error["Message"]
