"""Typed, immutable policy documents: Policy and Statement."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .conditions import ConditionBlock
from .context import RequestContext
from .kinds import PolicyKind
from .matchers import ActionSet, ResourceSet
from .principals import Grant, PrincipalSet

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
VERSIONS = (VERSION_2012, VERSION_2008)


class Effect(enum.Enum):
    """A statement's Effect element."""

    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, slots=True, eq=False)
class Statement:
    """One statement; `index` is its position, used when it has no Sid."""

    index: int
    sid: str | None
    effect: Effect
    actions: ActionSet
    resources: ResourceSet | None
    principals: PrincipalSet | None
    condition: ConditionBlock | None

    @property
    def label(self) -> str:
        """The Sid, or `Statement[i]` when the statement has none."""
        return self.sid if self.sid else f"Statement[{self.index}]"

    def grant(self, request: RequestContext) -> Grant:
        """How this statement applies to the request (action already matched).

        Identity-side statements have no Principal: they apply as DIRECT.
        """
        grant = Grant.DIRECT
        if self.principals is not None:
            grant = self.principals.grant(request.principal)
            if grant is Grant.NONE:
                return grant
        resources = self.resources
        if resources is not None and not resources.applies(request.resource, request.keys):
            return Grant.NONE
        condition = self.condition
        if condition is not None and not condition.holds(request.keys):
            return Grant.NONE
        return grant

    def applies(self, request: RequestContext) -> bool:
        """Whether the statement covers the request: action, resource, principal, condition."""
        return self.actions.applies(request.action_lower) and self.grant(request) is not Grant.NONE


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed document; equal and hashable by (id, kind, canonical JSON)."""

    id: str
    kind: PolicyKind
    version: str
    document_id: str | None
    canonical: str
    statements: tuple[Statement, ...] = field(compare=False)

    @property
    def has_variables(self) -> bool:
        """Policy variables are only substituted under Version 2012-10-17."""
        return self.version == VERSION_2012
