"""Evaluation logic: explicit deny, guardrails, resource, identity, boundary, session, cross-account."""

from __future__ import annotations

import pytest

from idp.policy import DecisionEffect, PolicyKind, PolicySet, PolicyType, RequestPrincipal, evaluate
from tests.policy.builders import A, B, policy, request, resource_policy, root, session, statement, user

ALICE = user("alice")
BOB_ARN = f"arn:aws:iam::{A}:user/bob"
ADMIN = session("Admin", "s1")
BUCKET = "arn:aws:s3:::shared"
OBJECT = f"{BUCKET}/k"
HEAD = f"User: arn:aws:iam::{A}:user/alice is not authorized to perform: iam:CreateUser on resource: {BOB_ARN}"

ALLOW_ALL = statement(Sid="AllowAll")
ALLOW_S3 = statement(action="s3:*", Sid="S3")
DENY_S3 = statement("Deny", action="s3:*", Sid="NoS3")


def identity(*statements, id="arn:aws:iam::111111111111:policy/Id"):  # noqa: A002
    return policy(*statements, id=id)


def principal_named(arn: object, *extra, effect: str = "Allow", id: str = "arn:aws:s3:::shared") -> object:  # noqa: A002
    return resource_policy(statement(effect, action="s3:*", resource=[BUCKET, f"{BUCKET}/*"], Principal={"AWS": arn}), *extra, id=id)


def test_reason_when_no_identity_policy_allows() -> None:
    decision = evaluate(request(ALICE, "iam:CreateUser", BOB_ARN), PolicySet())
    assert decision.effect is DecisionEffect.IMPLICIT_DENY and not decision.allowed
    assert decision.reason == f"{HEAD} because no identity-based policy allows the iam:CreateUser action"
    assert decision.missing_allow is PolicyType.IDENTITY


def test_reason_for_an_explicit_deny_in_an_identity_policy() -> None:
    policies = PolicySet(identity=[identity(ALLOW_ALL, statement("Deny", action="iam:*User", Sid="NoUsers"))])
    decision = evaluate(request(ALICE, "iam:CreateUser", BOB_ARN), policies)
    assert decision.effect is DecisionEffect.EXPLICIT_DENY
    assert decision.reason == f"{HEAD} with an explicit deny in an identity-based policy"
    assert [(ref.policy_id, ref.sid) for ref in decision.statements] == [("arn:aws:iam::111111111111:policy/Id", "NoUsers")]


def test_reason_when_the_boundary_does_not_allow() -> None:
    # IAM User Guide: ShirleyRodriguez may manage S3, CloudWatch and EC2 by her
    # boundary; an identity policy allowing iam:CreateUser grants nothing.
    boundary = policy(statement(action=["s3:*", "cloudwatch:*", "ec2:*"]), kind=PolicyKind.MANAGED, id="Boundary")
    policies = PolicySet(identity=[identity(statement(action="iam:CreateUser"))], boundary=[boundary])
    decision = evaluate(request(ALICE, "iam:CreateUser", BOB_ARN), policies)
    assert decision.reason == f"{HEAD} because no permissions boundary allows the iam:CreateUser action"
    assert decision.missing_allow is PolicyType.BOUNDARY
    # Allowed by both: allowed. Allowed by the boundary only: identity missing.
    assert evaluate(request(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[identity(ALLOW_S3)], boundary=[boundary])).allowed
    only_boundary = evaluate(request(ALICE, "ec2:RunInstances"), PolicySet(identity=[identity(ALLOW_S3)], boundary=[boundary]))
    assert only_boundary.missing_allow is PolicyType.IDENTITY


def test_reason_when_the_session_policy_does_not_allow() -> None:
    policies = PolicySet(identity=[identity(ALLOW_ALL)], session=[policy(ALLOW_S3, kind=PolicyKind.SESSION, id="session")])
    decision = evaluate(request(ADMIN, "iam:CreateUser", BOB_ARN), policies)
    assert decision.reason == (
        f"User: {ADMIN.arn} is not authorized to perform: iam:CreateUser on resource: {BOB_ARN}"
        " because no session policy allows the iam:CreateUser action"
    )
    assert evaluate(request(ADMIN, "s3:GetObject", OBJECT), policies).allowed


def test_explicit_deny_in_boundary_and_session_policy() -> None:
    deny = policy(ALLOW_ALL, DENY_S3, kind=PolicyKind.SESSION)
    as_boundary = evaluate(request(ADMIN, "s3:GetObject", OBJECT), PolicySet(identity=[identity(ALLOW_ALL)], boundary=[deny]))
    as_session = evaluate(request(ADMIN, "s3:GetObject", OBJECT), PolicySet(identity=[identity(ALLOW_ALL)], session=[deny]))
    assert as_boundary.reason.endswith("with an explicit deny in a permissions boundary")
    assert as_session.reason.endswith("with an explicit deny in a session policy")


def test_allow_names_the_deciding_statements() -> None:
    decision = evaluate(request(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=[identity(statement(action="s3:Get*"), ALLOW_S3)]))
    assert decision.allowed and decision.effect is DecisionEffect.ALLOW
    assert decision.reason.startswith(f"Allowed {ALICE.arn} to perform: s3:GetObject on resource: {OBJECT} by identity-based policy")
    assert decision.statements[0].label in {
        "arn:aws:iam::111111111111:policy/Id (Statement[0])",
        "arn:aws:iam::111111111111:policy/Id (S3)",
    }


BOUNDED_S3 = dict(boundary=[policy(statement(action="ec2:*"), id="B")])
SESSION_EC2 = dict(session=[policy(statement(action="ec2:*"), kind=PolicyKind.SESSION, id="S")])


# (principal, resource-policy principal, identity statements, extra slots, expected effect, missing)
SAME_ACCOUNT = [
    ("user ARN, no identity policy", ALICE, ALICE.arn, [], {}, "Allow", None),
    ("user ARN beats the boundary", ALICE, ALICE.arn, [], BOUNDED_S3, "Allow", None),
    ("session ARN, no identity policy", ADMIN, ADMIN.arn, [], {}, "Allow", None),
    ("session ARN beats boundary", ADMIN, ADMIN.arn, [], BOUNDED_S3, "Allow", None),
    ("session ARN beats session policy", ADMIN, ADMIN.arn, [], SESSION_EC2, "Allow", None),
    ("role ARN, no identity policy", ADMIN, f"arn:aws:iam::{A}:role/Admin", [], {}, "Allow", None),
    ("role ARN bounded by boundary", ADMIN, f"arn:aws:iam::{A}:role/Admin", [], BOUNDED_S3, "ImplicitDeny", PolicyType.BOUNDARY),
    ("role ARN bounded by session policy", ADMIN, f"arn:aws:iam::{A}:role/Admin", [], SESSION_EC2, "ImplicitDeny", PolicyType.SESSION),
    ("role ARN, boundary allows", ADMIN, f"arn:aws:iam::{A}:role/Admin", [], dict(boundary=[policy(ALLOW_S3)]), "Allow", None),
    ("account needs identity", ALICE, A, [], {}, "ImplicitDeny", PolicyType.IDENTITY),
    ("account root ARN needs identity", ALICE, f"arn:aws:iam::{A}:root", [], {}, "ImplicitDeny", PolicyType.IDENTITY),
    ("account + identity", ALICE, A, [ALLOW_S3], {}, "Allow", None),
    ("other user named, identity allows", ALICE, BOB_ARN, [ALLOW_S3], {}, "Allow", None),
    ("other user named, no identity", ALICE, BOB_ARN, [], {}, "ImplicitDeny", PolicyType.IDENTITY),
    ("identity allows, boundary does not", ALICE, BOB_ARN, [ALLOW_S3], BOUNDED_S3, "ImplicitDeny", PolicyType.BOUNDARY),
    ("other role named", ADMIN, f"arn:aws:iam::{A}:role/Other", [], {}, "ImplicitDeny", PolicyType.IDENTITY),
    ("wildcard principal", ALICE, "*", [], {}, "Allow", None),
]


@pytest.mark.parametrize(
    ("principal", "named", "statements", "slots", "effect", "missing"),
    [case[1:] for case in SAME_ACCOUNT],
    ids=[case[0] for case in SAME_ACCOUNT],
)
def test_resource_policy_within_one_account(principal, named, statements, slots, effect, missing) -> None:
    policies = PolicySet(identity=[identity(*statements)] if statements else [], resource=[principal_named(named)], **slots)
    decision = evaluate(request(principal, "s3:GetObject", OBJECT), policies)
    assert (decision.effect.value, decision.missing_allow) == (effect, missing)


def test_explicit_deny_in_a_resource_policy_beats_identity_allow() -> None:
    policies = PolicySet(identity=[identity(ALLOW_ALL)], resource=[principal_named(ALICE.arn, effect="Deny")])
    decision = evaluate(request(ALICE, "s3:GetObject", OBJECT), policies)
    assert decision.reason == (
        f"User: {ALICE.arn} is not authorized to perform: s3:GetObject on resource: {OBJECT}"
        " with an explicit deny in a resource-based policy"
    )
    assert decision.statements[0].policy_type is PolicyType.RESOURCE


def test_resource_deny_for_another_principal_does_not_apply() -> None:
    policies = PolicySet(identity=[identity(ALLOW_ALL)], resource=[principal_named(BOB_ARN, effect="Deny")])
    assert evaluate(request(ALICE, "s3:GetObject", OBJECT), policies).allowed


CAROL = user("carol", account=B)
CROSS = [
    # (caller identity statements, resource principal, expected effect, missing)
    ("both allow", [ALLOW_S3], B, "Allow", None),
    ("both allow, user named", [ALLOW_S3], CAROL.arn, "Allow", None),
    ("resource only, account named", [], B, "ImplicitDeny", PolicyType.IDENTITY),
    ("resource only, user named", [], CAROL.arn, "ImplicitDeny", PolicyType.IDENTITY),
    ("identity only", [ALLOW_S3], f"arn:aws:iam::{A}:root", "ImplicitDeny", PolicyType.RESOURCE),
    ("neither", [], A, "ImplicitDeny", PolicyType.IDENTITY),
]


@pytest.mark.parametrize(("statements", "named", "effect", "missing"), [case[1:] for case in CROSS], ids=[case[0] for case in CROSS])
def test_cross_account_needs_both_sides(statements, named, effect, missing) -> None:
    # The bucket belongs to account A; Carol is in account B.
    policies = PolicySet(identity=[identity(*statements)] if statements else [], resource=[principal_named(named)])
    decision = evaluate(request(CAROL, "s3:GetObject", OBJECT, resource_account=A), policies)
    assert (decision.effect.value, decision.missing_allow) == (effect, missing)


def test_cross_account_reason_names_the_resource_policy() -> None:
    decision = evaluate(request(CAROL, "s3:GetObject", OBJECT, resource_account=A), PolicySet(identity=[identity(ALLOW_S3)]))
    assert decision.reason == (
        f"User: {CAROL.arn} is not authorized to perform: s3:GetObject on resource: {OBJECT}"
        " because no resource-based policy allows the s3:GetObject action"
    )


def test_resource_account_comes_from_the_arn() -> None:
    table = f"arn:aws:dynamodb:us-east-1:{B}:table/t"
    decision = evaluate(request(ALICE, "dynamodb:GetItem", table), PolicySet(identity=[identity(ALLOW_ALL)]))
    assert decision.missing_allow is PolicyType.RESOURCE


def guard(*statements):
    return policy(*statements, kind=PolicyKind.GUARDRAIL, id="scp")


@pytest.mark.parametrize(
    ("levels", "effect", "reason_end"),
    [
        ([[guard(ALLOW_ALL)]], "Allow", None),
        ([[guard(statement(action="ec2:*"))]], "ImplicitDeny", "because no service control policy allows the s3:GetObject action"),
        ([[guard(ALLOW_ALL, DENY_S3)]], "ExplicitDeny", "with an explicit deny in a service control policy"),
        ([[guard(ALLOW_ALL)], [guard(statement(action="ec2:*"))]], "ImplicitDeny", "no service control policy allows"),
        ([[guard(ALLOW_ALL)], [guard(statement(action="ec2:*")), guard(ALLOW_S3)]], "Allow", None),
    ],
)
def test_guardrails_must_allow_at_every_level(levels, effect, reason_end) -> None:
    policies = PolicySet(identity=[identity(ALLOW_ALL)], guardrails=levels)
    decision = evaluate(request(ALICE, "s3:GetObject", OBJECT), policies)
    assert decision.effect.value == effect
    if reason_end:
        assert reason_end in decision.reason


def test_guardrails_bound_a_resource_policy_grant_too() -> None:
    policies = PolicySet(resource=[principal_named(ALICE.arn)], guardrails=[[guard(statement(action="ec2:*"))]])
    assert evaluate(request(ALICE, "s3:GetObject", OBJECT), policies).missing_allow is PolicyType.GUARDRAIL


def test_root_is_allowed_in_its_account_but_not_past_denies() -> None:
    assert evaluate(request(root(), "iam:CreateUser", BOB_ARN), PolicySet()).allowed
    denied = PolicySet(resource=[principal_named("*", effect="Deny")])
    assert evaluate(request(root(), "s3:GetObject", OBJECT), denied).effect is DecisionEffect.EXPLICIT_DENY
    other = evaluate(request(root(B), "s3:GetObject", OBJECT, resource_account=A), PolicySet())
    assert other.missing_allow is PolicyType.RESOURCE


def test_service_and_anonymous_callers_need_a_resource_policy() -> None:
    service = RequestPrincipal.of("cloudtrail.amazonaws.com", "", "Service")
    anonymous = RequestPrincipal.of("", "", "Anonymous")
    by_service = resource_policy(statement(action="s3:PutObject", resource=f"{BUCKET}/*", Principal={"Service": "cloudtrail.amazonaws.com"}))
    public = resource_policy(statement(action="s3:GetObject", resource=f"{BUCKET}/*", Principal="*"))
    assert evaluate(request(service, "s3:PutObject", OBJECT, resource_account=A), PolicySet(resource=[by_service])).allowed
    assert not evaluate(request(service, "s3:GetObject", OBJECT, resource_account=A), PolicySet(resource=[by_service])).allowed
    assert evaluate(request(anonymous, "s3:GetObject", OBJECT, resource_account=A), PolicySet(resource=[public])).allowed
    refused = evaluate(request(anonymous, "s3:GetObject", OBJECT, resource_account=A), PolicySet())
    assert refused.reason.startswith("User: anonymous is not authorized")


def test_not_principal_deny_spares_only_the_listed_principal() -> None:
    fence = resource_policy(
        statement(action="s3:*", resource=f"{BUCKET}/*", Principal="*"),
        statement("Deny", action="s3:*", resource=f"{BUCKET}/*", NotPrincipal={"AWS": ALICE.arn}),
    )
    assert evaluate(request(ALICE, "s3:GetObject", OBJECT), PolicySet(resource=[fence])).allowed
    bob = user("bob")
    assert evaluate(request(bob, "s3:GetObject", OBJECT), PolicySet(resource=[fence])).effect is DecisionEffect.EXPLICIT_DENY


def test_every_explicit_deny_is_reported() -> None:
    policies = PolicySet(
        identity=[identity(ALLOW_ALL, DENY_S3), policy(statement("Deny", action="s3:Get*"), id="Second")],
        resource=[principal_named(ALICE.arn, effect="Deny")],
    )
    decision = evaluate(request(ALICE, "s3:GetObject", OBJECT), policies)
    assert {(ref.policy_type, ref.policy_id) for ref in decision.statements} == {
        (PolicyType.RESOURCE, "arn:aws:s3:::shared"),
        (PolicyType.IDENTITY, "arn:aws:iam::111111111111:policy/Id"),
        (PolicyType.IDENTITY, "Second"),
    }
    assert decision.reason.endswith("explicit deny in a resource-based policy")


def test_conditions_on_principal_keys_and_tags() -> None:
    tagged = user("dana", tags={"Project": "blue"})
    statements = identity(statement(action="ec2:*", Condition={"StringEquals": {"aws:ResourceTag/Project": "${aws:PrincipalTag/Project}"}}))
    same = request(tagged, "ec2:StartInstances", "*", {"aws:ResourceTag/Project": "blue"})
    other = request(tagged, "ec2:StartInstances", "*", {"aws:ResourceTag/Project": "red"})
    assert evaluate(same, PolicySet(identity=[statements])).allowed
    assert not evaluate(other, PolicySet(identity=[statements])).allowed


def test_deny_on_token_issue_time_revokes_older_sessions() -> None:
    revoke = statement("Deny", Condition={"DateLessThan": {"aws:TokenIssueTime": "2024-06-01T00:00:00Z"}})
    policies = PolicySet(identity=[identity(ALLOW_ALL, revoke)])
    old = request(ADMIN, "s3:GetObject", OBJECT, {"aws:TokenIssueTime": "2024-05-31T23:00:00Z"})
    new = request(ADMIN, "s3:GetObject", OBJECT, {"aws:TokenIssueTime": "2024-06-01T01:00:00Z"})
    assert evaluate(old, policies).effect is DecisionEffect.EXPLICIT_DENY
    assert evaluate(new, policies).allowed
    # A user's requests carry no aws:TokenIssueTime: the deny does not apply.
    assert evaluate(request(ALICE, "s3:GetObject", OBJECT), policies).allowed


def test_wrong_policy_kind_in_a_slot_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be used as a resource-based policy"):
        PolicySet(resource=[identity(ALLOW_ALL)])
    with pytest.raises(ValueError, match="principal-side"):
        PolicySet(identity=[principal_named("*")])


def test_aws_managed_policy_arns_are_not_another_accounts_resources():
    from idp.policy import PolicySet, RequestContext, RequestPrincipal, evaluate, parse_policy
    from idp.policy.kinds import PolicyKind

    reader = RequestPrincipal.of("arn:aws:iam::111122223333:user/r", "111122223333", "User")
    allow = parse_policy('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetPolicy",'
                         '"Resource":"*"}]}', PolicyKind.USER_INLINE, "p")
    request = RequestContext(reader, "iam:GetPolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert request.resource_account == "111122223333" and not request.is_cross_account
    assert evaluate(request, PolicySet(identity=[allow])).allowed
