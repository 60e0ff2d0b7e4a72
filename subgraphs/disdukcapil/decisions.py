"""Identity decisions' repository: what the officer decided about a child's registry candidates,
who decided and why, and its undoing. Rows are never deleted: an undo is recorded on the row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.common.rows import row_mapper, select_in
from subgraphs.disdukcapil import tables as t
from subgraphs.disdukcapil.domain import (
    Decider,
    DecisionKind,
    IdentityDecisionRecord,
    NewDecision,
)

_decision = row_mapper(IdentityDecisionRecord)
_table = t.identity_decision


async def decisions_of(
    conn: AsyncConnection, child_ids: Sequence[str]
) -> list[IdentityDecisionRecord]:
    """Every decision about these children, newest first."""
    return await select_in(
        conn, _table.c.child_id, child_ids, _decision, order_by=[_table.c.id.desc()]
    )


async def decision_by_id(conn: AsyncConnection, decision_id: int) -> IdentityDecisionRecord | None:
    row = (await conn.execute(select(_table).where(_table.c.id == decision_id))).first()
    return _decision(row) if row else None


async def rejected_niks(conn: AsyncConnection, child_id: str) -> frozenset[str]:
    """The persons marked "not this person" for the child, and not undone."""
    rows = await conn.execute(
        select(_table.c.nik).where(
            and_(
                _table.c.child_id == child_id,
                _table.c.kind == DecisionKind.NOT_THIS_PERSON.value,
                _table.c.undone_at.is_(None),
            )
        )
    )
    return frozenset(nik for (nik,) in rows if nik)


async def active_decision(
    conn: AsyncConnection, child_id: str, kind: DecisionKind, nik: str | None = None
) -> IdentityDecisionRecord | None:
    """The child's decision of `kind` (about `nik`, when given) still in force, if any."""
    query = select(_table).where(
        and_(
            _table.c.child_id == child_id,
            _table.c.kind == kind.value,
            _table.c.undone_at.is_(None),
        )
    )
    if nik is not None:
        query = query.where(_table.c.nik == nik)
    row = (await conn.execute(query.order_by(_table.c.id.desc()).limit(1))).first()
    return _decision(row) if row else None


async def record_decision(conn: AsyncConnection, new: NewDecision) -> int:
    result = await conn.execute(
        insert(_table).returning(_table.c.id),
        {
            "child_id": new.child_id,
            "kind": new.kind.value,
            "nik": new.nik,
            "score": new.score,
            "band": new.band,
            "explanation": new.explanation,
            "model_version": new.model_version,
            "reason": new.reason,
            "undo_data": new.undo_data,
            "decided_by": new.decider.subject,
            "decided_by_name": new.decider.name,
            "decided_by_role": new.decider.role,
            "decided_at": datetime.now(UTC),
        },
    )
    return int(result.scalar_one())


async def mark_undone(
    conn: AsyncConnection, decision_id: int, decider: Decider, reason: str
) -> bool:
    """Record the undoing; False when another request undid it first (nothing written)."""
    result = await conn.execute(
        update(_table)
        .where(and_(_table.c.id == decision_id, _table.c.undone_at.is_(None)))
        .values(
            undone_at=datetime.now(UTC),
            undone_by=decider.subject,
            undone_by_name=decider.name,
            undo_reason=reason,
        )
    )
    return result.rowcount == 1
