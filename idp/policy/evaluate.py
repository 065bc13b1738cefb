"""AWS's policy evaluation logic: explicit deny, guardrails (SCPs, RCPs), resource, identity, boundary, session.

Follows the IAM User Guide, "Policy evaluation logic", "Determining whether a
request is allowed or denied within an account" and "Cross-account policy
evaluation logic".
"""

from __future__ import annotations

from . import decision as explain
from .context import ACCOUNT_PRINCIPALS, PrincipalType, RequestContext
from .decision import Decision, PolicyType, StatementRef
from .document import Policy
from .index import StatementIndex
from .kinds import PolicyKind
from .policy_set import PolicySet
from .principals import Grant
from .reserved import protection

ASSUME_ROLE_ACTIONS = frozenset({"sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml"})

_Scan = tuple[list[StatementRef], StatementRef | None, Grant]
_NOTHING: _Scan = ([], None, Grant.NONE)


def _scan(index: StatementIndex, request: RequestContext, policy_type: PolicyType) -> _Scan:
    """Applicable denies, the most specific applicable allow, and its grant."""
    deny_entries, allow_entries = index.candidates(request.action_lower, request.service)
    denies = [
        StatementRef.of(policy, statement, policy_type)
        for policy, statement in deny_entries
        if statement.grant(request) is not Grant.NONE
    ]
    best: StatementRef | None = None
    best_grant = Grant.NONE
    for policy, statement in allow_entries:
        grant = statement.grant(request)
        if grant > best_grant:
            best, best_grant = StatementRef.of(policy, statement, policy_type), grant
            if grant is Grant.DIRECT:
                break
    return denies, best, best_grant


def evaluate(request: RequestContext, policies: PolicySet) -> Decision:
    """Decide one request against the principal's and the resource's policies.

    An Allow on a resource AWS keeps for itself (an AWS managed policy, a
    service-linked or /aws-reserved/ role) becomes an implicit deny saying so;
    this binds the root user too.
    """
    decision = _evaluate(request, policies)
    if decision.allowed:
        why = protection(request.action_lower, request.resource)
        if why is not None:
            return explain.protected_deny(request, why)
    return decision


def guardrails_allow(request: RequestContext, policies: PolicySet) -> bool:
    """Whether the service control policies alone let the request through: no level denies it and every level
    allows it (nothing else is considered, as IAM's simulator reports AllowedByOrganizations)."""
    scans = [_scan(level, request, PolicyType.GUARDRAIL) for level in policies.guardrails]
    return all(not denies and allow is not None for denies, allow, _ in scans)


def _evaluate(request: RequestContext, policies: PolicySet) -> Decision:
    principal = request.principal
    # Web identity, SAML, service and anonymous callers carry no identity-based
    # policies: only resource-based policies can let them in.
    has_identity = principal.type in ACCOUNT_PRINCIPALS
    # The root user's identity permissions are implicit (the authorizer
    # normally handles root itself); only denies and guardrails bind it.
    is_root = principal.type is PrincipalType.ACCOUNT
    guardrails = [_scan(level, request, PolicyType.GUARDRAIL) for level in policies.guardrails]
    resource_guardrails = [_scan(level, request, PolicyType.RESOURCE_GUARDRAIL)
                           for level in policies.resource_guardrails]
    resource = _scan(policies.resource, request, PolicyType.RESOURCE) if policies.has_resource else _NOTHING
    scoped = has_identity and not is_root
    identity = _scan(policies.identity, request, PolicyType.IDENTITY) if scoped else _NOTHING
    boundary = _scan(policies.boundary, request, PolicyType.BOUNDARY) if scoped and policies.has_boundary else _NOTHING
    session = _scan(policies.session, request, PolicyType.SESSION) if scoped and policies.has_session else _NOTHING

    scans = (*guardrails, *resource_guardrails, resource, identity, boundary, session)
    denies = [ref for scan in scans for ref in scan[0]]
    if denies:
        return explain.explicit_deny(request, tuple(denies))
    # Every level of the caller's SCPs, then of the resource's RCPs, must allow.
    if any(scan[1] is None for scan in guardrails):
        return explain.implicit_deny(request, PolicyType.GUARDRAIL)
    if any(scan[1] is None for scan in resource_guardrails):
        return explain.implicit_deny(request, PolicyType.RESOURCE_GUARDRAIL)
    granted = [scan[1] for scan in (*guardrails, *resource_guardrails) if scan[1] is not None]
    resource_allow, grant = resource[1], resource[2]

    if not has_identity:
        if resource_allow is None:
            return explain.implicit_deny(request, PolicyType.RESOURCE)
        return explain.allow(request, (*granted, resource_allow))

    same_account = not request.is_cross_account
    # Within one account a resource-based policy naming the user or the role
    # session allows on its own: no identity allow needed, and neither the
    # boundary nor a session policy limits it.
    if same_account and grant is Grant.DIRECT and resource_allow is not None:
        return explain.allow(request, (*granted, resource_allow))
    if not is_root:
        # Naming the role ARN stands in for the identity-based allow, but the
        # boundary and session policy still bound it.
        role_named = same_account and grant is Grant.ROLE
        if identity[1] is None and not role_named:
            return explain.implicit_deny(request, PolicyType.IDENTITY)
        if policies.has_boundary and boundary[1] is None:
            return explain.implicit_deny(request, PolicyType.BOUNDARY)
        if policies.has_session and session[1] is None:
            return explain.implicit_deny(request, PolicyType.SESSION)
        granted.extend(scan[1] for scan in (identity, boundary, session) if scan[1] is not None)
    # Cross-account, both sides must allow; a trust policy must always allow.
    if request.is_cross_account or policies.requires_resource_allow:
        if resource_allow is None:
            return explain.implicit_deny(request, PolicyType.RESOURCE)
    if resource_allow is not None:
        granted.append(resource_allow)
    return explain.allow(request, tuple(granted))


def evaluate_trust(request: RequestContext, trust_policy: Policy, caller: PolicySet | None = None) -> Decision:
    """Decide sts:AssumeRole* against a role's trust policy and the caller's policies.

    Passing session tags (aws:TagKeys / aws:RequestTag/*) also needs
    sts:TagSession, and a source identity (sts:SourceIdentity) needs
    sts:SetSourceIdentity, each allowed as the main action is.
    """
    if trust_policy.kind is not PolicyKind.TRUST:
        raise ValueError(f"policy {trust_policy.id!r} is not a trust policy")
    if request.action_lower not in ASSUME_ROLE_ACTIONS:
        raise ValueError(f"{request.action} is not an sts:AssumeRole* action")
    policies = (caller or PolicySet()).with_resource((trust_policy,))
    actions = [request.action]
    keys = request.keys
    if "aws:tagkeys" in keys or any(key.startswith("aws:requesttag/") for key in keys):
        actions.append("sts:TagSession")
    if "sts:sourceidentity" in keys:
        actions.append("sts:SetSourceIdentity")
    granted: list[StatementRef] = []
    first: Decision | None = None
    for action in actions:
        decision = evaluate(request if action == request.action else request.with_action(action), policies)
        if not decision.allowed:
            return decision
        first = first or decision
        granted.extend(ref for ref in decision.statements if ref not in granted)
    assert first is not None
    return Decision(first.effect, tuple(granted), None, request)
