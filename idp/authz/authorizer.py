"""The shared authorizer: caller + action + resource -> the policy engine's Decision."""
from __future__ import annotations

from typing import Sequence

from flask import g, has_request_context

from idp.authz.context import global_keys
from idp.authz.policy_store import policies_for_user
from idp.authz.principals import Caller
from idp.errors import AccessDenied
from idp.policy import Decision, Policy, PolicySet, RequestContext, evaluate

EMPTY = PolicySet()


def decide(
    caller: Caller,
    action: str,
    resource: str,
    *,
    context: dict[str, object] | None = None,
    resource_policies: Sequence[Policy] = (),
) -> Decision:
    """Evaluate one request of `caller` with AWS's semantics; never raises for a denial."""
    keys = global_keys(caller)
    keys.update(context or {})
    request = RequestContext(caller.principal, action, resource, keys)
    policies = EMPTY if caller.user_pk is None else policies_for_user(
        caller.user_pk, caller.account_id, caller.arn, caller.authz_version
    )
    if resource_policies:
        policies = policies.with_resource(resource_policies)
    decision = evaluate(request, policies)
    _note(caller, action, resource, decision)
    return decision


def authorize(caller: Caller, action: str, resource: str, **kwargs) -> Decision:
    """`decide`, raising AccessDenied with AWS's reason when the answer is not Allow."""
    decision = decide(caller, action, resource, **kwargs)
    if not decision.allowed:
        raise AccessDenied(decision.reason)
    return decision


def _note(caller: Caller, action: str, resource: str, decision: Decision) -> None:
    # Written to the audit log once the request's own transaction is settled,
    # so a denial (which rolls the request back) is still recorded.
    if has_request_context():
        g.setdefault("audit_decisions", []).append(
            {"actor": caller.arn, "action": action, "resource": resource,
             "decision": decision.effect.value, "account_id": caller.account_id}
        )
