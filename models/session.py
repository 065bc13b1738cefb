"""Browser sign-in sessions of the login pages and the OpenID Connect provider."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import CreatedAt, Timestamp, UtcDateTime

if TYPE_CHECKING:
    from .account import Account
    from .user import User


class BrowserSession(Base):
    """A signed-in browser; the cookie holds a random value and only its SHA-256 is stored.

    `user_id` None means the account's root user (`principal_arn` ...:root)
    or a federated sign-in not yet linked to a user.
    """

    __tablename__ = "browser_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    principal_arn: Mapped[str] = mapped_column(String(2048), nullable=False)
    created_at: Mapped[CreatedAt]
    last_seen_at: Mapped[Timestamp]
    idle_expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    absolute_expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)
    auth_time: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    amr: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    acr: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[Timestamp]
    user_agent: Mapped[str | None] = mapped_column(String(512))
    source_ip: Mapped[str | None] = mapped_column(String(64))

    account: Mapped[Account] = relationship()
    user: Mapped[User | None] = relationship()

    def is_active(self, now: datetime) -> bool:
        """True when neither revoked nor past its idle or absolute expiry."""
        return self.revoked_at is None and now < self.idle_expires_at and now < self.absolute_expires_at

    def __repr__(self) -> str:
        return f"<BrowserSession {self.id_hash[:8]} {self.principal_arn}>"
