"""The policies that bear on one principal's requests, compiled once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .decision import PolicyType
from .document import Policy
from .index import StatementIndex
from .kinds import PolicyKind


class PolicySet:
    """Policies by type, each type indexed once and reused across requests.

    `guardrails` is a sequence of levels (organization root, OUs, account):
    like SCPs, every level must allow. An empty slot means "not set": no
    boundary, no session policy, no guardrails.
    """

    __slots__ = (
        "identity", "boundary", "session", "resource", "guardrails",
        "has_boundary", "has_session", "has_resource", "requires_resource_allow",
    )  # fmt: skip

    def __init__(
        self,
        identity: Sequence[Policy] = (),
        boundary: Sequence[Policy] = (),
        session: Sequence[Policy] = (),
        resource: Sequence[Policy] = (),
        guardrails: Sequence[Sequence[Policy]] = (),
    ) -> None:
        _check_kinds(resource, resource_based=True)
        for slot in (identity, boundary, session, *guardrails):
            _check_kinds(slot, resource_based=False)
        self.identity = StatementIndex(identity)
        self.boundary = StatementIndex(boundary)
        self.session = StatementIndex(session)
        self.resource = StatementIndex(resource)
        self.guardrails = tuple(StatementIndex(level) for level in guardrails)
        self._set_flags()

    def with_resource(self, resource: Sequence[Policy]) -> PolicySet:
        """The same principal's policies with a resource's policies added.

        The principal's indexes (and their per-action caches) are shared.
        """
        _check_kinds(resource, resource_based=True)
        combined = object.__new__(PolicySet)
        combined.identity = self.identity
        combined.boundary = self.boundary
        combined.session = self.session
        combined.resource = StatementIndex(resource)
        combined.guardrails = self.guardrails
        combined._set_flags()
        return combined

    def _set_flags(self) -> None:
        # Plain attributes: evaluation reads them on every request.
        self.has_boundary = bool(self.boundary.policies)
        self.has_session = bool(self.session.policies)
        self.has_resource = bool(self.resource.policies)
        # A role's trust policy must allow even within one account.
        self.requires_resource_allow = any(policy.kind is PolicyKind.TRUST for policy in self.resource.policies)

    def slots(self) -> Iterator[tuple[PolicyType, StatementIndex]]:
        """Every (policy type, index) pair, guardrail levels included."""
        for level in self.guardrails:
            yield PolicyType.GUARDRAIL, level
        yield PolicyType.RESOURCE, self.resource
        yield PolicyType.IDENTITY, self.identity
        yield PolicyType.BOUNDARY, self.boundary
        yield PolicyType.SESSION, self.session


def _check_kinds(policies: Sequence[Policy], resource_based: bool) -> None:
    for policy in policies:
        if policy.kind.needs_principal != resource_based:
            slot = "resource-based" if resource_based else "principal-side"
            raise ValueError(f"policy {policy.id!r} of kind {policy.kind.value} cannot be used as a {slot} policy")
