"""The `"type": "ldap"` upstream file: server URLs, TLS, the service bind, user and group searches.

`parse(document) -> settings`: every LDAP key checked (a ValidationError names
the bad one), defaults filled in. `bind_password` is returned in clear for the
registry to seal; it is never kept in the settings. Connections are LDAPS, or
`ldap://` with StartTLS; plain LDAP only when `allow_insecure` is true and the
host is a loopback address (tests). Groups come from a search under
`group_base`, or from the user's `member_of_attribute` values under
`group_base` (required then: a group's name is its RDN value, so a group of
the same name elsewhere must not count). The subject is the entry's unique id
(`subject_attribute`, else the usual ones); the DN, which a new entry can
reuse, only with `allow_dn_subject`.
"""
from __future__ import annotations

import ipaddress
import os
import re
from typing import Any
from urllib.parse import urlsplit

from ldap3.core.exceptions import LDAPInvalidFilterError
from ldap3.operation.search import parse_filter

from idp.errors import ValidationError

KEYS = frozenset({
    "url", "start_tls", "allow_insecure", "ca_file", "connect_timeout", "receive_timeout", "bind_dn",
    "bind_password", "user_base", "user_filter", "username_attribute", "email_attribute", "name_attribute",
    "group_base", "group_filter", "group_name_attribute", "member_of_attribute", "subject_attribute",
    "allow_dn_subject",
})
USERNAME_ATTRIBUTES = ("uid", "sAMAccountName", "userPrincipalName", "cn", "mail")
ATTRIBUTE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
MAX_URLS = 5
MAX_TIMEOUT = 30
DEFAULTS = {
    "user_filter": "(uid={username})", "username_attribute": "uid", "email_attribute": "mail",
    "name_attribute": "cn", "group_filter": "(member={dn})", "group_name_attribute": "cn",
    "connect_timeout": 5, "receive_timeout": 10,
}


def parse(document: dict[str, Any]) -> dict[str, Any]:
    """The settings of an LDAP upstream file (the keys shared by every type are the registry's, ignored here)."""
    from idp.federation.registry import SHARED_KEYS

    unknown = sorted(set(document) - KEYS - SHARED_KEYS)
    if unknown:
        raise ValidationError(f"Unknown keys in the LDAP upstream file: {', '.join(unknown)}.")
    allow_insecure = _flag(document, "allow_insecure", False)
    start_tls = _flag(document, "start_tls", True)
    settings: dict[str, Any] = {
        "url": _urls(document.get("url"), start_tls=start_tls, allow_insecure=allow_insecure),
        "start_tls": start_tls, "allow_insecure": allow_insecure, "ca_file": _ca_file(document.get("ca_file")),
        "connect_timeout": _timeout(document, "connect_timeout"),
        "receive_timeout": _timeout(document, "receive_timeout"),
        "user_base": _dn(document.get("user_base"), "user_base"),
        "user_filter": _filter(document.get("user_filter", DEFAULTS["user_filter"]), "user_filter", "username"),
        "username_attribute": _username_attribute(document.get("username_attribute", "uid")),
        "group_base": None if document.get("group_base") is None else _dn(document["group_base"], "group_base"),
        "group_filter": _filter(document.get("group_filter", DEFAULTS["group_filter"]), "group_filter", "dn"),
    }
    for key in ("email_attribute", "name_attribute", "group_name_attribute"):
        settings[key] = _attribute(document.get(key, DEFAULTS[key]), key)
    for key in ("member_of_attribute", "subject_attribute"):
        settings[key] = None if document.get(key) is None else _attribute(document[key], key)
    if settings["member_of_attribute"] is not None and settings["group_base"] is None:
        raise ValidationError("member_of_attribute needs group_base: only the groups under it count (a group of "
                              "the same name in another branch must not).")
    settings["allow_dn_subject"] = _flag(document, "allow_dn_subject", False)
    settings.update(_service_bind(document))
    return settings


def _service_bind(document: dict) -> dict[str, Any]:
    """`bind_dn` and `bind_password` together (searches as that entry), or neither (anonymous searches)."""
    bind_dn, password = document.get("bind_dn"), document.get("bind_password")
    if (bind_dn is None) != (password is None):
        raise ValidationError("bind_dn and bind_password go together (or leave both out for anonymous searches).")
    if bind_dn is None:
        return {"bind_dn": None}
    if not isinstance(password, str) or not 0 < len(password) <= 1024:
        raise ValidationError("bind_password must be a string of 1 to 1024 characters.")
    return {"bind_dn": _dn(bind_dn, "bind_dn"), "bind_password": password}


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _urls(value: object, *, start_tls: bool, allow_insecure: bool) -> list[str]:
    urls = [value] if isinstance(value, str) else value
    if not isinstance(urls, list) or not 0 < len(urls) <= MAX_URLS:
        raise ValidationError(f"url must be an ldaps:// or ldap:// URL, or a list of 1 to {MAX_URLS} of them.")
    return [_url(url, start_tls=start_tls, allow_insecure=allow_insecure) for url in urls]


def _url(value: object, *, start_tls: bool, allow_insecure: bool) -> str:
    if not isinstance(value, str) or len(value) > 2048:
        raise ValidationError("url must be an ldaps:// or ldap:// URL.")
    parts = urlsplit(value)
    try:
        _ = parts.port  # the port is parsed (and checked) on access
    except ValueError:
        raise ValidationError(f"url {value} has an invalid port.") from None
    if (parts.scheme not in ("ldap", "ldaps") or not parts.hostname or parts.username or parts.path not in ("", "/")
            or parts.query or parts.fragment):
        raise ValidationError(f"url {value} must be ldaps://host[:port] or ldap://host[:port], nothing more.")
    if parts.scheme == "ldap" and not start_tls and not (allow_insecure and is_loopback(parts.hostname)):
        raise ValidationError(f"url {value}: plain LDAP (no StartTLS) is allowed only with allow_insecure on a "
                              "loopback address; use ldaps:// or StartTLS.")
    return f"{parts.scheme}://{parts.netloc}"


def _ca_file(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not os.path.isfile(value) or not os.access(value, os.R_OK):
        raise ValidationError("ca_file must be the path of a readable PEM file of CA certificates.")
    return value


def _timeout(document: dict, key: str) -> int:
    value = document.get(key, DEFAULTS[key])
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TIMEOUT:
        raise ValidationError(f"{key} must be a whole number of seconds from 1 to {MAX_TIMEOUT}.")
    return value


def _dn(value: object, key: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 1024 or "=" not in value or "\0" in value:
        raise ValidationError(f"{key} must be a distinguished name such as ou=people,dc=example,dc=org.")
    return value


def _filter(value: object, key: str, placeholder: str) -> str:
    if not isinstance(value, str) or len(value) > 1024 or "{" + placeholder + "}" not in value:
        raise ValidationError(f"{key} must be an LDAP filter with {{{placeholder}}} in it.")
    try:
        parse_filter(value.replace("{" + placeholder + "}", "x"), None, True, False, None, False)
    except (LDAPInvalidFilterError, ValueError, KeyError, IndexError):
        raise ValidationError(f"{key} is not a valid LDAP filter.") from None
    return value


def _attribute(value: object, key: str) -> str:
    if not isinstance(value, str) or not ATTRIBUTE_RE.match(value):
        raise ValidationError(f"{key} must be an LDAP attribute name.")
    return value


def _username_attribute(value: object) -> str:
    if value not in USERNAME_ATTRIBUTES:
        raise ValidationError(f"username_attribute must be one of {', '.join(USERNAME_ATTRIBUTES)}.")
    return str(value)


def _flag(document: dict, key: str, default: bool) -> bool:
    value = document.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError(f"{key} must be true or false.")
    return value
