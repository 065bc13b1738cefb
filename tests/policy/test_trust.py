"""Trust-policy evaluation for AssumeRole, AssumeRoleWithWebIdentity and AssumeRoleWithSAML."""

from __future__ import annotations

import pytest

from idp.policy import DecisionEffect, PolicyKind, PolicySet, PolicyType, RequestPrincipal, evaluate_trust, parse_policy
from tests.policy.builders import A, B, policy, request, session, statement, user, web_identity

ROLE = f"arn:aws:iam::{A}:role/Deploy"
ALICE = user("alice")
OIDC = f"arn:aws:iam::{A}:oidc-provider/idp.example.com/realms/main"


def trust(*statements: dict) -> object:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, PolicyKind.TRUST, f"{ROLE}/trust")


def trusts(principal: object, action: object = "sts:AssumeRole", **extra: object) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


CAN_ASSUME = PolicySet(identity=[policy(statement(action="sts:AssumeRole", resource=ROLE))])
CAN_ASSUME_AND_TAG = PolicySet(identity=[policy(statement(action=["sts:AssumeRole", "sts:TagSession"], resource=ROLE))])


@pytest.mark.parametrize(
    ("caller", "trusted", "policies", "effect", "missing"),
    [
        (ALICE, {"AWS": ALICE.arn}, None, "Allow", None),
        (ALICE, {"AWS": A}, None, "ImplicitDeny", PolicyType.IDENTITY),
        (ALICE, {"AWS": f"arn:aws:iam::{A}:root"}, CAN_ASSUME, "Allow", None),
        (ALICE, {"AWS": f"arn:aws:iam::{A}:user/bob"}, CAN_ASSUME, "ImplicitDeny", PolicyType.RESOURCE),
        # Role chaining: a role ARN in the trust policy matches its sessions.
        (session("Builder"), {"AWS": f"arn:aws:iam::{A}:role/Builder"}, None, "Allow", None),
        (session("Builder"), {"AWS": f"arn:aws:iam::{A}:role/Other"}, CAN_ASSUME, "ImplicitDeny", PolicyType.RESOURCE),
        (user("carol", account=B), {"AWS": B}, CAN_ASSUME, "Allow", None),
        (user("carol", account=B), {"AWS": B}, None, "ImplicitDeny", PolicyType.IDENTITY),
        (user("carol", account=B), {"AWS": f"arn:aws:iam::{B}:user/carol"}, None, "ImplicitDeny", PolicyType.IDENTITY),
        (user("carol", account=B), {"AWS": A}, CAN_ASSUME, "ImplicitDeny", PolicyType.RESOURCE),
    ],
)
def test_assume_role(caller, trusted, policies, effect, missing) -> None:
    decision = evaluate_trust(request(caller, "sts:AssumeRole", ROLE), trust(trusts(trusted)), policies)
    assert (decision.effect.value, decision.missing_allow) == (effect, missing)


def test_assume_role_reason() -> None:
    decision = evaluate_trust(request(ALICE, "sts:AssumeRole", ROLE), trust(trusts({"AWS": f"arn:aws:iam::{A}:user/bob"})), CAN_ASSUME)
    assert decision.reason == (
        f"User: {ALICE.arn} is not authorized to perform: sts:AssumeRole on resource: {ROLE}"
        " because no resource-based policy allows the sts:AssumeRole action"
    )


def test_explicit_deny_in_trust_policy() -> None:
    policy_doc = trust(trusts({"AWS": A}), {"Effect": "Deny", "Principal": {"AWS": ALICE.arn}, "Action": "sts:AssumeRole*"})
    decision = evaluate_trust(request(ALICE, "sts:AssumeRole", ROLE), policy_doc, CAN_ASSUME)
    assert decision.effect is DecisionEffect.EXPLICIT_DENY
    assert decision.reason.endswith("with an explicit deny in a resource-based policy")


GOOGLE = web_identity("accounts.google.com")
KEYCLOAK = web_identity(OIDC)


@pytest.mark.parametrize(
    ("caller", "condition", "context", "allowed"),
    [
        (GOOGLE, {"StringEquals": {"accounts.google.com:aud": "client-1"}}, {"accounts.google.com:aud": "client-1"}, True),
        (GOOGLE, {"StringEquals": {"accounts.google.com:aud": "client-1"}}, {"accounts.google.com:aud": "client-2"}, False),
        (GOOGLE, {"StringEquals": {"accounts.google.com:aud": "client-1"}}, {}, False),
        (KEYCLOAK, {"StringLike": {"idp.example.com/realms/main:sub": "user-*"}}, {"idp.example.com/realms/main:sub": "user-7"}, True),
        (KEYCLOAK, {"StringLike": {"idp.example.com/realms/main:sub": "user-*"}}, {"idp.example.com/realms/main:sub": "admin"}, False),
        (KEYCLOAK, {"ForAnyValue:StringEquals": {"idp.example.com/realms/main:amr": "mfa"}}, {"idp.example.com/realms/main:amr": ["pwd", "mfa"]}, True),
        (KEYCLOAK, {"ForAnyValue:StringEquals": {"idp.example.com/realms/main:amr": "mfa"}}, {"idp.example.com/realms/main:amr": ["pwd"]}, False),
    ],
)
def test_assume_role_with_web_identity(caller, condition, context, allowed) -> None:
    provider = "accounts.google.com" if caller is GOOGLE else OIDC
    policy_doc = trust(trusts({"Federated": provider}, "sts:AssumeRoleWithWebIdentity", Condition=condition))
    decision = evaluate_trust(request(caller, "sts:AssumeRoleWithWebIdentity", ROLE, context), policy_doc)
    assert decision.allowed is allowed


def test_web_identity_from_another_provider_is_refused() -> None:
    policy_doc = trust(trusts({"Federated": OIDC}, "sts:AssumeRoleWithWebIdentity"))
    decision = evaluate_trust(request(GOOGLE, "sts:AssumeRoleWithWebIdentity", ROLE), policy_doc)
    assert decision.missing_allow is PolicyType.RESOURCE


def test_assume_role_with_saml() -> None:
    saml_provider = f"arn:aws:iam::{A}:saml-provider/Corp"
    caller = RequestPrincipal.of("", "", "SAMLUser", provider=saml_provider)
    policy_doc = trust(
        trusts({"Federated": saml_provider}, "sts:AssumeRoleWithSAML", Condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}})
    )
    good = request(caller, "sts:AssumeRoleWithSAML", ROLE, {"SAML:aud": "https://signin.aws.amazon.com/saml"})
    assert evaluate_trust(good, policy_doc).allowed
    assert not evaluate_trust(request(caller, "sts:AssumeRoleWithSAML", ROLE), policy_doc).allowed


def test_service_principal_in_trust() -> None:
    ec2 = RequestPrincipal.of("ec2.amazonaws.com", "", "Service")
    assert evaluate_trust(request(ec2, "sts:AssumeRole", ROLE), trust(trusts({"Service": "ec2.amazonaws.com"}))).allowed
    lam = RequestPrincipal.of("lambda.amazonaws.com", "", "Service")
    assert not evaluate_trust(request(lam, "sts:AssumeRole", ROLE), trust(trusts({"Service": "ec2.amazonaws.com"}))).allowed


def test_session_tags_need_sts_tag_session() -> None:
    tags = {"aws:TagKeys": ["team"], "aws:RequestTag/team": "data"}
    without = trust(trusts({"AWS": A}))
    with_tag = trust(trusts({"AWS": A}, ["sts:AssumeRole", "sts:TagSession"]))
    denied = evaluate_trust(request(ALICE, "sts:AssumeRole", ROLE, tags), without, CAN_ASSUME_AND_TAG)
    assert denied.reason.endswith("because no resource-based policy allows the sts:TagSession action")
    assert evaluate_trust(request(ALICE, "sts:AssumeRole", ROLE, tags), with_tag, CAN_ASSUME_AND_TAG).allowed
    # The caller's identity policy must allow sts:TagSession as well.
    identity_missing = evaluate_trust(request(ALICE, "sts:AssumeRole", ROLE, tags), with_tag, CAN_ASSUME)
    assert identity_missing.reason.endswith("because no identity-based policy allows the sts:TagSession action")
    # Without tags, sts:TagSession is not needed.
    assert evaluate_trust(request(ALICE, "sts:AssumeRole", ROLE), without, CAN_ASSUME).allowed


def test_source_identity_needs_sts_set_source_identity() -> None:
    context = {"sts:SourceIdentity": "alice"}
    caller = GOOGLE
    base = trusts({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity")
    denied = evaluate_trust(request(caller, "sts:AssumeRoleWithWebIdentity", ROLE, context), trust(base))
    assert "sts:SetSourceIdentity" in denied.reason
    allowed = trust({**base, "Action": ["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity"]})
    decision = evaluate_trust(request(caller, "sts:AssumeRoleWithWebIdentity", ROLE, context), allowed)
    assert decision.allowed and decision.statements


def test_evaluate_trust_refuses_non_trust_input() -> None:
    with pytest.raises(ValueError, match="not a trust policy"):
        evaluate_trust(request(ALICE, "sts:AssumeRole", ROLE), policy(statement()))
    with pytest.raises(ValueError, match="not an sts:AssumeRole"):
        evaluate_trust(request(ALICE, "s3:GetObject", ROLE), trust(trusts("*")))
