"""Helpers for the IAM API: context keys referenced, statements matching a request."""

from __future__ import annotations

from idp.policy import Effect, PolicySet, PolicyType, context_keys, matching_statements
from tests.policy.builders import policy, request, resource_policy, statement, user


def test_context_keys_lists_condition_and_variable_keys_once() -> None:
    first = policy(
        statement(resource="arn:aws:s3:::b/${aws:username}/*", Condition={"StringEquals": {"aws:SourceVpc": "v", "s3:prefix": "${aws:userid}"}}),
        statement(Condition={"IpAddress": {"AWS:SOURCEVPC": "10.0.0.0/8"}, "Null": {"aws:TokenIssueTime": "true"}}),
    )
    second = policy(statement(Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}}))
    assert context_keys([first, second]) == (
        "aws:SourceVpc",
        "aws:TagKeys",
        "aws:TokenIssueTime",
        "aws:userid",
        "aws:username",
        "s3:prefix",
    )


def test_context_keys_ignores_variables_under_2008() -> None:
    legacy = policy(statement(resource="arn:aws:s3:::b/${aws:username}"), version=None)
    assert context_keys([legacy]) == ()


def test_matching_statements_reports_every_applicable_statement_with_its_source() -> None:
    alice = user()
    identity = policy(
        statement(action="s3:*", Sid="All"),
        statement("Deny", action="s3:Delete*", Sid="NoDelete"),
        statement(action="ec2:*", Sid="Ec2"),
        id="arn:aws:iam::111111111111:policy/P",
    )
    bucket = resource_policy(statement(action="s3:Get*", resource="arn:aws:s3:::b/*", Principal={"AWS": alice.arn}, Sid="Read"), id="bucket")
    policies = PolicySet(identity=[identity], resource=[bucket])
    get = matching_statements(request(alice, "s3:GetObject", "arn:aws:s3:::b/k"), policies)
    assert {(ref.policy_id, ref.policy_type, ref.sid, ref.effect) for ref in get} == {
        ("arn:aws:iam::111111111111:policy/P", PolicyType.IDENTITY, "All", Effect.ALLOW),
        ("bucket", PolicyType.RESOURCE, "Read", Effect.ALLOW),
    }
    delete = matching_statements(request(alice, "s3:DeleteObject", "arn:aws:s3:::b/k"), policies)
    assert {ref.sid for ref in delete} == {"All", "NoDelete"}
