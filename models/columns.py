"""Column types and annotated column shapes shared by the models.

`UtcDateTime` is `DateTime(timezone=True)` that always hands back aware UTC
datetimes: SQLite stores no offset, PostgreSQL answers in the session's time
zone; both now read back the same value. Naive datetimes are taken as UTC.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from sqlalchemy import JSON, DateTime, String, TypeDecorator
from sqlalchemy.orm import mapped_column, validates


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (column default)."""
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that stores and returns UTC, on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# Annotated shapes: `created_at: Mapped[CreatedAt]`.
CreatedAt = Annotated[datetime, mapped_column(UtcDateTime, nullable=False, default=utcnow)]
Timestamp = Annotated[datetime | None, mapped_column(UtcDateTime, nullable=True)]
# AWS tags: a JSON list of {"Key": ..., "Value": ...}. Assign a new list to
# change them; in-place mutation of the JSON value is not tracked.
Tags = Annotated[list[dict[str, str]], mapped_column(JSON, nullable=False, default=list)]
Arn = Annotated[str, mapped_column(String(2048), nullable=False, unique=True)]
IamPath = Annotated[str, mapped_column(String(512), nullable=False, default="/")]

# Portable "only decimal digits" test: ltrim(x, digits) is empty (SQLite and PostgreSQL).
ALL_DIGITS = "ltrim({column}, '0123456789') = ''"


class CaseInsensitiveName:
    """IAM names are unique regardless of case: keep `name_lower` in step with `name`.

    The unique constraint is on (account_id, name_lower); a CHECK in each
    table keeps rows written outside the ORM honest.
    """

    name: Any
    name_lower: Any

    @validates("name")
    def _set_name_lower(self, key: str, value: str) -> str:
        self.name_lower = value.lower() if value is not None else None
        return value
