"""IAM reports: the account's credential report and access-report jobs (last-accessed details, policy generation)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import CreatedAt, UtcDateTime

JOB_KINDS = ("service-last-accessed", "policy-generation")


class CredentialReport(Base):
    """The account's latest credential report (GenerateCredentialReport): the CSV as generated, reused for 4 hours."""

    __tablename__ = "credential_reports"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    generated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)


class AccessReportJob(Base):
    """A job over the audit log: GenerateServiceLastAccessedDetails or StartPolicyGeneration, completed at once.

    The answer is computed from the audit log up to `completed_at` whenever it is read, so the job stores only
    what it was asked (`subject` ARN and `parameters`).
    """

    __tablename__ = "access_report_jobs"
    __table_args__ = (
        CheckConstraint("kind IN ('service-last-accessed', 'policy-generation')", name="kind"),
        Index("ix_access_report_jobs_account_kind", "account_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    subject: Mapped[str] = mapped_column(String(2048), nullable=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[CreatedAt]
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    def __repr__(self) -> str:
        return f"<AccessReportJob {self.kind} {self.job_id}>"
