"""Policy variables in Resource and Condition values."""

from __future__ import annotations

import pytest

from idp.policy import evaluate, PolicySet
from tests.policy.builders import decide, policy, request, session, statement, user

BUCKET = "arn:aws:s3:::home"


def allowed(resource_pattern: str, resource: str, principal=None, context=None, version="2012-10-17") -> bool:
    doc = policy(statement(action="s3:GetObject", resource=resource_pattern), version=version)
    req = request(principal or user("alice", tags={"team": "data"}), "s3:GetObject", resource, context)
    return evaluate(req, PolicySet(identity=[doc])).allowed


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        (f"{BUCKET}/${{aws:username}}/*", f"{BUCKET}/alice/x", True),
        (f"{BUCKET}/${{aws:username}}/*", f"{BUCKET}/bob/x", False),
        (f"{BUCKET}/${{AWS:UserName}}/*", f"{BUCKET}/alice/x", True),
        (f"{BUCKET}/${{aws:userid}}/*", f"{BUCKET}/AIDAALICE00000000000/x", True),
        (f"{BUCKET}/${{aws:PrincipalTag/team}}/*", f"{BUCKET}/data/x", True),
        (f"{BUCKET}/${{aws:PrincipalTag/missing}}/*", f"{BUCKET}/data/x", False),
        (f"{BUCKET}/${{aws:PrincipalTag/missing, 'shared'}}/*", f"{BUCKET}/shared/x", True),
        (f"{BUCKET}/${{aws:PrincipalTag/missing,'shared'}}/*", f"{BUCKET}/shared/x", True),
        (f"{BUCKET}/${{aws:PrincipalTag/team, 'shared'}}/*", f"{BUCKET}/shared/x", False),
        # Escapes are literal even where wildcards would match.
        (f"{BUCKET}/${{*}}", f"{BUCKET}/*", True),
        (f"{BUCKET}/${{*}}", f"{BUCKET}/abc", False),
        (f"{BUCKET}/a${{?}}", f"{BUCKET}/a?", True),
        (f"{BUCKET}/a${{?}}", f"{BUCKET}/ab", False),
        (f"{BUCKET}/${{$}}x", f"{BUCKET}/$x", True),
    ],
)
def test_variables_in_resource(pattern: str, resource: str, expected: bool) -> None:
    assert allowed(pattern, resource) is expected


def test_source_identity_and_any_context_key() -> None:
    pattern = f"{BUCKET}/${{aws:SourceIdentity}}/${{s3:prefix}}"
    context = {"aws:SourceIdentity": "carol", "s3:prefix": "reports"}
    assert allowed(pattern, f"{BUCKET}/carol/reports", session(), context)
    assert not allowed(pattern, f"{BUCKET}/carol/reports", session(), {"aws:SourceIdentity": "carol"})


def test_variables_are_literal_under_2008_version() -> None:
    pattern = f"{BUCKET}/${{aws:username}}/*"
    assert not allowed(pattern, f"{BUCKET}/alice/x", version="2008-10-17")
    assert allowed(pattern, f"{BUCKET}/${{aws:username}}/x", version="2008-10-17")
    assert not allowed(pattern, f"{BUCKET}/alice/x", version=None)


def test_substituted_values_are_literal_not_wildcards() -> None:
    # A context value of "*" must not turn the pattern into a wildcard.
    pattern = f"{BUCKET}/${{s3:prefix}}"
    assert not allowed(pattern, f"{BUCKET}/anything", context={"s3:prefix": "*"})
    assert allowed(pattern, f"{BUCKET}/*", context={"s3:prefix": "*"})


def test_multivalued_key_cannot_be_a_variable() -> None:
    pattern = f"{BUCKET}/${{aws:TagKeys}}"
    assert not allowed(pattern, f"{BUCKET}/a", context={"aws:TagKeys": ["a"]})
    assert allowed(f"{BUCKET}/${{aws:TagKeys, 'none'}}", f"{BUCKET}/none", context={"aws:TagKeys": ["a"]})


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"StringEquals": {"s3:prefix": "home/${aws:username}"}}, {"s3:prefix": "home/alice"}, True),
        ({"StringEquals": {"s3:prefix": "home/${aws:username}"}}, {"s3:prefix": "home/bob"}, False),
        ({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}, {"s3:prefix": "home/alice/a/b"}, True),
        ({"StringLike": {"s3:prefix": "${*}${aws:username}"}}, {"s3:prefix": "*alice"}, True),
        ({"StringLike": {"s3:prefix": "${*}${aws:username}"}}, {"s3:prefix": "xalice"}, False),
        ({"StringEquals": {"s3:prefix": "${aws:PrincipalTag/none}"}}, {"s3:prefix": ""}, False),
        # An unresolvable value never matches, so the negated operator holds.
        ({"StringNotEquals": {"s3:prefix": "${aws:PrincipalTag/none}"}}, {"s3:prefix": "x"}, True),
        ({"StringEquals": {"s3:prefix": ["${aws:PrincipalTag/none}", "x"]}}, {"s3:prefix": "x"}, True),
        ({"NumericLessThan": {"s3:max-keys": "${svc:limit}"}}, {"s3:max-keys": "5", "svc:limit": "10"}, True),
        ({"NumericLessThan": {"s3:max-keys": "${svc:limit}"}}, {"s3:max-keys": "5", "svc:limit": "ten"}, False),
        ({"StringEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}}, {"aws:ResourceTag/team": "data"}, True),
    ],
)
def test_variables_in_condition_values(condition: dict, context: dict, expected: bool) -> None:
    statements = [statement(action="s3:ListBucket", Condition=condition)]
    req = request(user("alice", tags={"team": "data"}), "s3:ListBucket", BUCKET, context)
    assert decide(statements, req).allowed is expected
