"""Policy variables (`${aws:username}`, defaults, `${*}` escapes) in values."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .patterns import Chunks

VERSION_WITH_VARIABLES = "2012-10-17"

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = frozenset("*?$")
# `${key}` or `${key, 'default'}`; the default is single-quoted as at AWS.
_KEY_AND_DEFAULT = re.compile(r"\s*([^,\s'][^,']*?)\s*(?:,\s*'([^']*)'\s*)?")

# Context lookup: a str for single-valued keys, a tuple for multi-valued ones,
# None when the request does not carry the key.
Lookup = Callable[[str], "str | tuple[str, ...] | None"]


@dataclass(frozen=True, slots=True)
class Variable:
    """A `${key}` reference, with its optional default."""

    key: str
    default: str | None


@dataclass(frozen=True, slots=True)
class Escape:
    """`${*}`, `${?}` or `${$}`: a literal character inside a pattern."""

    char: str


@dataclass(frozen=True, slots=True)
class Template:
    """A value holding variables, resolved per request."""

    source: str
    parts: tuple[str | Variable | Escape, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The context keys this template reads, as written."""
        return tuple(part.key for part in self.parts if isinstance(part, Variable))

    def resolve(self, lookup: Lookup) -> Chunks | None:
        """The pattern chunks for this request, or None if a variable is unresolvable."""
        chunks: list[tuple[str, bool]] = []
        for part in self.parts:
            if isinstance(part, str):
                chunks.append((part, True))
            elif isinstance(part, Escape):
                chunks.append((part.char, False))
            else:
                value = lookup(part.key.lower())
                # Multi-valued keys cannot stand in for one value.
                if not isinstance(value, str):
                    if part.default is None:
                        return None
                    value = part.default
                chunks.append((value, False))
        return tuple(chunks)


def parse_value(text: str, version: str) -> str | Template:
    """Text as written, or a Template when it holds variables under 2012-10-17."""
    if version != VERSION_WITH_VARIABLES or "${" not in text:
        return text
    parts: list[str | Variable | Escape] = []
    position = 0
    for found in _VARIABLE.finditer(text):
        parts.append(text[position : found.start()])
        position = found.end()
        body = found.group(1)
        if body in _ESCAPES:
            parts.append(Escape(body))
            continue
        key_and_default = _KEY_AND_DEFAULT.fullmatch(body)
        if key_and_default is None:
            # Not a variable AWS would recognise: it stays literal text.
            parts.append(found.group(0))
            continue
        parts.append(Variable(key_and_default.group(1), key_and_default.group(2)))
    parts.append(text[position:])
    kept = tuple(part for part in parts if part != "")
    if all(isinstance(part, str) for part in kept):
        return text
    return Template(text, kept)
