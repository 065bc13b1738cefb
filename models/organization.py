"""AWS Organizations: an organization, its root and OUs, its member accounts, its policies and their targets."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import CreatedAt

POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")


class Organization(Base):
    """An organization (`o-` and 10 characters), managed by the account that created it."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(34), primary_key=True)
    management_account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    feature_set: Mapped[str] = mapped_column(String(16), nullable=False, default="ALL")
    created_at: Mapped[CreatedAt]


class OrganizationUnit(Base):
    """The root (`r-xxxx`, no parent) or an organizational unit (`ou-xxxx-xxxxxxxx`) of an organization."""

    __tablename__ = "organization_units"
    # AWS: an OU's name is unique among its parent's children (DuplicateOrganizationalUnitException).
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[str] = mapped_column(String(68), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("organization_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    # The root only: the policy types enabled on it (`SERVICE_CONTROL_POLICY`, ...).
    policy_types: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[CreatedAt]

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


class OrganizationAccount(Base):
    """An account's membership: where it sits in the tree and how it joined."""

    __tablename__ = "organization_accounts"
    __table_args__ = (CheckConstraint("joined_method IN ('INVITED', 'CREATED')", name="joined_method"),)

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    parent_id: Mapped[str] = mapped_column(ForeignKey("organization_units.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    email: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)  # one account per address
    joined_method: Mapped[str] = mapped_column(String(8), nullable=False)
    # CreateAccount's request (`car-...`), for DescribeCreateAccountStatus; None for the management account.
    create_request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    joined_at: Mapped[CreatedAt]


class OrganizationPolicy(Base):
    """A customer-managed SCP or RCP (`p-` and 8 characters); AWS's own policies are not rows."""

    __tablename__ = "organization_policies"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        CheckConstraint(f"type IN {POLICY_TYPES!r}", name="type"),
    )

    id: Mapped[str] = mapped_column(String(130), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    description: Mapped[str] = mapped_column(String(512), nullable=False, default="")
    content: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[CreatedAt]


class PolicyAttachment(Base):
    """A policy (customer-managed or AWS's `p-FullAWSAccess`, ...) attached to a root, an OU or an account."""

    __tablename__ = "organization_policy_attachments"
    __table_args__ = (UniqueConstraint("policy_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    policy_id: Mapped[str] = mapped_column(String(130), nullable=False)
    target_id: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    created_at: Mapped[CreatedAt]


__all__ = ["Organization", "OrganizationAccount", "OrganizationPolicy", "OrganizationUnit", "PolicyAttachment"]
