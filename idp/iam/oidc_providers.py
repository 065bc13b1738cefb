"""IAM OpenID Connect identity providers: the issuers whose tokens STS exchanges (AssumeRoleWithWebIdentity).

As at AWS the URL is stored without its scheme (`server.example.com/path`)
and names the provider in its ARN (`arn:aws:iam::<account>:oidc-provider/<url>`).
"""
from __future__ import annotations

import re
from typing import Sequence
from urllib.parse import urlsplit

from sqlalchemy import func, select

from idp import clock
from idp.errors import ClientError, Conflict, LimitExceeded, NotFound, ValidationError
from idp.iam import tags as tagging
from idp.iam.tags import Tag
from models import db
from models.oidc_provider import OidcProvider

MAX_PROVIDERS = 100  # OpenIdConnectProvidersPerAccount
MAX_CLIENT_IDS = 100  # ClientIdsPerOpenIdConnectProvider
MAX_THUMBPRINTS = 5
# Plain http is refused, as at AWS, except on loopback: the IdP's own issuer in
# development and tests is http://127.0.0.1:<port>, and a local provider must be registrable too.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
THUMBPRINT = re.compile(r"[0-9a-fA-F]{40}")


def stored_url(url: str) -> str:
    """The URL as stored and put in the ARN (scheme dropped); ValidationError unless https (or loopback http)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise ValidationError("Invalid Url") from None
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS)
    has_extras = parts.query or parts.fragment or "?" in url or "#" in url or parts.username is not None
    if not secure or not host or has_extras or any(c.isspace() for c in url):
        raise ValidationError("Invalid Url")
    return url[len(parts.scheme) + 3 :]


def provider_arn(account_id: str, url: str) -> str:
    """`arn:aws:iam::<account>:oidc-provider/<url without scheme>`."""
    return f"arn:aws:iam::{account_id}:oidc-provider/{url}"


def find(account_id: str, arn: str) -> OidcProvider | None:
    """The account's provider with that ARN, or None."""
    return db.session.scalar(select(OidcProvider).where(OidcProvider.account_id == account_id, OidcProvider.arn == arn))


def get(account_id: str, arn: str) -> OidcProvider:
    """The provider with that ARN, or NoSuchEntity."""
    provider = find(account_id, arn)
    if provider is None:
        raise NotFound(f"OpenIDConnect Provider not found for arn {arn}")
    return provider


def listed(account_id: str) -> list[OidcProvider]:
    """The account's providers, ordered by ARN."""
    found = db.session.scalars(select(OidcProvider).where(OidcProvider.account_id == account_id))
    return sorted(found, key=lambda provider: provider.arn)


def checked_thumbprints(thumbprints: Sequence[str]) -> list[str]:
    """At most five hex-encoded SHA-1 thumbprints."""
    if len(thumbprints) > MAX_THUMBPRINTS:
        raise ClientError("Thumbprint list must contain fewer than 5 entries.", code="InvalidInput")
    for thumbprint in thumbprints:
        if not THUMBPRINT.fullmatch(thumbprint):
            raise ClientError(f"Thumbprint {thumbprint} is not a hex-encoded SHA-1 hash.", code="InvalidInput")
    return list(thumbprints)


def _client_ids(client_ids: Sequence[str]) -> list[str]:
    unique = list(dict.fromkeys(client_ids))
    if len(unique) > MAX_CLIENT_IDS:
        raise LimitExceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
    return unique


def create(
    account_id: str, url: str, client_ids: Sequence[str], thumbprints: Sequence[str], tags: Sequence[Tag]
) -> OidcProvider:
    """A new provider; EntityAlreadyExists when the account already trusts that URL."""
    stored = stored_url(url)
    clients = _client_ids(client_ids)
    prints = checked_thumbprints(thumbprints)
    arn = provider_arn(account_id, stored)
    if find(account_id, arn) is not None:
        raise Conflict(f"Provider with url {url} already exists.")
    count = db.session.scalar(
        select(func.count()).select_from(OidcProvider).where(OidcProvider.account_id == account_id)
    )
    if count >= MAX_PROVIDERS:
        raise LimitExceeded(f"Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MAX_PROVIDERS}")
    provider = OidcProvider(
        account_id=account_id, url=stored, arn=arn, client_ids=clients, thumbprints=prints,
        tags=tagging.as_stored(tags), created_at=clock.now(),
    )
    db.session.add(provider)
    db.session.flush()
    return provider


def delete(provider: OidcProvider) -> None:
    """Delete a provider; roles that trust it stay, and assuming them through it fails from now on."""
    db.session.delete(provider)


def add_client_id(provider: OidcProvider, client_id: str) -> None:
    """Add an audience; adding one already there changes nothing."""
    provider.client_ids = _client_ids([*provider.client_ids, client_id])


def remove_client_id(provider: OidcProvider, client_id: str) -> None:
    """Remove an audience; removing one that is not there changes nothing."""
    provider.client_ids = [c for c in provider.client_ids if c != client_id]


def update_thumbprints(provider: OidcProvider, thumbprints: Sequence[str]) -> None:
    """Replace the thumbprint list (not merged)."""
    provider.thumbprints = checked_thumbprints(thumbprints)


def tag(provider: OidcProvider, new: Sequence[Tag]) -> None:
    """Add or overwrite tags."""
    provider.tags = tagging.merged(provider.tags, new, "OpenIdConnectProvider")


def untag(provider: OidcProvider, keys: Sequence[str]) -> None:
    """Remove tags by key."""
    provider.tags = tagging.without(provider.tags, keys)
