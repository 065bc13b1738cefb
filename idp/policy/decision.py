"""The outcome of an evaluation, explained in AWS's own words."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field

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
    RESOURCE_GUARDRAIL = "resource control policy"
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


@dataclass(frozen=True)
class Decision:
    """Allow / ExplicitDeny / ImplicitDeny, the statements behind it, and why.

    The reason text is built on first access: most callers only need
    `.allowed`, and formatting it for every request would cost more than
    evaluating the request.
    """

    effect: DecisionEffect
    statements: tuple[StatementRef, ...] = ()
    # For an implicit deny: the policy type that had no applicable Allow.
    missing_allow: PolicyType | None = None
    request: RequestContext | None = field(default=None, repr=False, compare=False)
    # For an implicit deny no policy can lift (`reserved.protection`): why AWS keeps the resource.
    protected: str | None = None

    @property
    def allowed(self) -> bool:
        """True only for Allow."""
        return self.effect is DecisionEffect.ALLOW

    @functools.cached_property
    def reason(self) -> str:
        """AWS's sentence for a denial; `Allowed ... by ...` for an Allow."""
        request = self.request
        if request is None:
            return self.effect.value
        if self.effect is DecisionEffect.EXPLICIT_DENY:
            kind = self.statements[0].policy_type.value
            article = "an" if kind[0] in "aeiou" else "a"
            return f"{_denial_head(request)} with an explicit deny in {article} {kind}"
        if self.effect is DecisionEffect.IMPLICIT_DENY and self.protected:
            return f"{_denial_head(request)} because {self.protected}"
        if self.effect is DecisionEffect.IMPLICIT_DENY:
            missing = self.missing_allow.value if self.missing_allow else "policy"
            # AWS says "no permissions boundary allows", "no identity-based policy allows".
            return f"{_denial_head(request)} because no {missing} allows the {request.action} action"
        granted = "; ".join(f"{ref.policy_type.value} {ref.label}" for ref in self.statements)
        on = f" on resource: {request.resource}" if request.resource else ""
        return f"Allowed {request.principal.arn} to perform: {request.action}{on} by {granted or 'the account root user'}"


def _denial_head(request: RequestContext) -> str:
    principal = request.principal
    who = "anonymous" if principal.type is PrincipalType.ANONYMOUS and not principal.arn else principal.arn
    head = f"User: {who} is not authorized to perform: {request.action}"
    return f"{head} on resource: {request.resource}" if request.resource else head


def explicit_deny(request: RequestContext, denies: tuple[StatementRef, ...]) -> Decision:
    """An explicit deny, named after the first deny's policy type."""
    return Decision(DecisionEffect.EXPLICIT_DENY, denies, None, request)


def implicit_deny(request: RequestContext, missing: PolicyType) -> Decision:
    """No Allow where one was needed."""
    return Decision(DecisionEffect.IMPLICIT_DENY, (), missing, request)


def protected_deny(request: RequestContext, why: str) -> Decision:
    """An implicit deny whatever the policies allow: the resource is AWS's own."""
    return Decision(DecisionEffect.IMPLICIT_DENY, (), None, request, why)


def allow(request: RequestContext, allows: tuple[StatementRef, ...]) -> Decision:
    """An Allow, naming the statements that granted it."""
    return Decision(DecisionEffect.ALLOW, allows, None, request)
