"""The policy simulator through boto3: the same engine that decides every real request."""
import json

import pytest
from botocore.exceptions import ClientError

READ_BUCKET = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::notes/*"},
    {"Sid": "FromOffice", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
     "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
]})


def results(response):
    return {(r["EvalActionName"], r["EvalResourceName"]): r for r in response["EvaluationResults"]}


def test_custom_policy_allow_implicit_and_explicit_deny(iam):
    office = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.9"], "ContextKeyType": "ip"}]
    response = iam.simulate_custom_policy(
        PolicyInputList=[READ_BUCKET], ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=["arn:aws:s3:::notes/a.txt"], ContextEntries=office,
    )
    by_action = results(response)
    allowed = by_action[("s3:GetObject", "arn:aws:s3:::notes/a.txt")]
    assert allowed["EvalDecision"] == "allowed"
    assert allowed["MatchedStatements"] == [{"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "IAM Policy"}]
    assert by_action[("s3:PutObject", "arn:aws:s3:::notes/a.txt")]["EvalDecision"] == "implicitDeny"

    elsewhere = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["198.51.100.1"], "ContextKeyType": "ip"}]
    denied = iam.simulate_custom_policy(PolicyInputList=[READ_BUCKET], ActionNames=["s3:GetObject"],
                                        ResourceArns=["arn:aws:s3:::notes/a.txt"], ContextEntries=elsewhere)
    assert denied["EvaluationResults"][0]["EvalDecision"] == "explicitDeny"


def test_missing_context_values_are_reported(iam):
    response = iam.simulate_custom_policy(PolicyInputList=[READ_BUCKET], ActionNames=["s3:GetObject"],
                                          ResourceArns=["arn:aws:s3:::notes/a.txt"])
    result = response["EvaluationResults"][0]
    # NotIpAddress on a missing key is true: the deny applies, as AWS evaluates it.
    assert result["EvalDecision"] == "explicitDeny"
    assert result["MissingContextValues"] == ["aws:SourceIp"]


def test_boundary_input_limits_the_result(iam):
    boundary = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})
    response = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})],
        PermissionsBoundaryPolicyInputList=[boundary], ActionNames=["s3:GetObject", "s3:ListBucket"],
    )
    decisions = {r["EvalActionName"]: r for r in response["EvaluationResults"]}
    assert decisions["s3:GetObject"]["EvalDecision"] == "implicitDeny"
    assert decisions["s3:GetObject"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    assert decisions["s3:ListBucket"]["EvalDecision"] == "allowed"


def test_context_keys_for_custom_policy(iam):
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[READ_BUCKET])["ContextKeyNames"]
    assert keys == ["aws:SourceIp"]


@pytest.mark.parametrize("document, fragment", [
    ("{not json", "JSON"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}),
     "Effect"),
])
def test_malformed_input_policies_are_refused(iam, document, fragment):
    with pytest.raises(ClientError) as caught:
        iam.simulate_custom_policy(PolicyInputList=[document], ActionNames=["s3:GetObject"])
    error = caught.value.response["Error"]
    assert error["Code"] == "MalformedPolicyDocument" and fragment in error["Message"]


def test_simulating_a_principal_that_does_not_exist(iam, root):
    with pytest.raises(ClientError) as caught:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{root.account_id}:user/ghost",
                                      ActionNames=["iam:GetUser"])
    assert caught.value.response["Error"]["Code"] == "NoSuchEntity"
