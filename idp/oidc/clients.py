"""OAuth clients (relying parties): registration, secrets (stored hashed), and the IdP's own IAM provider.

A client's id is added to the client-id list of this IdP's own IAM OIDC
provider in the client's account, so that ID tokens issued to it can be
exchanged with STS AssumeRoleWithWebIdentity (`aud` = client_id), and removed
again when the client is deleted.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from idp import audit, work
from idp.authz.policy_store import bump_authz_version
from idp.cache import app_cache
from idp.errors import InvalidRedirectUri, NotFound
from idp.iam import accounts
from idp.iam.accounts import register_issuer
from idp.iam.oidc_providers import add_client_id, remove_client_id
from idp.oidc.admission import checked_accounts
from idp.oidc.errors import InvalidClientMetadata
from idp.oidc.exchange_policy import checked_document
from idp.oidc.redirects import checked_redirect_uri
from models import db
from models.oauth_client import TOKEN_ENDPOINT_AUTH_METHODS, OAuthClient
from models.oidc_provider import OidcProvider

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials",
               "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange")
SIGNING_ALGS = ("ES256", "RS256", "EdDSA")
DEFAULT_SCOPES = ("openid", "profile", "email")
MAX_REDIRECT_URIS = 20
CACHE_SECONDS = 5
MAX_CACHED_CLIENTS = 10_000


@dataclass
class ClientSpec:
    """What an operator says about a client; None leaves a stored value unchanged on update."""

    name: str | None = None
    redirect_uris: list[str] | None = None
    public: bool | None = None
    auth_method: str | None = None
    jwks_uri: str | None = None
    jwks: dict | None = None
    grant_types: list[str] | None = None
    scopes: list[str] | None = None
    trusted: bool | None = None
    id_token_alg: str | None = None
    post_logout_redirect_uris: list[str] | None = field(default=None)
    backchannel_logout_uri: str | None = None
    token_exchange_policy: str | None = None
    # `--multi-account` values (account ids or '*'); [] makes the client single-account again.
    admitted_accounts: list[str] | None = None


def hash_secret(secret: str) -> str:
    """SHA-256 of a client secret; secrets are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(client: OAuthClient | ClientSnapshot, secret: str) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return client.secret_hash is not None and hmac.compare_digest(client.secret_hash, hash_secret(secret))


@dataclass(frozen=True)
class ClientSnapshot:
    """A client's registration as the protocol endpoints read it, cached for `CACHE_SECONDS`."""

    id: int
    client_id: str
    account_id: str
    name: str
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    scopes: tuple[str, ...]
    token_endpoint_auth_method: str
    jwks: dict | None
    jwks_uri: str | None
    id_token_signed_response_alg: str | None
    is_public: bool
    is_trusted: bool
    # Other accounts whose principals it signs in (`idp.oidc.admission`); None: its own account only.
    admitted_accounts: tuple[str, ...] | None = None
    # Registered through RFC 7591 (it named its own scopes): holds no API's authority of its own.
    self_registered: bool = False


def new_client_id() -> str:
    """About 143 random bits in 24 letters and digits: never starting with `-`, which a command line reads as an option."""
    return "".join(secrets.choice(_CLIENT_ID_ALPHABET) for _ in range(24))


_CLIENT_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def find(client_id: str) -> ClientSnapshot | None:
    """The enabled client with this id, or None; read at most every `CACHE_SECONDS` per instance.

    Every token request needs its client; the cache keeps that off the database
    while a change (secret rotation, deletion) still reaches every instance
    within seconds, and at once on the instance that made it.
    """
    if not isinstance(client_id, str) or not 0 < len(client_id) <= 64:
        return None
    hit = _cache().get(client_id)  # (read at, snapshot); unknown ids are cached too, as None
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    row = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    snapshot = _snapshot(row) if row is not None and row.enabled else None
    _cache().put(client_id, (time.monotonic(), snapshot))
    return snapshot


def _cache():
    return app_cache("idp.oauth_clients", MAX_CACHED_CLIENTS)


def _snapshot(row: OAuthClient) -> ClientSnapshot:
    return ClientSnapshot(
        row.id, row.client_id, row.account_id, row.name, row.secret_hash, tuple(row.redirect_uris or ()),
        tuple(row.grant_types or ()), tuple(row.response_types or ()), tuple(row.scopes or ()),
        row.token_endpoint_auth_method, row.jwks, row.jwks_uri, row.id_token_signed_response_alg, row.is_public,
        row.is_trusted, admitted_accounts=tuple(row.admitted_accounts) if row.admitted_accounts else None,
        self_registered=row.registration_token_hash is not None,
    )


def forget(client_id: str) -> None:
    """Drop a client from this instance's cache (after a change)."""
    _cache().pop(client_id)


def _forget_once_committed(client_id: str) -> None:
    # Not before: a request of this instance reading the client in between would cache the old row again.
    work.after_commit(lambda: forget(client_id))


def get(client_id: str) -> OAuthClient:
    """The client with this id, enabled or not; NotFound otherwise."""
    client = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    if client is None:
        raise NotFound(f"no client {client_id}")
    return client


def listed(account_id: str | None = None) -> list[OAuthClient]:
    """Every client, or those of one account, oldest first."""
    query = select(OAuthClient).order_by(OAuthClient.id)
    if account_id:
        query = query.where(OAuthClient.account_id == account_id)
    return list(db.session.scalars(query))


def create(spec: ClientSpec, account_id: str | None = None) -> tuple[OAuthClient, str | None]:
    """Register a client; return it and its secret (only for secret-based confidential clients)."""
    account_id = accounts.existing(account_id)
    if not spec.name:
        raise InvalidClientMetadata("a client needs a {client_name}", field="client_name")
    client = OAuthClient(client_id=new_client_id(), account_id=account_id, name=spec.name,
                         redirect_uris=[], post_logout_redirect_uris=[])
    with _redirect_refusals_audited(None, account_id):
        _apply(client, spec, creating=True)
    secret = None
    if client.token_endpoint_auth_method in ("client_secret_basic", "client_secret_post"):
        secret = secrets.token_urlsafe(32)
        client.secret_hash = hash_secret(secret)
    db.session.add(client)
    _own_provider(account_id, client.client_id, add=True)
    audit.record("oauth:CreateClient", resource=client.client_id, account_id=account_id,
                 detail={"name": client.name, "auth_method": client.token_endpoint_auth_method,
                         "admitted_accounts": client.admitted_accounts})
    _forget_once_committed(client.client_id)
    return client, secret


def update(client_id: str, spec: ClientSpec, *, rotate_secret: bool = False) -> tuple[OAuthClient, str | None]:
    """Change a client's metadata; rotating gives a new secret (shown once)."""
    client = get(client_id)
    with _redirect_refusals_audited(client.client_id, client.account_id):
        _apply(client, spec, creating=False)
    secret = None
    uses_secret = client.token_endpoint_auth_method in ("client_secret_basic", "client_secret_post")
    if uses_secret and (rotate_secret or client.secret_hash is None):
        secret = secrets.token_urlsafe(32)
        client.secret_hash = hash_secret(secret)
    elif not uses_secret:
        client.secret_hash = None
    audit.record("oauth:UpdateClient", resource=client.client_id, account_id=client.account_id,
                 detail={"rotated_secret": secret is not None, "admitted_accounts": client.admitted_accounts})
    _forget_once_committed(client.client_id)
    return client, secret


def delete(client_id: str) -> None:
    """Remove a client, its codes, grants and consents, and its id from the own IAM provider."""
    client = get(client_id)
    _own_provider(client.account_id, client.client_id, add=False)
    audit.record("oauth:DeleteClient", resource=client.client_id, account_id=client.account_id)
    db.session.delete(client)
    _forget_once_committed(client_id)


def describe(client: OAuthClient) -> dict:
    """The client's public metadata (never the secret or its hash)."""
    return {
        "client_id": client.client_id, "account_id": client.account_id, "name": client.name,
        "redirect_uris": client.redirect_uris, "grant_types": client.grant_types, "scopes": client.scopes,
        "token_endpoint_auth_method": client.token_endpoint_auth_method, "public": client.is_public,
        "trusted": client.is_trusted, "jwks_uri": client.jwks_uri, "has_jwks": client.jwks is not None,
        "id_token_signed_response_alg": client.id_token_signed_response_alg or "ES256",
        "enabled": client.enabled, "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "token_exchange_policy": client.token_exchange_policy,
        "admitted_accounts": client.admitted_accounts,
    }


def _apply(client: OAuthClient, spec: ClientSpec, *, creating: bool) -> None:
    if spec.name is not None:
        if not 0 < len(spec.name) <= 255:
            raise InvalidClientMetadata("client name must be 1..255 characters", field="client_name")
        client.name = spec.name
    if spec.public is not None:
        client.is_public = spec.public
    method = spec.auth_method or (("none" if client.is_public else "client_secret_basic") if creating else None)
    if method is not None:
        if method not in TOKEN_ENDPOINT_AUTH_METHODS:
            raise InvalidClientMetadata(f"auth method must be one of {', '.join(TOKEN_ENDPOINT_AUTH_METHODS)}",
                                        field="token_endpoint_auth_method")
        client.token_endpoint_auth_method = method
    if client.is_public != (client.token_endpoint_auth_method == "none"):
        raise InvalidClientMetadata("public clients authenticate with 'none', and only they do",
                                    field="token_endpoint_auth_method")
    if spec.redirect_uris is not None:
        if len(spec.redirect_uris) > MAX_REDIRECT_URIS:
            raise InvalidClientMetadata(f"at most {MAX_REDIRECT_URIS} redirect URIs", field="redirect_uris")
        client.redirect_uris = [checked_redirect_uri(uri, public=bool(client.is_public), field="redirect_uris")
                                for uri in dict.fromkeys(spec.redirect_uris)]
    if spec.post_logout_redirect_uris is not None:
        if len(spec.post_logout_redirect_uris) > MAX_REDIRECT_URIS:
            raise InvalidClientMetadata(f"at most {MAX_REDIRECT_URIS} post-logout redirect URIs",
                                        field="post_logout_redirect_uris")
        client.post_logout_redirect_uris = [
            checked_redirect_uri(uri, public=bool(client.is_public), field="post_logout_redirect_uris")
            for uri in dict.fromkeys(spec.post_logout_redirect_uris)]
    if spec.admitted_accounts is not None:
        client.admitted_accounts = checked_accounts(spec.admitted_accounts, client.account_id)
    if spec.token_exchange_policy is not None:
        client.token_exchange_policy = checked_document(spec.token_exchange_policy, client.client_id)
    if spec.backchannel_logout_uri is not None:
        # OIDC Back-Channel Logout 2.2: an absolute URL without a fragment (https, or http on loopback).
        client.backchannel_logout_uri = _backchannel_logout_uri(spec.backchannel_logout_uri) or None
    if spec.grant_types is not None or creating:
        grants = list(dict.fromkeys(spec.grant_types or ["authorization_code", "refresh_token"]))
        unknown = [g for g in grants if g not in GRANT_TYPES]
        if unknown:
            raise InvalidClientMetadata(f"unsupported grant type {{value}}; use {', '.join(GRANT_TYPES)}",
                                        field="grant_types", value=repr(unknown[0]))
        client.grant_types = grants
        client.response_types = ["code"] if "authorization_code" in grants else []
    if "client_credentials" in client.grant_types and client.is_public:
        raise InvalidClientMetadata("public clients cannot use client_credentials", field="grant_types")
    if "authorization_code" in client.grant_types and not client.redirect_uris:
        raise InvalidClientMetadata("an authorization_code client needs at least one {redirect_uris}",
                                    field="redirect_uris")
    if spec.scopes is not None or creating:
        scopes = list(dict.fromkeys(spec.scopes or DEFAULT_SCOPES))
        if any(not s or not all(33 <= ord(c) <= 126 and c not in '"\\' for c in s) for s in scopes):
            raise InvalidClientMetadata("scopes are non-empty tokens of printable ASCII without quotes or backslashes",
                                        field="scope")
        client.scopes = scopes
    if spec.trusted is not None:
        client.is_trusted = spec.trusted
    if spec.id_token_alg is not None:
        if spec.id_token_alg not in SIGNING_ALGS:
            raise InvalidClientMetadata(f"id_token_signed_response_alg must be one of {', '.join(SIGNING_ALGS)}",
                                        field="id_token_signed_response_alg")
        client.id_token_signed_response_alg = spec.id_token_alg
    if spec.jwks is not None:
        if not isinstance(spec.jwks, dict) or not isinstance(spec.jwks.get("keys"), list):
            raise InvalidClientMetadata("jwks must be a JSON Web Key Set ({\"keys\": [...]})", field="jwks")
        if any("d" in key for key in spec.jwks["keys"] if isinstance(key, dict)):
            raise InvalidClientMetadata("jwks must hold public keys only", field="jwks")
        client.jwks = spec.jwks
    if spec.jwks_uri is not None:
        if urlsplit(spec.jwks_uri).scheme not in ("https", "http"):
            raise InvalidClientMetadata("jwks_uri must be an http(s) URL", field="jwks_uri")
        client.jwks_uri = spec.jwks_uri
    if client.token_endpoint_auth_method == "private_key_jwt" and not (client.jwks or client.jwks_uri):
        raise InvalidClientMetadata("private_key_jwt clients need {jwks} or {jwks_uri}", field="jwks")


@contextmanager
def _redirect_refusals_audited(client_id: str | None, account_id: str):
    """A refused redirect URI keeps nothing of the change (the unit of work rolls it back) and is audited."""
    try:
        yield
    except InvalidRedirectUri as error:
        audit.note("oauth:RefuseRedirectUri", resource=client_id, decision="Deny", account_id=account_id,
                   detail={"field": error.field, "reason": error.message[:300]})
        raise


def _backchannel_logout_uri(uri: str) -> str:
    def refused(wording: str) -> InvalidClientMetadata:
        return InvalidClientMetadata(wording, field="backchannel_logout_uri", value=repr(uri))

    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and not parts.hostname:
        raise refused("redirect URI {value} has no host")
    if not parts.scheme or parts.fragment or "#" in uri:
        raise refused("redirect URI {value} must be absolute and have no fragment")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "::1", "localhost"):
        raise refused("redirect URI {value}: plain http is only allowed for loopback")
    if len(uri) > 2048:
        raise refused("redirect URI longer than 2048 characters")
    return uri


def _own_provider(account_id: str, client_id: str, *, add: bool) -> None:
    """Keep the client id in the client-id list of this IdP's own IAM OIDC provider of the account."""
    issuer = current_app.config["IDP_SETTINGS"].issuer
    register_issuer(account_id, issuer)
    db.session.flush()
    url = issuer.split("://", 1)[1]
    provider = db.session.scalar(
        select(OidcProvider).where(OidcProvider.account_id == account_id, OidcProvider.url == url))
    if add:
        add_client_id(provider, client_id)
    else:
        remove_client_id(provider, client_id)
    # AssumeRoleWithWebIdentity reads client-id lists through the cached, versioned view.
    bump_authz_version(account_id)

