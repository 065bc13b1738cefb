"""One LDAP directory over ldap3: TLS, the service bind, the user and group searches, the bind as the user.

A password is checked by the directory alone: search the user with the service
bind, then bind as the found entry with the password (never a hash compared
here). The user name is refused outright when it holds a character of LDAP's
filter syntax (`*`, `(`, `)`, `\\`, NUL) and is escaped anyway; an empty
password never reaches a bind (an LDAP "unauthenticated" simple bind succeeds
with any DN and no password). Disabled accounts are refused without a bind
as them: Active Directory's `userAccountControl` bit 2, OpenLDAP's
`pwdAccountLockedTime`, 389-ds's `nsAccountLock`; a bind the directory refuses
is a refusal too. Every attempt costs one search and one bind, whatever the
outcome (a name the search did not find binds a DN that cannot exist), and
groups are read only after the user's bind succeeded, so timing does not tell
an unknown name from a wrong password. Any network, TLS or service-bind failure
is `DirectoryUnavailable` (`connection`: the next server URL is tried, a failed
one is skipped for a while, one deadline bounds the whole attempt).
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from ldap3 import BASE, SUBTREE, Connection
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from idp.errors import DirectoryUnavailable
from idp.federation.ldap.connection import (
    Deadline,
    arm,
    bind_service,
    close,
    connect,
    trip,
)

FORBIDDEN = frozenset("\0*()\\")
MAX_USERNAME = 256
MAX_PASSWORD = 1024
MAX_GROUPS = 500
ACCOUNT_DISABLED = 0x2  # Active Directory userAccountControl ACCOUNTDISABLE
LOCK_ATTRIBUTES = ("userAccountControl", "pwdAccountLockedTime", "nsAccountLock")
SUBJECT_ATTRIBUTES = ("entryUUID", "objectGUID", "ipaUniqueID", "nsUniqueId")
MAX_SUBJECT = 255  # federated_identities.subject
SYNC_SECONDS = 300


@dataclass(frozen=True)
class Outcome:
    """A password check: `claims` (with `sub`) when the directory accepted it, else the reason for the audit log."""

    reason: str
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.reason == "ok"


def acceptable_username(username: str) -> bool:
    """False for a name no directory search may see: empty, too long, or holding filter syntax."""
    return 0 < len(username) <= MAX_USERNAME and not FORBIDDEN.intersection(username)


def check_password(settings: dict[str, Any], bind_password: str | None, username: str, password: str,
                   deadline: Deadline) -> Outcome:
    """Search the user, refuse a disabled one, bind as them; DirectoryUnavailable when no server answers."""
    if not acceptable_username(username):
        return Outcome("refused_username")
    if not password or len(password) > MAX_PASSWORD:
        return Outcome("empty_password" if not password else "password_too_long")
    connection = connect(settings, bind_password, deadline)
    try:
        return _check(connection, settings, bind_password, username, password, deadline)
    except LDAPException as error:  # the server failed mid-way (closed, timed out): skip it for a while
        trip(connection.idp_breaker_key)
        raise DirectoryUnavailable() from error
    finally:
        close(connection)


def _check(connection: Connection, settings: dict, bind_password: str | None, username: str, password: str,
           deadline: Deadline) -> Outcome:
    """Every outcome costs one search and one bind: a name that is unknown, ambiguous or disabled binds a DN
    that cannot exist, so the answer's timing does not tell it from a wrong password; groups are read only
    after the user's own bind succeeded."""
    arm(connection, settings, deadline)
    entries = _search(connection, settings["user_base"],
                      settings["user_filter"].replace("{username}", escape_filter_chars(username)),
                      _user_attributes(settings), limit=2)
    refusal = ("unknown_user" if not entries else "ambiguous_user" if len(entries) > 1
               else "account_disabled" if disabled(entries[0]["attributes"]) else None)
    if refusal:
        arm(connection, settings, deadline)
        connection.rebind(user=_dummy_dn(settings), password=password)  # refused: only its cost matters
        return Outcome(refusal)
    if not _bind_user(connection, settings, entries[0]["dn"], password, deadline):
        return Outcome("wrong_password")
    entry = entries[0]
    subject = subject_of(settings, entry)
    if subject is None:
        return Outcome("no_subject")
    searches_groups = settings.get("group_base") is not None and not settings.get("member_of_attribute")
    if searches_groups and not bind_service(connection, settings, bind_password, deadline):
        raise DirectoryUnavailable()  # the group search runs as the service again, not as the user
    return Outcome("ok", _claims(settings, entry, username, subject, _groups(connection, settings, entry, deadline)))


def _bind_user(connection: Connection, settings: dict, dn: str, password: str, deadline: Deadline) -> bool:
    """Bind as `dn` with the password: True when accepted, False when refused; DirectoryUnavailable otherwise."""
    arm(connection, settings, deadline)
    if connection.rebind(user=dn, password=password):
        return True
    if connection.result.get("result") not in (49, 50, 53):  # invalidCredentials, insufficient, unwilling
        raise DirectoryUnavailable()
    return False


def _dummy_dn(settings: dict) -> str:
    # No entry has this name (a bind as it is refused): it stands in for the user an attempt did not find.
    return f"cn=idp-no-such-user,{settings['user_base']}"


@dataclass(frozen=True)
class EntryNow:
    """A linked entry as the directory has it now: its subject (None when it has none) and group names."""

    subject: str | None
    groups: list[str]


def current_entries(settings: dict[str, Any], bind_password: str | None,
                    dns: list[str]) -> dict[str, EntryNow | None]:
    """Each entry's subject and group names as the directory says now (service bind only; no user's password),
    None for an entry that is gone or disabled; DirectoryUnavailable when no server answers."""
    deadline = Deadline.after(SYNC_SECONDS)
    connection = connect(settings, bind_password, deadline)
    try:
        return {dn: _current_entry(connection, settings, dn, deadline) for dn in dns}
    except LDAPException as error:
        raise DirectoryUnavailable() from error
    finally:
        close(connection)


def _current_entry(connection: Connection, settings: dict, dn: str, deadline: Deadline) -> EntryNow | None:
    arm(connection, settings, deadline)
    found = _search(connection, dn, "(objectClass=*)", _user_attributes(settings), limit=1, scope=BASE)
    if not found or disabled(found[0]["attributes"]):
        return None
    return EntryNow(subject_of(settings, found[0]), _groups(connection, settings, found[0], deadline))


def _search(connection: Connection, base: str, search_filter: str, attributes: list[str], *,
            limit: int, scope: str = SUBTREE) -> list[dict]:
    connection.search(base, search_filter, search_scope=scope, attributes=attributes, size_limit=limit,
                      time_limit=10)
    result = connection.result.get("result")
    if result not in (0, 4, 32):  # success, sizeLimitExceeded, noSuchObject
        raise DirectoryUnavailable()
    return [entry for entry in connection.response or [] if entry.get("type") == "searchResEntry"]


def _user_attributes(settings: dict) -> list[str]:
    names = [settings["username_attribute"], settings["email_attribute"], settings["name_attribute"],
             *LOCK_ATTRIBUTES, *SUBJECT_ATTRIBUTES]
    for optional in ("member_of_attribute", "subject_attribute"):
        if settings.get(optional):
            names.append(settings[optional])
    return list(dict.fromkeys(names))


def disabled(attributes: dict) -> bool:
    """True for an entry its directory marks disabled or locked (AD, OpenLDAP ppolicy, 389-ds)."""
    control = _first(attributes, "userAccountControl")
    if control is not None and str(control).isdigit() and int(control) & ACCOUNT_DISABLED:
        return True
    if _first(attributes, "pwdAccountLockedTime"):
        return True
    return str(_first(attributes, "nsAccountLock") or "").lower() == "true"


def _groups(connection: Connection, settings: dict, entry: dict, deadline: Deadline) -> list[str]:
    """The user's group names: the `member_of_attribute` groups under `group_base`, else a group search under
    `group_base` (none without one); one name per group."""
    if settings.get("group_base") is None:
        return []
    if settings.get("member_of_attribute"):
        dns = _values(entry["attributes"], settings["member_of_attribute"])
        return sorted({name for dn in dns if (name := member_of_name(settings["group_base"], str(dn)))})[:MAX_GROUPS]
    attribute = settings["group_name_attribute"]
    arm(connection, settings, deadline)
    found = _search(connection, settings["group_base"],
                    settings["group_filter"].replace("{dn}", escape_filter_chars(entry["dn"])), [attribute],
                    limit=MAX_GROUPS)
    return sorted({name for group in found if (name := group_name(group, attribute))})


def member_of_name(group_base: str, dn: str) -> str | None:
    """The name of a `memberOf` group: its RDN's value when the DN is under `group_base` (None elsewhere, and
    for a multi-valued RDN)."""
    group, base = _rdns(dn), _rdns(group_base)
    if not group or not base or len(group) <= len(base) or len(group[0]) != 1:
        return None
    if [_folded(rdn) for rdn in group[-len(base):]] != [_folded(rdn) for rdn in base]:
        return None
    return group[0][0][1]


def group_name(group: dict, attribute: str) -> str | None:
    """A searched group's one name: its only `attribute` value, or, when it has several (`cn` is multi-valued),
    the one that names it in its DN (None when none does: every value would be a name someone chose)."""
    values = [str(value) for value in _values(group["attributes"], attribute)]
    if len(values) == 1:
        return values[0]
    rdns = _rdns(group.get("dn", ""))
    if rdns and len(rdns[0]) == 1 and rdns[0][0][0].lower() == attribute.lower():
        named = rdns[0][0][1]
        return named if named.lower() in {value.lower() for value in values} else None
    return None


def _rdns(dn: str) -> list[list[tuple[str, str]]] | None:
    """The DN's RDNs, each a list of (attribute, unescaped value); None when it does not parse."""
    try:
        parts = parse_dn(dn)
    except (LDAPException, ValueError, IndexError):
        return None
    rdns: list[list[tuple[str, str]]] = [[]]
    for attribute, value, separator in parts:
        rdns[-1].append((attribute.strip(), _unescaped(value.strip())))
        if separator == ",":
            rdns.append([])
    return rdns if rdns[-1] else None


def _unescaped(value: str) -> str:
    """`\\2C` and `\\,` as the characters they stand for (UTF-8 bytes in hex)."""
    pairs = re.compile(rb"\\([0-9A-Fa-f]{2}|.)", re.DOTALL)
    return pairs.sub(lambda m: bytes.fromhex(m[1].decode()) if len(m[1]) == 2 else m[1],
                     value.encode()).decode(errors="replace")


def _folded(rdn: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted((attribute.lower(), value.lower()) for attribute, value in rdn)


def _claims(settings: dict, entry: dict, username: str, subject: str, groups: list[str]) -> dict[str, Any]:
    """The directory's attributes as claims, with `sub`, `dn`, `groups` and the usual names."""
    attributes = entry["attributes"]
    hidden = {*LOCK_ATTRIBUTES, *SUBJECT_ATTRIBUTES, settings.get("member_of_attribute")}
    claims: dict[str, Any] = {
        name: _plain(value) for name, value in attributes.items() if name not in hidden and value not in ([], None, "")
    }
    claims.update({
        "sub": subject, "dn": entry["dn"], "groups": groups,
        "preferred_username": str(_first(attributes, settings["username_attribute"]) or username),
    })
    for claim, attribute in (("email", settings["email_attribute"]), ("name", settings["name_attribute"])):
        value = _first(attributes, attribute)
        if value:
            claims[claim] = str(value)
    return claims


def subject_of(settings: dict, entry: dict) -> str | None:
    """The entry's lasting id: `subject_attribute`, else entryUUID (OpenLDAP), objectGUID (Active Directory),
    ipaUniqueID (FreeIPA) or nsUniqueId (389-ds); the DN only with `allow_dn_subject` (a DN is reused when a
    new entry gets an old name, and would inherit its IAM user); None when there is none."""
    names = [settings["subject_attribute"]] if settings.get("subject_attribute") else SUBJECT_ATTRIBUTES
    for name in names:
        value = _subject_value(entry, name)
        if value:
            return value
    return entry["dn"] if settings.get("allow_dn_subject") and len(entry["dn"]) <= MAX_SUBJECT else None


def _subject_value(entry: dict, name: str) -> str | None:
    raw = entry.get("raw_attributes", {}).get(name) or []
    if name.lower() == "objectguid":
        return str(uuid.UUID(bytes_le=bytes(raw[0]))) if len(raw) == 1 and len(raw[0]) == 16 else None
    values = _values(entry["attributes"], name)
    if len(values) != 1:
        return None
    value = values[0]
    value = value.hex() if isinstance(value, (bytes, bytearray)) else str(value)
    return value if 0 < len(value) <= MAX_SUBJECT else None


def _values(attributes: dict, name: str) -> list:
    value = attributes.get(name)
    if value is None or value == []:
        return []
    return list(value) if isinstance(value, list) else [value]


def _first(attributes: dict, name: str) -> Any:
    values = _values(attributes, name)
    return values[0] if values else None


def _plain(value: Any) -> Any:
    """A claim value JSON can hold: strings, numbers and booleans (lists of one value flattened)."""
    if isinstance(value, list):
        plain = [_plain(item) for item in value]
        return plain[0] if len(plain) == 1 else plain
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value if isinstance(value, (str, int, float, bool)) else str(value)
