"""The policy simulator (SimulatePrincipalPolicy / SimulateCustomPolicy) and context-key discovery.

Runs the same engine as every real request, on a principal's stored
policies plus what the caller passes in; nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from idp.authz import guardrails, policy_store
from idp.authz.policy_store import refusing_malformed
from idp.authz.principals import user_principal
from idp.errors import ClientError, NotFound
from idp.iam import groups, roles
from idp.policy import (
    DecisionEffect,
    Policy,
    PolicyKind,
    PolicySet,
    PrincipalType,
    RequestContext,
    RequestPrincipal,
    StatementRef,
    context_keys,
    evaluate,
    matching_statements,
    parse_policy,
)
from idp.policy.evaluate import guardrails_allow

DECISIONS = {
    DecisionEffect.ALLOW: "allowed",
    DecisionEffect.EXPLICIT_DENY: "explicitDeny",
    DecisionEffect.IMPLICIT_DENY: "implicitDeny",
}


@dataclass
class Subject:
    """Who the simulation is about, and the policies that bear on them."""

    principal: RequestPrincipal
    identity: list[Policy] = field(default_factory=list)
    boundary: list[Policy] = field(default_factory=list)
    # A stored principal: its organization's SCPs (and the resource's RCPs) take part, as in a real request.
    guarded: bool = False


def parse_inputs(documents: Sequence[str], kind: PolicyKind, label: str) -> list[Policy]:
    """Parse `PolicyInputList`-style documents; ids are `PolicyInputList.N` as AWS reports them."""
    parsed = []
    for position, document in enumerate(documents, 1):
        with refusing_malformed():
            parsed.append(parse_policy(document, kind, f"{label}.{position}"))
    return parsed


def identity_inputs(documents: Sequence[str]) -> list[Policy]:
    """Identity-policy documents the caller passes in (`PolicyInputList`)."""
    return parse_inputs(documents, PolicyKind.MANAGED, "PolicyInputList")


def boundary_inputs(documents: Sequence[str]) -> list[Policy]:
    """Boundary documents the caller passes in (`PermissionsBoundaryPolicyInputList`)."""
    return parse_inputs(documents, PolicyKind.BOUNDARY, "PermissionsBoundaryPolicyInputList")


def resource_input(document: str) -> Policy:
    """The `ResourcePolicy` the caller passes in."""
    return parse_inputs([document], PolicyKind.RESOURCE, "ResourcePolicy")[0]


def custom_subject(account_id: str, caller_arn: str | None, identity: list[Policy],
                   boundary: list[Policy]) -> Subject:
    """SimulateCustomPolicy's subject: the documents given are the caller's identity policies, whoever calls."""
    arn = caller_arn or f"arn:aws:iam::{account_id}:user/SimulatedCaller"
    principal = RequestPrincipal.of(arn, arn.split(":")[4] or account_id, PrincipalType.USER,
                                    username=arn.rsplit("/", 1)[-1])
    return Subject(principal, identity, boundary)


def subject_of(account_id: str, source_arn: str) -> Subject:
    """The user, group or role named by `PolicySourceArn`, with its stored policies."""
    from idp.iam import users

    kind, _, rest = source_arn.partition(f"arn:aws:iam::{account_id}:")[2].partition("/")
    name = rest.rsplit("/", 1)[-1]
    if kind == "user" and (user := users.find(account_id, name)) is not None:
        identity, boundary = policy_store.user_identity(user)
        return Subject(user_principal(user), identity, boundary, guarded=True)
    if kind == "group" and (group := groups.find(account_id, name)) is not None:
        principal = RequestPrincipal.of(group.arn, account_id, PrincipalType.USER, user_id=group.group_id)
        return Subject(principal, policy_store.group_identity(group), guarded=True)
    if kind == "role" and (role := roles.find(account_id, name)) is not None:
        identity, boundary = policy_store.role_identity(role)
        principal = RequestPrincipal.of(role.arn, account_id, PrincipalType.ASSUMED_ROLE,
                                        user_id=role.role_id, role_arn=role.arn,
                                        tags={t["Key"]: t["Value"] for t in role.tags or []})
        return Subject(principal, identity, boundary, guarded=True)
    raise NotFound(f"Entity {source_arn} does not exist.") if kind in ("user", "group", "role") else ClientError(
        f"Invalid ARN {source_arn}: must be a user, group or role of this account.", code="InvalidInput")


def source_type(policy_id: str) -> str:
    """AWS's SourcePolicyType for a statement's policy."""
    if policy_id.startswith("arn:aws:iam::aws:policy"):
        return "aws-managed"
    if policy_id.startswith("arn:"):
        return "user-managed"
    if policy_id.startswith(("user/", "group/", "role/")):
        return policy_id.split("/", 1)[0]
    if policy_id.startswith("ResourcePolicy"):
        return "resource"
    return "IAM Policy"


def source_id(policy_id: str) -> str:
    """AWS's SourcePolicyId: the ARN of a managed policy, the name of an inline one."""
    if policy_id.startswith(("user/", "group/", "role/")):
        return policy_id.rsplit("/", 1)[-1]
    return policy_id


def simulate(
    subject: Subject,
    actions: Sequence[str],
    resources: Sequence[str],
    context: dict[str, object],
    *,
    resource_policy: Policy | None = None,
    resource_owner: str | None = None,
) -> list[dict]:
    """One EvaluationResult per (action, resource), as SimulatePrincipalPolicy shapes it."""
    policies = PolicySet(identity=subject.identity, boundary=subject.boundary)
    if resource_policy is not None:
        policies = policies.with_resource([resource_policy])
    referenced = {key.lower(): key for key in context_keys([*subject.identity, *subject.boundary])}
    given = {key.lower() for key in context}
    joined = guardrails.membership(subject.principal.account) if subject.guarded else None
    # A real request of the subject carries its organization's keys (aws:PrincipalOrgID): so does this one.
    keys = {**guardrails.organization_keys(subject.principal, None), **context} if joined else context
    results = []
    for action in actions:
        for resource in resources or ["*"]:
            request = RequestContext(subject.principal, action, resource, keys, resource_owner or "")
            bound = guardrails.guardrails_for(request, None) if joined else None
            guarded = policies.with_guardrails(bound.guardrails, bound.resource_guardrails) \
                if bound is not None else policies
            decision = evaluate(request, guarded)
            matched = decision.statements or matching_statements(request, guarded)
            present = set(request.keys)
            results.append({
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": DECISIONS[decision.effect],
                "MatchedStatements": [_statement(ref) for ref in matched if _relevant(ref, decision)],
                "MissingContextValues": sorted(
                    (name for lower, name in referenced.items() if lower not in given and lower not in present),
                    key=str.lower,
                ),
                "PermissionsBoundaryDecisionDetail": (
                    {"AllowedByPermissionsBoundary": _boundary_allows(request, subject)} if subject.boundary else None
                ),
                "OrganizationsDecisionDetail": (
                    {"AllowedByOrganizations": bound is None or guardrails_allow(request, bound)} if joined else None
                ),
            })
    return results


def _relevant(ref: StatementRef, decision) -> bool:
    return decision.effect is not DecisionEffect.EXPLICIT_DENY or ref.effect.value == "Deny"


def _statement(ref: StatementRef) -> dict:
    return {"SourcePolicyId": source_id(ref.policy_id), "SourcePolicyType": source_type(ref.policy_id)}


def _boundary_allows(request: RequestContext, subject: Subject) -> bool:
    return evaluate(request, PolicySet(identity=subject.boundary)).allowed


def keys_of(policies: Sequence[Policy]) -> list[str]:
    """Context keys the policies reference, for GetContextKeysFor*Policy."""
    return list(context_keys(policies))
