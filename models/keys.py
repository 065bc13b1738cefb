"""Signing and encryption keys shared by every instance (JWT signing, session-token AEAD).

Rotation moves a key next -> current -> retired; a retired key stays
published until `expires_at` so tokens it signed still verify.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import CreatedAt, UtcDateTime

KEY_STATUSES = ("next", "current", "retired")


class SigningKey(Base):
    """A key: `purpose` 'token' (JWT signing) or 'session' (AEAD for STS session tokens)."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        CheckConstraint("status IN ('next', 'current', 'retired')", name="status"),
        Index("ix_signing_keys_purpose_status", "purpose", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    # 'ES256', 'RS256', 'A256GCM'
    alg: Mapped[str] = mapped_column(String(16), nullable=False)
    public_jwk: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Private (or symmetric) key material, encrypted by the app's master key.
    encrypted_private: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[CreatedAt]
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    def __repr__(self) -> str:
        return f"<SigningKey {self.kid} {self.purpose}/{self.alg} {self.status}>"
