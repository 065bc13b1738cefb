"""AWS Query-protocol parameters: the flat form (`Tags.member.1.Key=...`) to typed values.

Shared by every IAM and STS action. Errors carry AWS's wording: a missing
parameter is `MissingParameter` (raised at once), a constraint violation is
`Value '...' at 'memberName' failed to satisfy constraint: ...` with the
member in lowerCamelCase as AWS prints it, noted in `idp.aws.validation` so
that a request hears of every failed constraint at once.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping, Sequence, TypeVar

from idp import json_input
from idp.aws.validation import failed_constraint, refuse_later
from idp.errors import MissingParameter, ValidationError
from idp.iam.tags import MAX_TAGS, Tag  # the domain's type; this module only parses it

Params = Mapping[str, str]
T = TypeVar("T")

TAG_KEY_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"
TAG_VALUE_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
CONTEXT_KEY_TYPES = (
    "string", "stringList", "numeric", "numericList", "boolean", "booleanList",
    "ip", "ipList", "binary", "binaryList", "date", "dateList",
)
DEFAULT_MAX_ITEMS = 100
MARKER_PATTERN = r"[\u0020-\u00FF]+"


@dataclass(frozen=True)
class ContextEntry:
    """One `ContextEntries.member.N` entry of the policy simulator."""

    key_name: str
    key_type: str
    values: tuple[str, ...]


def member_name(name: str) -> str:
    """The name AWS prints in validation errors: the first letter lowered (`UserName` -> `userName`)."""
    return name[:1].lower() + name[1:]


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    # Java regexes (what AWS models are written in) have an ASCII `\w`; so must we.
    return re.compile(pattern, re.ASCII | re.DOTALL)


def _check_string(
    value: str, member: str, *, min_len: int | None, max_len: int | None, pattern: str | None
) -> str:
    if min_len is not None and len(value) < min_len:
        failed_constraint(value, member, f"Member must have length greater than or equal to {min_len}")
    if max_len is not None and len(value) > max_len:
        failed_constraint(value, member, f"Member must have length less than or equal to {max_len}")
    if pattern is not None and not _compiled(pattern).fullmatch(value):
        failed_constraint(value, member, f"Member must satisfy regular expression pattern: {pattern}")
    return value


def string(
    params: Params,
    name: str,
    *,
    required: bool = False,
    min_len: int | None = None,
    max_len: int | None = None,
    pattern: str | None = None,
) -> str | None:
    """The string parameter `name`, checked against AWS's length and pattern constraints."""
    value = params.get(name)
    if value is None:
        if required:
            raise MissingParameter(f"The request must contain the parameter {name}")
        return None
    return _check_string(value, member_name(name), min_len=min_len, max_len=max_len, pattern=pattern)


def enum(
    params: Params, name: str, allowed: Sequence[str], *, required: bool = False, default: str | None = None
) -> str | None:
    """A parameter restricted to `allowed`, refused with AWS's enum wording."""
    value = params.get(name)
    if value is None:
        if required:
            raise MissingParameter(f"The request must contain the parameter {name}")
        return default
    if value not in allowed:
        failed_constraint(value, member_name(name), f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    return value


def integer(
    params: Params,
    name: str,
    *,
    required: bool = False,
    min_value: int | None = None,
    max_value: int | None = None,
    default: int | None = None,
) -> int | None:
    """The integer parameter `name`, within [min_value, max_value]."""
    raw = params.get(name)
    if raw is None:
        if required:
            raise MissingParameter(f"The request must contain the parameter {name}")
        return default
    member = member_name(name)
    if not re.fullmatch(r"[+-]?\d{1,19}", raw.strip(), re.ASCII):
        failed_constraint(raw, member, "Member must be an integer")
        return default
    value = int(raw)
    if min_value is not None and value < min_value:
        failed_constraint(raw, member, f"Member must have value greater than or equal to {min_value}")
    if max_value is not None and value > max_value:
        failed_constraint(raw, member, f"Member must have value less than or equal to {max_value}")
    return value


def boolean(params: Params, name: str, *, required: bool = False, default: bool | None = None) -> bool | None:
    """The boolean parameter `name`: `true` or `false`, in any case, as botocore sends them."""
    raw = params.get(name)
    if raw is None:
        if required:
            raise MissingParameter(f"The request must contain the parameter {name}")
        return default
    lowered = raw.strip().lower()
    if lowered not in ("true", "false"):
        failed_constraint(raw, member_name(name), "Member must be one of: true, false")
        return default
    return lowered == "true"


def _members(params: Params, name: str, field: str | None = None) -> list[tuple[int, str]]:
    """(N, value) for every `name.member.N[.field]`, ordered by N numerically; gaps tolerated."""
    prefix = f"{name}.member."
    suffix = f".{field}" if field else ""
    found = []
    for key, value in params.items():
        if not key.startswith(prefix) or not key.endswith(suffix):
            continue
        index = key[len(prefix) : len(key) - len(suffix)]
        if index.isdigit() and index.isascii():
            found.append((int(index), value))
    return sorted(found)


def _indices(params: Params, name: str) -> list[int]:
    """Every N that appears in some `name.member.N.<anything>`, ordered numerically."""
    prefix = f"{name}.member."
    indices = set()
    for key in params:
        if key.startswith(prefix):
            index, _, _ = key[len(prefix) :].partition(".")
            if index.isdigit() and index.isascii():
                indices.add(int(index))
    return sorted(indices)


def member_list(
    params: Params,
    name: str,
    *,
    field: str | None = None,
    required: bool = False,
    max_items: int | None = None,
    min_len: int | None = None,
    max_len: int | None = None,
    pattern: str | None = None,
) -> list[str]:
    """`name.member.N` (or `name.member.N.field`) values in order; `name=` alone is an empty list."""
    members = _members(params, name, field)
    if not members and name not in params and required:
        raise MissingParameter(f"The request must contain the parameter {name}")
    camel = member_name(name)
    if max_items is not None and len(members) > max_items:
        failed_constraint(
            f"[{', '.join(v for _, v in members)}]", camel,
            f"Member must have length less than or equal to {max_items}",
        )
    values = []
    for position, (_, value) in enumerate(members, 1):
        member = f"{camel}.{position}.member" + (f".{member_name(field)}" if field else "")
        values.append(_check_string(value, member, min_len=min_len, max_len=max_len, pattern=pattern))
    return values


def _is_tag_text(value: str) -> bool:
    # Python's `re` has no \p{..}; the Unicode general category says the same thing.
    return all(c in _TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in value)


def tags_to_add(params: Params) -> list[Tag]:
    """The `Tags` of a Tag* action: required (at least one), with `tags`' rules."""
    added = tags(params)
    if not added:
        string(params, "Tags", required=True)
    return added


def tag_keys_to_remove(params: Params) -> list[str]:
    """The `TagKeys` of an Untag* action: 1-50 keys of 1-128 characters."""
    return member_list(params, "TagKeys", required=True, max_items=MAX_TAGS, min_len=1, max_len=128)


def tags(params: Params, name: str = "Tags") -> list[Tag]:
    """`Tags.member.N.Key` / `.Value` pairs, with AWS's count, length, pattern and uniqueness rules."""
    indices = _indices(params, name)
    camel = member_name(name)
    if len(indices) > MAX_TAGS:
        failed_constraint(None, camel, f"Member must have length less than or equal to {MAX_TAGS}")
    result: list[Tag] = []
    seen: set[str] = set()
    for position, index in enumerate(indices, 1):
        member = f"{camel}.{position}.member"
        key = params.get(f"{name}.member.{index}.Key")
        value = params.get(f"{name}.member.{index}.Value", "")
        if key is None:
            raise MissingParameter(f"The request must contain the parameter {name}.member.{index}.Key")
        _check_string(key, f"{member}.key", min_len=1, max_len=128, pattern=None)
        if not key or not _is_tag_text(key):  # the key's pattern ends in `+`: an empty key fails it too
            failed_constraint(key, f"{member}.key", f"Member must satisfy regular expression pattern: {TAG_KEY_PATTERN}")
        _check_string(value, f"{member}.value", min_len=0, max_len=256, pattern=None)
        if not _is_tag_text(value):
            failed_constraint(
                value, f"{member}.value", f"Member must satisfy regular expression pattern: {TAG_VALUE_PATTERN}"
            )
        if key.lower() in seen:
            refuse_later(ValidationError(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.", code="InvalidInput"
            ))
        seen.add(key.lower())
        result.append(Tag(key, value))
    return result


def context_entries(params: Params, name: str = "ContextEntries") -> list[ContextEntry]:
    """The policy simulator's `ContextEntries.member.N.{ContextKeyName,ContextKeyType,ContextKeyValues}`."""
    camel = member_name(name)
    entries = []
    for position, index in enumerate(_indices(params, name), 1):
        base = f"{name}.member.{index}"
        member = f"{camel}.{position}.member"
        key_name = params.get(f"{base}.ContextKeyName")
        key_type = params.get(f"{base}.ContextKeyType")
        if key_name is None:
            raise MissingParameter(f"The request must contain the parameter {base}.ContextKeyName")
        if key_type is None:
            raise MissingParameter(f"The request must contain the parameter {base}.ContextKeyType")
        _check_string(key_name, f"{member}.contextKeyName", min_len=5, max_len=256, pattern=None)
        if key_type not in CONTEXT_KEY_TYPES:
            failed_constraint(
                key_type, f"{member}.contextKeyType",
                f"Member must satisfy enum value set: [{', '.join(CONTEXT_KEY_TYPES)}]",
            )
        values = member_list(params, f"{base}.ContextKeyValues")
        entries.append(ContextEntry(key_name, key_type, tuple(values)))
    return entries


def pagination(params: Params) -> tuple[str | None, int]:
    """(Marker, MaxItems) of a List* action: MaxItems 1..1000, default 100."""
    marker = string(params, "Marker", min_len=1, max_len=320, pattern=MARKER_PATTERN)
    max_items = integer(params, "MaxItems", min_value=1, max_value=1000, default=DEFAULT_MAX_ITEMS)
    return marker, max_items


def _encode_marker(position: Any) -> str:
    raw = json.dumps({"p": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_marker(marker: str) -> Any:
    try:
        padded = marker + "=" * (-len(marker) % 4)
        return json_input.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["p"]
    except (ValueError, KeyError, TypeError, UnicodeEncodeError, binascii.Error):
        raise ValidationError("Invalid Marker.") from None


def paginate(
    items: Sequence[T],
    marker: str | None,
    max_items: int,
    *,
    key: Callable[[T], Any] | None = None,
) -> tuple[list[T], bool, str | None]:
    """One page of `items`: (page, is_truncated, next_marker).

    The marker is opaque to clients. Without `key` it encodes an offset; with
    `key` (items sorted by it, values JSON-serialisable) it encodes the last
    key returned, so a page boundary survives inserts and deletes.
    """
    if max_items < 1:
        raise ValueError("max_items must be at least 1")
    start = 0
    if marker is not None:
        position = _decode_marker(marker)
        if key is None:
            if not isinstance(position, int) or isinstance(position, bool) or position < 0:
                raise ValidationError("Invalid Marker.")
            start = position
        else:
            start = next((i for i, item in enumerate(items) if _after(key(item), position)), len(items))
    page = list(items[start : start + max_items])
    truncated = start + max_items < len(items)
    if not truncated:
        return page, False, None
    next_position = key(page[-1]) if key is not None else start + max_items
    return page, True, _encode_marker(next_position)


def keyset_position(marker: str | None) -> str | None:
    """The last key a keyset-paged List* returned (a lower-cased name), from its opaque Marker."""
    if marker is None:
        return None
    position = _decode_marker(marker)
    if not isinstance(position, str):
        raise ValidationError("Invalid Marker.")
    return position


def keyset_marker(position: str) -> str:
    """The opaque Marker that resumes a keyset-paged List* after `position` (same form as `paginate`'s)."""
    return _encode_marker(position)


def _after(value: Any, position: Any) -> bool:
    # JSON turns tuples into lists; compare like with like.
    if isinstance(position, list):
        position = tuple(position)
    try:
        return value > position
    except TypeError:
        raise ValidationError("Invalid Marker.") from None
