"""IAM users, their console password, inline policies and managed-policy attachments."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import CreatedAt, Tags, Timestamp
from .iam_entity import IamEntity

if TYPE_CHECKING:
    from .access_key import AccessKey
    from .group import Group
    from .mfa import MfaDevice
    from .policy import ManagedPolicy
    from .user_certificate import SigningCertificate, SshPublicKey

# Deleting a user removes its attachment rows; deleting a policy that is still
# attached is refused (NO ACTION, checked at the end of the statement so that
# deleting a whole account can still cascade through users and policies).
user_policy_attachments = Table(
    "user_policy_attachments",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("policy_id", ForeignKey("managed_policies.id"), primary_key=True, index=True),
)


class User(IamEntity, Base):
    """An IAM user (`arn:aws:iam::<account>:user<path><name>`, id `AIDA...`)."""

    __tablename__ = "users"
    name_max_length = 64

    user_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    tags: Mapped[Tags]
    # A boundary in use cannot be deleted (NO ACTION; see the note above).
    boundary_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("managed_policies.id"), index=True
    )
    # OpenID Connect profile claims (OIDC Core 5.1); rules in idp/iam/profiles.py. `display_name` is `name`.
    email: Mapped[str | None] = mapped_column(String(320))
    email_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    display_name: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(35))  # BCP 47
    zoneinfo: Mapped[str | None] = mapped_column(String(64))  # IANA time zone name
    phone_number: Mapped[str | None] = mapped_column(String(16))  # E.164
    phone_number_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                        server_default=false())
    picture: Mapped[str | None] = mapped_column(String(2048))  # https URL
    profile_updated_at: Mapped[Timestamp]  # the `updated_at` claim
    password_last_used: Mapped[Timestamp]

    boundary_policy: Mapped[ManagedPolicy | None] = relationship(foreign_keys=[boundary_policy_id])
    groups: Mapped[list[Group]] = relationship(
        secondary="group_memberships", back_populates="users", passive_deletes=True
    )
    attached_policies: Mapped[list[ManagedPolicy]] = relationship(
        secondary=user_policy_attachments, back_populates="users", passive_deletes=True
    )
    inline_policies: Mapped[list[UserInlinePolicy]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    login_profile: Mapped[LoginProfile | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    access_keys: Mapped[list[AccessKey]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    # No delete-orphan: deactivating a virtual device keeps it, unassigned.
    mfa_devices: Mapped[list[MfaDevice]] = relationship(
        back_populates="user", cascade="save-update, merge, delete", passive_deletes=True
    )
    signing_certificates: Mapped[list[SigningCertificate]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    ssh_public_keys: Mapped[list[SshPublicKey]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class LoginProfile(Base):
    """A user's console password (IAM CreateLoginProfile)."""

    __tablename__ = "login_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    password_reset_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # For MaxPasswordAge and PasswordReusePrevention of the account password policy.
    password_changed_at: Mapped[Timestamp]
    previous_password_hashes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[CreatedAt]

    user: Mapped[User] = relationship(back_populates="login_profile")


class UserInlinePolicy(Base):
    """A policy document embedded in one user (IAM PutUserPolicy)."""

    __tablename__ = "user_inline_policies"
    __table_args__ = (
        UniqueConstraint("user_id", "name"),
        CheckConstraint("length(name) BETWEEN 1 AND 128", name="name_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[Timestamp]

    user: Mapped[User] = relationship(back_populates="inline_policies")
