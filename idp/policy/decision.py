"""The outcome of an evaluation, explained in AWS's own words."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .context import PrincipalType, RequestContext
from .document import Effect, Policy, Statement


class DecisionEffect(str, enum.Enum):
    """Allow, or which kind of deny."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


class PolicyType(str, enum.Enum):
    """The slot a policy was evaluated in, named as AWS's denials name it."""

    GUARDRAIL = "service control policy"
    RESOURCE = "resource-based policy"
    IDENTITY = "identity-based policy"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"


@dataclass(frozen=True, slots=True)
class StatementRef:
    """A statement that took part in a decision, and the policy it came from."""

    policy_id: str
    policy_type: PolicyType
    effect: Effect
    sid: str | None
    index: int

    @classmethod
    def of(cls, policy: Policy, statement: Statement, policy_type: PolicyType) -> StatementRef:
        """Reference to `statement` of `policy` evaluated as `policy_type`."""
        return cls(policy.id, policy_type, statement.effect, statement.sid, statement.index)

    @property
    def label(self) -> str:
        """`policy-id (Sid)`, or `policy-id (Statement[i])` without a Sid."""
        return f"{self.policy_id} ({self.sid if self.sid else f'Statement[{self.index}]'})"


@dataclass(frozen=True, slots=True)
class Decision:
    """Allow / ExplicitDeny / ImplicitDeny, the statements behind it, and why."""

    effect: DecisionEffect
    reason: str
    statements: tuple[StatementRef, ...] = ()
    # For an implicit deny: the policy type that had no applicable Allow.
    missing_allow: PolicyType | None = None

    @property
    def allowed(self) -> bool:
        """True only for Allow."""
        return self.effect is DecisionEffect.ALLOW


def _denial_head(request: RequestContext, action: str) -> str:
    principal = request.principal
    who = "anonymous" if principal.type is PrincipalType.ANONYMOUS and not principal.arn else principal.arn
    head = f"User: {who} is not authorized to perform: {action}"
    return f"{head} on resource: {request.resource}" if request.resource else head


def explicit_deny(request: RequestContext, denies: tuple[StatementRef, ...]) -> Decision:
    """An explicit deny, named after the first deny's policy type."""
    kind = denies[0].policy_type.value
    article = "an" if kind[0] in "aeiou" else "a"
    reason = f"{_denial_head(request, request.action)} with an explicit deny in {article} {kind}"
    return Decision(DecisionEffect.EXPLICIT_DENY, reason, denies)


def implicit_deny(request: RequestContext, missing: PolicyType) -> Decision:
    """No Allow where one was needed."""
    # AWS says "no permissions boundary allows", "no identity-based policy allows".
    reason = f"{_denial_head(request, request.action)} because no {missing.value} allows the {request.action} action"
    return Decision(DecisionEffect.IMPLICIT_DENY, reason, (), missing)


def allow(request: RequestContext, allows: tuple[StatementRef, ...]) -> Decision:
    """An Allow, naming the statements that granted it."""
    granted = "; ".join(f"{ref.policy_type.value} {ref.label}" for ref in allows) or "the account root user"
    reason = f"Allowed {request.principal.arn} to perform: {request.action}"
    reason += f" on resource: {request.resource}" if request.resource else ""
    return Decision(DecisionEffect.ALLOW, f"{reason} by {granted}", allows)
