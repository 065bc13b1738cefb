"""Upstream OpenID Connect providers offered on the login page, and the identities they link."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import CreatedAt, Timestamp, UtcDateTime

if TYPE_CHECKING:
    from .account import Account
    from .user import User


class UpstreamProvider(Base):
    """An upstream identity source; `name` is in its URLs, so it is unique everywhere.

    `type` is "oidc", "saml" or "ldap". For OIDC, endpoints left None are read
    from discovery (`discovery_url`, else `<issuer>/.well-known/openid-configuration`).
    Other types keep their configuration in `settings` (never a clear-text
    secret: the one secret of an upstream, client secret or LDAP bind password,
    is sealed in `client_secret_encrypted`); their `issuer` names the identity
    source (LDAP: the first server URL; SAML: the IdP's entity id).
    `mappings` holds the `groups`, `tags`, `allow` (and future) rules of the
    upstream file, for every type.
    """

    __tablename__ = "upstream_providers"
    __table_args__ = (
        CheckConstraint("length(name) BETWEEN 1 AND 64", name="name_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    type: Mapped[str] = mapped_column(String(16), nullable=False, default="oidc", server_default="oidc")
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    issuer: Mapped[str] = mapped_column(String(2048), nullable=False)
    discovery_url: Mapped[str | None] = mapped_column(String(2048))
    authorization_endpoint: Mapped[str | None] = mapped_column(String(2048))
    token_endpoint: Mapped[str | None] = mapped_column(String(2048))
    userinfo_endpoint: Mapped[str | None] = mapped_column(String(2048))
    jwks_uri: Mapped[str | None] = mapped_column(String(2048))
    end_session_endpoint: Mapped[str | None] = mapped_column(String(2048))
    client_id: Mapped[str] = mapped_column(String(255), nullable=False)
    # Encrypted by the app; None for a public upstream client (PKCE only).
    client_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_endpoint_auth_method: Mapped[str] = mapped_column(
        String(32), nullable=False, default="client_secret_basic"
    )
    scopes: Mapped[list[str]] = mapped_column(
        JSON, nullable=False, default=lambda: ["openid", "email", "profile"]
    )
    use_pkce: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    icon_url: Mapped[str | None] = mapped_column(String(2048))
    mappings: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # Take the upstream's email as verified (only for providers that verify it).
    trust_email: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[Timestamp]

    account: Mapped[Account] = relationship()
    identities: Mapped[list[FederatedIdentity]] = relationship(
        back_populates="upstream", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<UpstreamProvider {self.name} {self.issuer}>"


class FederatedIdentity(Base):
    """The link between an upstream subject and the local user provisioned for it."""

    __tablename__ = "federated_identities"
    __table_args__ = (UniqueConstraint("upstream_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upstream_id: Mapped[int] = mapped_column(
        ForeignKey("upstream_providers.id", ondelete="CASCADE"), nullable=False
    )
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[CreatedAt]
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_claims: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The group ids (AGPA...) whose membership the upstream's mapping granted: only those are removed
    # again when the upstream stops sending the claim (memberships an administrator made are left alone).
    managed_groups: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)

    upstream: Mapped[UpstreamProvider] = relationship(back_populates="identities")
    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<FederatedIdentity {self.upstream_id}:{self.subject}>"
