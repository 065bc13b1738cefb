"""Questions the IAM API asks about policies: context keys, matching statements."""

from __future__ import annotations

from collections.abc import Iterable

from .context import RequestContext
from .decision import StatementRef
from .document import Policy
from .policy_set import PolicySet
from .principals import Grant
from .variables import Template


def context_keys(policies: Iterable[Policy]) -> tuple[str, ...]:
    """Context keys referenced by conditions and variables (GetContextKeysFor*Policy).

    Keys are compared case-insensitively; the first spelling seen is kept.
    """
    seen: dict[str, str] = {}
    for policy in policies:
        for statement in policy.statements:
            found: list[str] = []
            if statement.condition is not None:
                found.extend(statement.condition.keys())
            if statement.resources is not None:
                for pattern in statement.resources.patterns:
                    if isinstance(pattern, Template):
                        found.extend(pattern.keys)
            for key in found:
                seen.setdefault(key.lower(), key)
    return tuple(sorted(seen.values(), key=str.lower))


def matching_statements(request: RequestContext, policies: PolicySet) -> tuple[StatementRef, ...]:
    """Every statement that applies to the request, Allow and Deny (SimulatePrincipalPolicy)."""
    matched: list[StatementRef] = []
    for policy_type, index in policies.slots():
        denies, allows = index.candidates(request.action_lower, request.service)
        for policy, statement in (*denies, *allows):
            if statement.grant(request) is not Grant.NONE:
                matched.append(StatementRef.of(policy, statement, policy_type))
    return tuple(matched)
