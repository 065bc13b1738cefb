"""The mail outbox: every message is a row written with the change that causes it, delivered after the commit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import CreatedAt, Timestamp, UtcDateTime


class OutboundMail(Base):
    """One message to one recipient (`idp.mail`).

    `sent_at` is set once the SMTP server accepted it; until then a sender
    claims the row (`claimed_until`) before talking to the server, so two
    senders never deliver it both. A failed attempt counts in `attempts` and
    moves `next_attempt_at` back exponentially. `dedupe_key`, when given, makes
    a second enqueue of the same message a no-op.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (CheckConstraint("attempts >= 0", name="attempts_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(12), index=True)
    recipient: Mapped[str] = mapped_column(String(320), nullable=False)
    sender_name: Mapped[str | None] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    text_body: Mapped[str] = mapped_column(Text, nullable=False)
    html_body: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[CreatedAt]
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, index=True)
    claimed_until: Mapped[Timestamp]
    sent_at: Mapped[Timestamp]
    last_error: Mapped[str | None] = mapped_column(String(1024))

    def __repr__(self) -> str:
        return f"<OutboundMail {self.id} to={self.recipient} sent={self.sent_at is not None}>"
