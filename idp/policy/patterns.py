"""Wildcard patterns (`*`, `?`) translated once into precompiled regexes."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

# A pattern is a sequence of chunks: (text, wildcards_active). Text that came
# from a policy variable or an escape like ${*} is literal, so its `*` and `?`
# must not act as wildcards.
Chunks = tuple[tuple[str, bool], ...]

# The first five ARN segments (arn, partition, service, region, account) end
# at a colon; only the resource part lets `*` span `:` and `/`.
_ARN_PREFIX_COLONS = 5


def literal(text: str) -> Chunks:
    """Chunks for a pattern written directly in a policy (wildcards active)."""
    return ((text, True),)


def chunks_text(chunks: Chunks) -> str:
    """The plain text of a pattern, for operators that do not use wildcards."""
    return "".join(text for text, _ in chunks)


def _translate(chunks: Iterable[tuple[str, bool]], arn: bool) -> str:
    out: list[str] = []
    colons = 0
    for text, wild in chunks:
        for ch in text:
            in_prefix = arn and colons < _ARN_PREFIX_COLONS
            if wild and ch == "*":
                out.append("[^:]*" if in_prefix else ".*")
            elif wild and ch == "?":
                out.append("[^:]" if in_prefix else ".")
            else:
                if ch == ":":
                    colons += 1
                out.append(re.escape(ch))
    return "".join(out)


@functools.lru_cache(maxsize=8192)
def glob_regex(chunks: Chunks, ignore_case: bool = False) -> re.Pattern[str]:
    """Regex for a StringLike-style glob: `*` any run, `?` one character."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(_translate(chunks, arn=False), flags)


@functools.lru_cache(maxsize=8192)
def arn_regex(chunks: Chunks) -> re.Pattern[str]:
    """Regex for an ARN pattern, matched segment by segment, case-sensitive."""
    if chunks_text(chunks) == "*" and all(wild for _, wild in chunks):
        return re.compile(".*", re.DOTALL)
    return re.compile(_translate(chunks, arn=True), re.DOTALL)


def union_regex(sources: Iterable[str], ignore_case: bool) -> re.Pattern[str] | None:
    """One alternation for many patterns, so a statement tests them in one call."""
    parts = [f"(?:{source})" for source in sources]
    if not parts:
        return None
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("|".join(parts), flags)


def glob_source(text: str) -> str:
    """Regex source of one static glob (for building unions)."""
    return _translate(literal(text), arn=False)


def arn_source(text: str) -> str:
    """Regex source of one static ARN pattern (for building unions)."""
    return arn_regex(literal(text)).pattern


def has_wildcard(text: str) -> bool:
    """True when the text would match more than itself as a glob."""
    return "*" in text or "?" in text
