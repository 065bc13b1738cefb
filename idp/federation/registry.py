"""Upstream providers: the upstream file format, add/update/list/show/remove, the sealed secret.

A file's `"type"` says which kind of upstream it describes: `"oidc"` (the
default), `"saml"` or `"ldap"`; any other type is refused.

OIDC (DESIGN.md "Federation") is `{"name", "issuer", "client_id",
"client_secret", "scopes", "account", "groups", "tags", "allow"}` plus optional
`deny`, `display_name`, `icon_url`, `discovery_url`, explicit endpoints,
`token_endpoint_auth_method`, `pkce`, `userinfo`, `trust_email`,
`link_verified_email`, `enabled` and `claims` (upstream claims passed through
into our tokens under the `upstream` claim, see `idp.federation.claims`).

SAML and LDAP share `SHARED_KEYS` with OIDC (name, account, the mapping rules,
`display_name`, `enabled`, `claims`); everything else of their file is checked
by their own `config.parse(document) -> settings` (`idp.federation.saml.config`,
`idp.federation.ldap.config`; it gets the whole document and ignores the shared
keys), kept in the upstream's `settings`. A type's one secret (`SECRETS`: the
LDAP `bind_password`) is taken out of the settings and sealed with the master
key like an OIDC client secret; `settings["issuer"]`, when a type gives it,
names the identity source (else the first of `settings["url"]`).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from sqlalchemy import select

from idp import audit
from idp.errors import Conflict, NotFound, ValidationError
from idp.federation import mapping
from idp.keys import master_key
from models import db
from models.account import Account
from models.federation import UpstreamProvider

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint")
KNOWN_KEYS = frozenset({
    "name", "issuer", "client_id", "client_secret", "scopes", "account", "groups", "tags", "allow", "deny",
    "display_name", "icon_url", "discovery_url", "token_endpoint_auth_method", "pkce", "userinfo", "trust_email",
    "link_verified_email", "enabled", "claims", "type", *ENDPOINTS,
})
TYPES = ("oidc", "saml", "ldap")
SHARED_KEYS = frozenset({"name", "type", "account", "groups", "tags", "allow", "deny", "display_name", "enabled",
                         "claims"})
SECRETS = {"ldap": "bind_password"}
REDACTED = "(sealed)"


def _purpose(name: str, kind: str = "oidc") -> str:
    field = SECRETS.get(kind, "client-secret").replace("_", "-")
    return f"upstream-{field}:{name}"


def client_secret(upstream: UpstreamProvider) -> str | None:
    """The upstream's secret, unsealed: the OIDC client secret or the LDAP bind password (None without one)."""
    if upstream.client_secret_encrypted is None:
        return None
    return master_key().open(upstream.client_secret_encrypted, _purpose(upstream.name, upstream.type)).decode()


def find(name: str) -> UpstreamProvider | None:
    """The upstream of that name, or None."""
    return db.session.scalar(select(UpstreamProvider).where(UpstreamProvider.name == name))


def get(name: str) -> UpstreamProvider:
    """The upstream of that name, or NotFound."""
    upstream = find(name) if isinstance(name, str) else None
    if upstream is None:
        raise NotFound(f"There is no upstream provider named {name!r}.")
    return upstream


def listed() -> list[UpstreamProvider]:
    """Every upstream, by name."""
    return list(db.session.scalars(select(UpstreamProvider).order_by(UpstreamProvider.name)))


def enabled() -> list[UpstreamProvider]:
    """The enabled upstreams of every type."""
    return [upstream for upstream in listed() if upstream.enabled]


def offered() -> list[UpstreamProvider]:
    """The upstreams the login page offers as buttons: enabled OIDC and SAML ones (LDAP users use the form)."""
    return [upstream for upstream in enabled() if upstream.type in ("oidc", "saml")]


def of_type(account_id: str, kind: str) -> list[UpstreamProvider]:
    """The enabled upstreams of one type in an account, by name."""
    return [upstream for upstream in enabled() if upstream.account_id == account_id and upstream.type == kind]


def add(document: dict, default_account: str) -> UpstreamProvider:
    """Register an upstream from its file; EntityAlreadyExists when the name is taken. Not committed."""
    name = _name(document.get("name"))
    if find(name) is not None:
        raise Conflict(f"An upstream provider named {name} already exists.")
    upstream = UpstreamProvider(name=name)
    _apply(upstream, document, default_account)
    db.session.add(upstream)
    db.session.flush()
    audit.record("federation:AddUpstream", resource=name, account_id=upstream.account_id, decision="Allow",
                 detail={"type": upstream.type, "issuer": upstream.issuer})
    return upstream


def update(document: dict, default_account: str) -> UpstreamProvider:
    """Replace the configuration of an existing upstream with its file (the name cannot change). Not committed."""
    upstream = get(_name(document.get("name")))
    _apply(upstream, document, default_account)
    db.session.flush()
    audit.record("federation:UpdateUpstream", resource=upstream.name, account_id=upstream.account_id,
                 decision="Allow", detail={"type": upstream.type, "issuer": upstream.issuer})
    return upstream


def remove(name: str) -> None:
    """Delete an upstream and its links (the provisioned users stay, as IAM users). Not committed."""
    upstream = get(name)
    audit.record("federation:RemoveUpstream", resource=name, account_id=upstream.account_id, decision="Allow")
    db.session.delete(upstream)
    db.session.flush()


def describe(upstream: UpstreamProvider, redirect_base: str) -> dict[str, Any]:
    """What `upstreams show|list` print: never the secret."""
    rules = upstream.mappings or {}
    if upstream.type != "oidc":
        return _describe_typed(upstream, rules, redirect_base)
    return {
        "name": upstream.name, "type": upstream.type, "account": upstream.account_id, "issuer": upstream.issuer,
        "client_id": upstream.client_id, "has_client_secret": upstream.client_secret_encrypted is not None,
        "token_endpoint_auth_method": upstream.token_endpoint_auth_method, "scopes": list(upstream.scopes),
        "pkce": upstream.use_pkce, "display_name": upstream.display_name, "enabled": upstream.enabled,
        "trust_email": upstream.trust_email,
        "redirect_uri": f"{redirect_base}/login/upstream/{upstream.name}/callback",
        **{key: rules.get(key, []) for key in mapping.RULE_KINDS},
        "claims": rules.get("claims", []), "userinfo": bool(rules.get("userinfo")),
        "link_verified_email": bool(rules.get("link_verified_email")),
    }


def _describe_typed(upstream: UpstreamProvider, rules: dict, redirect_base: str) -> dict[str, Any]:
    """A SAML or LDAP upstream: its settings, the secret shown only as REDACTED (or None when it has none)."""
    settings = dict(upstream.settings or {})
    secret = SECRETS.get(upstream.type)
    if secret is not None:
        settings[secret] = REDACTED if upstream.client_secret_encrypted is not None else None
    urls = {}
    if upstream.type == "saml":
        base = f"{redirect_base}/login/upstream/{upstream.name}/saml"
        urls = {"sp_metadata_url": f"{base}/metadata", "acs_url": f"{base}/acs"}
    return {
        "name": upstream.name, "type": upstream.type, "account": upstream.account_id, "issuer": upstream.issuer,
        "display_name": upstream.display_name, "enabled": upstream.enabled, "settings": settings, **urls,
        **{key: rules.get(key, []) for key in mapping.RULE_KINDS}, "claims": rules.get("claims", []),
    }


def read_file(path: str | Path) -> Any:
    """An upstream file: JSON, or YAML when the name ends in .yaml/.yml; one upstream or a list."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ValidationError(f"cannot read the upstream file {path}: {error.strerror}") from None
    if path.suffix in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValidationError(f"{path} is not valid YAML: {error}") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValidationError(f"{path} is not valid JSON: {error}") from None


def apply_all(document: Any, default_account: str) -> list[tuple[UpstreamProvider, str]]:
    """Add or update each upstream of a file's document (one object or a list); ("added"|"updated") per upstream."""
    entries = document if isinstance(document, list) else [document]
    applied = []
    for entry in entries:
        exists = isinstance(entry, dict) and find(str(entry.get("name"))) is not None
        applied.append(((update if exists else add)(entry, default_account), "updated" if exists else "added"))
    return applied


def _apply(upstream: UpstreamProvider, document: dict, default_account: str) -> None:
    if not isinstance(document, dict):
        raise ValidationError("The upstream file must hold a JSON object.")
    kind = _type(document.get("type", "oidc"))
    if upstream.type not in (None, kind):
        raise ValidationError(f"{upstream.name} is an upstream of type {upstream.type}; remove it to change its type.")
    account = str(document.get("account") or default_account)
    if db.session.get(Account, account) is None:
        raise NotFound(f"There is no account {account}.")
    upstream.account_id = account
    upstream.type = kind
    if kind == "oidc":
        _apply_oidc(upstream, document)
    else:
        _apply_typed(upstream, kind, document)


def _type(value: object) -> str:
    if value not in TYPES:
        raise ValidationError(f"type must be one of {', '.join(TYPES)} (default oidc).")
    return str(value)


def _apply_typed(upstream: UpstreamProvider, kind: str, document: dict) -> None:
    """A SAML or LDAP upstream: its settings from its type's parser, the shared keys as for OIDC."""
    settings = dict(_parser(kind)(document))
    secret = settings.pop(SECRETS[kind], None) if kind in SECRETS else None
    upstream.settings = settings
    upstream.issuer = str(settings.get("issuer") or (settings.get("url") or [f"urn:{kind}:{upstream.name}"])[0])
    upstream.client_id = ""
    upstream.client_secret_encrypted = (
        master_key().seal(secret.encode(), _purpose(upstream.name, kind)) if secret else None)
    upstream.token_endpoint_auth_method = "none"
    upstream.scopes = []
    upstream.use_pkce = True
    for endpoint in ("discovery_url", *ENDPOINTS):
        setattr(upstream, endpoint, None)
    upstream.display_name = _optional_text(document.get("display_name"), "display_name", 255)
    upstream.icon_url = None
    upstream.trust_email = False
    upstream.enabled = _flag(document, "enabled", True)
    rules = mapping.checked_rules(document)
    rules["claims"] = _passthrough(document.get("claims", []))
    upstream.mappings = rules


def _parser(kind: str):
    """The `parse(document) -> settings` of a type's config module."""
    if kind == "ldap":
        from idp.federation.ldap import config as ldap_config

        return ldap_config.parse
    from idp.federation.saml import config as saml_config

    return saml_config.parse


def _apply_oidc(upstream: UpstreamProvider, document: dict) -> None:
    unknown = sorted(set(document) - KNOWN_KEYS)
    if unknown:
        raise ValidationError(f"Unknown keys in the upstream file: {', '.join(unknown)}.")
    upstream.settings = None
    upstream.issuer = _url(document.get("issuer"), "issuer").rstrip("/")
    upstream.discovery_url = _optional_url(document.get("discovery_url"), "discovery_url")
    for endpoint in ENDPOINTS:
        setattr(upstream, endpoint, _optional_url(document.get(endpoint), endpoint))
    upstream.client_id = _text(document.get("client_id"), "client_id", 255)
    secret = document.get("client_secret")
    method = document.get("token_endpoint_auth_method") or ("client_secret_basic" if secret else "none")
    if method not in AUTH_METHODS:
        raise ValidationError(f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}.")
    if (method == "none") != (secret is None):
        raise ValidationError("A client_secret goes with client_secret_basic or client_secret_post, none without.")
    upstream.token_endpoint_auth_method = method
    upstream.client_secret_encrypted = (
        master_key().seal(_text(secret, "client_secret", 1024).encode(), _purpose(upstream.name)) if secret else None
    )
    scopes = document.get("scopes", ["openid", "email", "profile"])
    if not isinstance(scopes, list) or "openid" not in scopes or not all(
            isinstance(s, str) and re.fullmatch(r"[\x21\x23-\x5B\x5D-\x7E]+", s) for s in scopes):
        raise ValidationError("scopes must be a list of scope tokens that includes openid.")
    upstream.scopes = list(dict.fromkeys(scopes))
    # PKCE S256 is always sent (RFC 9700 2.1.1); `pkce: false` exists only for the record of what upstream supports.
    upstream.use_pkce = True
    upstream.display_name = _optional_text(document.get("display_name"), "display_name", 255)
    upstream.icon_url = _optional_url(document.get("icon_url"), "icon_url")
    upstream.trust_email = _flag(document, "trust_email", False)
    upstream.enabled = _flag(document, "enabled", True)
    rules = mapping.checked_rules(document)
    rules["claims"] = _passthrough(document.get("claims", []))
    rules["userinfo"] = _flag(document, "userinfo", False)
    rules["link_verified_email"] = _flag(document, "link_verified_email", False)
    if rules["link_verified_email"] and not upstream.trust_email:
        raise ValidationError(
            "link_verified_email needs trust_email: only an upstream that verifies email may link by it.")
    upstream.mappings = rules


def _passthrough(value: object) -> list[str]:
    """The upstream claims copied into our tokens' `upstream` object."""
    if not isinstance(value, list) or len(value) > 50 or not all(
            isinstance(name, str) and 0 < len(name) <= 128 for name in value):
        raise ValidationError("claims must be a list of at most 50 claim names.")
    return list(dict.fromkeys(value))


def _name(value: object) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ValidationError("name must be 1 to 64 letters, digits, '-' or '_' (it is part of the callback URL).")
    return value


def _url(value: object, field: str) -> str:
    if not isinstance(value, str) or len(value) > 2048:
        raise ValidationError(f"{field} must be a URL.")
    parts = urlsplit(value)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.query or parts.fragment:
        raise ValidationError(f"{field} must be an https URL without credentials, query or fragment.")
    if parts.scheme == "http" and not loopback:
        raise ValidationError(f"{field} must use https (plain http only on a loopback address).")
    return value


def _optional_url(value: object, field: str) -> str | None:
    return None if value in (None, "") else _url(value, field)


def _text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise ValidationError(f"{field} must be a string of 1 to {limit} characters.")
    return value


def _optional_text(value: object, field: str, limit: int) -> str | None:
    return None if value is None else _text(value, field, limit)


def _flag(document: dict, key: str, default: bool) -> bool:
    value = document.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError(f"{key} must be true or false.")
    return value
