"""Properties: deny never grants, order never matters, engine agrees with a naive reference."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idp.policy import PolicyKind, PolicySet, RequestContext, evaluate, parse_policy
from tests.policy import reference
from tests.policy.builders import A, B, session, user

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "iam:CreateUser", "ec2:RunInstances", "EC2:DescribeImages"]
ACTION_PATTERNS = ["*", "s3:*", "s3:Get*", "s3:?utObject", "iam:*User", "ec2:Describe*", "*:List*", "S3:getobject"]
RESOURCES = ["arn:aws:s3:::data/a.txt", "arn:aws:s3:::data", "arn:aws:iam::111111111111:user/bob", f"arn:aws:ec2:us-east-1:{B}:instance/i-1"]
RESOURCE_PATTERNS = ["*", "arn:aws:s3:::data/*", "arn:aws:s3:::data*", "arn:aws:iam::*:user/*", "arn:aws:ec2:*:*:instance/*", "arn:aws:s3:::d?ta"]
CALLERS = [user("alice"), session("Admin"), user("carol", account=B)]
PRINCIPALS = ["*", {"AWS": A}, {"AWS": B}, {"AWS": "arn:aws:iam::111111111111:user/alice"}, {"AWS": f"arn:aws:iam::{A}:role/Admin"},
              {"AWS": f"arn:aws:sts::{A}:assumed-role/Admin/s1"}, {"AWS": f"arn:aws:iam::{B}:user/carol"}]  # fmt: skip
CONDITIONS = [
    {"StringEquals": {"svc:Str": ["a", "b"]}},
    {"StringNotEquals": {"svc:Str": "a"}},
    {"StringLike": {"svc:Str": "a*"}},
    {"StringEqualsIgnoreCase": {"SVC:STR": "A"}},
    {"NumericLessThan": {"svc:Num": "5"}},
    {"NumericGreaterThanEqualsIfExists": {"svc:Num": 3}},
    {"Bool": {"aws:SecureTransport": True}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]}},
    {"Null": {"svc:Str": "true"}},
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": "t*"}},
    {"ForAnyValue:StringNotEquals": {"aws:TagKeys": "env"}},
    {"StringNotLikeIfExists": {"svc:Str": "b*"}},
]
CONTEXT_VALUES = {
    "svc:Str": st.sampled_from(["a", "A", "ab", "b", "c"]),
    "svc:Num": st.sampled_from(["1", "3", "5", "7.5", "x"]),
    "aws:SecureTransport": st.sampled_from(["true", "false"]),
    "aws:SourceIp": st.sampled_from(["10.1.2.3", "192.168.1.1", "8.8.8.8", "2001:db8::1"]),
    "aws:TagKeys": st.lists(st.sampled_from(["env", "team", "owner"]), max_size=3, unique=True),
}


@st.composite
def statements(draw: st.DrawFn, with_principal: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    actions = draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3))
    body[draw(st.sampled_from(["Action", "Action", "Action", "NotAction"]))] = actions
    resources = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    body[draw(st.sampled_from(["Resource", "Resource", "NotResource"]))] = resources
    if with_principal:
        body["Principal"] = draw(st.sampled_from(PRINCIPALS))
    if draw(st.booleans()):
        block: dict[str, Any] = {}
        for condition in draw(st.lists(st.sampled_from(CONDITIONS), max_size=2)):
            for operator, keys in condition.items():
                block.setdefault(operator, {}).update(keys)
        if block:
            body["Condition"] = block
    return body


def documents(with_principal: bool = False, max_size: int = 3) -> st.SearchStrategy[list[dict[str, Any]]]:
    document = st.lists(statements(with_principal), min_size=1, max_size=4).map(
        lambda body: {"Version": "2012-10-17", "Statement": body}
    )
    return st.lists(document, max_size=max_size)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    context = {key: draw(values) for key, values in CONTEXT_VALUES.items() if draw(st.booleans())}
    return {
        "caller": draw(st.sampled_from(CALLERS)),
        "action": draw(st.sampled_from(ACTIONS)),
        "resource": draw(st.sampled_from(RESOURCES)),
        "resource_account": draw(st.sampled_from([A, B])),
        "context": context,
        "identity": draw(documents()),
        "boundary": draw(documents(max_size=1)),
        "session": draw(documents(max_size=1)),
        "resource_policies": draw(documents(with_principal=True, max_size=1)),
    }


def engine_decision(scenario: dict[str, Any]) -> str:
    def parsed(documents: list, kind: PolicyKind) -> list:
        return [parse_policy(document, kind, f"{kind.value}-{n}") for n, document in enumerate(documents)]

    policies = PolicySet(
        identity=parsed(scenario["identity"], PolicyKind.MANAGED),
        boundary=parsed(scenario["boundary"], PolicyKind.BOUNDARY),
        session=parsed(scenario["session"], PolicyKind.SESSION),
        resource=parsed(scenario["resource_policies"], PolicyKind.RESOURCE),
    )
    request = RequestContext(
        scenario["caller"], scenario["action"], scenario["resource"], scenario["context"], scenario["resource_account"]
    )
    return evaluate(request, policies).effect.value


def reference_decision(scenario: dict[str, Any]) -> str:
    caller = scenario["caller"]
    request = {
        "action": scenario["action"],
        "resource": scenario["resource"],
        "resource_account": scenario["resource_account"],
        "context": scenario["context"],
    }
    as_dict = {"arn": caller.arn, "account": caller.account, "role_arn": caller.role_arn}
    return reference.decide(
        request, as_dict, scenario["identity"], scenario["boundary"], scenario["session"], scenario["resource_policies"]
    )


BOUNDED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@BOUNDED
@given(scenarios())
def test_engine_agrees_with_the_naive_reference(scenario: dict[str, Any]) -> None:
    assert engine_decision(scenario) == reference_decision(scenario)


@BOUNDED
@given(scenarios(), statements(), st.integers(min_value=0, max_value=10))
def test_adding_a_deny_never_grants(scenario: dict[str, Any], extra: dict[str, Any], where: int) -> None:
    before = engine_decision(scenario)
    deny = {**extra, "Effect": "Deny"}
    identity = [dict(document, Statement=list(document["Statement"])) for document in scenario["identity"]]
    if identity:
        identity[where % len(identity)]["Statement"].append(deny)
    else:
        identity.append({"Version": "2012-10-17", "Statement": [deny]})
    after = engine_decision({**scenario, "identity": identity})
    if before != "Allow":
        assert after != "Allow"
    if after == "Allow":
        assert before == "Allow"


@BOUNDED
@given(scenarios(), st.randoms(use_true_random=False))
def test_statement_and_policy_order_never_change_the_decision(scenario: dict[str, Any], shuffler: random.Random) -> None:
    def shuffled(documents: list) -> list:
        copies = [dict(document, Statement=shuffler.sample(document["Statement"], len(document["Statement"]))) for document in documents]
        return shuffler.sample(copies, len(copies))

    reordered = {
        **scenario,
        "identity": shuffled(scenario["identity"]),
        "resource_policies": shuffled(scenario["resource_policies"]),
        "boundary": shuffled(scenario["boundary"]),
        "session": shuffled(scenario["session"]),
    }
    assert engine_decision(reordered) == engine_decision(scenario)
