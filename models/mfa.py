"""MFA devices (virtual TOTP and WebAuthn passkeys) and recovery codes.

A device with `user_id` None belongs to the account's root user once enabled
(`enabled_at` set); before that it is an unassigned virtual device, as after
IAM CreateVirtualMFADevice.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import CreatedAt, IamPath, Tags, Timestamp

if TYPE_CHECKING:
    from .account import Account
    from .user import User


class MfaDevice(Base):
    """A virtual MFA device (TOTP seed) or a WebAuthn credential."""

    __tablename__ = "mfa_devices"
    __table_args__ = (
        CheckConstraint("kind IN ('virtual', 'webauthn')", name="kind"),
        CheckConstraint("kind <> 'webauthn' OR credential_id IS NOT NULL", name="webauthn_credential"),
        CheckConstraint("sign_count >= 0", name="sign_count_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # CASCADE, never SET NULL: a deleted user's device must not become root's.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Virtual devices: arn:aws:iam::<account>:mfa<path><name>.
    serial_number: Mapped[str] = mapped_column(String(2048), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    path: Mapped[IamPath]
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="virtual")
    # TOTP seed, encrypted by the app.
    secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    enabled_at: Mapped[Timestamp]
    # Last accepted TOTP time step: a code is accepted once.
    last_used_step: Mapped[int | None] = mapped_column(Integer)
    last_used_at: Mapped[Timestamp]
    # WebAuthn credential.
    credential_id: Mapped[bytes | None] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # uint32
    transports: Mapped[list[str] | None] = mapped_column(JSON)
    tags: Mapped[Tags]
    created_at: Mapped[CreatedAt]

    account: Mapped[Account] = relationship()
    user: Mapped[User | None] = relationship(back_populates="mfa_devices")

    @property
    def is_enabled(self) -> bool:
        """True once the device is assigned (EnableMFADevice or passkey registration)."""
        return self.enabled_at is not None

    def __repr__(self) -> str:
        return f"<MfaDevice {self.serial_number}>"


class RecoveryCode(Base):
    """A single-use MFA recovery code; `user_id` None means the account's root user."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[CreatedAt]
    used_at: Mapped[Timestamp]

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} used={self.used_at is not None}>"


