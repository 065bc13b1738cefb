"""A user's profile attributes: the OpenID Connect standard claims (OIDC Core 5.1) held on the `users` row.

Profiles are for users, never roles, and are not IAM tags (tags feed policies; a profile does not). The
attributes are named by their claim names everywhere outside the model (`name` is stored as
`display_name`). Every value is checked before anything is written (`InvalidProfileAttribute` names the
claim): email syntax, BCP 47 locale, IANA time zone, E.164 phone number, https picture URL to a host name or
a global address. An empty value removes an attribute.

Every attribute here is self-asserted (the user may set it), so none is an authorization input:
`preferred_username` is not one of them, it is the IAM user name (`idp.oidc.subjects`), and the web identity
condition keys leave these claims out (`idp.sts.web_identity.trusted_claims`).

`email_verified` is honest: changing the email makes it false, and only `mark_email_verified` (called by
whoever proved the address, `idp.lifecycle.verification`) makes it true. `update_profile` says whether the
email changed; its callers (`idp.lifecycle.profile_updates`) start the verification. Changing the phone
number makes `phone_number_verified` false; nothing here verifies phone numbers.
"""
from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from idp import audit, clock
from idp.errors import InvalidProfileAttribute
from idp.fetch import is_loopback_host, literal_host_refused

if TYPE_CHECKING:
    from models.user import User

# Claim -> column of `users`.
COLUMNS = {
    "email": "email", "name": "display_name", "given_name": "given_name", "family_name": "family_name",
    "locale": "locale", "zoneinfo": "zoneinfo", "phone_number": "phone_number", "picture": "picture",
}
ATTRIBUTES = tuple(COLUMNS)
TEXT_MAX = 255
EMAIL_MAX, EMAIL_LOCAL_MAX = 254, 64
PICTURE_MAX = 2048
LOCALE_MAX = 35

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL_LOCAL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*", re.ASCII)
_DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.ASCII)
# RFC 5646 2.1 `langtag` (well-formed; grandfathered tags aside) or a private-use tag.
_LANGTAG = re.compile(
    r"(?:(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*(?:-x(?:-[a-z0-9]{1,8})+)?"
    r"|x(?:-[a-z0-9]{1,8})+)",
    re.ASCII | re.IGNORECASE,
)
_E164 = re.compile(r"\+[1-9][0-9]{1,14}", re.ASCII)
_PHONE_SEPARATORS = re.compile(r"[ .()\-]")
# Bidirectional embeddings, overrides and isolates: they make one name display as another.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _refuse(attribute: str, why: str) -> InvalidProfileAttribute:
    return InvalidProfileAttribute(f"Invalid {attribute}: {why}", attribute=attribute)


def _text(attribute: str, value: str) -> str:
    """A person's name or nickname: at most 255 characters, no control or bidirectional-override characters."""
    if len(value) > TEXT_MAX:
        raise _refuse(attribute, f"at most {TEXT_MAX} characters.")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Cn") or c in _BIDI_CONTROLS for c in value):
        raise _refuse(attribute, "control characters are not allowed.")
    return value


def _email(attribute: str, value: str) -> str:
    """An addr-spec (`local@domain`, RFC 5322 dot-atoms), its domain lowercased and IDNA-encoded."""
    local, at, domain = value.rpartition("@")
    if not at or not _EMAIL_LOCAL.fullmatch(local) or len(local) > EMAIL_LOCAL_MAX:
        raise _refuse(attribute, "not an email address (name@example.com).")
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _refuse(attribute, "the domain of the email address is not a valid host name.") from None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise _refuse(attribute, "the domain of the email address is not a valid host name.")
    address = f"{local}@{domain}"
    if len(address) > EMAIL_MAX:
        raise _refuse(attribute, f"an email address has at most {EMAIL_MAX} characters.")
    return address


def _locale(attribute: str, value: str) -> str:
    """A BCP 47 language tag (`fr`, `en-US`, `zh-Hant-TW`)."""
    if "_" in value:
        raise _refuse(attribute, f"BCP 47 tags use hyphens ({value.replace('_', '-')}).")
    if len(value) > LOCALE_MAX or not _LANGTAG.fullmatch(value):
        raise _refuse(attribute, "not a BCP 47 language tag (such as en-US).")
    return value


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _zoneinfo(attribute: str, value: str) -> str:
    """An IANA time zone name (`Europe/Paris`)."""
    if value not in _time_zones():
        raise _refuse(attribute, "not an IANA time zone name (such as Europe/Paris).")
    return value


def _phone_number(attribute: str, value: str) -> str:
    """An E.164 number (`+33612345678`); spaces, dots, hyphens and parentheses between digits are dropped."""
    compact = _PHONE_SEPARATORS.sub("", value)
    if not _E164.fullmatch(compact):
        raise _refuse(attribute, "not an E.164 phone number (+ then the country code and up to 15 digits).")
    return compact


def _picture(attribute: str, value: str) -> str:
    """An https URL of an image on a host name or a global address, without credentials in it.

    Applications may fetch it server-side, so a loopback, private, link-local or metadata address (in any
    notation `idp.fetch` reads) is refused, as `localhost` is.
    """
    if len(value) > PICTURE_MAX or any(c.isspace() or not c.isprintable() for c in value):
        raise _refuse(attribute, f"a URL of at most {PICTURE_MAX} characters without spaces.")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise _refuse(attribute, "not a valid URL.") from None
    if parts.scheme != "https" or not host:
        raise _refuse(attribute, "an https URL is required.")
    if parts.username is not None or parts.password is not None:
        raise _refuse(attribute, "a URL must not carry a user name or password.")
    if is_loopback_host(host) or host.endswith(".localhost") or literal_host_refused(host):
        raise _refuse(attribute, "the host must be a public name or a global IP address.")
    return value


_CHECKS: dict[str, Callable[[str, str], str]] = {
    "email": _email, "name": _text, "given_name": _text, "family_name": _text,
    "locale": _locale, "zoneinfo": _zoneinfo, "phone_number": _phone_number, "picture": _picture,
}


def validated(changes: Mapping[str, object]) -> dict[str, str | None]:
    """The changes in stored form (None removes an attribute); InvalidProfileAttribute for the first bad one."""
    wanted: dict[str, str | None] = {}
    for attribute, value in changes.items():
        if attribute not in _CHECKS:
            raise _refuse(attribute, f"not a profile attribute (one of {', '.join(ATTRIBUTES)}).")
        if value is not None and not isinstance(value, str):
            raise _refuse(attribute, "must be a string.")
        value = (value or "").strip()
        wanted[attribute] = _CHECKS[attribute](attribute, value) if value else None
    return wanted


def attributes(user: User) -> dict[str, str]:
    """The attributes the user has, by claim name (no verification flags, no `updated_at`)."""
    held = {claim: getattr(user, column) for claim, column in COLUMNS.items()}
    return {claim: value for claim, value in held.items() if value}


def get_profile(user: User) -> dict:
    """The user's profile as OIDC claims: the attributes held, `email_verified` / `phone_number_verified`
    beside the email / phone number, and `updated_at` (seconds since the epoch) once it was edited."""
    profile: dict = attributes(user)
    if user.email:
        profile["email_verified"] = bool(user.email_verified)
    if user.phone_number:
        profile["phone_number_verified"] = bool(user.phone_number_verified)
    if user.profile_updated_at is not None:
        profile["updated_at"] = int(user.profile_updated_at.timestamp())
    return profile


@dataclass(frozen=True)
class ProfileChange:
    """What `update_profile` did: the claims it changed, the email before, and the profile after."""

    changed: frozenset[str]
    old_email: str | None
    profile: dict

    @property
    def email_changed(self) -> bool:
        """Whether the email changed (its verification is the caller's to start)."""
        return "email" in self.changed


def update_profile(user: User, changes: Mapping[str, object], *, by_admin: bool,
                   actor: str | None = None) -> ProfileChange:
    """Apply `changes` (claim -> value; None or "" removes) all or nothing (audited); what changed.

    `by_admin` says whether an administrator (the IAM API, the console) or the user (the account page) asks;
    `actor` is the ARN of whoever asks (None for an operator's command). A new email is unverified until
    `mark_email_verified`; sending its link is the caller's (`idp.lifecycle.profile_updates`).
    """
    wanted = validated(changes)
    changed = {claim: value for claim, value in wanted.items() if getattr(user, COLUMNS[claim]) != value}
    old_email = user.email
    if not changed:
        return ProfileChange(frozenset(), old_email, get_profile(user))
    for claim, value in changed.items():
        setattr(user, COLUMNS[claim], value)
    if "phone_number" in changed:
        user.phone_number_verified = False
    if "email" in changed:
        user.email_verified = False
    user.profile_updated_at = clock.now()
    audit.record("user_profile_updated", actor=actor, resource=user.arn, account_id=user.account_id,
                 detail={"attributes": sorted(changed), "by_admin": by_admin})
    return ProfileChange(frozenset(changed), old_email, get_profile(user))


def mark_email_verified(user: User, email: str) -> bool:
    """Record that `email` was proven to be the user's; False (nothing changed) if the user's email is another now."""
    if not user.email or user.email != email:
        return False
    user.email_verified = True
    return True
