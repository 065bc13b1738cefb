"""IAM SAML identity providers: the IdPs whose assertions STS exchanges (AssumeRoleWithSAML).

The metadata document is validated as SAML 2.0 metadata with an IdP
descriptor and a signing certificate (`idp.saml.metadata`); the
entity id and certificates read from it are stored beside it, and its
`validUntil` becomes the provider's `ValidUntil`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select

from idp import clock
from idp.errors import ClientError, Conflict, LimitExceeded, NotFound, ValidationError
from idp.iam import tags as tagging
from idp.iam.tags import Tag
from idp.saml import metadata
from models import db
from models.saml import SamlProvider

MAX_PROVIDERS = 100  # SAMLProvidersPerAccount
NAME = re.compile(r"[\w._-]{1,128}", re.ASCII)
MIN_DOCUMENT, MAX_DOCUMENT = 1000, 10_000_000


def provider_arn(account_id: str, name: str) -> str:
    """`arn:aws:iam::<account>:saml-provider/<name>`."""
    return f"arn:aws:iam::{account_id}:saml-provider/{name}"


def find(account_id: str, arn: str) -> SamlProvider | None:
    """The account's provider with that ARN, or None."""
    return db.session.scalar(select(SamlProvider).where(SamlProvider.account_id == account_id,
                                                        SamlProvider.arn == arn))


def get(account_id: str, arn: str) -> SamlProvider:
    """The provider with that ARN, or NoSuchEntity."""
    provider = find(account_id, arn)
    if provider is None:
        raise NotFound(f"SAMLProvider not found for arn {arn}")
    return provider


def listed(account_id: str) -> list[SamlProvider]:
    """The account's providers, ordered by ARN."""
    return list(db.session.scalars(select(SamlProvider).where(SamlProvider.account_id == account_id)
                                   .order_by(SamlProvider.arn)))


def checked_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise ValidationError(f"Invalid SAML provider name {name!r}: 1 to 128 letters, digits, '.', '_' or '-'.",
                              code="InvalidInput")
    return name


def create(account_id: str, name: str, document: str, tags: Sequence[Tag]) -> SamlProvider:
    """A new provider; EntityAlreadyExists when the name is taken, InvalidInput for bad metadata."""
    arn = provider_arn(account_id, checked_name(name))
    parsed = _metadata(document)
    if find(account_id, arn) is not None:
        raise Conflict(f"SAMLProvider {name} already exists.")
    count = db.session.scalar(
        select(func.count()).select_from(SamlProvider).where(SamlProvider.account_id == account_id))
    if count >= MAX_PROVIDERS:
        raise LimitExceeded(f"Cannot exceed quota for SAMLProvidersPerAccount: {MAX_PROVIDERS}")
    provider = SamlProvider(account_id=account_id, name=name, arn=arn, tags=tagging.as_stored(tags),
                            created_at=clock.now())
    _store(provider, document, parsed)
    db.session.add(provider)
    db.session.flush()
    return provider


def update(provider: SamlProvider, document: str) -> None:
    """Replace the metadata document (rotating the IdP's certificates)."""
    _store(provider, document, _metadata(document))


def delete(provider: SamlProvider) -> None:
    """Delete a provider; roles that trust it stay, and assuming them through it fails from now on."""
    db.session.delete(provider)


def tag(provider: SamlProvider, new: Sequence[Tag]) -> None:
    """Add or overwrite tags."""
    provider.tags = tagging.merged(provider.tags, new, "SAMLProvider")


def untag(provider: SamlProvider, keys: Sequence[str]) -> None:
    """Remove tags by key."""
    provider.tags = tagging.without(provider.tags, keys)


def _metadata(document: str) -> metadata.IdpMetadata:
    if not MIN_DOCUMENT <= len(document) <= MAX_DOCUMENT:
        raise ClientError(f"SAMLMetadataDocument must be {MIN_DOCUMENT} to {MAX_DOCUMENT} characters.",
                          code="InvalidInput")
    try:
        return metadata.parse(document)
    except ValidationError as error:
        raise ClientError(error.message, code="InvalidInput") from None


def _store(provider: SamlProvider, document: str, parsed: metadata.IdpMetadata) -> None:
    provider.metadata_document = document
    provider.idp_entity_id = parsed.entity_id
    provider.certificates = list(parsed.certificates)
    provider.valid_until = parsed.valid_until
