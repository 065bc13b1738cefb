"""The account export document (docs/export-format.md): its sections, and the canonical form of each entry.

An entry read from a file is checked field by field (unknown or missing fields, wrong types: one clear
ValidationError naming the entry) and put in the same canonical form the export writes: lists sorted,
tags sorted by key, defaults filled in. Comparing canonical forms is what makes an import idempotent.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from idp.errors import ValidationError

FORMAT = "idp-account-export"
VERSION = 1
MISSING = object()


@dataclass(frozen=True)
class Section:
    """One list of entities in the document: its key, the word the plan uses, the field naming an entry."""

    key: str
    word: str
    ident: str
    fields: dict[str, tuple[Callable[[Any, str], Any], Any]]


def dumps(document: dict) -> str:
    """The document as the export writes it: sorted keys, two-space indent, one trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def policy_text(document: dict) -> str:
    """A policy document of the file as the JSON text handed to the IAM services."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


# --- field checkers: (value, where) -> canonical value ------------------------------------------------------


def _refuse(where: str, wanted: str) -> ValidationError:
    return ValidationError(f"{where} must be {wanted}")


def text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _refuse(where, "a non-empty string")
    return value


def optional_text(value: Any, where: str) -> str | None:
    return None if value is None else text(value, where)


def number(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _refuse(where, "an integer")
    return value


def flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _refuse(where, "true or false")
    return value


def texts(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _refuse(where, "a list of strings")
    return sorted(set(value))


def optional_texts(value: Any, where: str) -> list[str] | None:
    return None if value is None else texts(value, where)


def policy(value: Any, where: str) -> dict:
    # Documents are JSON objects in the file, never strings: a string would hide a second encoding.
    if not isinstance(value, dict):
        raise _refuse(where, "a policy document (a JSON object)")
    return value


def optional_policy(value: Any, where: str) -> dict | None:
    return None if value is None else policy(value, where)


def policies(value: Any, where: str) -> dict[str, dict]:
    if not isinstance(value, dict):
        raise _refuse(where, "an object of policy name -> policy document")
    return {name: policy(doc, f"{where}.{name}") for name, doc in value.items()}


def tags(value: Any, where: str) -> list[dict[str, str]]:
    shaped = isinstance(value, list) and all(
        isinstance(t, dict) and set(t) == {"Key", "Value"} and isinstance(t["Key"], str)
        and isinstance(t["Value"], str) for t in value)
    if not shaped:
        raise _refuse(where, 'a list of {"Key", "Value"} objects')
    return sorted(value, key=lambda t: t["Key"])


def anything(value: Any, where: str) -> Any:
    return value


def optional_object(value: Any, where: str) -> dict | None:
    if value is not None and not isinstance(value, dict):
        raise _refuse(where, "an object or null")
    return value


def rules(value: Any, where: str) -> list:
    # Upstream mapping rules keep their order: the first matching rule may decide.
    if not isinstance(value, list):
        raise _refuse(where, "a list")
    return value


def versions(value: Any, where: str) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise _refuse(where, "a non-empty list of versions")
    found = [entry(VERSION_FIELDS, v, f"{where}[{i}]") for i, v in enumerate(value)]
    for version in found:
        if not version["version_id"][1:].isdigit() or version["version_id"][0] != "v":
            raise _refuse(f"{where}: version_id {version['version_id']!r}", "v<number>")
    return sorted(found, key=lambda v: int(v["version_id"][1:]))


REQUIRED = MISSING
PATH = (text, "/")
TAGS = (tags, [])
ATTACHED = (texts, [])
INLINE = (policies, {})
BOUNDARY = (optional_text, None)
VERSION_FIELDS = {"version_id": (text, REQUIRED), "document": (policy, REQUIRED)}

ACCOUNT = Section("account", "account", "id", {
    "id": (text, REQUIRED), "alias": (optional_text, None), "password_policy": (optional_object, None),
})
POLICIES = Section("policies", "policy", "name", {
    "name": (text, REQUIRED), "path": PATH, "description": (optional_text, None), "tags": TAGS,
    "default_version": (text, REQUIRED), "versions": (versions, REQUIRED),
})
GROUPS = Section("groups", "group", "name", {
    "name": (text, REQUIRED), "path": PATH, "attached_policies": ATTACHED, "inline_policies": INLINE,
})
USERS = Section("users", "user", "name", {
    "name": (text, REQUIRED), "path": PATH, "tags": TAGS, "permissions_boundary": BOUNDARY,
    "groups": (texts, []), "attached_policies": ATTACHED, "inline_policies": INLINE,
})
ROLES = Section("roles", "role", "name", {
    "name": (text, REQUIRED), "path": PATH, "trust_policy": (policy, REQUIRED), "description": (optional_text, None),
    "max_session_duration": (number, 3600), "tags": TAGS, "permissions_boundary": BOUNDARY,
    "attached_policies": ATTACHED, "inline_policies": INLINE,
})
INSTANCE_PROFILES = Section("instance_profiles", "instance-profile", "name", {
    "name": (text, REQUIRED), "path": PATH, "tags": TAGS, "role": (optional_text, None),
})
OIDC_PROVIDERS = Section("oidc_providers", "oidc-provider", "url", {
    "url": (text, REQUIRED), "client_ids": (texts, []), "thumbprints": (texts, []), "tags": TAGS,
})
CLIENTS = Section("clients", "client", "client_id", {
    "client_id": (text, REQUIRED), "name": (text, REQUIRED), "redirect_uris": (texts, []),
    "post_logout_redirect_uris": (texts, []), "grant_types": (texts, REQUIRED), "scopes": (texts, REQUIRED),
    "token_endpoint_auth_method": (text, REQUIRED), "public": (flag, False), "trusted": (flag, False),
    "jwks": (optional_object, None), "jwks_uri": (optional_text, None),
    "id_token_signed_response_alg": (optional_text, None), "backchannel_logout_uri": (optional_text, None),
    "token_exchange_policy": (optional_policy, None), "admitted_accounts": (optional_texts, None),
})
APIS = Section("apis", "api", "identifier", {
    "identifier": (text, REQUIRED), "name": (text, REQUIRED), "scopes": (policies, REQUIRED),
})
# SAML and LDAP upstreams ("type") carry their own "settings" and no issuer or client id.
UPSTREAMS = Section("upstreams", "upstream", "name", {
    "name": (text, REQUIRED), "type": (text, "oidc"), "settings": (optional_object, None),
    "issuer": (optional_text, None), "client_id": (optional_text, None),
    "token_endpoint_auth_method": (text, "none"), "scopes": (texts, ["email", "openid", "profile"]),
    "display_name": (optional_text, None), "icon_url": (optional_text, None),
    "discovery_url": (optional_text, None), "authorization_endpoint": (optional_text, None),
    "token_endpoint": (optional_text, None), "userinfo_endpoint": (optional_text, None),
    "jwks_uri": (optional_text, None), "end_session_endpoint": (optional_text, None),
    "trust_email": (flag, False), "link_verified_email": (flag, False), "userinfo": (flag, False),
    "enabled": (flag, True), "claims": (texts, []), "groups": (rules, []), "tags": (rules, []),
    "allow": (rules, []), "deny": (rules, []),
})
# In the order an import creates them: what an entry refers to exists before it.
SECTIONS = (POLICIES, GROUPS, USERS, ROLES, INSTANCE_PROFILES, OIDC_PROVIDERS, CLIENTS, APIS, UPSTREAMS)


def entry(fields: dict, value: Any, where: str) -> dict:
    """One entry of a section in canonical form; ValidationError naming the entry and field otherwise."""
    if not isinstance(value, dict):
        raise _refuse(where, "an object")
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise ValidationError(f"{where}: unknown field {unknown[0]!r}")
    result = {}
    for name, (check, default) in fields.items():
        if name not in value:
            if default is REQUIRED:
                raise ValidationError(f"{where}: missing field {name!r}")
            result[name] = default
        else:
            result[name] = check(value[name], f"{where}.{name}")
    return result


def canonical(document: Any) -> dict:
    """The whole document checked and in canonical form: {"account": {...}, section key: {ident: entry}}."""
    if not isinstance(document, dict):
        raise ValidationError("the import file must hold one JSON object")
    if document.get("format") != FORMAT or document.get("version") != VERSION:
        raise ValidationError(f'the import file must say "format": "{FORMAT}", "version": {VERSION}')
    unknown = sorted(set(document) - {"format", "version", ACCOUNT.key, *(s.key for s in SECTIONS)})
    if unknown:
        raise ValidationError(f"the import file has an unknown section {unknown[0]!r}")
    account = entry(ACCOUNT.fields, document.get("account"), "account")
    if len(account["id"]) != 12 or not account["id"].isdigit():
        raise ValidationError("account.id must be 12 digits")
    result: dict[str, Any] = {"account": account}
    for section in SECTIONS:
        items = document.get(section.key, [])
        if not isinstance(items, list):
            raise _refuse(section.key, "a list")
        keyed: dict[str, dict] = {}
        for index, item in enumerate(items):
            name = item.get(section.ident) if isinstance(item, dict) else None
            where = f"{section.key}[{index}]" + (f" ({name})" if isinstance(name, str) else "")
            found = entry(section.fields, item, where)
            if found[section.ident] in keyed:
                raise ValidationError(f"{where}: {section.word} {found[section.ident]} appears twice")
            keyed[found[section.ident]] = found
        result[section.key] = keyed
    return result
