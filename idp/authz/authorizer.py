"""The shared authorizer: caller + action + resource -> the policy engine's Decision."""
from __future__ import annotations

from typing import Sequence

from flask import has_request_context

from idp import audit, clock, logs, metrics
from idp.authz.context import global_keys
from idp.authz.guardrails import guardrails_for, organization_keys
from idp.authz.policy_store import policies_for_user
from idp.authz.principals import Caller
from idp.errors import AccessDenied, UnmodifiableEntity
from idp.policy import (
    Decision,
    Effect,
    Policy,
    PolicySet,
    PolicyType,
    RequestContext,
    evaluate,
    matching_statements,
)
from idp.policy.decision import explicit_deny, implicit_deny

EMPTY = PolicySet()


def decide(
    caller: Caller,
    action: str,
    resource: str,
    *,
    context: dict[str, object] | None = None,
    resource_policies: Sequence[Policy] = (),
    bound: PolicySet | None = None,
) -> Decision:
    """Evaluate one request of `caller` with AWS's semantics; never raises for a denial.

    `bound` (a delegated token's scope policies, in its session slot) must
    also allow the request, whatever else allowed it.
    """
    request = request_for(caller, action, resource, context)
    decision = evaluate(request, caller_policies(caller, resource_policies, request=request))
    if bound is not None:
        decision = within_bound(request, decision, bound)
    metrics.record_decision(decision)
    note(caller, action, resource, decision)
    return decision


def within_bound(request: RequestContext, decision: Decision, bound: PolicySet) -> Decision:
    """An Allow stands only if the bound's policies allow the request too (and none of them denies it).

    The engine already bounds an IAM user's token through the session slot;
    this also bounds what the engine lets through without consulting a
    session policy: a resource-based policy naming the principal itself, the
    root user, a web identity. A delegated token never exceeds its scopes.
    """
    if not decision.allowed:
        return decision
    matched = matching_statements(request, bound)
    denies = tuple(ref for ref in matched if ref.effect is Effect.DENY)
    if denies:
        return explicit_deny(request, denies)
    if not any(ref.effect is Effect.ALLOW and ref.policy_type is PolicyType.SESSION for ref in matched):
        return implicit_deny(request, PolicyType.SESSION)
    return decision


def request_for(caller: Caller, action: str, resource: str, context: dict[str, object] | None = None) -> RequestContext:
    """The engine's question: global keys, the caller's organization's, the keys the caller's session supplies,
    then `context`."""
    keys = global_keys(caller)
    keys.update(organization_keys(caller.principal, caller.authz_version))
    if caller.session_keys:
        keys.update(caller.session_keys)
        if caller.mfa_auth_time is not None:
            keys["aws:MultiFactorAuthAge"] = str(max(0, int((clock.now() - caller.mfa_auth_time).total_seconds())))
    if context:
        keys.update(context)
    return RequestContext(caller.principal, action, resource, keys)


def caller_policies(caller: Caller, resource_policies: Sequence[Policy] = (), *,
                    request: RequestContext | None = None) -> PolicySet:
    """The caller's own policies (a session's resolved set, or the user's), plus any resource policies, plus,
    for `request`, the organization's guardrails: the caller's SCPs and the RCPs of the resource's account."""
    policies = caller.policies
    if policies is None:
        policies = EMPTY if caller.user_pk is None else policies_for_user(
            caller.user_pk, caller.account_id, caller.arn, caller.authz_version
        )
    guardrails = guardrails_for(request, caller.authz_version) if request is not None else None
    if guardrails is not None:
        policies = policies.with_guardrails(guardrails.guardrails, guardrails.resource_guardrails)
    return policies.with_resource(resource_policies) if resource_policies else policies


def authorize(caller: Caller, action: str, resource: str, **kwargs) -> Decision:
    """`decide`, raising AccessDenied with AWS's reason when the answer is not Allow."""
    decision = decide(caller, action, resource, **kwargs)
    if not decision.allowed:
        if decision.protected and ":role/" in resource:
            # IAM answers a caller its policies would let change a role AWS keeps for itself with the role's
            # own error, not AccessDenied (the simulator still shows the engine's implicit deny).
            name = resource.rsplit("/", 1)[-1]
            raise UnmodifiableEntity(
                f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
            )
        raise AccessDenied(decision.reason)
    return decision


def note(caller: Caller, action: str, resource: str, decision: Decision) -> None:
    """Queue the decision for the request's audit record."""
    # Written to the audit log once the request's own transaction is settled,
    # so a denial (which rolls the request back) is still recorded.
    if has_request_context():
        # The key and a denial's reason let the audit API answer as CloudTrail does (AccessKeyId, errorMessage).
        detail = {"access_key_id": caller.access_key_id} if caller.access_key_id else {}
        if not decision.allowed:
            detail["reason"] = decision.reason
        audit.note(action, actor=caller.arn, resource=resource, decision=decision.effect.value,
                   account_id=caller.account_id, detail=detail or None)
        logs.note_decision(caller.arn, caller.account_id, action, decision.effect.value)  # the access line
