"""What the OpenID Connect provider hands out: codes, refresh token families, consents.

Only hashes of codes and tokens are stored. A code is consumed, not deleted,
so a second presentation is recognised and revokes what it produced.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import CreatedAt, Timestamp, UtcDateTime

if TYPE_CHECKING:
    from .oauth_client import OAuthClient


class AuthorizationCode(Base):
    """An authorization code (RFC 6749 4.1) with its PKCE challenge and OIDC request."""

    __tablename__ = "authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(String(2048), nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # RFC 8707 resource indicators the request named (API identifiers); the access token's `aud`.
    resources: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    nonce: Mapped[str | None] = mapped_column(String(512))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(16))
    # The OIDC `claims` request parameter, if any.
    claims: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    auth_time: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    amr: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    acr: Mapped[str | None] = mapped_column(String(64))
    browser_session_id: Mapped[str | None] = mapped_column(
        ForeignKey("browser_sessions.id_hash", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)
    consumed_at: Mapped[Timestamp]

    client: Mapped[OAuthClient] = relationship()

    def __repr__(self) -> str:
        return f"<AuthorizationCode {self.id} client={self.client_id}>"


class RefreshTokenFamily(Base):
    """One grant's chain of rotating refresh tokens; reuse of a spent token revokes the family."""

    __tablename__ = "refresh_token_families"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    subject: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # RFC 8707 resource indicators granted with this grant (API identifiers).
    resources: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    browser_session_id: Mapped[str | None] = mapped_column(
        ForeignKey("browser_sessions.id_hash", ondelete="SET NULL"), index=True
    )
    # The code this grant was redeemed from: a replayed code revokes its families.
    authorization_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorization_codes.id", ondelete="SET NULL"), index=True
    )
    # Kept for ID tokens minted on refresh (auth_time must not change).
    auth_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    amr: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    acr: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[CreatedAt]
    absolute_expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)
    revoked_at: Mapped[Timestamp]
    revoked_reason: Mapped[str | None] = mapped_column(String(64))

    client: Mapped[OAuthClient] = relationship()
    tokens: Mapped[list[RefreshToken]] = relationship(
        back_populates="family",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RefreshToken.id",
        foreign_keys="RefreshToken.family_id",
    )

    def __repr__(self) -> str:
        return f"<RefreshTokenFamily {self.id} client={self.client_id} sub={self.subject}>"


class RefreshToken(Base):
    """One refresh token of a family; `used_at` set when it was exchanged for its successor."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    family_id: Mapped[int] = mapped_column(
        ForeignKey("refresh_token_families.id", ondelete="CASCADE"), nullable=False, index=True
    )
    issued_at: Mapped[CreatedAt]
    used_at: Mapped[Timestamp]
    successor_id: Mapped[int | None] = mapped_column(
        ForeignKey("refresh_tokens.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    family: Mapped[RefreshTokenFamily] = relationship(
        back_populates="tokens", foreign_keys=[family_id]
    )
    successor: Mapped[RefreshToken | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<RefreshToken {self.id} family={self.family_id}>"


class Consent(Base):
    """Scopes a subject granted to a client; revoked consents are kept with `revoked_at`."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("subject", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    granted_at: Mapped[CreatedAt]
    revoked_at: Mapped[Timestamp]

    client: Mapped[OAuthClient] = relationship()

    def __repr__(self) -> str:
        return f"<Consent {self.subject} client={self.client_id}>"


class DeviceAuthorization(Base):
    """A device authorization request (RFC 8628 3.1), approved or denied at the verification page.

    `status` moves pending -> approved|denied -> consumed; a consumed request
    presented again revokes the grant it produced (`family_id`).
    """

    __tablename__ = "device_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_code_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    user_code_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False, index=True
    )
    scope: Mapped[str] = mapped_column(Text, nullable=False, default="")
    resources: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    interval: Mapped[int] = mapped_column(nullable=False, default=5)
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)
    last_polled_at: Mapped[Timestamp]
    # Who approved (or denied), from which browser session, and how they had signed in.
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    principal_arn: Mapped[str | None] = mapped_column(String(2048))
    browser_session_id: Mapped[str | None] = mapped_column(
        ForeignKey("browser_sessions.id_hash", ondelete="SET NULL"), index=True
    )
    auth_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    amr: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    acr: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[Timestamp]
    consumed_at: Mapped[Timestamp]
    family_id: Mapped[int | None] = mapped_column(
        ForeignKey("refresh_token_families.id", ondelete="SET NULL")
    )

    client: Mapped[OAuthClient] = relationship()

    def __repr__(self) -> str:
        return f"<DeviceAuthorization {self.id} client={self.client_id} {self.status}>"
