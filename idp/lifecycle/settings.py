"""What an account lets people do by themselves (self-registration, self-deletion), and its mail sender name.

No row means the defaults: everything off. Operators change them with `flask --app app idp accounts lifecycle`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from idp.errors import ValidationError
from idp.iam import groups
from idp.iam.accounts import existing as existing_account
from models import db
from models.lifecycle import AccountLifecycleSettings

PATH_RE = re.compile(r"^/([\x21-\x7e]{1,510}/)?$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class LifecycleSettings:
    """An account's self-service settings as the services read them."""

    account_id: str
    self_registration: bool = False
    registration_path: str = "/"
    registration_group: str | None = None
    allowed_domains: tuple[str, ...] = field(default_factory=tuple)
    self_deletion: bool = False
    sender_name: str | None = None


def of(account_id: str) -> LifecycleSettings:
    """The account's settings (defaults when it has set none)."""
    row = db.session.get(AccountLifecycleSettings, account_id)
    if row is None:
        return LifecycleSettings(account_id)
    return LifecycleSettings(account_id, row.self_registration, row.registration_path, row.registration_group,
                             tuple(row.allowed_domains or ()), row.self_deletion, row.sender_name)


def configure(account_id: str, *, self_registration: bool | None = None, path: str | None = None,
              group: str | None = None, allowed_domains: list[str] | None = None,
              self_deletion: bool | None = None, sender_name: str | None = None) -> LifecycleSettings:
    """Change the given settings (None leaves one as it is); ValidationError for a bad value (not committed)."""
    existing_account(account_id)
    row = db.session.get(AccountLifecycleSettings, account_id)
    if row is None:
        row = AccountLifecycleSettings(account_id=account_id, self_registration=False, registration_path="/",
                                       allowed_domains=[], self_deletion=False)
        db.session.add(row)
    if path is not None:
        if not PATH_RE.match(path):
            raise ValidationError(f"The path must begin and end with / (like /self-registered/), got {path!r}.")
        row.registration_path = path
    if group is not None:
        if group:
            groups.get(account_id, group)  # NoSuchEntity for a group that does not exist
        row.registration_group = group or None
    if allowed_domains is not None:
        row.allowed_domains = [_domain(item) for item in allowed_domains if item.strip()]
    if self_registration is not None:
        row.self_registration = self_registration
    if self_deletion is not None:
        row.self_deletion = self_deletion
    if sender_name is not None:
        row.sender_name = _sender_name(sender_name)
    db.session.flush()
    return of(account_id)


def _sender_name(value: str) -> str | None:
    """A display name for the From header: no control characters (a line break would end the header)."""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError("The sender name may not contain control characters (line breaks, tabs, ...).")
    return value.strip()[:128] or None


def _domain(value: str) -> str:
    domain = value.strip().lower()
    if not DOMAIN_RE.match(domain):
        raise ValidationError(f"Not a domain name: {value!r}.")
    return domain
