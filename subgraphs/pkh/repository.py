"""PKH's repository: SQL over KPM families, members, components, verifications and payments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.common.region_filter import within_any, within_prefix
from subgraphs.common.rows import column_values, row_mapper, select_in
from subgraphs.pkh import tables as t
from subgraphs.pkh.access import FamilyScope
from subgraphs.pkh.domain import (
    PERIODS_PER_YEAR,
    Assessment,
    ComponentRecord,
    FacilitatorRecord,
    FamilyRecord,
    FamilyStatus,
    MemberRecord,
    PaymentRecord,
    VerificationRecord,
)

_facilitator = row_mapper(FacilitatorRecord)
_family = row_mapper(FamilyRecord)
_member = row_mapper(MemberRecord)
_component = row_mapper(ComponentRecord)
_verification = row_mapper(VerificationRecord)
_payment = row_mapper(PaymentRecord)


async def facilitators(conn: AsyncConnection, ids: Sequence[int]) -> list[FacilitatorRecord]:
    return await select_in(conn, t.facilitator.c.id, ids, _facilitator)


async def families_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[FamilyRecord]:
    return await select_in(conn, t.beneficiary_family.c.id, ids, _family)


async def families_by_kk(conn: AsyncConnection, kk_numbers: Sequence[str]) -> list[FamilyRecord]:
    return await select_in(conn, t.beneficiary_family.c.kk_number, kk_numbers, _family)


def _in_scope(scope: FamilyScope) -> Any:
    """The KPM inside a caller's scope: in their regions, and their own when a pendamping."""
    f = t.beneficiary_family
    clause = within_any(f.c.region_code, scope.regions)
    if scope.facilitator_id is not None:
        clause = and_(clause, f.c.facilitator_id == scope.facilitator_id)
    return clause


async def families_of_facilitators(
    conn: AsyncConnection, facilitator_ids: Sequence[int], scope: FamilyScope | None = None
) -> list[FamilyRecord]:
    f = t.beneficiary_family
    query = select(f) if scope is None else select(f).where(_in_scope(scope))
    return await select_in(
        conn, f.c.facilitator_id, facilitator_ids, _family, query=query, order_by=[f.c.kk_number]
    )


async def members_by_child(conn: AsyncConnection, child_ids: Sequence[str]) -> list[MemberRecord]:
    return await select_in(conn, t.member.c.child_id, child_ids, _member)


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
    m = t.member
    return await select_in(conn, m.c.family_id, family_ids, _member, order_by=[m.c.id])


async def components(conn: AsyncConnection, member_ids: Sequence[int]) -> list[ComponentRecord]:
    c = t.component
    return await select_in(
        conn, c.c.member_id, member_ids, _component, order_by=[c.c.started_on, c.c.id]
    )


async def components_of_families(
    conn: AsyncConnection, family_ids: Sequence[int]
) -> list[tuple[int, ComponentRecord]]:
    """(family id, component) for every member of these KPM: one query serves all their members."""
    c, m = t.component, t.member
    return await select_in(
        conn,
        m.c.family_id,
        family_ids,
        lambda row: (row.family_id, _component(row)),
        query=select(c, m.c.family_id).join(m, m.c.id == c.c.member_id),
        order_by=[c.c.started_on, c.c.id],
    )


async def verifications(
    conn: AsyncConnection, member_ids: Sequence[int]
) -> list[VerificationRecord]:
    v = t.verification
    return await select_in(
        conn,
        v.c.member_id,
        member_ids,
        _verification,
        order_by=[v.c.year.desc(), v.c.period.desc()],
    )


async def payments(conn: AsyncConnection, family_ids: Sequence[int]) -> list[PaymentRecord]:
    p = t.payment
    return await select_in(
        conn, p.c.family_id, family_ids, _payment, order_by=[p.c.year, p.c.stage]
    )


# --- the coordinator's question: who missed conditions N periods running ------------------------


@dataclass(frozen=True)
class NonCompliantSearch:
    region_prefix: str
    consecutive_periods: int
    scope: FamilyScope | None = None  # the caller's; None: unfiltered


@dataclass(frozen=True)
class ChildIdPage:
    child_ids: list[str]
    has_next_page: bool


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
            within_prefix(f.c.region_code, search.region_prefix),
            m.c.child_id.is_not(None),
        )
    )
    if search.scope is not None:
        ranked_query = ranked_query.where(_in_scope(search.scope))
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
    conn: AsyncConnection,
    member_id: int,
    year: int,
    period: int,
    assessment: Assessment,
    recorded_by_id: str,
) -> None:
    """Insert the period's verification, or replace the one already recorded for it.

    ON CONFLICT rather than read-then-write: two pendamping recording the same period at
    once cannot both insert, and neither fails.
    """
    values = column_values(assessment, recorded_at=datetime.now(UTC), recorded_by_id=recorded_by_id)
    row = {"member_id": member_id, "year": year, "period": period, **values}
    key = [t.verification.c.member_id, t.verification.c.year, t.verification.c.period]
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(t.verification).values(row)
        await conn.execute(pg.on_conflict_do_update(index_elements=key, set_=values))
    else:
        lite = sqlite.insert(t.verification).values(row)
        await conn.execute(lite.on_conflict_do_update(index_elements=key, set_=values))
