"""IAM OpenID Connect identity providers (CreateOpenIDConnectProvider) for STS web identity."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import Arn, CreatedAt, Tags

if TYPE_CHECKING:
    from .account import Account


class OidcProvider(Base):
    """An external (or our own) issuer trusted by an account's role trust policies."""

    __tablename__ = "oidc_providers"
    __table_args__ = (UniqueConstraint("account_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    # The issuer without its scheme, as AWS stores it: "accounts.example.com/realm".
    url: Mapped[str] = mapped_column(String(255), nullable=False)
    # arn:aws:iam::<account>:oidc-provider/<url>
    arn: Mapped[Arn]
    client_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    thumbprints: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    tags: Mapped[Tags]
    created_at: Mapped[CreatedAt]

    account: Mapped[Account] = relationship()

    def __repr__(self) -> str:
        return f"<OidcProvider {self.arn}>"
