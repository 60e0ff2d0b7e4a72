"""The consent registry's repository: SQL over consents, agreements (with their parties) and
break-glass grants. Every read goes to the database: nothing here is cached between requests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.common.rows import row_mapper, select_in
from subgraphs.consent import tables as t
from subgraphs.consent.domain import (
    AgreementRecord,
    BreakGlassRecord,
    ConsentRecord,
    ReviewState,
    unwords,
    words,
)

_consent = row_mapper(
    ConsentRecord,
    categories=lambda row: words(row.categories),
    purposes=lambda row: words(row.purposes),
)
_grant = row_mapper(BreakGlassRecord)


# --- guardian consents ------------------------------------------------------------------------


async def consents_of_children(
    conn: AsyncConnection, child_ids: Sequence[str]
) -> list[ConsentRecord]:
    c = t.guardian_consent
    return await select_in(conn, c.c.child_id, child_ids, _consent, order_by=[c.c.id])


async def consents_to_agency(
    conn: AsyncConnection, child_ids: Sequence[str], agency: str
) -> list[ConsentRecord]:
    """The consents of these children whose recipient is `agency`: the only ones that can cover a
    request of its officers (the policy step matches unit, categories, purposes and validity)."""
    c = t.guardian_consent
    return await select_in(
        conn,
        c.c.child_id,
        child_ids,
        _consent,
        query=select(c).where(c.c.recipient_agency == agency),
        order_by=[c.c.id],
    )


async def consent_for_update(conn: AsyncConnection, consent_id: int) -> ConsentRecord | None:
    c = t.guardian_consent
    row = (
        await conn.execute(select(c).where(c.c.id == consent_id).with_for_update())
    ).one_or_none()
    return None if row is None else _consent(row)


async def insert_consent(conn: AsyncConnection, **values: Any) -> int:
    values["categories"] = unwords(values["categories"])
    values["purposes"] = unwords(values["purposes"])
    values["grantor_relationship"] = values["grantor_relationship"].value
    result = await conn.execute(
        insert(t.guardian_consent).values(**values).returning(t.guardian_consent.c.id)
    )
    return int(result.scalar_one())


async def revoke_consent(conn: AsyncConnection, consent_id: int, by: str, at: datetime) -> None:
    c = t.guardian_consent
    await conn.execute(
        update(c)
        .where(c.c.id == consent_id, c.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_by=by)
    )


async def consent_by_id(conn: AsyncConnection, consent_id: int) -> ConsentRecord:
    c = t.guardian_consent
    return _consent((await conn.execute(select(c).where(c.c.id == consent_id))).one())


# --- data-sharing agreements --------------------------------------------------------------------


async def _agreements(conn: AsyncConnection, query: Select[Any]) -> list[AgreementRecord]:
    """The agreements `query` selects (rows of the agreement table), each with its parties."""
    rows = list(await conn.execute(query.order_by(t.data_sharing_agreement.c.id)))
    if not rows:
        return []
    p = t.agreement_party
    parties: dict[int, list[str]] = {row.id: [] for row in rows}
    for party_row in await conn.execute(
        select(p).where(p.c.agreement_id.in_(list(parties))).order_by(p.c.party)
    ):
        parties[party_row.agreement_id].append(party_row.party)
    return [
        AgreementRecord(
            id=row.id,
            reference_number=row.reference_number,
            title=row.title,
            parties=tuple(parties[row.id]),
            categories=words(row.categories),
            purposes=words(row.purposes),
            regions=words(row.regions),
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            created_by=row.created_by,
            created_at=row.created_at,
            ended_by=row.ended_by,
            ended_at=row.ended_at,
        )
        for row in rows
    ]


async def all_agreements(conn: AsyncConnection) -> list[AgreementRecord]:
    return await _agreements(conn, select(t.data_sharing_agreement))


async def agreements_of_parties(
    conn: AsyncConnection, parties: Sequence[str]
) -> list[AgreementRecord]:
    """The agreements naming any of `parties` (an agency name, a unit code) as a party."""
    a, p = t.data_sharing_agreement, t.agreement_party
    naming = select(p.c.agreement_id).where(p.c.party.in_(set(parties)))
    return await _agreements(conn, select(a).where(a.c.id.in_(naming.scalar_subquery())))


async def agreement_by_id(
    conn: AsyncConnection, agreement_id: int, *, for_update: bool = False
) -> AgreementRecord | None:
    a = t.data_sharing_agreement
    query = select(a).where(a.c.id == agreement_id)
    found = await _agreements(conn, query.with_for_update() if for_update else query)
    return found[0] if found else None


async def agreement_reference_taken(conn: AsyncConnection, reference_number: str) -> bool:
    a = t.data_sharing_agreement
    query = select(a.c.id).where(a.c.reference_number == reference_number)
    return (await conn.execute(query)).first() is not None


async def insert_agreement(conn: AsyncConnection, parties: Sequence[str], **values: Any) -> int:
    for name in ("categories", "purposes", "regions"):
        values[name] = unwords(values[name])
    a = t.data_sharing_agreement
    new_id = int((await conn.execute(insert(a).values(**values).returning(a.c.id))).scalar_one())
    await conn.execute(
        insert(t.agreement_party), [{"agreement_id": new_id, "party": p} for p in parties]
    )
    return new_id


async def amend_agreement(conn: AsyncConnection, agreement_id: int, **values: Any) -> None:
    """Replace the given columns of an agreement (lists as tuples of words)."""
    for name in ("categories", "purposes", "regions"):
        if name in values:
            values[name] = unwords(values[name])
    a = t.data_sharing_agreement
    await conn.execute(update(a).where(a.c.id == agreement_id).values(**values))


async def end_agreement(
    conn: AsyncConnection, agreement_id: int, by: str, at: datetime, valid_until: datetime
) -> None:
    a = t.data_sharing_agreement
    await conn.execute(
        update(a)
        .where(a.c.id == agreement_id)
        .values(ended_by=by, ended_at=at, valid_until=valid_until)
    )


# --- break-glass grants -------------------------------------------------------------------------


async def grants_of_user(
    conn: AsyncConnection, user_subject: str, child_ids: Sequence[str]
) -> list[BreakGlassRecord]:
    """One user's grants for these children, whatever their state (the caller filters)."""
    g = t.break_glass_grant
    return await select_in(
        conn,
        g.c.child_id,
        child_ids,
        _grant,
        query=select(g).where(g.c.user_subject == user_subject),
        order_by=[g.c.id],
    )


async def grants_visible_to(
    conn: AsyncConnection,
    user_subject: str,
    reviewable: tuple[str | None, Sequence[str]] | None,
    state: ReviewState | None,
) -> list[BreakGlassRecord]:
    """The user's own grants, and with `reviewable` = (unit, roles) those of that unit's roles."""
    g = t.break_glass_grant
    mine = g.c.user_subject == user_subject
    condition = mine
    if reviewable is not None and reviewable[0] is not None:
        unit, roles = reviewable
        condition = mine | ((g.c.unit == unit) & g.c.role.in_(list(roles)))
    query = select(g).where(condition)
    if state is not None:
        query = query.where(g.c.review_state == state.value)
    return [_grant(row) for row in await conn.execute(query.order_by(g.c.created_at, g.c.id))]


async def grant_by_id(
    conn: AsyncConnection, grant_id: int, *, for_update: bool = False
) -> BreakGlassRecord | None:
    g = t.break_glass_grant
    query = select(g).where(g.c.id == grant_id)
    row = (await conn.execute(query.with_for_update() if for_update else query)).one_or_none()
    return None if row is None else _grant(row)


async def insert_grant(conn: AsyncConnection, **values: Any) -> int:
    g = t.break_glass_grant
    values["review_state"] = ReviewState.PENDING.value
    return int((await conn.execute(insert(g).values(**values).returning(g.c.id))).scalar_one())


async def review_grant(
    conn: AsyncConnection,
    grant_id: int,
    state: ReviewState,
    by: str,
    at: datetime,
    note: str | None,
) -> None:
    g = t.break_glass_grant
    await conn.execute(
        update(g)
        .where(g.c.id == grant_id, g.c.review_state == ReviewState.PENDING.value)
        .values(review_state=state.value, reviewed_by=by, reviewed_at=at, review_note=note)
    )
