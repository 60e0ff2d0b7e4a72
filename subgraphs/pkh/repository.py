"""PKH's repository: SQL over KPM families, members, components, verifications and payments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.pkh import tables as t
from subgraphs.pkh.domain import (
    PERIODS_PER_YEAR,
    Assessment,
    ComponentKind,
    ComponentRecord,
    FacilitatorRecord,
    FamilyRecord,
    FamilyStatus,
    MemberRecord,
    PaymentRecord,
    PaymentStatus,
    Relationship,
    VerificationRecord,
)


def _facilitator(row: Any) -> FacilitatorRecord:
    return FacilitatorRecord(id=row.id, name=row.name, phone=row.phone, region_code=row.region_code)


def _family(row: Any) -> FamilyRecord:
    return FamilyRecord(
        id=row.id,
        kk_number=row.kk_number,
        head_name=row.head_name,
        region_code=row.region_code,
        facilitator_id=row.facilitator_id,
        enrolled_on=row.enrolled_on,
        status=FamilyStatus(row.status),
    )


def _member(row: Any) -> MemberRecord:
    return MemberRecord(
        id=row.id,
        family_id=row.family_id,
        child_id=row.child_id,
        name=row.name,
        relationship=Relationship(row.relationship),
    )


def _component(row: Any) -> ComponentRecord:
    return ComponentRecord(
        id=row.id,
        member_id=row.member_id,
        kind=ComponentKind(row.kind),
        started_on=row.started_on,
        ended_on=row.ended_on,
    )


def _verification(row: Any) -> VerificationRecord:
    pct = row.school_attendance_pct
    return VerificationRecord(
        member_id=row.member_id,
        year=row.year,
        period=row.period,
        school_attendance_pct=None if pct is None else Decimal(pct),
        health_visits_met=row.health_visits_met,
        compliant=bool(row.compliant),
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


def _payment(row: Any) -> PaymentRecord:
    return PaymentRecord(
        family_id=row.family_id,
        year=row.year,
        stage=row.stage,
        amount=Decimal(row.amount),
        paid_on=row.paid_on,
        status=PaymentStatus(row.status),
    )


async def facilitators(conn: AsyncConnection, ids: Sequence[int]) -> list[FacilitatorRecord]:
    rows = await conn.execute(select(t.facilitator).where(t.facilitator.c.id.in_(set(ids))))
    return [_facilitator(row) for row in rows]


async def families_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[FamilyRecord]:
    rows = await conn.execute(
        select(t.beneficiary_family).where(t.beneficiary_family.c.id.in_(set(ids)))
    )
    return [_family(row) for row in rows]


async def families_by_kk(conn: AsyncConnection, kk_numbers: Sequence[str]) -> list[FamilyRecord]:
    rows = await conn.execute(
        select(t.beneficiary_family).where(t.beneficiary_family.c.kk_number.in_(set(kk_numbers)))
    )
    return [_family(row) for row in rows]


async def families_of_facilitators(
    conn: AsyncConnection, facilitator_ids: Sequence[int]
) -> list[FamilyRecord]:
    rows = await conn.execute(
        select(t.beneficiary_family)
        .where(t.beneficiary_family.c.facilitator_id.in_(set(facilitator_ids)))
        .order_by(t.beneficiary_family.c.kk_number)
    )
    return [_family(row) for row in rows]


async def members_by_child(conn: AsyncConnection, child_ids: Sequence[str]) -> list[MemberRecord]:
    rows = await conn.execute(select(t.member).where(t.member.c.child_id.in_(set(child_ids))))
    return [_member(row) for row in rows]


async def households_of_children(
    conn: AsyncConnection, child_ids: Sequence[str]
) -> list[MemberRecord]:
    """Every member of the KPM these children belong to, the children included, in one query."""
    m = t.member
    their_families = select(m.c.family_id).where(m.c.child_id.in_(set(child_ids)))
    rows = await conn.execute(
        select(m).where(m.c.family_id.in_(their_families.scalar_subquery())).order_by(m.c.id)
    )
    return [_member(row) for row in rows]


async def members_of_families(
    conn: AsyncConnection, family_ids: Sequence[int]
) -> list[MemberRecord]:
    rows = await conn.execute(
        select(t.member).where(t.member.c.family_id.in_(set(family_ids))).order_by(t.member.c.id)
    )
    return [_member(row) for row in rows]


async def components(conn: AsyncConnection, member_ids: Sequence[int]) -> list[ComponentRecord]:
    rows = await conn.execute(
        select(t.component)
        .where(t.component.c.member_id.in_(set(member_ids)))
        .order_by(t.component.c.started_on, t.component.c.id)
    )
    return [_component(row) for row in rows]


async def components_of_families(
    conn: AsyncConnection, family_ids: Sequence[int]
) -> list[tuple[int, ComponentRecord]]:
    """(family id, component) for every member of these KPM: one query serves all their members."""
    c, m = t.component, t.member
    rows = await conn.execute(
        select(c, m.c.family_id)
        .join(m, m.c.id == c.c.member_id)
        .where(m.c.family_id.in_(set(family_ids)))
        .order_by(c.c.started_on, c.c.id)
    )
    return [(row.family_id, _component(row)) for row in rows]


async def verifications(
    conn: AsyncConnection, member_ids: Sequence[int]
) -> list[VerificationRecord]:
    v = t.verification
    rows = await conn.execute(
        select(v)
        .where(v.c.member_id.in_(set(member_ids)))
        .order_by(v.c.year.desc(), v.c.period.desc())
    )
    return [_verification(row) for row in rows]


async def payments(conn: AsyncConnection, family_ids: Sequence[int]) -> list[PaymentRecord]:
    p = t.payment
    rows = await conn.execute(
        select(p).where(p.c.family_id.in_(set(family_ids))).order_by(p.c.year, p.c.stage)
    )
    return [_payment(row) for row in rows]


# --- the coordinator's question: who missed conditions N periods running ------------------------


@dataclass(frozen=True)
class NonCompliantSearch:
    region_prefix: str
    consecutive_periods: int


@dataclass(frozen=True)
class ChildIdPage:
    child_ids: list[str]
    has_next_page: bool


def _region_clause(prefix: str) -> Any:
    # Segment-wise prefix: '14.7' must not match '14.71'.
    region = t.beneficiary_family.c.region_code
    return or_(region == prefix, region.like(f"{prefix}.%"))


def _non_compliant_query(search: NonCompliantSearch, after: str | None) -> Select[Any]:
    """Children of active KPM in the region whose last N recorded periods, back to back, all failed.

    Mirrors domain.consecutive_non_compliant: the newest N verifications per child must be N
    adjacent periods (no unverified gap) with none compliant.
    """
    v, m, f = t.verification, t.member, t.beneficiary_family
    n = search.consecutive_periods
    # domain.period_index in SQL: only differences matter, so its constant offset is left out.
    position = v.c.year * PERIODS_PER_YEAR + v.c.period
    ranked_query = (
        select(
            m.c.child_id,
            position.label("position"),
            v.c.compliant,
            func.row_number()
            .over(partition_by=v.c.member_id, order_by=(v.c.year.desc(), v.c.period.desc()))
            .label("recency"),
        )
        .join(m, m.c.id == v.c.member_id)
        .join(f, f.c.id == m.c.family_id)
        .where(
            f.c.status == FamilyStatus.ACTIVE.value,
            _region_clause(search.region_prefix),
            m.c.child_id.is_not(None),
        )
    )
    if after:
        ranked_query = ranked_query.where(m.c.child_id > after)
    ranked = ranked_query.subquery()
    return (
        select(ranked.c.child_id)
        .where(ranked.c.recency <= n)
        .group_by(ranked.c.child_id)
        .having(
            and_(
                func.count() == n,
                func.max(ranked.c.position) - func.min(ranked.c.position) == n - 1,
                func.sum(case((ranked.c.compliant, 1), else_=0)) == 0,
            )
        )
    )


async def non_compliant_children(
    conn: AsyncConnection, search: NonCompliantSearch, first: int, after: str | None
) -> ChildIdPage:
    """Keyset pagination by Child.id, as the child index does: stable under inserts."""
    query = _non_compliant_query(search, after)
    ids = list(
        (await conn.execute(query.order_by(query.selected_columns[0]).limit(first + 1))).scalars()
    )
    return ChildIdPage(ids[:first], has_next_page=len(ids) > first)


async def count_non_compliant_children(conn: AsyncConnection, search: NonCompliantSearch) -> int:
    matching = _non_compliant_query(search, None).subquery()
    return int((await conn.execute(select(func.count()).select_from(matching))).scalar_one())


# --- writes -------------------------------------------------------------------------------------


async def upsert_verification(
    conn: AsyncConnection, member_id: int, year: int, period: int, assessment: Assessment, by: str
) -> None:
    """Insert the period's verification, or replace the one already recorded for it.

    ON CONFLICT rather than read-then-write: two pendamping recording the same period at
    once cannot both insert, and neither fails.
    """
    values = {
        "school_attendance_pct": assessment.school_attendance_pct,
        "health_visits_met": assessment.health_visits_met,
        "compliant": assessment.compliant,
        "recorded_at": datetime.now(UTC),
        "recorded_by": by,
    }
    row = {"member_id": member_id, "year": year, "period": period, **values}
    key = [t.verification.c.member_id, t.verification.c.year, t.verification.c.period]
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(t.verification).values(row)
        await conn.execute(pg.on_conflict_do_update(index_elements=key, set_=values))
    else:
        lite = sqlite.insert(t.verification).values(row)
        await conn.execute(lite.on_conflict_do_update(index_elements=key, set_=values))
