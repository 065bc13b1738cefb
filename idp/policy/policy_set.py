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
    like SCPs, every level must allow. `resource_guardrails` are the levels
    of the resource's account (RCPs), which bind whoever calls. An empty slot
    means "not set": no boundary, no session policy, no guardrails.
    """

    __slots__ = (
        "identity", "boundary", "session", "resource", "guardrails", "resource_guardrails",
        "has_boundary", "has_session", "has_resource", "requires_resource_allow",
    )  # fmt: skip

    def __init__(
        self,
        identity: Sequence[Policy] = (),
        boundary: Sequence[Policy] = (),
        session: Sequence[Policy] = (),
        resource: Sequence[Policy] = (),
        guardrails: Sequence[Sequence[Policy]] = (),
        resource_guardrails: Sequence[Sequence[Policy]] = (),
    ) -> None:
        for slot in (resource, *resource_guardrails):
            _check_kinds(slot, resource_based=True)
        for slot in (identity, boundary, session, *guardrails):
            _check_kinds(slot, resource_based=False)
        self.identity = StatementIndex(identity)
        self.boundary = StatementIndex(boundary)
        self.session = StatementIndex(session)
        self.resource = StatementIndex(resource)
        self.guardrails = tuple(StatementIndex(level) for level in guardrails)
        self.resource_guardrails = tuple(StatementIndex(level) for level in resource_guardrails)
        self._set_flags()

    def with_resource(self, resource: Sequence[Policy]) -> PolicySet:
        """The same principal's policies with a resource's policies added.

        The principal's indexes (and their per-action caches) are shared.
        """
        _check_kinds(resource, resource_based=True)
        return self._copy(resource=StatementIndex(resource))

    def with_guardrails(
        self, guardrails: Sequence[StatementIndex] = (), resource_guardrails: Sequence[StatementIndex] = ()
    ) -> PolicySet:
        """The same policies with these guardrail levels (SCPs, RCPs: another set's compiled levels) in place.

        The levels' indexes are shared, so guardrails compiled once serve every principal they bind.
        """
        return self._copy(guardrails=tuple(guardrails), resource_guardrails=tuple(resource_guardrails))

    def _copy(self, **slots: object) -> PolicySet:
        combined = object.__new__(PolicySet)
        for name in ("identity", "boundary", "session", "resource", "guardrails", "resource_guardrails"):
            setattr(combined, name, slots.get(name, getattr(self, name)))
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
        for level in self.resource_guardrails:
            yield PolicyType.RESOURCE_GUARDRAIL, level
        yield PolicyType.RESOURCE, self.resource
        yield PolicyType.IDENTITY, self.identity
        yield PolicyType.BOUNDARY, self.boundary
        yield PolicyType.SESSION, self.session


def _check_kinds(policies: Sequence[Policy], resource_based: bool) -> None:
    for policy in policies:
        if policy.kind.needs_principal != resource_based:
            slot = "resource-based" if resource_based else "principal-side"
            raise ValueError(f"policy {policy.id!r} of kind {policy.kind.value} cannot be used as a {slot} policy")
