"""An account's configuration as it stands, in the canonical form of the export document (no secrets).

Each `*_entries` function returns {name: entry} for one section; `export_account` puts them together. The
same functions tell an import what is there already, so export and plan can never disagree.
"""
from __future__ import annotations

import json
from typing import Any

from idp.errors import NotFound
from idp.federation import mapping, registry
from idp.iam import account_settings, accounts, boundaries, groups, instance_profiles, oidc_providers, policies
from idp.iam import roles, users
from idp.oidc import apis, clients
from idp.portability import document as doc


def _tags(stored: list | None) -> list[dict[str, str]]:
    return sorted(({"Key": t["Key"], "Value": t["Value"]} for t in stored or []), key=lambda t: t["Key"])


def _holding(holder: Any) -> dict[str, Any]:
    return {
        "attached_policies": sorted(p.arn for p in holder.attached_policies),
        "inline_policies": {p.name: json.loads(p.document) for p in holder.inline_policies},
    }


def account_entry(account_id: str) -> dict | None:
    """The account's alias and password policy, or None when there is no such account."""
    if accounts.find(account_id) is None:
        return None
    row = account_settings.account(account_id)
    return {"id": row.id, "alias": row.alias, "password_policy": row.password_policy}


def policy_entries(account_id: str) -> dict[str, dict]:
    """Customer-managed policies with every version (AWS-managed ones are the deployment's, not the account's)."""
    found = {}
    for policy, _usage in policies.listed(account_id, "Local", "/", False, None):
        found[policy.name] = {
            "name": policy.name, "path": policy.path, "description": policy.description, "tags": _tags(policy.tags),
            "default_version": policy.default_version_id,
            "versions": [{"version_id": v.version_id, "document": json.loads(v.document)}
                         for v in sorted(policy.versions, key=lambda v: int(v.version_id[1:]))],
        }
    return found


def group_entries(account_id: str) -> dict[str, dict]:
    """Groups with their attached and inline policies."""
    return {g.name: {"name": g.name, "path": g.path, **_holding(g)} for g in groups.listed(account_id, "/")}


def user_entries(account_id: str) -> dict[str, dict]:
    """Users without any credential: memberships, policies, boundary, tags."""
    return {
        u.name: {"name": u.name, "path": u.path, "tags": _tags(u.tags),
                 "permissions_boundary": boundaries.current_arn(u), "groups": sorted(g.name for g in u.groups),
                 **_holding(u)}
        for u in users.USER.listed(account_id, "/")
    }


def role_entries(account_id: str) -> dict[str, dict]:
    """Roles (service-linked ones are the service's, recreated by it, so left out)."""
    return {
        r.name: {"name": r.name, "path": r.path, "trust_policy": json.loads(r.trust_policy),
                 "description": r.description, "max_session_duration": r.max_session_duration,
                 "tags": _tags(r.tags), "permissions_boundary": boundaries.current_arn(r), **_holding(r)}
        for r in roles.listed(account_id, "/") if not roles.is_service_linked(r)
    }


def instance_profile_entries(account_id: str) -> dict[str, dict]:
    """Instance profiles and the role each holds."""
    return {
        p.name: {"name": p.name, "path": p.path, "tags": _tags(p.tags), "role": p.role.name if p.role else None}
        for p in instance_profiles.listed(account_id, "/")
    }


def oidc_provider_entries(account_id: str) -> dict[str, dict]:
    """IAM OIDC identity providers, by URL as IAM stores it (without the scheme)."""
    return {
        p.url: {"url": p.url, "client_ids": sorted(set(p.client_ids)), "thumbprints": sorted(set(p.thumbprints)),
                "tags": _tags(p.tags)}
        for p in oidc_providers.listed(account_id)
    }


def client_entries(account_id: str) -> dict[str, dict]:
    """OAuth clients without their secrets."""
    found = {}
    for c in clients.listed(account_id):
        found[c.client_id] = {
            "client_id": c.client_id, "name": c.name, "redirect_uris": sorted(set(c.redirect_uris or [])),
            "post_logout_redirect_uris": sorted(set(c.post_logout_redirect_uris or [])),
            "grant_types": sorted(set(c.grant_types)), "scopes": sorted(set(c.scopes)),
            "token_endpoint_auth_method": c.token_endpoint_auth_method, "public": c.is_public,
            "trusted": c.is_trusted, "jwks": c.jwks, "jwks_uri": c.jwks_uri,
            "id_token_signed_response_alg": c.id_token_signed_response_alg,
            "backchannel_logout_uri": c.backchannel_logout_uri,
            "token_exchange_policy": json.loads(c.token_exchange_policy) if c.token_exchange_policy else None,
            "admitted_accounts": sorted(c.admitted_accounts) if c.admitted_accounts else None,
        }
    return found


def api_entries(account_id: str) -> dict[str, dict]:
    """Registered APIs with each scope's policy."""
    return {
        a.identifier: {"identifier": a.identifier, "name": a.name,
                       "scopes": {name: json.loads(text) for name, text in (a.scopes or {}).items()}}
        for a in apis.listed(account_id)
    }


def upstream_entries(account_id: str) -> dict[str, dict]:
    """Upstream providers as their upstream file says them, without `client_secret` and `account`."""
    found = {}
    for u in registry.listed():
        if u.account_id != account_id:
            continue
        rules = u.mappings or {}
        oidc = u.type == "oidc"
        found[u.name] = {
            "name": u.name, "type": u.type, "settings": None if oidc else u.settings,
            "issuer": u.issuer if oidc else None, "client_id": u.client_id if oidc else None,
            "token_endpoint_auth_method": u.token_endpoint_auth_method, "scopes": sorted(set(u.scopes)),
            "display_name": u.display_name, "icon_url": u.icon_url, "discovery_url": u.discovery_url,
            **{endpoint: getattr(u, endpoint) for endpoint in registry.ENDPOINTS},
            "trust_email": u.trust_email, "link_verified_email": bool(rules.get("link_verified_email")),
            "userinfo": bool(rules.get("userinfo")), "enabled": u.enabled,
            "claims": sorted(set(rules.get("claims", []))),
            **{kind: rules.get(kind, []) for kind in mapping.RULE_KINDS},
        }
    return found


ENTRIES = {
    doc.POLICIES.key: policy_entries, doc.GROUPS.key: group_entries, doc.USERS.key: user_entries,
    doc.ROLES.key: role_entries, doc.INSTANCE_PROFILES.key: instance_profile_entries,
    doc.OIDC_PROVIDERS.key: oidc_provider_entries, doc.CLIENTS.key: client_entries, doc.APIS.key: api_entries,
    doc.UPSTREAMS.key: upstream_entries,
}


def current(account_id: str) -> dict[str, Any]:
    """What the database holds for the account, keyed as `document.canonical` keys a file."""
    return {"account": account_entry(account_id), **{key: entries(account_id) for key, entries in ENTRIES.items()}}


def export_account(account_id: str) -> dict:
    """The account's configuration as one export document (docs/export-format.md); NotFound for no account."""
    state = current(account_id)
    if state["account"] is None:
        raise NotFound(f"no account {account_id}")
    exported: dict[str, Any] = {"format": doc.FORMAT, "version": doc.VERSION, "account": state["account"]}
    for section in doc.SECTIONS:
        entries = state[section.key]
        exported[section.key] = [entries[name] for name in sorted(entries)]
    return exported
