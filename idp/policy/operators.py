"""Condition operators: how one policy value is compared with one request value."""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from .patterns import Chunks, arn_regex, chunks_text, glob_regex


@dataclass(frozen=True, slots=True)
class Comparison:
    """A family of operators: `prepare` a policy value once, then `matches` requests.

    `prepare` raises ValueError for a value the operator cannot use; at parse
    time that makes the document malformed, at request time (after variable
    substitution) the value simply never matches.
    """

    prepare: Callable[[Chunks], object]
    matches: Callable[[object, str], bool]


@dataclass(frozen=True, slots=True)
class Operator:
    """A base operator name resolved to its comparison and negation."""

    name: str
    comparison: Comparison
    negated: bool


def _string_equals(prepared: object, value: str) -> bool:
    return prepared == value


def _ignore_case(prepared: object, value: str) -> bool:
    return prepared == value.casefold()


def _regex_matches(prepared: object, value: str) -> bool:
    return prepared.fullmatch(value) is not None  # type: ignore[attr-defined]


def parse_number(text: str) -> float:
    """A numeric condition value (integer or decimal), or ValueError."""
    number = float(text.strip())
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {text!r}")
    return number


_EPOCH = re.compile(r"-?\d+(?:\.\d+)?")


@functools.lru_cache(maxsize=4096)
def parse_date(text: str) -> float:
    """An ISO-8601 date/time or epoch seconds -> epoch seconds, or ValueError."""
    text = text.strip()
    if _EPOCH.fullmatch(text):
        return float(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        # AWS reads dates without an offset as UTC.
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _ordered(parse: Callable[[str], float], compare: Callable[[float, float], bool]) -> Comparison:
    def matches(prepared: object, value: str) -> bool:
        try:
            return compare(parse(value), prepared)  # type: ignore[arg-type]
        except ValueError:
            return False

    return Comparison(lambda chunks: parse(chunks_text(chunks)), matches)


def _prepare_bool(chunks: Chunks) -> object:
    text = chunks_text(chunks).lower()
    if text not in ("true", "false"):
        raise ValueError(f"not a boolean: {text!r}")
    return text


def _bool_matches(prepared: object, value: str) -> bool:
    return value.lower() == prepared


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except binascii.Error as error:
        raise ValueError(f"not base64: {text!r}") from error


def _binary_matches(prepared: object, value: str) -> bool:
    try:
        return _decode(value) == prepared
    except ValueError:
        return False


def _prepare_network(chunks: Chunks) -> object:
    return ipaddress.ip_network(chunks_text(chunks).strip(), strict=False)


@functools.lru_cache(maxsize=4096)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    # Parsing an address costs more than the rest of a decision; callers
    # repeat the same few source addresses, so parse each once.
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _network_matches(prepared: object, value: str) -> bool:
    address = _address(value)
    return address is not None and address in prepared  # type: ignore[operator]


def _prepare_arn(chunks: Chunks) -> object:
    text = chunks_text(chunks)
    if text != "*" and len(text.split(":", 5)) < 6:
        raise ValueError(f"not an ARN: {text!r}")
    return arn_regex(chunks)


_STRING = Comparison(chunks_text, _string_equals)
_STRING_IGNORE_CASE = Comparison(lambda chunks: chunks_text(chunks).casefold(), _ignore_case)
_STRING_LIKE = Comparison(glob_regex, _regex_matches)
_BOOL = Comparison(_prepare_bool, _bool_matches)
_BINARY = Comparison(lambda chunks: _decode(chunks_text(chunks)), _binary_matches)
_IP = Comparison(_prepare_network, _network_matches)
_ARN = Comparison(_prepare_arn, _regex_matches)

_ORDERINGS: dict[str, Callable[[float, float], bool]] = {
    "Equals": operator.eq,
    "NotEquals": operator.eq,
    "LessThan": operator.lt,
    "LessThanEquals": operator.le,
    "GreaterThan": operator.gt,
    "GreaterThanEquals": operator.ge,
}


def _build_operators() -> dict[str, Operator]:
    table: dict[str, tuple[Comparison, bool]] = {
        "StringEquals": (_STRING, False),
        "StringNotEquals": (_STRING, True),
        "StringEqualsIgnoreCase": (_STRING_IGNORE_CASE, False),
        "StringNotEqualsIgnoreCase": (_STRING_IGNORE_CASE, True),
        "StringLike": (_STRING_LIKE, False),
        "StringNotLike": (_STRING_LIKE, True),
        "Bool": (_BOOL, False),
        "BinaryEquals": (_BINARY, False),
        "IpAddress": (_IP, False),
        "NotIpAddress": (_IP, True),
        "ArnEquals": (_ARN, False),
        "ArnLike": (_ARN, False),
        "ArnNotEquals": (_ARN, True),
        "ArnNotLike": (_ARN, True),
    }
    for suffix, compare in _ORDERINGS.items():
        # NotEquals is Equals negated, so a missing key behaves as AWS says.
        negated = suffix == "NotEquals"
        table[f"Numeric{suffix}"] = (_ordered(parse_number, compare), negated)
        table[f"Date{suffix}"] = (_ordered(parse_date, compare), negated)
    return {name: Operator(name, comparison, negated) for name, (comparison, negated) in table.items()}


OPERATORS = _build_operators()
