"""The one cache primitive: a bounded, thread-safe map kept per app, whose entries may carry a version.

Every in-process cache of the product is one of these (`app_cache(name, max_entries)`), kept in
`app.extensions`, so two apps in one process (tests) never share entries. An entry put with a `version`
(an account's `authz_version`, a deadline) is returned only to a `get` that asks for the same version, so a
change that bumps the version retires every entry computed before it, on every instance. When full, the
oldest entry goes first.
"""
from __future__ import annotations

import threading
from typing import Generic, Hashable, TypeVar

from flask import current_app

V = TypeVar("V")
_ANY = object()
_MISSING = object()


class Cache(Generic[V]):
    """At most `max_entries` values by key, each with the version it was computed at."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[object, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: object = _ANY, default: V | None = None) -> V | None:
        """The value of `key` if present (and computed at `version`, when one is asked for), else `default`."""
        entry = self._entries.get(key, _MISSING)
        if entry is _MISSING or (version is not _ANY and entry[0] != version):
            return default
        return entry[1]

    def version_of(self, key: Hashable) -> object:
        """The version `key`'s value was put with (None when unversioned or absent)."""
        entry = self._entries.get(key)
        return entry[0] if entry is not None else None

    def put(self, key: Hashable, value: V, version: object = None) -> V:
        """Remember `value` for `key` at `version`; the oldest entry goes when the cache is full."""
        with self._lock:
            if key not in self._entries and len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)), None)
            self._entries[key] = (version, value)
        return value

    def pop(self, key: Hashable) -> None:
        """Forget `key`."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries


_create_lock = threading.Lock()


def app_cache(name: str, max_entries: int = 10_000) -> Cache:
    """The running app's cache called `name` (created on first use)."""
    cache = current_app.extensions.get(name)
    if cache is None:
        with _create_lock:
            cache = current_app.extensions.setdefault(name, Cache(max_entries))
    return cache
