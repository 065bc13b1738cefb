"""Sign-in throttling counters, shared by every instance through the database."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import UtcDateTime


class SigninThrottle(Base):
    """Consecutive failed sign-ins of one key (`user:<account>:<name>` or `ip:<address>`).

    `blocked_until` is when the next attempt may be tried; the row is deleted
    (user keys) at a successful sign-in, and a key idle for long enough starts
    afresh, so no back-off lasts forever.
    """

    __tablename__ = "signin_throttles"
    __table_args__ = (CheckConstraint("failures >= 0", name="failures_non_negative"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)

    def __repr__(self) -> str:
        return f"<SigninThrottle {self.key} {self.failures}>"
