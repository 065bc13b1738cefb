"""Certificates and public keys held in IAM: users' signing certificates and SSH public keys, the account's
server certificates."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import Base
from .columns import CreatedAt, Tags, Timestamp
from .iam_entity import IamEntity

if TYPE_CHECKING:
    from .user import User


class SigningCertificate(Base):
    """An X.509 certificate of an IAM user (UploadSigningCertificate); `user_id` None: the account root user's."""

    __tablename__ = "signing_certificates"
    __table_args__ = (
        # The id is the certificate's fingerprint: one certificate belongs to at most one owner per account.
        UniqueConstraint("account_id", "certificate_id"),
        CheckConstraint("status IN ('Active', 'Inactive')", name="status"),
        CheckConstraint("length(certificate_id) BETWEEN 24 AND 128", name="certificate_id_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    certificate_id: Mapped[str] = mapped_column(String(128), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="Active")
    created_at: Mapped[CreatedAt]

    user: Mapped[User | None] = relationship(back_populates="signing_certificates")

    def __repr__(self) -> str:
        return f"<SigningCertificate {self.certificate_id} {self.status}>"


class SshPublicKey(Base):
    """An SSH public key of an IAM user (UploadSSHPublicKey), stored as the OpenSSH line."""

    __tablename__ = "ssh_public_keys"
    __table_args__ = (
        # The same key twice for one user is DuplicateSSHPublicKey; other users may hold it too.
        UniqueConstraint("user_id", "fingerprint"),
        CheckConstraint("status IN ('Active', 'Inactive')", name="status"),
        CheckConstraint("length(ssh_public_key_id) BETWEEN 20 AND 128", name="ssh_public_key_id_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    ssh_public_key_id: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="Active")
    created_at: Mapped[CreatedAt]

    user: Mapped[User] = relationship(back_populates="ssh_public_keys")

    def __repr__(self) -> str:
        return f"<SshPublicKey {self.ssh_public_key_id} {self.status}>"


class ServerCertificate(IamEntity, Base):
    """A TLS certificate with its private key (`arn:aws:iam::<account>:server-certificate<path><name>`, id `ASCA...`).

    `created_at` is AWS's UploadDate. The private key is sealed with the master key, bound to the
    certificate's unique id, and never returned by any API.
    """

    __tablename__ = "server_certificates"
    name_max_length = 128

    server_certificate_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    chain: Mapped[str | None] = mapped_column(Text)
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    expiration: Mapped[Timestamp]
    tags: Mapped[Tags]

