"""Tags on IAM entities: AWS's merge and removal rules, and the condition keys they supply."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from idp.errors import LimitExceeded

MAX_TAGS = 50
TagList = list[dict[str, str]]


@dataclass(frozen=True)
class Tag:
    """One tag of an IAM entity or session (`Tags.member.N` on the wire)."""

    key: str
    value: str


def as_stored(tags: Iterable[Tag]) -> TagList:
    """Tags as the models store them: `[{"Key", "Value"}]`."""
    return [{"Key": tag.key, "Value": tag.value} for tag in tags]


def merged(current: TagList | None, new: Sequence[Tag], entity: str) -> TagList:
    """Add or overwrite tags (keys compare case-insensitively); at most 50."""
    result = {tag["Key"].lower(): dict(tag) for tag in current or []}
    for tag in new:
        result[tag.key.lower()] = {"Key": tag.key, "Value": tag.value}
    if len(result) > MAX_TAGS:
        raise LimitExceeded(f"The number of tags has reached the maximum limit of {MAX_TAGS} for {entity}.")
    return list(result.values())


def without(current: TagList | None, keys: Sequence[str]) -> TagList:
    """Remove tags by key; unknown keys are ignored, as at AWS."""
    drop = {key.lower() for key in keys}
    return [tag for tag in current or [] if tag["Key"].lower() not in drop]


def request_keys(tags: Sequence[Tag]) -> dict[str, object]:
    """`aws:RequestTag/<key>` and `aws:TagKeys` for a request that passes tags."""
    if not tags:
        return {}
    keys: dict[str, object] = {f"aws:RequestTag/{tag.key}": tag.value for tag in tags}
    keys["aws:TagKeys"] = [tag.key for tag in tags]
    return keys


def tag_keys_only(keys: Sequence[str]) -> dict[str, object]:
    """`aws:TagKeys` for a request that removes tags."""
    return {"aws:TagKeys": list(keys)} if keys else {}


def resource_keys(tags: TagList | None) -> dict[str, object]:
    """`aws:ResourceTag/<key>` (and `iam:ResourceTag/<key>`) of an existing entity."""
    keys: dict[str, object] = {}
    for tag in tags or []:
        keys[f"aws:ResourceTag/{tag['Key']}"] = tag["Value"]
        keys[f"iam:ResourceTag/{tag['Key']}"] = tag["Value"]
    return keys
