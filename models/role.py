"""IAM roles: trust policy, permissions (inline and attached) and last use."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from . import Base
from .columns import CreatedAt, Tags, Timestamp
from .iam_entity import IamEntity

if TYPE_CHECKING:
    from .instance_profile import InstanceProfile
    from .policy import ManagedPolicy

# Same rule as user_policy_attachments: the role side cascades, the policy side refuses.
role_policy_attachments = Table(
    "role_policy_attachments",
    Base.metadata,
    Column("role_id", ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
    Column("policy_id", ForeignKey("managed_policies.id"), primary_key=True, index=True),
)


class Role(IamEntity, Base):
    """An IAM role (`arn:aws:iam::<account>:role<path><name>`, id `AROA...`)."""

    __tablename__ = "roles"
    name_max_length = 64

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        # AWS: MaxSessionDuration is 1 to 12 hours.
        return (
            *cls.entity_constraints(),
            CheckConstraint("max_session_duration BETWEEN 3600 AND 43200", name="max_session_duration_range"),
        )

    role_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    trust_policy: Mapped[str] = mapped_column(Text, nullable=False)
    description: Mapped[str | None] = mapped_column(String(1000))
    max_session_duration: Mapped[int] = mapped_column(Integer, nullable=False, default=3600)
    tags: Mapped[Tags]
    # A boundary in use cannot be deleted (NO ACTION, as in user.py).
    boundary_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("managed_policies.id"), index=True
    )
    last_used_at: Mapped[Timestamp]
    last_used_region: Mapped[str | None] = mapped_column(String(32))

    boundary_policy: Mapped[ManagedPolicy | None] = relationship(foreign_keys=[boundary_policy_id])
    attached_policies: Mapped[list[ManagedPolicy]] = relationship(
        secondary=role_policy_attachments, back_populates="roles", passive_deletes=True
    )
    inline_policies: Mapped[list[RoleInlinePolicy]] = relationship(
        back_populates="role", cascade="all, delete-orphan", passive_deletes=True
    )
    # At most one at AWS's quota; a role in a profile cannot be deleted (DeleteConflict), so no cascade.
    instance_profiles: Mapped[list[InstanceProfile]] = relationship(back_populates="role")


class RoleInlinePolicy(Base):
    """A policy document embedded in one role (IAM PutRolePolicy)."""

    __tablename__ = "role_inline_policies"
    __table_args__ = (
        UniqueConstraint("role_id", "name"),
        CheckConstraint("length(name) BETWEEN 1 AND 128", name="name_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[Timestamp]

    role: Mapped[Role] = relationship(back_populates="inline_policies")
