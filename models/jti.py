"""Replay protection for JWT ids (private_key_jwt client assertions) when Redis is absent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import UtcDateTime


class UsedJti(Base):
    """A `jti` already seen from `issuer`; rows past `expires_at` may be purged."""

    __tablename__ = "used_jtis"
    __table_args__ = (UniqueConstraint("issuer", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255), nullable=False)
    jti: Mapped[str] = mapped_column(String(255), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)

    def __repr__(self) -> str:
        return f"<UsedJti {self.issuer} {self.jti}>"
