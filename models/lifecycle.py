"""The user life cycle: single-use links sent by mail, self-registrations, per-account self-service settings."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import CreatedAt, Timestamp, UtcDateTime


class SingleUseLink(Base):
    """A link mailed to a user: verification (24 h), recovery (15 min) or invitation (7 days).

    Only the SHA-256 of the random token is stored; `used_at` spends it. `email`
    is the address the link was sent to (verification marks that address, not
    whatever the user's address is by then).
    """

    __tablename__ = "lifecycle_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    account_id: Mapped[str] = mapped_column(String(12), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)
    used_at: Mapped[Timestamp]


class SelfRegistration(Base):
    """A user who signed themselves up: they may not sign in before their email is verified (`verified_at`)."""

    __tablename__ = "self_registrations"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[CreatedAt]
    verified_at: Mapped[Timestamp]


class AccountLifecycleSettings(Base):
    """What an account lets people do by themselves; no row means the defaults (everything off)."""

    __tablename__ = "account_lifecycle_settings"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    self_registration: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    registration_path: Mapped[str] = mapped_column(String(512), nullable=False, default="/")
    registration_group: Mapped[str | None] = mapped_column(String(128))
    allowed_domains: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    self_deletion: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sender_name: Mapped[str | None] = mapped_column(String(128))
