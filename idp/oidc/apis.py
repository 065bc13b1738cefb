"""Registered APIs (RFC 8707 resource indicators): register, find, list, delete, and resolve `resource=`.

An API is an identifier (what an access token carries in `aud` and what a
client names with `resource=`), a name, and scopes; each scope maps to an IAM
policy document naming the actions and resources that scope may reach. A
delegated token's authority is the subject's policies intersected with the
documents of its granted scopes (`idp.authz.tokens`), so every document is
parsed by the policy engine and run through ValidatePolicy when registered:
an ERROR or SECURITY_WARNING finding refuses it, as it would refuse any other
document. Action prefixes the analyzer does not catalogue are taken as the
API's own service (`orders:GetOrder`), so they are not INVALID_SERVICE.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable, Mapping
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from idp import audit
from idp.analyzer.catalog import Catalog, for_app
from idp.analyzer.findings import FindingType
from idp.analyzer.validation import validate_policy
from idp.authz.policy_store import refusing_malformed
from idp.errors import Conflict, MalformedPolicyDocument, NotFound, ValidationError
from idp.fetch import is_loopback_host
from idp.iam import accounts
from idp.oidc.errors import InvalidTargetError, described
from idp.policy import PolicyKind, parse_policy
from models import db
from models.api_resource import ApiResource

MAX_IDENTIFIER = 2048
MAX_SCOPES = 50
# OpenID Connect's own scopes release claims about the user; they are never an API's.
OIDC_SCOPES = frozenset({"openid", "profile", "email", "phone", "address", "offline_access"})
# RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,128}")
_REFUSING = (FindingType.ERROR, FindingType.SECURITY_WARNING)
_ACTION_PREFIX = re.compile(r"^([A-Za-z0-9-]+):")


MAX_RESOURCES = 10


@dataclass(frozen=True)
class ApiSpec:
    """What `idp apis create` registers: identifier, name and {scope: policy document text}."""

    identifier: str
    name: str
    scopes: Mapping[str, str]


def create(spec: ApiSpec, account_id: str | None = None) -> ApiResource:
    """Register an API in the account (default: the default account); audited `oidc:CreateApi`."""
    account_id = accounts.existing(account_id)
    identifier = checked_identifier(spec.identifier)
    if not spec.name or len(spec.name) > 255:
        raise ValidationError("an API needs a --name of 1..255 characters")
    if not spec.scopes:
        raise ValidationError("an API needs at least one --scope NAME=POLICY.json")
    if len(spec.scopes) > MAX_SCOPES:
        raise ValidationError(f"an API has at most {MAX_SCOPES} scopes")
    scopes = {checked_scope_name(name): checked_document(name, text) for name, text in spec.scopes.items()}
    if db.session.scalar(select(ApiResource.id).where(ApiResource.identifier == identifier)) is not None:
        raise Conflict(f"an API with identifier {identifier} already exists")
    api = ApiResource(account_id=account_id, identifier=identifier, name=spec.name, scopes=scopes)
    db.session.add(api)
    db.session.flush()
    audit.record("oidc:CreateApi", resource=identifier, account_id=account_id, decision="Allow",
                 detail={"name": spec.name, "scopes": sorted(scopes)})
    return api


def delete(identifier: str) -> None:
    """Remove an API; tokens already issued for it stop being accepted (audited `oidc:DeleteApi`)."""
    api = get(identifier)
    audit.record("oidc:DeleteApi", resource=api.identifier, account_id=api.account_id, decision="Allow")
    db.session.delete(api)
    db.session.flush()


def get(identifier: str) -> ApiResource:
    """The API with this identifier; NotFound otherwise."""
    api = find(identifier)
    if api is None:
        raise NotFound(f"no API {identifier}")
    return api


def find(identifier: object) -> ApiResource | None:
    """The API with this identifier, or None."""
    if not isinstance(identifier, str) or not identifier or len(identifier) > MAX_IDENTIFIER:
        return None
    return db.session.scalar(select(ApiResource).where(ApiResource.identifier == identifier))


def scopes_of(identifiers: Iterable[str]) -> set[str]:
    """Every scope the registered APIs named by `identifiers` define."""
    return {scope for identifier in identifiers if (api := find(identifier)) is not None for scope in api.scopes}


def listed(account_id: str | None = None) -> list[ApiResource]:
    """Every API, or those of one account, oldest first."""
    query = select(ApiResource).order_by(ApiResource.id)
    if account_id:
        query = query.where(ApiResource.account_id == account_id)
    return list(db.session.scalars(query))


def describe(api: ApiResource) -> dict:
    """The API as `idp apis show --json` prints it (policies as JSON objects)."""
    return {"identifier": api.identifier, "name": api.name, "account_id": api.account_id,
            "scopes": {name: json.loads(text) for name, text in (api.scopes or {}).items()}}


def checked_identifier(identifier: str) -> str:
    """An absolute https URI (http only on loopback) without fragment, or a `urn:`; not this issuer."""
    if not isinstance(identifier, str) or not 0 < len(identifier) <= MAX_IDENTIFIER:
        raise ValidationError(f"the API identifier must be 1..{MAX_IDENTIFIER} characters")
    if any(ord(c) <= 32 or ord(c) >= 127 for c in identifier):
        raise ValidationError("the API identifier must be printable ASCII without spaces")
    if identifier.rstrip("/") == current_app.config["IDP_SETTINGS"].issuer.rstrip("/"):
        raise ValidationError("the API identifier cannot be this provider's issuer")
    if identifier.lower().startswith("urn:"):
        if identifier.count(":") < 2 or identifier.endswith(":"):
            raise ValidationError(f"the API identifier {identifier!r} is not a URN (urn:<nid>:<nss>)")
        return identifier
    parts = urlsplit(identifier)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError(f"the API identifier {identifier!r} must be an absolute https URI or a urn:")
    if parts.fragment or "#" in identifier:
        raise ValidationError(f"the API identifier {identifier!r} must not have a fragment (RFC 8707 2)")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValidationError(f"the API identifier {identifier!r}: plain http is only allowed for loopback")
    return identifier


def checked_scope_name(name: str) -> str:
    """An RFC 6749 scope token that is not one of OpenID Connect's own scopes."""
    if not isinstance(name, str) or not _SCOPE_TOKEN.fullmatch(name):
        raise ValidationError(f"scope name {name!r} is not an OAuth scope token (printable ASCII, no space, "
                              "quote or backslash)")
    if name in OIDC_SCOPES:
        raise ValidationError(f"scope name {name!r} is an OpenID Connect scope, not an API's")
    return name


def checked_document(scope: str, text: str) -> str:
    """The scope's policy as stored once the engine parsed it and ValidatePolicy found nothing refusing."""
    if not isinstance(text, str) or not text.strip():
        raise MalformedPolicyDocument(f"scope {scope}: the policy document is empty")
    with refusing_malformed(f"scope {scope}"):
        parse_policy(text, PolicyKind.SESSION, policy_id=f"scope/{scope}")
    for finding in validate_policy(text, "IDENTITY_POLICY", catalog=_catalog_for(text)):
        if finding.finding_type in _REFUSING:
            raise MalformedPolicyDocument(f"scope {scope}: {finding.issue_code}: {finding.details}")
    return text


def requested_resources(values: Iterable[str], account_id: str, *, within: Iterable[str] | None = None,
                        redirect_uri: str | None = None, client_id: str | None = None) -> list[str]:
    """RFC 8707 `resource` values -> the APIs' identifiers, each a registered API of `account_id`.

    `within` (the resources of a code or grant) bounds a later request: its
    values must be among them, and no value means all of them. Anything else
    is `invalid_target`, audited (`oauth:InvalidTarget`) even when the
    request's work is rolled back.
    """
    values = list(dict.fromkeys(v for v in values if v))
    if within is not None:
        allowed = list(within or ())
        outside = [value for value in values if value not in allowed]
        if outside:
            raise _refused(f"The resource {described(outside[0])} was not granted.", values, account_id, client_id,
                           redirect_uri)
        return values or allowed
    if len(values) > MAX_RESOURCES:
        raise _refused(f"At most {MAX_RESOURCES} resources may be requested.", values, account_id, client_id,
                       redirect_uri)
    for value in values:
        api = find(value)
        if api is None or api.account_id != account_id:
            raise _refused(f"The resource {described(value)} is not an API this client may be given tokens for.",
                           values, account_id, client_id, redirect_uri)
    return values


def _refused(message: str, values: list[str], account_id: str, client_id: str | None,
             redirect_uri: str | None) -> InvalidTargetError:
    audit.note("oauth:InvalidTarget", actor=client_id, resource=client_id, decision="Deny", account_id=account_id,
               detail={"resources": [value[:MAX_IDENTIFIER] for value in values[:MAX_RESOURCES + 1]]})
    return InvalidTargetError(message, redirect_uri=redirect_uri)


def _catalog_for(text: str) -> Catalog:
    catalog = for_app(current_app)
    own = {match.group(1).lower() for match in map(_ACTION_PREFIX.match, _actions(text)) if match}
    unknown = {prefix for prefix in own if not catalog.exists(prefix)}
    return Catalog(catalog.services, catalog.prefixes | unknown) if unknown else catalog


def _actions(text: str) -> list[str]:
    try:
        document = json.loads(text)
    except ValueError:
        return []
    statements = document.get("Statement") if isinstance(document, dict) else None
    statements = statements if isinstance(statements, list) else [statements]
    found: list[str] = []
    for statement in statements:
        if isinstance(statement, dict):
            for key in ("Action", "NotAction"):
                value = statement.get(key)
                values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
                found += [item for item in values if isinstance(item, str)]
    return found

