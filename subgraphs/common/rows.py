"""Rows of a subgraph's tables as domain records and back: one mapping, read from the record's fields."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Column, Select, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

R = TypeVar("R")
K = TypeVar("K")

Mapper = Callable[[Any], R]

# What the drivers hand back, turned into the type a record field declares. Anything else
# (str, int ids, date, datetime) the drivers already return as the record wants it.
_SCALARS: dict[type, Callable[[Any], Any]] = {bool: bool, int: int, Decimal: Decimal}


def _optional(hint: Any) -> tuple[Any, bool]:
    """`X | None` -> (X, True); `X` -> (X, False)."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        rest = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0], True
    return hint, False


def _read(column: str, hint: Any) -> Callable[[Any], Any]:
    kind, optional = _optional(hint)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        enum_type = kind
        if optional:
            # No member is the empty string: a blank column means no value, as NULL does.
            return lambda row: enum_type(v) if (v := getattr(row, column)) else None
        return lambda row: enum_type(getattr(row, column))
    convert = _SCALARS.get(kind) if isinstance(kind, type) else None
    if convert is None:
        return lambda row: getattr(row, column)
    if optional:
        return lambda row: None if (v := getattr(row, column)) is None else convert(v)
    return lambda row: convert(getattr(row, column))


def row_mapper(record: type[R], *, prefix: str = "", **derived: Mapper[Any]) -> Mapper[R]:
    """A function from a row to `record`, one field per column of the same name (after `prefix`).

    Values become the type the field declares: an enum member from its value, a bool, an int or
    a Decimal from what the driver returns; `derived` computes the fields that are no single
    column (a parsed list, a joined record).
    """
    hints = typing.get_type_hints(record)
    readers = {
        field.name: derived.get(field.name) or _read(prefix + field.name, hints[field.name])
        for field in dataclasses.fields(record)  # type: ignore[arg-type]
    }
    unknown = set(derived) - set(readers)
    if unknown:
        raise TypeError(f"{record.__name__} has no field {', '.join(sorted(unknown))}")

    def to_record(row: Any) -> R:
        return record(**{name: read(row) for name, read in readers.items()})

    return to_record


def column_values(record: Any, **values: Any) -> dict[str, Any]:
    """A record's fields as the values of the columns of the same names (an enum as its value);
    `values` adds the columns the record does not carry, or replaces those it does."""
    fields = {
        field.name: value.value
        if isinstance(value := getattr(record, field.name), enum.Enum)
        else value
        for field in dataclasses.fields(record)
    }
    return {**fields, **values}


async def select_in(
    conn: AsyncConnection,
    column: Column[Any],
    keys: Iterable[Any],
    to_record: Mapper[R],
    *,
    query: Select[Any] | None = None,
    order_by: Sequence[ColumnElement[Any]] = (),
) -> list[R]:
    """The rows whose `column` holds one of `keys`, as records: one statement for any number of keys.

    `query` selects more than the column's table (a join); `order_by` orders the rows, which the
    batch loaders keep within each key.
    """
    statement = (select(column.table) if query is None else query).where(column.in_(set(keys)))
    if order_by:
        statement = statement.order_by(*order_by)
    return [to_record(row) for row in await conn.execute(statement)]
