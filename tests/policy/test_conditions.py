"""Condition operators, qualifiers and AWS's missing-key rules, table by table."""

from __future__ import annotations

import pytest

from idp.policy import MalformedPolicyDocument
from idp.policy.conditions import parse_condition
from idp.policy.context import ContextKeys

V12 = "2012-10-17"


def holds(block: dict, context: dict, version: str = V12) -> bool:
    return parse_condition(block, version, "Condition").holds(ContextKeys(context))


CASES = [
    # (operator, policy values, request value or None for missing, expected)
    ("StringEquals", "alice", "alice", True),
    ("StringEquals", "alice", "Alice", False),
    ("StringEquals", ["bob", "alice"], "alice", True),
    ("StringEquals", "alice", None, False),
    ("StringNotEquals", "alice", "bob", True),
    ("StringNotEquals", "alice", "alice", False),
    ("StringNotEquals", ["alice", "bob"], "bob", False),
    ("StringNotEquals", "alice", None, True),
    ("StringEqualsIgnoreCase", "ALICE", "alice", True),
    ("StringEqualsIgnoreCase", "alice", "bob", False),
    ("StringNotEqualsIgnoreCase", "ALICE", "alice", False),
    ("StringNotEqualsIgnoreCase", "ALICE", "bob", True),
    ("StringNotEqualsIgnoreCase", "ALICE", None, True),
    ("StringLike", "home/*", "home/alice/x", True),
    ("StringLike", "home/?", "home/ab", False),
    ("StringLike", "home/??", "home/ab", True),
    ("StringLike", "Home/*", "home/a", False),
    ("StringLike", "a.b", "axb", False),
    ("StringLike", "*", None, False),
    ("StringNotLike", "home/*", "tmp/x", True),
    ("StringNotLike", ["tmp/*", "home/*"], "home/x", False),
    ("StringNotLike", "home/*", None, True),
    ("NumericEquals", "10", "10.0", True),
    ("NumericEquals", 10, "11", False),
    ("NumericNotEquals", "10", "11", True),
    ("NumericNotEquals", "10", "10", False),
    ("NumericNotEquals", "10", None, True),
    ("NumericLessThan", "10", "9", True),
    ("NumericLessThan", "10", "10", False),
    ("NumericLessThanEquals", "10", "10", True),
    ("NumericGreaterThan", "10", "10.5", True),
    ("NumericGreaterThan", "10", "abc", False),
    ("NumericGreaterThanEquals", "-1", "-1", True),
    ("NumericLessThan", "10", None, False),
    ("DateEquals", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00+00:00", True),
    ("DateEquals", "1704067200", "2024-01-01T00:00:00Z", True),
    ("DateNotEquals", "2024-01-01", "2024-01-02", True),
    ("DateNotEquals", "2024-01-01", None, True),
    ("DateLessThan", "2024-01-01T00:00:00Z", "2023-12-31T23:59:59Z", True),
    ("DateLessThan", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00+02:00", True),
    ("DateLessThanEquals", "2024-01-01", "2024-01-01T00:00:00Z", True),
    ("DateGreaterThan", "2024-01-01T00:00:00Z", "1704067201", True),
    ("DateGreaterThan", "2024-01-01T00:00:00Z", "not a date", False),
    ("DateGreaterThanEquals", "2024-01-01T00:00:00Z", "2023-01-01T00:00:00Z", False),
    ("DateGreaterThan", "2024-01-01T00:00:00Z", None, False),
    ("Bool", "true", "true", True),
    ("Bool", True, "TRUE", True),
    ("Bool", "false", "true", False),
    ("Bool", "true", None, False),
    ("BinaryEquals", "QmluYXJ5VmFsdWU=", "QmluYXJ5VmFsdWU=", True),
    ("BinaryEquals", "QmluYXJ5VmFsdWU=", "T3RoZXI=", False),
    ("BinaryEquals", "QmluYXJ5VmFsdWU=", "not base64!", False),
    ("IpAddress", "203.0.113.0/24", "203.0.113.7", True),
    ("IpAddress", "203.0.113.0/24", "203.0.114.7", False),
    ("IpAddress", "203.0.113.7", "203.0.113.7", True),
    ("IpAddress", "2001:db8::/32", "2001:db8:1::5", True),
    ("IpAddress", "2001:db8::/32", "203.0.113.7", False),
    ("IpAddress", "203.0.113.0/24", "garbage", False),
    ("IpAddress", "203.0.113.0/24", None, False),
    ("NotIpAddress", ["10.0.0.0/8", "2001:db8::/32"], "192.0.2.1", True),
    ("NotIpAddress", ["10.0.0.0/8", "2001:db8::/32"], "2001:db8::1", False),
    ("NotIpAddress", "10.0.0.0/8", None, True),
    ("ArnEquals", "arn:aws:sns:us-east-1:111111111111:topic", "arn:aws:sns:us-east-1:111111111111:topic", True),
    ("ArnEquals", "arn:aws:sns:*:111111111111:topic", "arn:aws:sns:eu-west-1:111111111111:topic", True),
    ("ArnLike", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", True),
    ("ArnLike", "arn:aws:iam::*:role/*", "arn:aws:iam::111111111111:role/x", True),
    ("ArnLike", "arn:aws:iam::*:role/*", "arn:aws:iam::111111111111:user/x", False),
    ("ArnLike", "arn:aws:iam::1111*:role/x", "arn:aws:iam::111111111111:role/x", True),
    # `*` in a segment does not cross into the next one.
    ("ArnLike", "arn:aws:iam::*:x", "arn:aws:iam::111111111111:a:x", False),
    ("ArnLike", "arn:aws:iam::*:*x", "arn:aws:iam::111111111111:a:x", True),
    ("ArnLike", "arn:aws:iam::*:role/X", "arn:aws:iam::111111111111:role/x", False),
    ("ArnLike", "arn:aws:iam::*:role/x", "not-an-arn", False),
    ("ArnNotEquals", "arn:aws:iam::*:role/x", "arn:aws:iam::111111111111:role/y", True),
    ("ArnNotLike", "arn:aws:iam::*:role/*", "arn:aws:iam::111111111111:role/y", False),
    ("ArnNotLike", "arn:aws:iam::*:role/*", None, True),
]


@pytest.mark.parametrize(("operator", "values", "requested", "expected"), CASES)
def test_operator(operator: str, values: object, requested: str | None, expected: bool) -> None:
    context = {} if requested is None else {"svc:Key": requested}
    assert holds({operator: {"svc:Key": values}}, context) is expected


def test_arn_like_accepts_a_lone_star_and_refuses_a_short_pattern() -> None:
    assert holds({"ArnLike": {"svc:Key": "*"}}, {"svc:Key": "arn:aws:s3:::b"})
    with pytest.raises(MalformedPolicyDocument, match="not an ARN"):
        holds({"ArnLike": {"svc:Key": "arn:aws:*:role/x"}}, {})


@pytest.mark.parametrize(
    ("block", "context", "expected"),
    [
        ({"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
        ({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}, False),
        ({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "x"}, True),
        ({"Null": {"aws:TokenIssueTime": False}}, {}, False),
        ({"Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": []}, True),
        ({"StringEqualsIfExists": {"ec2:InstanceType": "t2.micro"}}, {}, True),
        ({"StringEqualsIfExists": {"ec2:InstanceType": "t2.micro"}}, {"ec2:InstanceType": "m5.large"}, False),
        ({"StringEqualsIfExists": {"ec2:InstanceType": "t2.micro"}}, {"ec2:InstanceType": "t2.micro"}, True),
        ({"NumericLessThanIfExists": {"s3:max-keys": 10}}, {}, True),
        ({"StringNotEqualsIfExists": {"aws:username": "a"}}, {"aws:username": "a"}, False),
        ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, True),
        ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {"aws:MultiFactorAuthPresent": "true"}, False),
        # Key names are case-insensitive; values compare per operator.
        ({"StringEquals": {"AWS:USERNAME": "alice"}}, {"aws:username": "alice"}, True),
        ({"StringEquals": {"aws:username": "alice"}}, {"Aws:UserName": "alice"}, True),
        # AND across keys and operators.
        ({"StringEquals": {"a:x": "1", "a:y": "2"}}, {"a:x": "1", "a:y": "2"}, True),
        ({"StringEquals": {"a:x": "1", "a:y": "2"}}, {"a:x": "1", "a:y": "3"}, False),
        ({"StringEquals": {"a:x": "1"}, "NumericLessThan": {"a:y": "2"}}, {"a:x": "1", "a:y": "3"}, False),
        ({"StringEquals": {"a:x": "1"}, "NumericLessThan": {"a:y": "2"}}, {"a:x": "1", "a:y": "1"}, True),
    ],
)
def test_null_if_exists_and_combination(block: dict, context: dict, expected: bool) -> None:
    assert holds(block, context) is expected


# The IAM User Guide's multivalued-key examples with aws:TagKeys.
TAG_KEYS = "aws:TagKeys"
MULTI = [
    # ForAllValues: every request value is in the policy set; missing/empty is true.
    ("ForAllValues:StringEquals", ["environment", "cost-center"], ["environment"], True),
    ("ForAllValues:StringEquals", ["environment", "cost-center"], ["environment", "cost-center"], True),
    ("ForAllValues:StringEquals", ["environment", "cost-center"], ["environment", "owner"], False),
    ("ForAllValues:StringEquals", ["environment", "cost-center"], None, True),
    ("ForAllValues:StringEquals", ["environment", "cost-center"], [], True),
    ("ForAllValues:StringLike", ["env*"], ["env-a", "env-b"], True),
    # ForAnyValue: at least one request value is in the set; missing is false.
    ("ForAnyValue:StringEquals", ["environment", "cost-center"], ["environment", "owner"], True),
    ("ForAnyValue:StringEquals", ["environment", "cost-center"], ["owner"], False),
    ("ForAnyValue:StringEquals", ["environment", "cost-center"], None, False),
    ("ForAnyValue:StringEquals", ["environment", "cost-center"], [], False),
    ("ForAnyValue:StringEqualsIfExists", ["environment"], None, False),
    # Negated with qualifiers: per request value.
    ("ForAllValues:StringNotEquals", ["secret"], ["a", "b"], True),
    ("ForAllValues:StringNotEquals", ["secret"], ["a", "secret"], False),
    ("ForAllValues:StringNotEquals", ["secret"], None, True),
    ("ForAnyValue:StringNotEquals", ["secret"], ["a", "secret"], True),
    ("ForAnyValue:StringNotEquals", ["secret"], ["secret"], False),
    ("ForAnyValue:StringNotEquals", ["secret"], None, False),
    # Without a qualifier on a multi-valued key: any value (negated: none).
    ("StringEquals", ["environment"], ["owner", "environment"], True),
    ("StringNotEquals", ["environment"], ["owner", "environment"], False),
    ("StringNotEquals", ["environment"], ["owner"], True),
    ("StringEquals", ["environment"], [], False),
    ("ForAnyValue:NumericGreaterThan", ["5"], ["1", "9"], True),
    ("ForAllValues:NumericGreaterThan", ["5"], ["1", "9"], False),
]


@pytest.mark.parametrize(("operator", "values", "requested", "expected"), MULTI)
def test_multivalued_keys(operator: str, values: list, requested: list | None, expected: bool) -> None:
    context = {} if requested is None else {TAG_KEYS: requested}
    assert holds({operator: {TAG_KEYS: values}}, context) is expected
