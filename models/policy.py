"""Managed policies (customer- and AWS-managed) and their versions."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import Arn, CaseInsensitiveName, CreatedAt, IamPath, Tags, Timestamp

if TYPE_CHECKING:
    from .account import Account
    from .group import Group
    from .role import Role
    from .user import User


class ManagedPolicy(CaseInsensitiveName, Base):
    """A managed policy; `account_id` None means AWS-managed (`arn:aws:iam::aws:policy/...`)."""

    __tablename__ = "managed_policies"
    __table_args__ = (
        UniqueConstraint("account_id", "name_lower"),
        # NULL account ids never collide in a unique constraint: AWS-managed
        # names get their own partial unique index.
        Index(
            "uq_managed_policies_aws_name_lower",
            "name_lower",
            unique=True,
            sqlite_where=text("account_id IS NULL"),
            postgresql_where=text("account_id IS NULL"),
        ),
        CheckConstraint("length(name) BETWEEN 1 AND 128", name="name_length"),
        CheckConstraint("name_lower = lower(name)", name="name_lower"),
        CheckConstraint("length(path) BETWEEN 1 AND 512", name="path_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    name_lower: Mapped[str] = mapped_column(String(128), nullable=False)
    path: Mapped[IamPath]
    policy_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    arn: Mapped[Arn]
    description: Mapped[str | None] = mapped_column(String(1000))
    default_version_id: Mapped[str] = mapped_column(String(16), nullable=False, default="v1")
    # The number of the last version ever created: AWS never reuses version ids.
    last_version_number: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    is_attachable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    tags: Mapped[Tags]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[Timestamp]

    account: Mapped[Account | None] = relationship()
    versions: Mapped[list[PolicyVersion]] = relationship(
        back_populates="policy",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PolicyVersion.id",
    )
    users: Mapped[list[User]] = relationship(
        secondary="user_policy_attachments", back_populates="attached_policies", passive_deletes=True
    )
    groups: Mapped[list[Group]] = relationship(
        secondary="group_policy_attachments", back_populates="attached_policies", passive_deletes=True
    )
    roles: Mapped[list[Role]] = relationship(
        secondary="role_policy_attachments", back_populates="attached_policies", passive_deletes=True
    )

    @property
    def is_aws_managed(self) -> bool:
        """True for `arn:aws:iam::aws:policy/...` policies."""
        return self.account_id is None

    @property
    def default_version(self) -> PolicyVersion | None:
        """The version whose `version_id` is `default_version_id`."""
        return next((v for v in self.versions if v.version_id == self.default_version_id), None)

    def __repr__(self) -> str:
        return f"<ManagedPolicy {self.arn}>"


class PolicyVersion(Base):
    """One version (`v1`, `v2`, ...) of a managed policy document; AWS keeps up to five."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("managed_policies.id", ondelete="CASCADE"), nullable=False
    )
    version_id: Mapped[str] = mapped_column(String(16), nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[CreatedAt]

    policy: Mapped[ManagedPolicy] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"<PolicyVersion {self.policy_id}:{self.version_id}>"
