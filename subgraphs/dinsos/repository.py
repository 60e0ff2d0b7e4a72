"""Dinsos's repository: SQL over the registry, complaints, referrals, LKSA and placements, batched by key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, and_, false, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.common.rows import column_values, row_mapper, select_in
from subgraphs.dinsos import tables as t
from subgraphs.dinsos.domain import (
    Assistance,
    CaseResponse,
    Complaint,
    ComplaintStatus,
    DinsosOffice,
    Lksa,
    NewComplaint,
    NewPlacement,
    NewReferral,
    NewResponse,
    Placement,
    PlacementEndReason,
    Referral,
    ReferralDecision,
    ReferralStatus,
    ReferralTargetKind,
    RegistryMembership,
)

# --- LKSA, always with its current occupancy ---------------------------------------------------

# Children living there now; a correlated count keeps it in the same statement as the LKSA.
_OCCUPANCY = (
    select(func.count())
    .where(and_(t.placement.c.lksa_id == t.lksa.c.id, t.placement.c.ended_on.is_(None)))
    .correlate(t.lksa)
    .scalar_subquery()
)

# Prefixed, so they can stand beside a referral's or a placement's own columns in one row.
_LKSA_PREFIX = "lksa__"
_LKSA_COLUMNS = (
    *(column.label(_LKSA_PREFIX + column.name) for column in t.lksa.columns),
    _OCCUPANCY.label(_LKSA_PREFIX + "occupancy"),
)

_lksa = row_mapper(Lksa, prefix=_LKSA_PREFIX)


async def lksas_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[Lksa]:
    return await select_in(conn, t.lksa.c.id, ids, _lksa, query=select(*_LKSA_COLUMNS))


def _in_region(column: Any, prefix: str) -> Any:
    # Segment-wise prefix: '14.7' must not match '14.71'.
    return or_(column == prefix, column.like(f"{prefix}.%"))


async def lksas_in_region(conn: AsyncConnection, prefix: str) -> list[Lksa]:
    rows = await conn.execute(
        select(*_LKSA_COLUMNS)
        .where(_in_region(t.lksa.c.region_code, prefix))
        .order_by(t.lksa.c.region_code, t.lksa.c.name, t.lksa.c.id)
    )
    return [_lksa(row) for row in rows]


async def lock_lksa(conn: AsyncConnection, lksa_id: int) -> Lksa | None:
    """The LKSA, its row locked until the transaction ends: placements into it queue up, so
    two officers cannot both fill its last bed (PostgreSQL; SQLite serializes writers anyway)."""
    locked = await conn.execute(select(t.lksa.c.id).where(t.lksa.c.id == lksa_id).with_for_update())
    if locked.first() is None:
        return None
    (found,) = await lksas_by_id(conn, [lksa_id])
    return found


_office = row_mapper(DinsosOffice)


async def offices(conn: AsyncConnection, kabupaten_codes: Sequence[str]) -> list[DinsosOffice]:
    return await select_in(conn, t.dinsos_office.c.kabupaten_code, kabupaten_codes, _office)


# --- the social registry -----------------------------------------------------------------------

_membership = row_mapper(RegistryMembership)
_assistance = row_mapper(Assistance)


async def registry_memberships(
    conn: AsyncConnection, child_ids: Sequence[str]
) -> list[RegistryMembership]:
    return await select_in(conn, t.registry_member.c.child_id, child_ids, _membership)


async def assistance(conn: AsyncConnection, child_ids: Sequence[str]) -> list[Assistance]:
    a = t.assistance
    return await select_in(
        conn,
        a.c.child_id,
        child_ids,
        _assistance,
        order_by=[a.c.period_start.desc(), a.c.id.desc()],
    )


# --- complaints and responses ------------------------------------------------------------------


_complaint = row_mapper(Complaint)


async def complaints_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[Complaint]:
    return await select_in(conn, t.complaint.c.id, ids, _complaint)


async def complaints_of_children(
    conn: AsyncConnection, child_ids: Sequence[str]
) -> list[Complaint]:
    c = t.complaint
    return await select_in(
        conn,
        c.c.child_id,
        child_ids,
        _complaint,
        order_by=[c.c.received_at.desc(), c.c.id.desc()],
    )


@dataclass(frozen=True)
class ComplaintPage:
    complaints: list[Complaint]
    has_next_page: bool


def _queue_query(
    region_prefix: str, status: ComplaintStatus | None, within: Sequence[str] | None
) -> Select[Any]:
    query = select(t.complaint).where(_in_region(t.complaint.c.region_code, region_prefix))
    if within is not None:
        # The caller's jurisdiction: no prefix, no complaint.
        query = query.where(
            or_(false(), *(_in_region(t.complaint.c.region_code, p) for p in within))
        )
    if status is not None:
        query = query.where(t.complaint.c.status == status.value)
    return query


async def complaint_queue(
    conn: AsyncConnection,
    region_prefix: str,
    status: ComplaintStatus | None,
    first: int,
    after: int | None,
    within: Sequence[str] | None = None,
) -> ComplaintPage:
    """Oldest first, as an officer works through them; keyset by id, no OFFSET scans.

    `within`: region prefixes the caller may see (None: no restriction)."""
    query = _queue_query(region_prefix, status, within)
    if after is not None:
        query = query.where(t.complaint.c.id > after)
    rows = list(await conn.execute(query.order_by(t.complaint.c.id).limit(first + 1)))
    return ComplaintPage([_complaint(row) for row in rows[:first]], has_next_page=len(rows) > first)


async def count_complaints(
    conn: AsyncConnection,
    region_prefix: str,
    status: ComplaintStatus | None,
    within: Sequence[str] | None = None,
) -> int:
    query = _queue_query(region_prefix, status, within).with_only_columns(
        func.count(), maintain_column_froms=True
    )
    return int((await conn.execute(query)).scalar_one())


_response = row_mapper(CaseResponse)


async def responses(conn: AsyncConnection, complaint_ids: Sequence[int]) -> list[CaseResponse]:
    r = t.case_response
    return await select_in(
        conn,
        r.c.complaint_id,
        complaint_ids,
        _response,
        order_by=[r.c.responded_at, r.c.id],
    )


async def insert_complaint(conn: AsyncConnection, new: NewComplaint) -> int:
    result = await conn.execute(
        insert(t.complaint).returning(t.complaint.c.id),
        column_values(new, status=ComplaintStatus.RECEIVED.value),
    )
    return int(result.scalar_one())


async def insert_response(conn: AsyncConnection, new: NewResponse) -> int:
    result = await conn.execute(
        insert(t.case_response).returning(t.case_response.c.id), column_values(new)
    )
    return int(result.scalar_one())


async def set_complaint_status(
    conn: AsyncConnection,
    complaint_id: int,
    status: ComplaintStatus,
    closed_at: datetime | None = None,
) -> None:
    values: dict[str, Any] = {"status": status.value}
    if closed_at is not None:
        values["closed_at"] = closed_at
    await conn.execute(update(t.complaint).where(t.complaint.c.id == complaint_id).values(values))


# --- referrals ---------------------------------------------------------------------------------

# The target LKSA comes with the referral: one statement, whatever the number of referrals.
_REFERRAL_FROM = t.referral.outerjoin(
    t.lksa,
    and_(
        t.referral.c.target_kind == ReferralTargetKind.LKSA.value,
        t.lksa.c.id.cast(String) == t.referral.c.target_code,
    ),
)


def _referral_query() -> Select[Any]:
    return select(t.referral, *_LKSA_COLUMNS).select_from(_REFERRAL_FROM)


_referral = row_mapper(Referral, lksa=lambda row: _lksa(row) if row.lksa__id is not None else None)


async def referrals_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[Referral]:
    return await select_in(conn, t.referral.c.id, ids, _referral, query=_referral_query())


async def referrals_of_children(conn: AsyncConnection, child_ids: Sequence[str]) -> list[Referral]:
    r = t.referral
    return await select_in(
        conn,
        r.c.child_id,
        child_ids,
        _referral,
        query=_referral_query(),
        order_by=[r.c.requested_at.desc(), r.c.id.desc()],
    )


async def insert_referral(conn: AsyncConnection, new: NewReferral) -> int:
    result = await conn.execute(
        insert(t.referral).returning(t.referral.c.id),
        column_values(new, status=ReferralStatus.REQUESTED.value),
    )
    return int(result.scalar_one())


async def apply_referral_decision(
    conn: AsyncConnection, referral_id: int, decision: ReferralDecision
) -> None:
    # A step writes only its own columns: what earlier steps wrote stays.
    values = {k: v for k, v in column_values(decision).items() if v is not None}
    await conn.execute(update(t.referral).where(t.referral.c.id == referral_id).values(values))


# --- placements --------------------------------------------------------------------------------


def _placement_query() -> Select[Any]:
    return select(t.placement, *_LKSA_COLUMNS).select_from(
        t.placement.join(t.lksa, t.lksa.c.id == t.placement.c.lksa_id)
    )


_placement = row_mapper(Placement, lksa=_lksa)


async def placements_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[Placement]:
    return await select_in(conn, t.placement.c.id, ids, _placement, query=_placement_query())


async def placements_of_children(
    conn: AsyncConnection, child_ids: Sequence[str]
) -> list[Placement]:
    p = t.placement
    return await select_in(
        conn,
        p.c.child_id,
        child_ids,
        _placement,
        query=_placement_query(),
        order_by=[p.c.started_on.desc(), p.c.id.desc()],
    )


async def open_placement_of_child(conn: AsyncConnection, child_id: str) -> Placement | None:
    rows = await conn.execute(
        _placement_query().where(
            and_(t.placement.c.child_id == child_id, t.placement.c.ended_on.is_(None))
        )
    )
    row = rows.first()
    return _placement(row) if row is not None else None


class ChildAlreadyPlaced(Exception):
    """Another open placement of the child was written meanwhile (the partial unique index)."""


async def insert_placement(conn: AsyncConnection, new: NewPlacement) -> int:
    try:
        # A savepoint, so the index's refusal leaves the surrounding transaction usable.
        async with conn.begin_nested():
            result = await conn.execute(
                insert(t.placement).returning(t.placement.c.id), column_values(new)
            )
            return int(result.scalar_one())
    except IntegrityError as error:
        raise ChildAlreadyPlaced from error


async def end_placement(
    conn: AsyncConnection, placement_id: int, ended_on: date, reason: PlacementEndReason
) -> None:
    await conn.execute(
        update(t.placement)
        .where(t.placement.c.id == placement_id)
        .values(ended_on=ended_on, end_reason=reason.value)
    )
