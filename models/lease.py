"""Leases: a named right to run scheduled work, held by one instance until it expires.

An instance takes a lease with one atomic statement (insert it if absent, else
take it over when it has expired or is already its own; `idp.housekeeping.lease`),
so instances racing for it agree on one holder without any other lock.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from . import Base
from .columns import UtcDateTime


class Lease(Base):
    """The lease `name`, held by `holder` (an instance id) until `expires_at`."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128), nullable=False)
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)

    def __repr__(self) -> str:
        return f"<Lease {self.name} {self.holder} until {self.expires_at}>"
