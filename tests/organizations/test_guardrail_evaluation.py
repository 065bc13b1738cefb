"""SCP and RCP evaluation tables on the pure engine, after AWS's documented examples (AWS Organizations User Guide,
"SCP evaluation" and "RCP evaluation"; IAM User Guide, "Policy evaluation logic"): an allow at every level of the
path root -> OU -> account, an explicit deny anywhere wins, and how guardrails combine with identity policies,
permissions boundaries, session policies and resource-based policies. No database."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idp.policy import PolicyKind, PolicySet, PrincipalType, RequestContext, RequestPrincipal, evaluate, parse_policy

MEMBER = "222222222222"
EXTERNAL = "333333333333"
ORG_ID = "o-exampleorg1"
USER = RequestPrincipal.of(f"arn:aws:iam::{MEMBER}:user/alice", MEMBER, PrincipalType.USER, username="alice")
MEMBER_ROOT = RequestPrincipal.of(f"arn:aws:iam::{MEMBER}:root", MEMBER, PrincipalType.ACCOUNT)
OUTSIDER = RequestPrincipal.of(f"arn:aws:iam::{EXTERNAL}:user/mallory", EXTERNAL, PrincipalType.USER)
BUCKET = "arn:aws:s3:::member-bucket/report.csv"


def statement(effect: str, action, *, principal=None, condition=None) -> dict:
    found = {"Effect": effect, "Action": action, "Resource": "*"}
    if principal is not None:
        found["Principal"] = principal
    if condition is not None:
        found["Condition"] = condition
    return found


def policy(name: str, kind: PolicyKind, *statements: dict):
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), kind, name)


def scp(name: str, *statements: dict):
    return policy(name, PolicyKind.GUARDRAIL, *statements)


def rcp(name: str, *statements: dict):
    return policy(name, PolicyKind.RESOURCE_GUARDRAIL, *statements)


FULL = scp("FullAWSAccess", statement("Allow", "*"))
ALLOW_EC2 = scp("AllowEC2", statement("Allow", "ec2:*"))
ALLOW_S3 = scp("AllowS3", statement("Allow", "s3:*"))
DENY_S3 = scp("DenyS3", statement("Deny", "s3:*"))
ADMIN = policy("AdministratorAccess", PolicyKind.MANAGED, statement("Allow", "*"))
RCP_FULL = rcp("RCPFullAWSAccess", statement("Allow", "*", principal="*"))
# AWS's data-perimeter RCP: only principals of the organization reach its S3 objects and assume its roles.
PERIMETER = rcp("EnforceOrgIdentities", statement(
    "Deny", ["s3:*", "sts:AssumeRole"], principal="*",
    condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
               "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}},
))


def decide(levels, action: str, *, principal=USER, identity=(ADMIN,), boundary=(), session=(), resource="*",
           keys=None, resource_policies=(), rcp_levels=()):
    policies = PolicySet(identity=identity, boundary=boundary, session=session, guardrails=levels,
                         resource_guardrails=rcp_levels)
    if resource_policies:
        policies = policies.with_resource(resource_policies)
    owner = MEMBER if resource != "*" else ""
    return evaluate(RequestContext(principal, action, resource, keys or {}, owner), policies)


def head(action: str, principal=USER, resource="*") -> str:
    on = f" on resource: {resource}" if resource != "*" else " on resource: *"
    return f"User: {principal.arn} is not authorized to perform: {action}{on}"


SCP_TABLE = [
    # AWS scenario: FullAWSAccess everywhere, a deny list on the OU -> everything but S3.
    ("deny list on the OU", [[FULL], [FULL, DENY_S3], [FULL]], "ec2:RunInstances", "Allow", None),
    ("deny list on the OU wins", [[FULL], [FULL, DENY_S3], [FULL]], "s3:GetObject", "ExplicitDeny",
     "with an explicit deny in a service control policy"),
    # Allow list: the OU allows only EC2, the account inherits nothing more.
    ("allow list on the OU", [[FULL], [ALLOW_EC2], [FULL]], "ec2:RunInstances", "Allow", None),
    ("allow list on the OU leaves S3 out", [[FULL], [ALLOW_EC2], [FULL]], "s3:GetObject", "ImplicitDeny",
     "because no service control policy allows the s3:GetObject action"),
    # AWS scenario: the OU allows S3, the account allows EC2: the intersection is empty.
    ("allow lists that do not meet", [[FULL], [ALLOW_S3], [ALLOW_EC2]], "ec2:RunInstances", "ImplicitDeny",
     "because no service control policy allows the ec2:RunInstances action"),
    ("allow lists that do not meet (S3)", [[FULL], [ALLOW_S3], [ALLOW_EC2]], "s3:GetObject", "ImplicitDeny",
     "because no service control policy allows the s3:GetObject action"),
    ("deny at the root binds every level", [[FULL, DENY_S3], [FULL], [FULL]], "s3:PutObject", "ExplicitDeny",
     "with an explicit deny in a service control policy"),
    ("an allow at the account alone is not enough", [[ALLOW_EC2], [ALLOW_EC2], [FULL]], "iam:CreateUser",
     "ImplicitDeny", "because no service control policy allows the iam:CreateUser action"),
]


@pytest.mark.parametrize("levels, action, effect, why", [case[1:] for case in SCP_TABLE],
                         ids=[case[0] for case in SCP_TABLE])
def test_every_scp_level_must_allow_and_a_deny_anywhere_wins(levels, action, effect, why):
    decision = decide(levels, action)
    assert decision.effect.value == effect
    if why is not None:
        assert decision.reason == f"{head(action)} {why}"


def test_an_scp_grants_nothing_the_identity_policies_do_not():
    decision = decide([[FULL], [FULL]], "iam:CreateUser", identity=())
    assert decision.reason.endswith("because no identity-based policy allows the iam:CreateUser action")


def test_scps_and_permissions_boundaries_both_bound_the_identity_policies():
    boundary = (policy("S3Only", PolicyKind.BOUNDARY, statement("Allow", "s3:*")),)
    # The SCPs allow EC2, the boundary does not: the boundary names the refusal.
    refused = decide([[FULL], [ALLOW_EC2]], "ec2:RunInstances", boundary=boundary)
    assert refused.reason.endswith("because no permissions boundary allows the ec2:RunInstances action")
    # The boundary allows S3, the SCPs do not: the SCP names it.
    refused = decide([[FULL], [ALLOW_EC2]], "s3:GetObject", boundary=boundary)
    assert refused.reason.endswith("because no service control policy allows the s3:GetObject action")
    assert decide([[FULL], [FULL]], "s3:GetObject", boundary=boundary).allowed


def test_scps_and_session_policies_both_bound_a_role_session():
    session = (policy("ReadS3", PolicyKind.SESSION, statement("Allow", "s3:Get*")),)
    role = RequestPrincipal.of(f"arn:aws:sts::{MEMBER}:assumed-role/app/s", MEMBER, PrincipalType.ASSUMED_ROLE,
                               role_arn=f"arn:aws:iam::{MEMBER}:role/app")
    assert decide([[FULL]], "s3:GetObject", principal=role, session=session).allowed
    assert decide([[FULL]], "iam:ListUsers", principal=role, session=session).reason.endswith(
        "because no session policy allows the iam:ListUsers action")
    assert decide([[FULL, DENY_S3]], "s3:GetObject", principal=role, session=session).reason.endswith(
        "with an explicit deny in a service control policy")


def test_scps_bind_a_member_accounts_root_user():
    assert decide([[FULL]], "iam:CreateUser", principal=MEMBER_ROOT, identity=()).allowed
    denied = decide([[FULL], [ALLOW_EC2]], "iam:CreateUser", principal=MEMBER_ROOT, identity=())
    assert denied.reason == f"{head('iam:CreateUser', MEMBER_ROOT)} because no service control policy allows " \
                            "the iam:CreateUser action"


def test_a_resource_policy_granting_access_does_not_lift_the_callers_scps():
    bucket = policy("BucketPolicy", PolicyKind.RESOURCE,
                    statement("Allow", "s3:GetObject", principal={"AWS": USER.arn}))
    denied = decide([[FULL, DENY_S3]], "s3:GetObject", identity=(), resource=BUCKET, resource_policies=(bucket,))
    assert denied.effect.value == "ExplicitDeny"
    assert decide([[FULL]], "s3:GetObject", identity=(), resource=BUCKET, resource_policies=(bucket,)).allowed


RCP_TABLE = [
    ("a principal of the organization", USER, {"aws:PrincipalOrgID": ORG_ID}, "Allow", None),
    ("a principal outside the organization", OUTSIDER, {}, "ExplicitDeny",
     "with an explicit deny in a resource control policy"),
    ("another organization's principal", OUTSIDER, {"aws:PrincipalOrgID": "o-otherorg99"}, "ExplicitDeny",
     "with an explicit deny in a resource control policy"),
    ("an AWS service", OUTSIDER, {"aws:PrincipalIsAWSService": "true"}, "Allow", None),
]


@pytest.mark.parametrize("principal, keys, effect, why", [case[1:] for case in RCP_TABLE],
                         ids=[case[0] for case in RCP_TABLE])
def test_an_rcp_restricts_who_reaches_a_member_accounts_resources(principal, keys, effect, why):
    bucket = policy("BucketPolicy", PolicyKind.RESOURCE, statement("Allow", "s3:GetObject", principal="*"))
    decision = decide((), "s3:GetObject", principal=principal, identity=(ADMIN,), resource=BUCKET, keys=keys,
                      resource_policies=(bucket,), rcp_levels=[[RCP_FULL], [RCP_FULL, PERIMETER], [RCP_FULL]])
    assert decision.effect.value == effect
    if why is not None:
        assert decision.reason == f"{head('s3:GetObject', principal, BUCKET)} {why}"


def test_every_rcp_level_must_allow_and_an_rcp_grants_nothing():
    bucket = policy("BucketPolicy", PolicyKind.RESOURCE, statement("Allow", "s3:GetObject", principal="*"))
    missing = decide((), "s3:GetObject", identity=(), resource=BUCKET, resource_policies=(bucket,),
                     rcp_levels=[[RCP_FULL], []])
    assert missing.reason.endswith("because no resource control policy allows the s3:GetObject action")
    # RCPFullAWSAccess everywhere and no other grant: still no access.
    nothing = decide((), "s3:GetObject", identity=(), resource=BUCKET, rcp_levels=[[RCP_FULL]])
    assert nothing.reason.endswith("because no identity-based policy allows the s3:GetObject action")


def test_an_rcp_binds_the_root_user_of_the_resources_own_account():
    denied = decide((), "s3:GetObject", principal=MEMBER_ROOT, identity=(), resource=BUCKET,
                    rcp_levels=[[RCP_FULL, rcp("NoS3", statement("Deny", "s3:*", principal="*"))]])
    assert denied.reason.endswith("with an explicit deny in a resource control policy")


GUARDRAIL_POOL = [FULL, ALLOW_EC2, ALLOW_S3, DENY_S3, scp("DenyIam", statement("Deny", "iam:*"))]
ACTIONS = ["ec2:RunInstances", "s3:GetObject", "iam:CreateUser", "sts:AssumeRole"]
levels_strategy = st.lists(st.lists(st.sampled_from(GUARDRAIL_POOL), max_size=3), min_size=1, max_size=3)


@settings(max_examples=150, deadline=None)
@given(levels=levels_strategy, action=st.sampled_from(ACTIONS), extra=st.sampled_from(GUARDRAIL_POOL),
       where=st.integers(min_value=0, max_value=2))
def test_guardrails_never_grant_and_adding_one_never_widens(levels, action, extra, where):
    with_guardrails = decide(levels, action)
    if with_guardrails.allowed:
        assert decide((), action).allowed  # an SCP grants nothing the identity policies do not
    widened = [list(level) for level in levels]
    widened[where % len(widened)].append(extra)
    if extra.statements[0].effect.value == "Deny":
        assert not decide(widened, action).allowed or with_guardrails.allowed
