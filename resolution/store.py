"""Candidate retrieval and scoring against Disdukcapil's database (SQLite or PostgreSQL).

Initial version (interfaces first): H2 replaces the internals. The signatures are the contract
with the subgraph (H4) and the bulk tools (H3).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from resolution.explain import Band, Candidate, Candidates, Evidence
from resolution.names import normalize_name
from resolution.records import ChildRecord, RegistryRecord
from subgraphs.disdukcapil import tables as t

MODEL_VERSION = "stub"


async def child_record(conn: AsyncConnection, child_id: str) -> ChildRecord | None:
    """The index child with every identity attribute any agency reported (``child_name``,
    ``child_attribute_report``) merged in; None for an unknown id."""
    row = (await conn.execute(select(t.child).where(t.child.c.id == child_id))).first()
    if row is None:
        return None
    return ChildRecord(
        names=(row.full_name,),
        sex=row.sex,
        birth_date=row.birth_date,
        birth_date_exact=not row.birth_date_approximate,
        birth_places=(row.birth_place,) if row.birth_place else (),
        region_codes=(row.region_code,),
        mother_names=(row.mother_name,) if row.mother_name else (),
        father_names=(row.father_name,) if row.father_name else (),
        kk_number=row.kk_number,
        record_id=row.id,
    )


async def candidates(conn: AsyncConnection, record: ChildRecord, *, top: int = 5) -> Candidates:
    """The registry persons who may be this child, best first, at most ``top``."""
    name = normalize_name(record.names[0]) if record.names else ""
    rows = (
        await conn.execute(select(t.person).where(t.person.c.normalized_name == name).limit(top))
    ).all()
    found = tuple(
        Candidate(
            person=_registry(r),
            score=0.5,
            band=Band.REVIEW,
            match_weight=0.0,
            explanation=(Evidence("name", "EXACT", 0.0, "stub", name, r.normalized_name),),
        )
        for r in rows
        if r.nik not in record.excluded_niks
    )
    return Candidates(found, 0.5, MODEL_VERSION)


async def score_pair(conn: AsyncConnection, record: ChildRecord, nik: str) -> Candidate | None:
    """This one person's score and explanation for the record (linkNik records it even when the
    officer links a person the matcher did not rank); None for an unknown NIK."""
    row = (await conn.execute(select(t.person).where(t.person.c.nik == nik))).first()
    if row is None:
        return None
    return Candidate(_registry(row), 0.5, Band.REVIEW, 0.0, ())


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
    )
