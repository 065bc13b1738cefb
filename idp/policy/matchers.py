"""The Action/NotAction and Resource/NotResource elements, compiled for matching."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .context import ContextKeys
from .grammar import matches_nothing
from .patterns import arn_regex, arn_source, glob_source, has_wildcard, union_regex
from .variables import Template


@dataclass(frozen=True, slots=True)
class ActionSet:
    """Action patterns (`service:Verb`, case-insensitive); `negated` for NotAction.

    `unmatchable` holds the written patterns IAM stores but no request can
    match (`"s3: GetObject"`, `"iam:"`, `"iam:Get,List"`): they take no part
    in matching, so a NotAction made of them covers every request.
    """

    patterns: tuple[str, ...]
    negated: bool
    everything: bool
    exact: frozenset[str]
    wildcards: re.Pattern[str] | None
    unmatchable: tuple[str, ...] = ()

    @classmethod
    def compile(cls, patterns: tuple[str, ...], negated: bool) -> ActionSet:
        """Split exact names (a set lookup) from wildcard ones (one regex)."""
        unmatchable = tuple(pattern for pattern in patterns if matches_nothing(pattern))
        lowered = [pattern.lower() for pattern in patterns if not matches_nothing(pattern)]
        exact = frozenset(pattern for pattern in lowered if not has_wildcard(pattern))
        wild = [glob_source(pattern) for pattern in lowered if has_wildcard(pattern)]
        return cls(patterns, negated, "*" in lowered, exact, union_regex(wild, ignore_case=True), unmatchable)

    def lists(self, action_lower: str) -> bool:
        """Whether the element's patterns name the action (before negation)."""
        if self.everything or action_lower in self.exact:
            return True
        return self.wildcards is not None and self.wildcards.fullmatch(action_lower) is not None

    def applies(self, action_lower: str) -> bool:
        """Whether a statement with this element covers the action."""
        return self.lists(action_lower) != self.negated

    def services(self) -> frozenset[str] | None:
        """Lowercased service prefixes this element can match; None means any."""
        if self.negated:
            return None
        prefixes: set[str] = set()
        for pattern in self.patterns:
            if pattern in self.unmatchable:
                continue
            prefix, separator, _ = pattern.lower().partition(":")
            if not separator or has_wildcard(prefix):
                return None
            prefixes.add(prefix)
        return frozenset(prefixes)


@dataclass(frozen=True, slots=True)
class ResourceSet:
    """ARN patterns, some holding variables; `negated` for NotResource."""

    patterns: tuple[str | Template, ...]
    negated: bool
    static: re.Pattern[str] | None
    templates: tuple[Template, ...]

    @classmethod
    def compile(cls, patterns: tuple[str | Template, ...], negated: bool) -> ResourceSet:
        """Join the variable-free patterns into one regex; keep templates apart."""
        static = [arn_source(pattern) for pattern in patterns if isinstance(pattern, str)]
        templates = tuple(pattern for pattern in patterns if isinstance(pattern, Template))
        return cls(patterns, negated, union_regex(static, ignore_case=False), templates)

    def lists(self, resource: str, keys: ContextKeys) -> bool:
        """Whether the element's patterns name the resource (before negation)."""
        if self.static is not None and self.static.fullmatch(resource) is not None:
            return True
        for template in self.templates:
            chunks = template.resolve(keys.get_lower)
            if chunks is not None and arn_regex(chunks).fullmatch(resource) is not None:
                return True
        return False

    def applies(self, resource: str, keys: ContextKeys) -> bool:
        """Whether a statement with this element covers the resource."""
        return self.lists(resource, keys) != self.negated
