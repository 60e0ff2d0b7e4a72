"""Candidate retrieval and scoring against Disdukcapil's database (SQLite or PostgreSQL).

``child_record`` gathers what every agency reported of a child; ``candidates`` runs the record's
blocks (``resolution.blocking``) as one statement over the key indexes, loads the people found and
lets the model rank them; ``score_pair`` scores one person the officer names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Boolean, Date, Integer, Row, String, TextualSelect, bindparam, select, text
from sqlalchemy import null as sql_null
from sqlalchemy.ext.asyncio import AsyncConnection

from resolution.blocking import DESA_CODE, Block, Match, query_blocks
from resolution.explain import Candidate, Candidates
from resolution.model import Model, shipped
from resolution.names import normalize_name
from resolution.records import ChildRecord, RegistryRecord
from subgraphs.disdukcapil import tables as t

# The version of the shipped weights, which every answer of this process carries: what the work
# queue compares its stored suggestions with (read once from the artifact, like a constant).
MODEL_VERSION: Final = shipped().version
# People one query may load and score, whatever its blocks returned: the blocks are taken in
# the record's order (the called name's blocks first, tightest first) until this many distinct
# people are found. Scoring is the costly part (the model compares every attribute of every
# pair); on the seeded worlds the true person is almost never beyond the 200th (bench/identity/blocking_recall.py, 200,000 children: 2,112
# found at 150, 2,113 at 200, 250 and 400).
MAX_PEOPLE: Final = 200
# Region prefixes are searched as ranges ("13.71" ≤ code < "13.71~"): '~' sorts after the digits
# and dots of a region code, and a range keeps the composite indexes usable on both backends.
_PREFIX_END: Final = "~"

MAX_AGE: Final = 120  # an age estimate beyond it is a typing slip, not an estimate
_REPORTED_NAMES: Final = ("fullName", "name", "otherName", "nickname")

# Of the NIKs of the people a search found, those the caller leaves out (see ``candidates``).
LeaveOut = Callable[[AsyncConnection, Sequence[str]], Awaitable[Collection[str]]]


async def child_record(conn: AsyncConnection, child_id: str) -> ChildRecord | None:
    """The index child with every identity attribute any agency reported (``child_name``,
    ``child_attribute_report``) merged in; None for an unknown id."""
    row = (await conn.execute(select(t.child).where(t.child.c.id == child_id))).first()
    if row is None:
        return None
    names = (
        await conn.execute(
            select(t.child_name.c.name)
            .where(t.child_name.c.child_id == child_id)
            .order_by(t.child_name.c.id)
        )
    ).scalars()
    reports = (
        await conn.execute(
            select(
                t.child_attribute_report.c.attribute,
                t.child_attribute_report.c.value,
                t.child_attribute_report.c.reported_at,
            )
            .where(t.child_attribute_report.c.child_id == child_id)
            .order_by(t.child_attribute_report.c.reported_at, t.child_attribute_report.c.id)
        )
    ).all()
    return _merged(row, list(names), [(r.attribute, r.value, r.reported_at) for r in reports])


def _merged(
    row: Row[Any], other_names: Sequence[str], reports: Sequence[tuple[str, str, datetime]]
) -> ChildRecord:
    """The index row's values first (most trusted), then what agencies reported, oldest first."""
    reported: dict[str, list[str]] = {}
    for attribute, value, _at in reports:
        reported.setdefault(attribute, []).append(value)
    age, as_of = _age_estimate(reports)

    def values(index_value: str | None, *attributes: str) -> list[str]:
        return [index_value or "", *(v for a in attributes for v in reported.get(a, ()))]

    birth_date = row.birth_date
    exact = not row.birth_date_approximate
    if birth_date is None:
        # A date only another agency gave, as that agency wrote it: a report carries no
        # "approximate" mark, and the matcher weighs an approximation's gap apart (APPROX_
        # levels) — an agency's written day taken as approximate would count for ~1.5 bits
        # where the same day written counts for ~13.
        birth_date = next(filter(None, map(_date, reported.get("birthDate", ()))), None)
        exact = True
    sexes = _distinct(values(row.sex, "sex"))
    kk = _distinct(values(row.kk_number, "kkNumber"))
    return ChildRecord(
        names=_distinct_names([row.full_name, *other_names, *values(None, *_REPORTED_NAMES)]),
        sex=sexes[0] if sexes else None,
        birth_date=birth_date,
        birth_date_exact=exact,
        age_estimate=age,
        as_of=as_of,
        birth_places=_distinct_names(values(row.birth_place, "birthPlace")),
        region_codes=_distinct(values(row.region_code, "regionCode")),
        mother_names=_distinct_names(values(row.mother_name, "motherName")),
        father_names=_distinct_names(values(row.father_name, "fatherName")),
        kk_number=kk[0] if kk else None,
        addresses=_distinct(values(row.address, "address")),
        record_id=row.id,
        indexed=True,
        nik=row.nik,
    )


async def candidates(
    conn: AsyncConnection,
    record: ChildRecord,
    *,
    top: int = 5,
    model: Model | None = None,
    leave_out: LeaveOut | None = None,
) -> Candidates:
    """The registry persons who may be this child, best first, at most ``top``. ``model``: the
    loaded weights (default: the shipped weights, read once per process, ``model.shipped``).
    ``leave_out``: given the NIKs of the people found, those the caller may not show (another
    region's index children, for an officer): left out before ranking, so that the scores,
    warnings and no-match probability answered carry nothing of them either."""
    blocks = query_blocks(record)
    model = model or shipped()
    if not blocks:
        return model.rank(record, (), top)
    people = await _found(conn, record, blocks)
    excluded = set(record.excluded_niks)
    if leave_out is not None and people:
        excluded.update(await leave_out(conn, [p.nik for p in people]))
    ranked = model.rank(record, [p for p in people if p.nik not in excluded], top)
    return dataclasses.replace(ranked, blocks_searched=len(blocks))


async def found(conn: AsyncConnection, record: ChildRecord) -> list[RegistryRecord]:
    """The registry people ``candidates`` ranks for the record, before anything is left out."""
    return await _found(conn, record, query_blocks(record))


def linkable_first(record: ChildRecord) -> bool:
    """Whether the record's retrieval puts linkable persons first (``retrieve``): an index child
    without a NIK, who can be linked only to a person no other index child holds."""
    return record.indexed and record.nik is None


async def _found(
    conn: AsyncConnection, record: ChildRecord, blocks: Sequence[Block]
) -> list[RegistryRecord]:
    ids = await retrieve(conn, blocks, linkable_first=linkable_first(record))
    return await load_people(conn, ids, addresses=bool(record.addresses))


async def score_pair(
    conn: AsyncConnection, record: ChildRecord, nik: str, *, model: Model | None = None
) -> Candidate | None:
    """This one person's score and explanation for the record (linkNik records it even when the
    officer links a person the matcher did not rank); None for an unknown NIK."""
    row = (await conn.execute(_PEOPLE.where(t.person.c.nik == nik))).first()
    if row is None:
        return None
    return (model or shipped()).score(record, _registry(row))


async def retrieve(
    conn: AsyncConnection, blocks: Sequence[Block], *, linkable_first: bool = False
) -> list[int]:
    """The ids of the people the blocks find, in block order, at most ``MAX_PEOPLE``.

    One statement: each block a capped subquery over its key index, all of them unioned.
    ``linkable_first`` (an index child without a NIK, who can be linked only to a person no
    other index child holds: ``person.held``): each block's cap cuts held persons first, and
    the people cap keeps every block's linkable persons before any block's held ones. Held
    persons are still found where there is room — this child recorded twice is one of them.
    """
    if not blocks:
        return []
    rows = (await conn.execute(blocks_statement(blocks, linkable_first=linkable_first))).all()
    # UNION ALL keeps no order of its own: each row carries its block and where its block's
    # order put it, so the people cap cuts a block where its own order says, on any backend.
    if linkable_first:
        found = sorted(rows, key=lambda r: (r.held, r.block, r.near, r.area, r.id))
    else:
        found = sorted(rows, key=lambda r: (r.block, r.near, r.area, r.id))
    ids: dict[int, None] = {}
    for r in found:
        ids[r.id] = None
        if len(ids) == MAX_PEOPLE:
            break
    return list(ids)


def blocks_statement(blocks: Sequence[Block], *, linkable_first: bool = False) -> TextualSelect:
    """``SELECT block, near, area, id, held`` for every block, each with its own cap and order,
    unioned: ``near`` and ``area`` are the block's sort values (``_order``), so that the caller
    can put each block's rows back in order after the union; ``linkable_first`` sorts each
    block by ``held`` before them (``retrieve``).

    Written as text: a record's statement has a few dozen arms and a thousand key values, and
    building it as an expression tree cost more than running it (11 ms against 4 per query).
    Only column names and integers are written into it; every key and region is a parameter.
    """
    arms: list[str] = []
    params: dict[str, Any] = {}
    expanding: list[str] = []
    for number, block in enumerate(blocks):
        where = [_key_condition(number, block, params, expanding)]
        window: list[str] = []
        if block.years is not None:
            window.append(f"birth_year BETWEEN {block.years.first:d} AND {block.years.last:d}")
        where += window
        if block.region is not None:
            # Under a key prefix the region is a filter, not a seek: SQLite's planner, knowing
            # no value frequencies, would otherwise walk the whole region by its own index.
            region = "region_code || ''" if block.match is Match.PREFIX else "region_code"
            params[f"r{number}"] = block.region
            if len(block.region) == DESA_CODE:
                # A whole desa code is the one desa: an equality, whose row count PostgreSQL
                # estimates from its statistics (a range this narrow it took for one row, and
                # walked the desa by the region index, fetching each person to test the key).
                where.append(f"{region} = :r{number}")
            else:
                params[f"re{number}"] = block.region + _PREFIX_END
                where.append(f"{region} >= :r{number} AND {region} < :re{number}")
        also: list[list[str]] = []
        for extra, (column, key) in enumerate(block.also):
            params[f"a{number}_{extra}"] = key
            also.append([f"{column.value} = :a{number}_{extra}", *window])
        if block.birth_dates:
            for i, day in enumerate(block.birth_dates):
                params[f"d{number}_{i}"] = day
            marks = ", ".join(f":d{number}_{i}" for i in range(len(block.birth_dates)))
            where.append(f"birth_date IN ({marks})")
        if block.born_between is not None:
            params[f"b{number}_0"], params[f"b{number}_1"] = block.born_between
            where.append(f"birth_date BETWEEN :b{number}_0 AND :b{number}_1")
        if block.sex is not None:
            params[f"s{number}"] = block.sex
            where.append(f"sex = :s{number}")
        source = f"person WHERE {' AND '.join(where)}"
        if also:
            # A further key is another index's: the people under it are intersected with the
            # block's, both read from their indexes alone, instead of fetching every person
            # under the block's key to test the other (a common name's window is ~1,500 table
            # pages at ten million people). Sorted by the same columns as a plain block.
            reads = " INTERSECT ".join(
                f"SELECT id, birth_year, region_code, held FROM person WHERE {' AND '.join(conditions)}"
                for conditions in (where, *also)
            )
            source = f"({reads}) AS x{number}"
        near, area = _order(block)
        order = ", ".join(
            e for e in ("held" if linkable_first else _NO_NEAR, near, area) if e not in _CONSTANT
        )
        arms.append(
            f"SELECT * FROM (SELECT {number:d} AS block, {near} AS near, {area} AS area, id, held "
            f"FROM {source} ORDER BY {order}{', ' if order else ''}id "
            f"LIMIT {block.cap:d}) AS b{number}"
        )
    values = [
        bindparam(
            name,
            value,
            type_=Date if isinstance(value, date) else String,
            expanding=name in expanding,
        )
        for name, value in params.items()
    ]
    return (
        text(" UNION ALL ".join(arms))
        .bindparams(*values)
        .columns(block=Integer, near=Integer, area=String, id=Integer, held=Boolean)
    )


def _order(block: Block) -> tuple[str, str]:
    """What a block's cap cuts by (then id): an integer and a text expression.

    Nearest the target year first where the block has one; otherwise by year within a window,
    by region under a region (the key index's next column), then id. Without a fixed order a
    capped block kept whichever rows the plan met first, and two plans (two backends, or an
    index that covers more columns) kept different people. The covering indexes hold every
    column these read, so sorting a block costs no table read.
    """
    if block.order_year is not None:
        return f"abs(birth_year - {block.order_year:d})", _NO_AREA
    if block.years is not None:
        return "birth_year", _NO_AREA
    if block.region is not None:
        # An expression, not the column: the same order, which no index offers. Offered it by
        # the region index, PostgreSQL walked the whole desa in that index and fetched each
        # person to test the key (45,000 rows for 60 at ten million people).
        return _NO_NEAR, "region_code || ''"
    return _NO_NEAR, _NO_AREA


_NO_NEAR: Final = "0"
_NO_AREA: Final = "''"
_CONSTANT: Final = (_NO_NEAR, _NO_AREA)  # left out of ORDER BY: a constant sorts nothing


def _key_condition(number: int, block: Block, params: dict[str, Any], expanding: list[str]) -> str:
    column = block.column.value  # a KeyColumn: one of four fixed column names
    name = f"k{number}"
    if block.match is Match.ANY_OF:
        params[name] = list(block.keys)
        expanding.append(name)
        return f"{column} IN :{name}"
    params[name] = block.key
    if block.match is Match.SUFFIX:
        # A filter on the rows the block's days select (a key holds letters only: no wildcard
        # in it), tested in the birth-date index, which carries the key (migration 0008).
        params[name] = "%" + block.key
        return f"{column} LIKE :{name}"
    if block.match is Match.PREFIX:
        # A range, not LIKE: LIKE 'x%' reaches an index on neither backend by default.
        params[f"{name}e"] = block.key + _PREFIX_END
        return f"{column} >= :{name} AND {column} < :{name}e"
    return f"{column} = :{name}"


async def load_people(
    conn: AsyncConnection, ids: Sequence[int], *, addresses: bool = True
) -> list[RegistryRecord]:
    """The registry rows of ``ids`` (in id order); their families' addresses only when asked
    (``addresses``: a record without an address has nothing to compare them with)."""
    if not ids:
        return []
    people = _PEOPLE if addresses else _PEOPLE_NO_ADDRESS
    rows = await conn.execute(people.where(t.person.c.id.in_(ids)).order_by(t.person.c.id))
    return [_registry(r) for r in rows]


# A person with the index child holding its NIK, if any (child.nik is unique), and a null
# address (``load_people(addresses=False)``) or its family's (the KK's: SIAK keeps one address
# per family card; read by the family's primary key).
_PEOPLE_NO_ADDRESS: Final = select(
    t.person, sql_null().label("address"), t.child.c.id.label("held_by")
).outerjoin(t.child, t.child.c.nik == t.person.c.nik)
_PEOPLE: Final = (
    select(t.person, t.family.c.address, t.child.c.id.label("held_by"))
    .outerjoin(t.family, t.family.c.kk_number == t.person.c.kk_number)
    .outerjoin(t.child, t.child.c.nik == t.person.c.nik)
)


def _registry(r: Row[Any]) -> RegistryRecord:
    return RegistryRecord(
        person_id=r.id,
        nik=r.nik,
        full_name=r.full_name,
        sex=r.sex,
        birth_date=r.birth_date,
        birth_place=r.birth_place,
        region_code=r.region_code,
        kk_number=r.kk_number,
        mother_name=r.mother_name,
        father_name=r.father_name,
        address=r.address or None,
        held_by=r.held_by,
    )


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def _distinct_names(values: Iterable[str]) -> tuple[str, ...]:
    """Names once each: two spellings that normalize alike are one name (the first kept)."""
    seen: dict[str, str] = {}
    for value in _distinct(values):
        seen.setdefault(normalize_name(value), value)
    return tuple(v for k, v in seen.items() if k)


def _age_estimate(
    reports: Sequence[tuple[str, str, datetime]],
) -> tuple[float | None, date | None]:
    """The first readable age estimate (years) and the day it was made (its report's)."""
    for attribute, value, at in reports:
        if attribute == "ageEstimate":
            try:
                age = float(value)
            except ValueError:
                continue
            if 0 <= age < MAX_AGE:
                return age, at.date()
    return None, None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None
