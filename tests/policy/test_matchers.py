"""Action and resource matching: case rules, wildcards, ARN segments."""

from __future__ import annotations

import pytest

from tests.policy.builders import decide, request, statement, user

ALICE = user()


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("s3:getobject", "S3:GETOBJECT", True),
        ("s3:Get*", "s3:GetObjectAcl", True),
        ("s3:Get*", "s3:PutObject", False),
        ("s3:*Object", "s3:PutObject", True),
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:Get?bject", "s3:GetOObject", False),
        ("*", "iam:CreateUser", True),
        ("*:Get*", "ec2:GetConsoleOutput", True),
        ("s3*:Get*", "s3express:GetObject", True),
        ("s3:*", "s3express:GetObject", False),
        ("iam:*", "sts:AssumeRole", False),
        (["ec2:Describe*", "s3:List*"], "s3:ListBucket", True),
    ],
)
def test_action_patterns(pattern: object, action: str, expected: bool) -> None:
    assert decide([statement(action=pattern)], request(ALICE, action)).allowed is expected


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("*", "arn:aws:s3:::b/k", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::B/a", False),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b", False),
        ("arn:aws:s3:::b*", "arn:aws:s3:::b/x:y", True),
        ("arn:aws:iam::111111111111:user/*", "arn:aws:iam::111111111111:user/a/b", True),
        ("arn:aws:iam::111111111111:user/*", "arn:aws:iam::222222222222:user/a", False),
        ("arn:aws:iam::*:user/alice", "arn:aws:iam::222222222222:user/alice", True),
        ("arn:aws:iam::1111????????:user/alice", "arn:aws:iam::111122223333:user/alice", True),
        ("arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:us-east-1:111111111111:instance/i-1", True),
        # A wildcard stays within its segment: the region `*` cannot eat the account
        # (IAM stores such a short ARN; it matches nothing).
        ("arn:aws:ec2:*:instance/*", "arn:aws:ec2:us-east-1:111111111111:instance/i-1", False),
        ("arn:aws:ec2:us-*:*:instance/*", "arn:aws:ec2:eu-west-1:111111111111:instance/i-1", False),
        # IAM refuses another partition than the account's (or `*`), wildcards included.
        ("arn:aws*:s3:::b", "arn:aws-cn:s3:::b", None),
        ("arn:*:s3:::b", "arn:aws:s3:::b", True),
        ("arn:aws:s3:::b/?", "arn:aws:s3:::b/xy", False),
        (["arn:aws:s3:::a", "arn:aws:s3:::b/*"], "arn:aws:s3:::b/1", True),
        ("arn:aws:logs:*:*:log-group:app:*", "arn:aws:logs:us-east-1:111111111111:log-group:app:log-stream:x", True),
    ],
)
def test_resource_patterns(pattern: object, resource: str, expected: bool | None) -> None:
    if expected is None:
        from idp.policy import MalformedPolicyDocument

        with pytest.raises(MalformedPolicyDocument):
            decide([statement(resource=pattern)], request(ALICE, "ec2:RunInstances", resource))
        return
    # Same-account view of the resource: only the pattern is under test here.
    req = request(ALICE, "s3:GetObject", resource, resource_account=ALICE.account)
    assert decide([statement(resource=pattern)], req).allowed is expected


def test_not_action_applies_to_everything_else() -> None:
    statements = [statement(action=["iam:*", "sts:*"], not_action=True)]
    assert decide(statements, request(ALICE, "s3:GetObject")).allowed
    assert not decide(statements, request(ALICE, "IAM:CreateUser")).allowed


def test_not_resource_applies_to_everything_else() -> None:
    statements = [statement(resource="arn:aws:s3:::secret/*", not_resource=True)]
    assert decide(statements, request(ALICE, "s3:GetObject", "arn:aws:s3:::public/x")).allowed
    assert not decide(statements, request(ALICE, "s3:GetObject", "arn:aws:s3:::secret/x")).allowed


def test_deny_with_not_action_denies_all_but_the_listed_actions() -> None:
    statements = [
        statement(),
        statement("Deny", action="iam:ChangePassword", not_action=True, Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
    ]
    without_mfa = {"aws:MultiFactorAuthPresent": "false"}
    assert decide(statements, request(ALICE, "iam:ChangePassword", "*", without_mfa)).allowed
    assert not decide(statements, request(ALICE, "s3:ListBucket", "*", without_mfa)).allowed
    assert decide(statements, request(ALICE, "s3:ListBucket", "*", {"aws:MultiFactorAuthPresent": "true"})).allowed
