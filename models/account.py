"""An AWS-style account: the tenant that owns users, groups, roles and policies."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import ALL_DIGITS, CreatedAt, Timestamp


class Account(Base):
    """A 12-digit account; its root user's credentials live here and in AccessKey/MfaDevice."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(f"length(id) = 12 AND {ALL_DIGITS.format(column='id')}", name="id_12_digits"),
        # AWS: 3-63 characters; never all digits, so the login form can tell it from an id.
        CheckConstraint(
            f"alias IS NULL OR (length(alias) BETWEEN 3 AND 63 AND NOT {ALL_DIGITS.format(column='alias')})",
            name="alias_format",
        ),
        CheckConstraint("authz_version >= 0", name="authz_version_non_negative"),
        # At most one default account per deployment.
        Index(
            "uq_accounts_is_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    alias: Mapped[str | None] = mapped_column(String(63), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    root_password_hash: Mapped[str | None] = mapped_column(String(255))
    root_password_last_used: Mapped[Timestamp]
    # IAM UpdateAccountPasswordPolicy fields (MinimumPasswordLength, ...); None = AWS defaults.
    password_policy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Bumped whenever anything feeding policy evaluation changes, so every
    # instance drops its cached policies for this account.
    authz_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[CreatedAt]

    @property
    def root_arn(self) -> str:
        """`arn:aws:iam::<id>:root`."""
        return f"arn:aws:iam::{self.id}:root"

    def __repr__(self) -> str:
        return f"<Account {self.id}>"


__all__ = ["Account"]
