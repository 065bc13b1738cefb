"""IAM SAML identity providers (CreateSAMLProvider) for STS AssumeRoleWithSAML."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import Arn, CreatedAt, Tags, UtcDateTime

if TYPE_CHECKING:
    from .account import Account


class SamlProvider(Base):
    """An account's SAML IdP: its metadata document and what STS reads of it (entity id, certificates)."""

    __tablename__ = "saml_providers"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    # arn:aws:iam::<account>:saml-provider/<name>
    arn: Mapped[Arn]
    metadata_document: Mapped[str] = mapped_column(Text, nullable=False)
    idp_entity_id: Mapped[str] = mapped_column(String(1024), nullable=False)
    # base64 DER signing certificates of the IdP, from the metadata
    certificates: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    tags: Mapped[Tags]
    created_at: Mapped[CreatedAt]

    account: Mapped[Account] = relationship()

    def __repr__(self) -> str:
        return f"<SamlProvider {self.arn}>"
