"""Session tags an identity provider asserts, checked once for every token exchange.

AssumeRoleWithWebIdentity reads them from the `https://aws.amazon.com/tags`
claim, AssumeRoleWithSAML from the `PrincipalTag:<key>` attributes; both hold
them to AWS's rules for session tags: at most 50, keys of 1-128 and values of
at most 256 characters of AWS's tag pattern `[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`, no key
twice (keys are case-insensitive). A refusal is AWS's `InvalidIdentityToken`.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from idp.errors import ClientError

MAX_SESSION_TAGS = 50
MAX_KEY, MAX_VALUE = 128, 256
TAG_PUNCTUATION = "_.:/=+-@"


class InvalidSessionTag(ClientError):
    """An asserted session tag breaks AWS's rules (answered as AWS's `InvalidIdentityToken`)."""

    code = "InvalidIdentityToken"


def tag_text(text: str) -> bool:
    """Whether `text` matches AWS's tag pattern (`re` has no \\p{..}: by Unicode general category)."""
    return all(c in TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in text)


def checked_tags(tags: Iterable[tuple[str, object]], source: str) -> dict[str, str]:
    """The (key, value) pairs asserted by `source` (named in refusals) as session tags, or InvalidSessionTag."""
    checked: dict[str, str] = {}
    for key, value in tags:
        if not (isinstance(key, str) and 0 < len(key) <= MAX_KEY and tag_text(key)
                and isinstance(value, str) and len(value) <= MAX_VALUE and tag_text(value)):
            raise InvalidSessionTag(f"The session tag {key!r} of {source} is not valid.")
        if any(key.lower() == other.lower() for other in checked):
            raise InvalidSessionTag(f"The session tag {key!r} appears twice in {source}.")
        checked[key] = value
        if len(checked) > MAX_SESSION_TAGS:
            raise InvalidSessionTag(f"At most {MAX_SESSION_TAGS} session tags are allowed in {source}.")
    return checked


def request_keys(tags: dict[str, str], transitive: Iterable[str], source_identity: str | None) -> dict[str, object]:
    """The trust policy's request keys for what a token exchange asks to set: `aws:RequestTag/*` and
    `aws:TagKeys` for its tags, `sts:TransitiveTagKeys`, `sts:SourceIdentity` (absent keys are left out)."""
    keys: dict[str, object] = {}
    if tags:
        keys.update({f"aws:RequestTag/{key}": value for key, value in tags.items()})
        keys["aws:TagKeys"] = list(tags)
    if transitive:
        keys["sts:TransitiveTagKeys"] = list(transitive)
    if source_identity is not None:
        keys["sts:SourceIdentity"] = source_identity
    return keys
