"""IAM groups, their members, inline policies and managed-policy attachments."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import CreatedAt, Timestamp, UtcDateTime, utcnow
from .iam_entity import IamEntity

if TYPE_CHECKING:
    from .policy import ManagedPolicy
    from .user import User

group_memberships = Table(
    "group_memberships",
    Base.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("added_at", UtcDateTime, nullable=False, default=utcnow),
)

# Same rule as user_policy_attachments: the group side cascades, the policy side refuses.
group_policy_attachments = Table(
    "group_policy_attachments",
    Base.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("policy_id", ForeignKey("managed_policies.id"), primary_key=True, index=True),
)


class Group(IamEntity, Base):
    """An IAM group (`arn:aws:iam::<account>:group<path><name>`, id `AGPA...`)."""

    __tablename__ = "groups"
    name_max_length = 128

    group_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)

    users: Mapped[list[User]] = relationship(
        secondary=group_memberships, back_populates="groups", passive_deletes=True
    )
    attached_policies: Mapped[list[ManagedPolicy]] = relationship(
        secondary=group_policy_attachments, back_populates="groups", passive_deletes=True
    )
    inline_policies: Mapped[list[GroupInlinePolicy]] = relationship(
        back_populates="group", cascade="all, delete-orphan", passive_deletes=True
    )


class GroupInlinePolicy(Base):
    """A policy document embedded in one group (IAM PutGroupPolicy)."""

    __tablename__ = "group_inline_policies"
    __table_args__ = (
        UniqueConstraint("group_id", "name"),
        CheckConstraint("length(name) BETWEEN 1 AND 128", name="name_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[Timestamp]

    group: Mapped[Group] = relationship(back_populates="inline_policies")
