"""Disdukcapil's repository: SQL over the child index, registry and families, batched by key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from resolution.names import normalize_name
from subgraphs.common.region_filter import within_any, within_prefix
from subgraphs.common.rows import row_mapper, select_in
from subgraphs.disdukcapil import tables as t
from subgraphs.disdukcapil.domain import (
    AttributeReport,
    ChildRecord,
    DocumentStatus,
    FamilyRecord,
    KiaStatus,
    NewChild,
    OtherName,
    PersonRecord,
    child_id_number,
    format_child_id,
    is_child_id,
)

_child = row_mapper(ChildRecord)
_person = row_mapper(PersonRecord)
_family = row_mapper(FamilyRecord)
_other_name = row_mapper(OtherName)
_attribute_report = row_mapper(AttributeReport)


@dataclass(frozen=True)
class ChildSearch:
    name: str | None = None
    birth_date_from: date | None = None
    birth_date_to: date | None = None
    region_prefix: str | None = None
    document_status: DocumentStatus | None = None
    # The caller's jurisdiction (region prefixes); None: unfiltered.
    within: tuple[str, ...] | None = None
    # Whether a name also matches the other names agencies recorded (identity.reports).
    other_names: bool = True


@dataclass(frozen=True)
class ChildPage:
    children: list[ChildRecord]
    has_next_page: bool


class NikAlreadyLinked(Exception):
    """The NIK belongs to another child in the index."""


class ChildAlreadyLinked(Exception):
    """The child was linked to a NIK since it was read."""


def _within(table: Any, within: Sequence[str] | None) -> Select[Any] | None:
    """All of `table`, or only its rows whose region lies in the jurisdiction `within`."""
    if within is None:
        return None
    return select(table).where(within_any(table.c.region_code, within))


async def children_by_id(
    conn: AsyncConnection,
    ids: Sequence[str],
    within: Sequence[str] | None = None,
    *,
    lock: bool = False,
) -> list[ChildRecord]:
    """The children with these ids (in `within`); text that cannot be a Child.id names no one.
    `lock`: the rows are locked until the transaction ends (PostgreSQL's FOR UPDATE; SQLite's
    writers are serialized by BEGIN IMMEDIATE), so a decision about a child checks and writes it
    with no other decision in between."""
    wellformed = [i for i in ids if is_child_id(i)]
    if not wellformed:
        return []
    query = _within(t.child, within)
    if lock:
        # FOR NO KEY UPDATE: decisions exclude each other, rows referencing the child may still
        # be added by others meanwhile.
        query = (select(t.child) if query is None else query).with_for_update(key_share=True)
    return await select_in(conn, t.child.c.id, wellformed, _child, query=query)


async def children_by_nik(
    conn: AsyncConnection, niks: Sequence[str], within: Sequence[str] | None = None
) -> list[ChildRecord]:
    return await select_in(conn, t.child.c.nik, niks, _child, query=_within(t.child, within))


async def niks_held_outside(
    conn: AsyncConnection, niks: Sequence[str], within: Sequence[str]
) -> frozenset[str]:
    """Of `niks`, those an index child outside the jurisdiction `within` holds."""
    if not niks:
        return frozenset()
    held = t.child.c.nik
    query = select(held).where(held.in_(set(niks)), ~within_any(t.child.c.region_code, within))
    return frozenset(nik for (nik,) in await conn.execute(query) if nik)


async def niks_held_by_others(
    conn: AsyncConnection, niks: Sequence[str], child_id: str
) -> frozenset[str]:
    """Of `niks`, those an index child other than `child_id` holds (linked persons)."""
    if not niks:
        return frozenset()
    held = t.child.c.nik
    query = select(held).where(held.in_(set(niks)), t.child.c.id != child_id)
    return frozenset(nik for (nik,) in await conn.execute(query) if nik)


async def other_names(conn: AsyncConnection, child_ids: Sequence[str]) -> list[OtherName]:
    names = t.child_name
    return await select_in(conn, names.c.child_id, child_ids, _other_name, order_by=[names.c.id])


async def attribute_reports(
    conn: AsyncConnection, child_ids: Sequence[str]
) -> list[AttributeReport]:
    reports = t.child_attribute_report
    return await select_in(
        conn, reports.c.child_id, child_ids, _attribute_report, order_by=[reports.c.id]
    )


async def families(
    conn: AsyncConnection, kk_numbers: Sequence[str], within: Sequence[str] | None = None
) -> list[FamilyRecord]:
    return await select_in(
        conn, t.family.c.kk_number, kk_numbers, _family, query=_within(t.family, within)
    )


async def family_members(conn: AsyncConnection, kk_numbers: Sequence[str]) -> list[PersonRecord]:
    return await select_in(
        conn, t.person.c.kk_number, kk_numbers, _person, order_by=[t.person.c.id]
    )


async def persons_by_nik(
    conn: AsyncConnection, niks: Sequence[str], within: Sequence[str] | None = None
) -> list[PersonRecord]:
    return await select_in(conn, t.person.c.nik, niks, _person, query=_within(t.person, within))


def _document_status_clause(status: DocumentStatus) -> Any:
    has_nik = t.child.c.nik.is_not(None)
    has_cert = t.child.c.birth_certificate_number.is_not(None)
    return {
        DocumentStatus.DOCUMENTED: and_(has_nik, has_cert),
        DocumentStatus.NO_BIRTH_CERTIFICATE: and_(has_nik, ~has_cert),
        DocumentStatus.NO_NIK: and_(~has_nik, has_cert),
        DocumentStatus.UNDOCUMENTED: and_(~has_nik, ~has_cert),
    }[status]


def _search_query(search: ChildSearch) -> Select[Any]:
    query = select(t.child)
    if search.name:
        term = f"%{normalize_name(search.name)}%"
        by_name: Any = t.child.c.normalized_name.like(term)
        if search.other_names:
            recorded_as = exists().where(
                and_(
                    t.child_name.c.child_id == t.child.c.id,
                    t.child_name.c.normalized_name.like(term),
                )
            )
            by_name = or_(by_name, recorded_as)
        query = query.where(by_name)
    if search.birth_date_from:
        query = query.where(t.child.c.birth_date >= search.birth_date_from)
    if search.birth_date_to:
        query = query.where(t.child.c.birth_date <= search.birth_date_to)
    if search.region_prefix:
        query = query.where(within_prefix(t.child.c.region_code, search.region_prefix))
    if search.within is not None:
        # The child index's region is the child's home region: the jurisdiction DOMAIN.md means.
        query = query.where(within_any(t.child.c.region_code, search.within))
    if search.document_status:
        query = query.where(_document_status_clause(search.document_status))
    return query


async def search_children(
    conn: AsyncConnection, search: ChildSearch, first: int, after: str | None
) -> ChildPage:
    """Keyset pagination by Child.id: stable under inserts, no OFFSET scans on a million rows."""
    query = _search_query(search)
    if after:
        query = query.where(t.child.c.id > after)
    rows = list(await conn.execute(query.order_by(t.child.c.id).limit(first + 1)))
    return ChildPage([_child(row) for row in rows[:first]], has_next_page=len(rows) > first)


async def count_children(conn: AsyncConnection, search: ChildSearch) -> int:
    query = _search_query(search).with_only_columns(func.count(), maintain_column_froms=True)
    return int((await conn.execute(query)).scalar_one())


async def _next_child_id(conn: AsyncConnection) -> str:
    latest = (await conn.execute(select(func.max(t.child.c.id)))).scalar_one_or_none()
    number = child_id_number(latest) if latest else 0
    return format_child_id((number or 0) + 1)


async def _record_attributes(
    conn: AsyncConnection, child_id: str, agency: str, attributes: dict[str, str], at: datetime
) -> None:
    if attributes:
        await conn.execute(
            insert(t.child_attribute_report),
            [
                {
                    "child_id": child_id,
                    "agency": agency,
                    "attribute": k,
                    "value": v,
                    "reported_at": at,
                }
                for k, v in attributes.items()
            ],
        )


async def register_child(
    conn: AsyncConnection, new: NewChild, registry_person: PersonRecord | None
) -> str:
    """Insert a child with a fresh Child.id; the caller's transaction makes it all-or-nothing."""
    now = datetime.now(UTC)
    child_id = await _next_child_id(conn)
    values = {
        "id": child_id,
        "nik": new.linked_nik,
        "full_name": new.full_name,
        "normalized_name": normalize_name(new.full_name),
        "sex": new.sex.value,
        "birth_date": new.birth_date,
        "birth_date_approximate": new.birth_date_approximate,
        "birth_place": new.birth_place,
        "mother_name": new.mother_name,
        "father_name": new.father_name,
        "region_code": new.region_code,
        "address": new.address,
        "kk_number": new.kk_number,
        "birth_certificate_number": (
            registry_person.birth_certificate_number if registry_person else None
        ),
        "kia_status": KiaStatus.NONE.value,
        "registry_person_id": registry_person.id if registry_person else None,
        "registered_by": new.reported_by,
        "registered_at": now,
    }
    try:
        # A savepoint, so a duplicate NIK leaves the surrounding transaction usable.
        async with conn.begin_nested():
            await conn.execute(insert(t.child), values)
    except IntegrityError as error:
        raise NikAlreadyLinked from error
    if new.other_names:
        await conn.execute(
            insert(t.child_name),
            [
                {
                    "child_id": child_id,
                    "name": name,
                    "normalized_name": normalize_name(name),
                    "recorded_by": new.reported_by,
                }
                for name in new.other_names
            ],
        )
    await _record_attributes(conn, child_id, new.reported_by, new.reported_attributes(), now)
    return child_id


async def nik_holder(conn: AsyncConnection, nik: str) -> str | None:
    return (
        await conn.execute(select(t.child.c.id).where(t.child.c.nik == nik))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class LinkChanges:
    """What linking a NIK changed on a child: the columns before, the rows it added — all that
    undoing the link needs to put the child back exactly (kept with the LINK decision)."""

    before: dict[str, Any]
    name_ids: tuple[int, ...]
    report_ids: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        before = {k: v.isoformat() if isinstance(v, date) else v for k, v in self.before.items()}
        return {
            "before": before,
            "nameIds": list(self.name_ids),
            "reportIds": list(self.report_ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinkChanges:
        before = dict(data["before"])
        if isinstance(before.get("birth_date"), str):
            before["birth_date"] = date.fromisoformat(before["birth_date"])
        return cls(before, tuple(data["nameIds"]), tuple(data["reportIds"]))


async def link_nik(
    conn: AsyncConnection, child: ChildRecord, person: PersonRecord, agency: str
) -> LinkChanges:
    """Attach the registry identity to the child; attributes the child lacked are filled from it."""
    now = datetime.now(UTC)
    changes: dict[str, Any] = {"nik": person.nik, "registry_person_id": person.id}
    if child.birth_date is None or child.birth_date_approximate:
        changes["birth_date"] = person.birth_date
        changes["birth_date_approximate"] = False
    for column, value in (
        ("kk_number", person.kk_number),
        ("birth_certificate_number", person.birth_certificate_number),
        ("birth_place", person.birth_place),
        ("mother_name", person.mother_name),
        ("father_name", person.father_name),
    ):
        if getattr(child, column) is None and value is not None:
            changes[column] = value
    before = {column: getattr(child, column) for column in changes}
    try:
        async with conn.begin_nested():
            # Only a child still without a NIK: one linked since `child` was read (another
            # officer's link) is not overwritten, and `before` stays what undoing restores.
            result = await conn.execute(
                update(t.child)
                .where(t.child.c.id == child.id, t.child.c.nik.is_(None))
                .values(**changes)
            )
    except IntegrityError as error:
        raise NikAlreadyLinked from error
    if result.rowcount != 1:
        raise ChildAlreadyLinked
    name_ids: tuple[int, ...] = ()
    if normalize_name(person.full_name) != normalize_name(child.full_name):
        # Keep the registry spelling findable: the child keeps the name agencies know it by.
        added = await conn.execute(
            insert(t.child_name).returning(t.child_name.c.id),
            {
                "child_id": child.id,
                "name": person.full_name,
                "normalized_name": normalize_name(person.full_name),
                "recorded_by": agency,
            },
        )
        name_ids = (int(added.scalar_one()),)
    report = await conn.execute(
        insert(t.child_attribute_report).returning(t.child_attribute_report.c.id),
        {
            "child_id": child.id,
            "agency": agency,
            "attribute": "nik",
            "value": person.nik,
            "reported_at": now,
        },
    )
    return LinkChanges(before, name_ids, (int(report.scalar_one()),))


async def unlink_nik(conn: AsyncConnection, child_id: str, changes: LinkChanges) -> None:
    """Undo `link_nik`: the child's columns as they were, the rows it added gone."""
    await conn.execute(
        update(t.child)
        .where(t.child.c.id == child_id)
        .values({**changes.before, "nik": None, "registry_person_id": None})
    )
    if changes.name_ids:
        await conn.execute(delete(t.child_name).where(t.child_name.c.id.in_(changes.name_ids)))
    if changes.report_ids:
        reports = t.child_attribute_report
        await conn.execute(delete(reports).where(reports.c.id.in_(changes.report_ids)))
