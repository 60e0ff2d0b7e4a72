"""Rows as records and back: the mapping comes from the record's fields, one statement per batch."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from subgraphs.common.database import Database
from subgraphs.common.rows import column_values, row_mapper, select_in

pytestmark = pytest.mark.anyio


class Colour(enum.StrEnum):
    RED = "RED"
    BLUE = "BLUE"


@dataclass(frozen=True)
class Thing:
    id: int
    name: str
    colour: Colour
    previous: Colour | None
    active: bool
    flagged: bool | None
    amount: Decimal
    made_on: date | None


def row(**values: Any) -> Any:
    return SimpleNamespace(**values)


def test_each_field_is_read_from_its_column_as_the_type_it_declares() -> None:
    to_thing = row_mapper(Thing)
    thing = to_thing(
        row(
            id=7,
            name="a",
            colour="RED",
            previous=None,
            active=1,
            flagged=None,
            amount="12.50",
            made_on=date(2026, 1, 2),
            ignored="columns the record has no field for",
        )
    )
    assert thing == Thing(7, "a", Colour.RED, None, True, None, Decimal("12.50"), date(2026, 1, 2))
    assert thing.colour is Colour.RED
    assert to_thing(
        row(
            id=1,
            name="b",
            colour="BLUE",
            previous="",
            active=0,
            flagged=0,
            amount=1,
            made_on=None,
        )
    ) == Thing(1, "b", Colour.BLUE, None, False, False, Decimal(1), None)


def test_a_prefix_and_derived_fields() -> None:
    @dataclass(frozen=True)
    class Named:
        id: int
        names: tuple[str, ...]

    to_named = row_mapper(Named, prefix="x__", names=lambda r: tuple(r.x__names.split(",")))
    assert to_named(row(x__id=3, x__names="a,b")) == Named(3, ("a", "b"))
    with pytest.raises(TypeError, match="no field nicknames"):
        row_mapper(Named, nicknames=lambda r: ())


def test_column_values_are_the_fields_with_enums_as_their_values() -> None:
    thing = Thing(7, "a", Colour.RED, None, True, None, Decimal(1), None)
    values = column_values(thing, name="b", extra=1)
    assert values == {
        "id": 7,
        "name": "b",
        "colour": "RED",
        "previous": None,
        "active": True,
        "flagged": None,
        "amount": Decimal(1),
        "made_on": None,
        "extra": 1,
    }
    assert type(values["colour"]) is str


async def test_select_in_is_one_statement_for_any_number_of_keys(tmp_path: Path) -> None:
    metadata = MetaData()
    item = Table(
        "item",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("owner", String(8), nullable=False),
        Column("name", String(8), nullable=False),
    )

    @dataclass(frozen=True)
    class Item:
        owner: str
        name: str

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'rows.db'}")
    try:
        async with db.transaction() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(
                insert(item),
                [
                    {"owner": "a", "name": "z"},
                    {"owner": "b", "name": "y"},
                    {"owner": "a", "name": "x"},
                    {"owner": "c", "name": "w"},
                ],
            )
        before = db.statements_executed
        async with db.connect() as conn:
            found = await select_in(
                conn, item.c.owner, ["a", "b", "a"], row_mapper(Item), order_by=[item.c.name]
            )
        assert db.statements_executed - before == 1
        assert found == [Item("a", "x"), Item("b", "y"), Item("a", "z")]
    finally:
        await db.dispose()
