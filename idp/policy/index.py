"""Statements indexed by service prefix, so cost grows with what can match."""

from __future__ import annotations

from collections.abc import Sequence

from .document import Effect, Policy, Statement

Entry = tuple[Policy, Statement]

# Distinct actions seen per index; the cache is dropped when it fills, which
# only costs a rebuild (actions are few; a flood of odd names cannot grow it).
_CACHE_LIMIT = 2048


class StatementIndex:
    """The statements of some policies, bucketed by lowercased service prefix.

    Statements whose actions can span services (`*`, `*:Get*`, NotAction) go
    in an always-checked bucket. Per action the matching statements are
    computed once and cached, split into denies and allows.
    """

    __slots__ = ("policies", "_by_service", "_always", "_cache")

    def __init__(self, policies: Sequence[Policy]) -> None:
        self.policies: tuple[Policy, ...] = tuple(policies)
        self._by_service: dict[str, list[Entry]] = {}
        self._always: list[Entry] = []
        for policy in self.policies:
            for statement in policy.statements:
                services = statement.actions.services()
                if services is None:
                    self._always.append((policy, statement))
                    continue
                for service in services:
                    self._by_service.setdefault(service, []).append((policy, statement))
        self._cache: dict[str, tuple[tuple[Entry, ...], tuple[Entry, ...]]] = {}

    def __bool__(self) -> bool:
        return bool(self.policies)

    def candidates(self, action_lower: str, service: str) -> tuple[tuple[Entry, ...], tuple[Entry, ...]]:
        """(deny entries, allow entries) whose Action/NotAction covers the action."""
        found = self._cache.get(action_lower)
        if found is not None:
            return found
        matching = [
            entry
            for entry in (*self._by_service.get(service, ()), *self._always)
            if entry[1].actions.applies(action_lower)
        ]
        found = (
            tuple(entry for entry in matching if entry[1].effect is Effect.DENY),
            tuple(entry for entry in matching if entry[1].effect is Effect.ALLOW),
        )
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[action_lower] = found
        return found
