"""Table helpers every subgraph shares: a metadata with stable constraint names, UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A subgraph's own metadata: each subgraph owns its database and its migrations."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def _as_utc(value: datetime) -> datetime:
    # A naive value can only be UTC: it is what we write, and what SQLite keeps of it.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that stores UTC and always reads back an aware UTC datetime.

    PostgreSQL keeps the instant (timestamptz); SQLite keeps only the wall-clock time and drops
    the offset. Writing UTC and reading naive values as UTC makes both give the same answer:
    10:00+07:00 goes in, 03:00+00:00 comes out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)
