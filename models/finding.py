"""Access analyzers, their findings, and the resource policies resource servers register for analysis."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import CreatedAt, Tags, Timestamp, UtcDateTime, utcnow

ANALYZER_TYPES = ("ACCOUNT", "ACCOUNT_UNUSED_ACCESS")
FINDING_STATUSES = ("ACTIVE", "ARCHIVED", "RESOLVED")


class Analyzer(Base):
    """An Access Analyzer analyzer (`arn:aws:access-analyzer:<region>:<account>:analyzer/<name>`)."""

    __tablename__ = "analyzers"
    __table_args__ = (
        UniqueConstraint("account_id", "name"),
        CheckConstraint("type IN ('ACCOUNT', 'ACCOUNT_UNUSED_ACCESS')", name="type"),
        CheckConstraint("length(name) BETWEEN 1 AND 255", name="name_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    arn: Mapped[str] = mapped_column(String(2048), nullable=False, unique=True)
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    tags: Mapped[Tags]
    # ACCOUNT_UNUSED_ACCESS: days without use after which access counts as unused.
    unused_access_age: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[CreatedAt]
    last_resource_analyzed: Mapped[str | None] = mapped_column(String(2048))
    last_resource_analyzed_at: Mapped[Timestamp]

    findings: Mapped[list[AnalyzerFinding]] = relationship(
        back_populates="analyzer", cascade="all, delete-orphan", passive_deletes=True
    )


class AnalyzerFinding(Base):
    """One finding: who outside the account can reach a resource (or which access goes unused)."""

    __tablename__ = "analyzer_findings"
    __table_args__ = (
        # One finding per analyzer and distinct access, so a rescan updates rather than duplicates.
        UniqueConstraint("analyzer_id", "fingerprint"),
        CheckConstraint("status IN ('ACTIVE', 'ARCHIVED', 'RESOLVED')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[str] = mapped_column(String(36), nullable=False, unique=True)
    analyzer_id: Mapped[int] = mapped_column(ForeignKey("analyzers.id", ondelete="CASCADE"), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    finding_type: Mapped[str] = mapped_column(String(64), nullable=False, default="ExternalAccess")
    resource: Mapped[str] = mapped_column(String(2048), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_owner_account: Mapped[str] = mapped_column(String(12), nullable=False)
    principal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    action: Mapped[list[str] | None] = mapped_column(JSON)
    condition: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    is_public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    statement_index: Mapped[int | None] = mapped_column(Integer)
    statement_id: Mapped[str | None] = mapped_column(String(256))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="ACTIVE")
    created_at: Mapped[CreatedAt]
    analyzed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)

    analyzer: Mapped[Analyzer] = relationship(back_populates="findings")


class RegisteredResourcePolicy(Base):
    """A resource server's resource-based policy (a notebook's), registered so the analyzer sees it."""

    __tablename__ = "registered_resource_policies"
    __table_args__ = (UniqueConstraint("account_id", "resource_arn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)
    resource_arn: Mapped[str] = mapped_column(String(2048), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(64), nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)


__all__ = ["ANALYZER_TYPES", "FINDING_STATUSES", "Analyzer", "AnalyzerFinding", "RegisteredResourcePolicy"]
