"""Dinsos's repository: SQL over the registry, complaints, referrals, LKSA and placements, batched by key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.common.ampk import AmpkCategory
from subgraphs.dinsos import tables as t
from subgraphs.dinsos.domain import (
    Assistance,
    AssistanceProgramme,
    CaseResponse,
    Complaint,
    ComplaintChannel,
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
    RegistryStatus,
    ResponseAction,
)

# --- LKSA, always with its current occupancy ---------------------------------------------------

# Children living there now; a correlated count keeps it in the same statement as the LKSA.
_OCCUPANCY = (
    select(func.count())
    .where(and_(t.placement.c.lksa_id == t.lksa.c.id, t.placement.c.ended_on.is_(None)))
    .correlate(t.lksa)
    .scalar_subquery()
)

_LKSA_COLUMNS = (
    t.lksa.c.id.label("lksa__id"),
    t.lksa.c.name.label("lksa__name"),
    t.lksa.c.region_code.label("lksa__region_code"),
    t.lksa.c.capacity.label("lksa__capacity"),
    t.lksa.c.phone.label("lksa__phone"),
    _OCCUPANCY.label("lksa__occupancy"),
)


def _lksa(row: Any) -> Lksa:
    return Lksa(
        id=row.lksa__id,
        name=row.lksa__name,
        region_code=row.lksa__region_code,
        capacity=row.lksa__capacity,
        phone=row.lksa__phone,
        occupancy=int(row.lksa__occupancy),
    )


async def lksas_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[Lksa]:
    rows = await conn.execute(select(*_LKSA_COLUMNS).where(t.lksa.c.id.in_(set(ids))))
    return [_lksa(row) for row in rows]


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


async def offices(conn: AsyncConnection, kabupaten_codes: Sequence[str]) -> list[DinsosOffice]:
    rows = await conn.execute(
        select(t.dinsos_office).where(t.dinsos_office.c.kabupaten_code.in_(set(kabupaten_codes)))
    )
    return [DinsosOffice(row.kabupaten_code, row.name, row.phone) for row in rows]


# --- the social registry -----------------------------------------------------------------------


async def registry_memberships(
    conn: AsyncConnection, child_ids: Sequence[str]
) -> list[RegistryMembership]:
    rows = await conn.execute(
        select(t.registry_member).where(t.registry_member.c.child_id.in_(set(child_ids)))
    )
    return [
        RegistryMembership(
            child_id=row.child_id,
            kk_number=row.kk_number,
            decile=row.decile,
            registered_on=row.registered_on,
            updated_on=row.updated_on,
            status=RegistryStatus(row.status),
        )
        for row in rows
    ]


async def assistance(conn: AsyncConnection, child_ids: Sequence[str]) -> list[Assistance]:
    rows = await conn.execute(
        select(t.assistance)
        .where(t.assistance.c.child_id.in_(set(child_ids)))
        .order_by(t.assistance.c.period_start.desc(), t.assistance.c.id.desc())
    )
    return [
        Assistance(
            child_id=row.child_id,
            programme=AssistanceProgramme(row.programme),
            period_start=row.period_start,
            period_end=row.period_end,
            amount=row.amount,
        )
        for row in rows
    ]


# --- complaints and responses ------------------------------------------------------------------


def _complaint(row: Any) -> Complaint:
    return Complaint(
        id=row.id,
        child_id=row.child_id,
        channel=ComplaintChannel(row.channel),
        received_at=row.received_at,
        region_code=row.region_code,
        problem_category=AmpkCategory(row.problem_category),
        summary=row.summary,
        status=ComplaintStatus(row.status),
        closed_at=row.closed_at,
    )


async def complaints_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[Complaint]:
    rows = await conn.execute(select(t.complaint).where(t.complaint.c.id.in_(set(ids))))
    return [_complaint(row) for row in rows]


async def complaints_of_children(
    conn: AsyncConnection, child_ids: Sequence[str]
) -> list[Complaint]:
    rows = await conn.execute(
        select(t.complaint)
        .where(t.complaint.c.child_id.in_(set(child_ids)))
        .order_by(t.complaint.c.received_at.desc(), t.complaint.c.id.desc())
    )
    return [_complaint(row) for row in rows]


@dataclass(frozen=True)
class ComplaintPage:
    complaints: list[Complaint]
    has_next_page: bool


def _queue_query(region_prefix: str, status: ComplaintStatus | None) -> Select[Any]:
    query = select(t.complaint).where(_in_region(t.complaint.c.region_code, region_prefix))
    if status is not None:
        query = query.where(t.complaint.c.status == status.value)
    return query


async def complaint_queue(
    conn: AsyncConnection,
    region_prefix: str,
    status: ComplaintStatus | None,
    first: int,
    after: int | None,
) -> ComplaintPage:
    """Oldest first, as an officer works through them; keyset by id, no OFFSET scans."""
    query = _queue_query(region_prefix, status)
    if after is not None:
        query = query.where(t.complaint.c.id > after)
    rows = list(await conn.execute(query.order_by(t.complaint.c.id).limit(first + 1)))
    return ComplaintPage([_complaint(row) for row in rows[:first]], has_next_page=len(rows) > first)


async def count_complaints(
    conn: AsyncConnection, region_prefix: str, status: ComplaintStatus | None
) -> int:
    query = _queue_query(region_prefix, status).with_only_columns(
        func.count(), maintain_column_froms=True
    )
    return int((await conn.execute(query)).scalar_one())


async def responses(conn: AsyncConnection, complaint_ids: Sequence[int]) -> list[CaseResponse]:
    rows = await conn.execute(
        select(t.case_response)
        .where(t.case_response.c.complaint_id.in_(set(complaint_ids)))
        .order_by(t.case_response.c.responded_at, t.case_response.c.id)
    )
    return [
        CaseResponse(
            id=row.id,
            complaint_id=row.complaint_id,
            social_worker=row.social_worker,
            responded_at=row.responded_at,
            action=ResponseAction(row.action),
            notes=row.notes,
        )
        for row in rows
    ]


async def insert_complaint(conn: AsyncConnection, new: NewComplaint) -> int:
    result = await conn.execute(
        insert(t.complaint).returning(t.complaint.c.id),
        {
            "child_id": new.child_id,
            "channel": new.channel.value,
            "received_at": new.received_at,
            "region_code": new.region_code,
            "problem_category": new.problem_category.value,
            "summary": new.summary,
            "status": ComplaintStatus.RECEIVED.value,
        },
    )
    return int(result.scalar_one())


async def insert_response(conn: AsyncConnection, new: NewResponse) -> None:
    await conn.execute(
        insert(t.case_response),
        {
            "complaint_id": new.complaint_id,
            "social_worker": new.social_worker,
            "responded_at": new.responded_at,
            "action": new.action.value,
            "notes": new.notes,
        },
    )


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


def _referral(row: Any) -> Referral:
    return Referral(
        id=row.id,
        child_id=row.child_id,
        complaint_id=row.complaint_id,
        target_kind=ReferralTargetKind(row.target_kind),
        target_code=row.target_code,
        reason=row.reason,
        status=ReferralStatus(row.status),
        requested_at=row.requested_at,
        decided_at=row.decided_at,
        completed_at=row.completed_at,
        revoked_at=row.revoked_at,
        decision_note=row.decision_note,
        closing_note=row.closing_note,
        lksa=_lksa(row) if row.lksa__id is not None else None,
    )


async def referrals_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[Referral]:
    rows = await conn.execute(_referral_query().where(t.referral.c.id.in_(set(ids))))
    return [_referral(row) for row in rows]


async def referrals_of_children(conn: AsyncConnection, child_ids: Sequence[str]) -> list[Referral]:
    rows = await conn.execute(
        _referral_query()
        .where(t.referral.c.child_id.in_(set(child_ids)))
        .order_by(t.referral.c.requested_at.desc(), t.referral.c.id.desc())
    )
    return [_referral(row) for row in rows]


async def insert_referral(conn: AsyncConnection, new: NewReferral) -> int:
    result = await conn.execute(
        insert(t.referral).returning(t.referral.c.id),
        {
            "child_id": new.child_id,
            "complaint_id": new.complaint_id,
            "target_kind": new.target_kind.value,
            "target_code": new.target_code,
            "reason": new.reason,
            "status": ReferralStatus.REQUESTED.value,
            "requested_at": new.requested_at,
        },
    )
    return int(result.scalar_one())


async def apply_referral_decision(
    conn: AsyncConnection, referral_id: int, decision: ReferralDecision
) -> None:
    values: dict[str, Any] = {"status": decision.status.value}
    for column, value in (
        ("decided_at", decision.decided_at),
        ("completed_at", decision.completed_at),
        ("revoked_at", decision.revoked_at),
        ("decision_note", decision.decision_note),
        ("closing_note", decision.closing_note),
    ):
        if value is not None:
            values[column] = value
    await conn.execute(update(t.referral).where(t.referral.c.id == referral_id).values(values))


# --- placements --------------------------------------------------------------------------------


def _placement_query() -> Select[Any]:
    return select(t.placement, *_LKSA_COLUMNS).select_from(
        t.placement.join(t.lksa, t.lksa.c.id == t.placement.c.lksa_id)
    )


def _placement(row: Any) -> Placement:
    return Placement(
        id=row.id,
        child_id=row.child_id,
        lksa=_lksa(row),
        referral_id=row.referral_id,
        started_on=row.started_on,
        ended_on=row.ended_on,
        end_reason=PlacementEndReason(row.end_reason) if row.end_reason else None,
    )


async def placements_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[Placement]:
    rows = await conn.execute(_placement_query().where(t.placement.c.id.in_(set(ids))))
    return [_placement(row) for row in rows]


async def placements_of_children(
    conn: AsyncConnection, child_ids: Sequence[str]
) -> list[Placement]:
    rows = await conn.execute(
        _placement_query()
        .where(t.placement.c.child_id.in_(set(child_ids)))
        .order_by(t.placement.c.started_on.desc(), t.placement.c.id.desc())
    )
    return [_placement(row) for row in rows]


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
                insert(t.placement).returning(t.placement.c.id),
                {
                    "child_id": new.child_id,
                    "lksa_id": new.lksa_id,
                    "referral_id": new.referral_id,
                    "started_on": new.started_on,
                },
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
