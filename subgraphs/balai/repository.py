"""Balai's repository: SQL over Balai units, caseworkers and ATENSI cases, batched by key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.balai import tables as t
from subgraphs.balai.domain import (
    Assessment,
    BalaiRecord,
    CaseRecord,
    CaseStage,
    CaseworkerRecord,
    ClosureReason,
    InterventionPlan,
    NewAssessment,
    NewCase,
    NewInterventionPlan,
    ResidentialStay,
    StageEvent,
    case_number_prefix,
    case_number_serial,
    format_case_number,
)
from subgraphs.common.rows import column_values, row_mapper, select_in

_balai = row_mapper(
    BalaiRecord,
    # Stored comma-separated: "14,13,21,18".
    provinces_served=lambda row: tuple(
        p.strip() for p in row.provinces_served.split(",") if p.strip()
    ),
)
_caseworker = row_mapper(CaseworkerRecord)
_case = row_mapper(CaseRecord)
_stage_event = row_mapper(StageEvent)
_stay = row_mapper(ResidentialStay)
_assessment = row_mapper(Assessment)
_plan = row_mapper(InterventionPlan)


# --- reads, by key ----------------------------------------------------------------------------


async def all_balais(conn: AsyncConnection) -> list[BalaiRecord]:
    rows = await conn.execute(select(t.balai).order_by(t.balai.c.name))
    return [_balai(row) for row in rows]


async def balais_by_code(conn: AsyncConnection, codes: Sequence[str]) -> list[BalaiRecord]:
    return await select_in(conn, t.balai.c.code, codes, _balai)


async def caseworkers_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[CaseworkerRecord]:
    return await select_in(conn, t.caseworker.c.id, ids, _caseworker)


async def caseworkers_by_balai(
    conn: AsyncConnection, codes: Sequence[str]
) -> list[CaseworkerRecord]:
    w = t.caseworker
    return await select_in(conn, w.c.balai_code, codes, _caseworker, order_by=[w.c.name, w.c.id])


async def cases_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[CaseRecord]:
    return await select_in(conn, t.atensi_case.c.id, ids, _case)


async def cases_by_number(conn: AsyncConnection, numbers: Sequence[str]) -> list[CaseRecord]:
    return await select_in(conn, t.atensi_case.c.case_number, numbers, _case)


async def cases_by_child(conn: AsyncConnection, child_ids: Sequence[str]) -> list[CaseRecord]:
    """Newest first: a caseworker reads a child's history from the current case backwards."""
    c = t.atensi_case
    return await select_in(
        conn, c.c.child_id, child_ids, _case, order_by=[c.c.opened_on.desc(), c.c.id.desc()]
    )


async def stage_events(conn: AsyncConnection, case_ids: Sequence[int]) -> list[StageEvent]:
    e = t.stage_event
    return await select_in(
        conn, e.c.case_id, case_ids, _stage_event, order_by=[e.c.entered_at, e.c.id]
    )


async def residential_stays(
    conn: AsyncConnection, case_ids: Sequence[int]
) -> list[ResidentialStay]:
    s = t.residential_stay
    return await select_in(conn, s.c.case_id, case_ids, _stay, order_by=[s.c.started_on, s.c.id])


async def stays_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[ResidentialStay]:
    return await select_in(conn, t.residential_stay.c.id, ids, _stay)


async def assessments(conn: AsyncConnection, case_ids: Sequence[int]) -> list[Assessment]:
    a = t.assessment
    return await select_in(
        conn, a.c.case_id, case_ids, _assessment, order_by=[a.c.assessed_on, a.c.id]
    )


async def intervention_plans(
    conn: AsyncConnection, case_ids: Sequence[int]
) -> list[InterventionPlan]:
    p = t.intervention_plan
    return await select_in(conn, p.c.case_id, case_ids, _plan, order_by=[p.c.created_on, p.c.id])


# --- a Balai's case list ----------------------------------------------------------------------


@dataclass(frozen=True)
class CaseSearch:
    balai_code: str
    stage: CaseStage | None = None
    open_only: bool = True
    caseworker_id: int | None = None


@dataclass(frozen=True)
class CasePage:
    cases: list[CaseRecord]
    has_next_page: bool


def _search_query(search: CaseSearch) -> Select[Any]:
    query = select(t.atensi_case).where(t.atensi_case.c.balai_code == search.balai_code)
    if search.stage is not None:
        query = query.where(t.atensi_case.c.stage == search.stage.value)
    if search.open_only:
        query = query.where(t.atensi_case.c.closed_on.is_(None))
    if search.caseworker_id is not None:
        query = query.where(t.atensi_case.c.caseworker_id == search.caseworker_id)
    return query


async def search_cases(
    conn: AsyncConnection, search: CaseSearch, first: int, after: int | None
) -> CasePage:
    """Keyset pagination by case id: the order cases were opened in, stable under new cases."""
    query = _search_query(search)
    if after is not None:
        query = query.where(t.atensi_case.c.id > after)
    rows = list(await conn.execute(query.order_by(t.atensi_case.c.id).limit(first + 1)))
    return CasePage([_case(row) for row in rows[:first]], has_next_page=len(rows) > first)


async def count_cases(conn: AsyncConnection, search: CaseSearch) -> int:
    query = _search_query(search).with_only_columns(func.count(), maintain_column_froms=True)
    return int((await conn.execute(query)).scalar_one())


# --- writes: the caller's transaction makes each mutation all-or-nothing -----------------------


async def lock_balai(conn: AsyncConnection, code: str) -> BalaiRecord | None:
    """The Balai, locked until the transaction ends: case numbers and the one-open-case rule
    are decided per Balai, so two openings there must not interleave (SQLite serializes anyway)."""
    row = (
        await conn.execute(select(t.balai).where(t.balai.c.code == code).with_for_update())
    ).first()
    return _balai(row) if row else None


async def case_for_update(conn: AsyncConnection, case_id: int) -> CaseRecord | None:
    row = (
        await conn.execute(
            select(t.atensi_case).where(t.atensi_case.c.id == case_id).with_for_update()
        )
    ).first()
    return _case(row) if row else None


async def open_cases_of_child_at(
    conn: AsyncConnection, child_id: str, balai_code: str
) -> list[CaseRecord]:
    rows = await conn.execute(
        select(t.atensi_case).where(
            t.atensi_case.c.child_id == child_id,
            t.atensi_case.c.balai_code == balai_code,
            t.atensi_case.c.closed_on.is_(None),
        )
    )
    return [_case(row) for row in rows]


async def _next_case_number(conn: AsyncConnection, balai_code: str, year: int) -> str:
    prefix = case_number_prefix(balai_code, year)
    # Serials are zero-padded, so the greatest number is also the last one given.
    latest = (
        await conn.execute(
            select(func.max(t.atensi_case.c.case_number)).where(
                t.atensi_case.c.case_number.like(f"{prefix}%")
            )
        )
    ).scalar_one_or_none()
    serial = (case_number_serial(latest) or 0) if latest else 0
    return format_case_number(balai_code, year, serial + 1)


async def _record_stage(
    conn: AsyncConnection, case_id: int, stage: CaseStage, by_id: int, at: datetime
) -> None:
    await conn.execute(
        insert(t.stage_event),
        {"case_id": case_id, "stage": stage.value, "entered_at": at, "by_id": by_id},
    )


async def open_case(conn: AsyncConnection, new: NewCase, by_id: int) -> int:
    case_number = await _next_case_number(conn, new.balai_code, new.opened_on.year)
    case_id: int = (
        await conn.execute(
            insert(t.atensi_case).returning(t.atensi_case.c.id),
            column_values(new, case_number=case_number, stage=CaseStage.INTAKE.value),
        )
    ).scalar_one()
    await _record_stage(conn, case_id, CaseStage.INTAKE, by_id, datetime.now(UTC))
    return case_id


async def set_stage(conn: AsyncConnection, case_id: int, stage: CaseStage, by_id: int) -> None:
    await conn.execute(
        update(t.atensi_case).where(t.atensi_case.c.id == case_id).values(stage=stage.value)
    )
    await _record_stage(conn, case_id, stage, by_id, datetime.now(UTC))


async def close_case(
    conn: AsyncConnection, case_id: int, closed_on: date, reason: ClosureReason
) -> None:
    await conn.execute(
        update(t.atensi_case)
        .where(t.atensi_case.c.id == case_id)
        .values(closed_on=closed_on, closure_reason=reason.value)
    )
    # A closed case keeps no child in residence: a stay still open ends with the case.
    await conn.execute(
        update(t.residential_stay)
        .where(t.residential_stay.c.case_id == case_id, t.residential_stay.c.ended_on.is_(None))
        .values(ended_on=closed_on)
    )


async def add_assessment(conn: AsyncConnection, new: NewAssessment) -> int:
    assessment_id: int = (
        await conn.execute(insert(t.assessment).returning(t.assessment.c.id), column_values(new))
    ).scalar_one()
    return assessment_id


async def assessment_by_id(conn: AsyncConnection, assessment_id: int) -> Assessment:
    row = (await conn.execute(select(t.assessment).where(t.assessment.c.id == assessment_id))).one()
    return _assessment(row)


async def add_intervention_plan(conn: AsyncConnection, new: NewInterventionPlan) -> int:
    plan_id: int = (
        await conn.execute(
            insert(t.intervention_plan).returning(t.intervention_plan.c.id), column_values(new)
        )
    ).scalar_one()
    return plan_id


async def intervention_plan_by_id(conn: AsyncConnection, plan_id: int) -> InterventionPlan:
    row = (
        await conn.execute(select(t.intervention_plan).where(t.intervention_plan.c.id == plan_id))
    ).one()
    return _plan(row)


async def start_stay(conn: AsyncConnection, case_id: int, started_on: date) -> int:
    stay_id: int = (
        await conn.execute(
            insert(t.residential_stay).returning(t.residential_stay.c.id),
            {"case_id": case_id, "started_on": started_on},
        )
    ).scalar_one()
    return stay_id


async def stay_for_update(conn: AsyncConnection, stay_id: int) -> ResidentialStay | None:
    row = (
        await conn.execute(
            select(t.residential_stay).where(t.residential_stay.c.id == stay_id).with_for_update()
        )
    ).first()
    return _stay(row) if row else None


async def end_stay(conn: AsyncConnection, stay_id: int, ended_on: date) -> None:
    await conn.execute(
        update(t.residential_stay)
        .where(t.residential_stay.c.id == stay_id)
        .values(ended_on=ended_on)
    )
