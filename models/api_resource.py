"""APIs registered as OAuth resources (RFC 8707): an identifier (the access token's `aud`) and scopes.

Each scope maps to an IAM policy document (JSON text) naming the actions and
resources that scope may reach; a delegated token's authority is the
subject's policies intersected with the policies of its granted scopes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import CreatedAt, Timestamp

if TYPE_CHECKING:
    from .account import Account


class ApiResource(Base):
    """A registered API: `identifier` is global (it is what tokens carry in `aud`)."""

    __tablename__ = "api_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    identifier: Mapped[str] = mapped_column(String(2048), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    # {"scope name": "<IAM policy document JSON>"}
    scopes: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[Timestamp]

    account: Mapped[Account] = relationship()

    def __repr__(self) -> str:
        return f"<ApiResource {self.identifier}>"
