"""Deletion tasks of service-linked roles (DeleteServiceLinkedRole / GetServiceLinkedRoleDeletionStatus)."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import CreatedAt


class ServiceLinkedRoleDeletion(Base):
    """One deletion task: `task/aws-service-role/<service>/<role name>/<uuid>` and how it ended."""

    __tablename__ = "service_linked_role_deletions"
    __table_args__ = (
        CheckConstraint("status IN ('SUCCEEDED', 'IN_PROGRESS', 'FAILED', 'NOT_STARTED')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # AWS's DeletionTaskIdType: 1..1000 characters.
    task_id: Mapped[str] = mapped_column(String(1000), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[CreatedAt]
