"""Long-term access keys (AKIA...) of IAM users and account root users."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import CreatedAt, Timestamp

if TYPE_CHECKING:
    from .account import Account
    from .user import User


class AccessKey(Base):
    """An access key pair; `user_id` None means the key belongs to the account's root user."""

    __tablename__ = "access_keys"
    __table_args__ = (
        CheckConstraint("status IN ('Active', 'Inactive')", name="status"),
        CheckConstraint("length(access_key_id) BETWEEN 16 AND 128", name="access_key_id_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    access_key_id: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Encrypted by the app with its master key; SigV4 needs the secret itself.
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="Active")
    created_at: Mapped[CreatedAt]
    last_used_at: Mapped[Timestamp]
    last_used_service: Mapped[str | None] = mapped_column(String(64))
    last_used_region: Mapped[str | None] = mapped_column(String(32))

    account: Mapped[Account] = relationship()
    user: Mapped[User | None] = relationship(back_populates="access_keys")

    def __repr__(self) -> str:
        return f"<AccessKey {self.access_key_id} {self.status}>"
