"""May this caller assume this role? The role's trust policy and, for IAM principals, their own policies."""
from __future__ import annotations

from flask import has_request_context

from idp import audit, logs
from idp.authz.policy_store import parsed
from idp.errors import AccessDenied
from idp.policy import (
    Decision,
    Policy,
    PolicyKind,
    PolicySet,
    RequestContext,
    evaluate_trust,
)


def trust_policy(role) -> Policy:
    """The role's trust policy, parsed once per document."""
    return parsed(role.trust_policy, PolicyKind.TRUST, role.arn)


def authorize_assume(role, request: RequestContext, caller_policies: PolicySet | None, *,
                     audited: bool = True) -> Decision:
    """Trust policy (+ the caller's identity policies when the caller is an IAM principal); raises AccessDenied with the engine's reason.

    The engine applies AWS's rules: the trust policy must always allow; within
    the role's account a statement naming the caller (or its role) suffices,
    one naming only the account needs an identity-policy allow too, and across
    accounts both sides must allow. Session tags need sts:TagSession and a
    source identity sts:SetSourceIdentity, allowed the same way. `audited=False`: the caller writes the
    one audit entry of its action itself, with the call's outcome (AssumeRoleWithSAML).
    """
    decision = evaluate_trust(request, trust_policy(role), caller_policies)
    if has_request_context():
        if audited:
            audit.note(request.action, actor=request.principal.arn, resource=role.arn,
                       decision=decision.effect.value, account_id=role.account_id)
        logs.note_decision(request.principal.arn, request.principal.account, request.action, decision.effect.value)
    if not decision.allowed:
        raise AccessDenied(decision.reason)
    return decision
