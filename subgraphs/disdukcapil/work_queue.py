"""The identity work queue: children other agencies know who lack a NIK or a birth certificate,
with the matcher's precomputed suggestions (computed on demand, a bounded number per request,
and dropped when stale), sortable and paged by keyset."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import Select, and_, delete, exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from resolution import store
from resolution.explain import Band, Candidates
from subgraphs.common.database import Database
from subgraphs.common.errors import BadUserInput
from subgraphs.common.region_filter import within_any, within_prefix
from subgraphs.common.rows import row_mapper
from subgraphs.disdukcapil import decisions, repository
from subgraphs.disdukcapil import tables as t
from subgraphs.disdukcapil.domain import ChildRecord, MissingDocument, is_child_id

# How many candidates are kept per child for the queue (the officer asks for more live).
SUGGESTION_TOP: Final = 5
# Bounded work per queue request: at most this many children scored, and no new one started
# after this many seconds (a candidate search is ~100 ms at national scale: ≤ ~1.5 s).
FILL_PER_REQUEST: Final = 10
FILL_SECONDS: Final = 1.0
# Suggestions older than this are recomputed: the registry changes (imports, births) too.
SUGGESTION_TTL: Final = timedelta(days=7)
# The agencies whose children the queue is for (DOMAIN.md user 2).
REPORTING_AGENCIES: Final = ("BALAI", "DINSOS", "LKSA", "PKH")

_child = row_mapper(ChildRecord)
_run = t.identity_suggestion_run


class QueueOrder(StrEnum):
    BEST_SCORE_DESC = "BEST_SCORE_DESC"
    CANDIDATES_DESC = "CANDIDATES_DESC"
    OLDEST_FIRST = "OLDEST_FIRST"


@dataclass(frozen=True)
class QueueFilter:
    within: tuple[str, ...] | None  # the caller's jurisdiction; None: unfiltered
    region_prefix: str | None = None
    missing: MissingDocument | None = None  # None: either document


@dataclass(frozen=True)
class QueueItem:
    child: ChildRecord
    # None while the child has no fresh suggestions yet (`pending`).
    candidate_count: int | None
    best_score: float | None
    best_band: str | None
    computed_at: datetime | None


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    has_next_page: bool
    end_cursor: str | None
    # Children of the page whose stored suggestions list a person another index child holds
    # now (`listing_held`): answered as pending, to be dropped (`drop`) and scored anew.
    stale: tuple[str, ...] = ()


def _fresh(now: datetime) -> Any:
    return and_(
        _run.c.child_id == t.child.c.id,
        _run.c.model_version == store.MODEL_VERSION,
        _run.c.computed_at >= now - SUGGESTION_TTL,
    )


def _membership(f: QueueFilter) -> list[Any]:
    child, reports = t.child, t.child_attribute_report
    known = or_(
        child.c.registered_by.in_(REPORTING_AGENCIES),
        exists().where(
            and_(reports.c.child_id == child.c.id, reports.c.agency.in_(REPORTING_AGENCIES))
        ),
    )
    no_nik, no_cert = child.c.nik.is_(None), child.c.birth_certificate_number.is_(None)
    missing = {
        None: or_(no_nik, no_cert),
        MissingDocument.NIK: no_nik,
        MissingDocument.BIRTH_CERTIFICATE: no_cert,
    }[f.missing]
    clauses = [known, missing]
    if f.within is not None:
        clauses.append(within_any(child.c.region_code, f.within))
    if f.region_prefix is not None:
        clauses.append(within_prefix(child.c.region_code, f.region_prefix))
    return clauses


def _queue(f: QueueFilter, now: datetime) -> Select[Any]:
    columns = (_run.c.candidate_count, _run.c.best_score, _run.c.best_band, _run.c.computed_at)
    return (
        select(t.child, *columns)
        .select_from(t.child.outerjoin(_run, _fresh(now)))
        .where(*_membership(f))
    )


def _sort_key(order: QueueOrder) -> tuple[Any, bool]:
    """The column the order sorts by (ties by Child.id), and whether it descends."""
    if order is QueueOrder.BEST_SCORE_DESC:
        return func.coalesce(_run.c.best_score, -1.0), True
    if order is QueueOrder.CANDIDATES_DESC:
        return func.coalesce(_run.c.candidate_count, -1), True
    return t.child.c.registered_at, False


def _encode_cursor(value: Any, child_id: str) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([value, child_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _is_sort_value(value: Any, order: QueueOrder) -> bool:
    """A value the order's column can hold: a score in [-1, 1] (-1: pending), a count of at
    most SUGGESTION_TOP — so nothing out of the database's range (or NaN) reaches the query."""
    if order is QueueOrder.CANDIDATES_DESC:
        return type(value) is int and -1 <= value <= SUGGESTION_TOP
    return type(value) in (int, float) and -1.0 <= value <= 1.0


def _decode_cursor(cursor: str, order: QueueOrder) -> tuple[Any, str]:
    """`after` as (sort value, Child.id); BAD_USER_INPUT when it is not one of ours."""
    try:
        value, child_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(child_id, str) or not is_child_id(child_id):
            raise ValueError(child_id)
        if order is QueueOrder.OLDEST_FIRST:
            value = datetime.fromisoformat(value)
        elif not _is_sort_value(value, order):
            raise ValueError(value)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise BadUserInput("after is not a cursor of this list and order", field="after") from None
    return value, child_id


def _item(row: Any) -> QueueItem:
    return QueueItem(
        _child(row), row.candidate_count, row.best_score, row.best_band, row.computed_at
    )


def _sort_value(item: QueueItem, order: QueueOrder) -> Any:
    if order is QueueOrder.BEST_SCORE_DESC:
        return -1.0 if item.best_score is None else item.best_score
    if order is QueueOrder.CANDIDATES_DESC:
        return -1 if item.candidate_count is None else item.candidate_count
    return item.child.registered_at


async def page(
    conn: AsyncConnection, f: QueueFilter, order: QueueOrder, first: int, after: str | None
) -> QueuePage:
    """Keyset pagination on (sort value, Child.id): stable while suggestions are filled in."""
    now = datetime.now(UTC)
    key, descending = _sort_key(order)
    query = _queue(f, now)
    if after:
        value, child_id = _decode_cursor(after, order)
        beyond = key < value if descending else key > value
        query = query.where(or_(beyond, and_(key == value, t.child.c.id > child_id)))
    query = query.order_by(key.desc() if descending else key.asc(), t.child.c.id.asc())
    rows = list(await conn.execute(query.limit(first + 1)))
    items = [_item(row) for row in rows[:first]]
    end = _encode_cursor(_sort_value(items[-1], order), items[-1].child.id) if items else None
    stale = await listing_held(conn, [i.child.id for i in items if i.computed_at is not None])
    if stale:
        # Never answered: a count or score that took in someone the asker may not be shown.
        items = [replace(i, candidate_count=None, best_score=None, best_band=None,
                         computed_at=None) if i.child.id in stale else i for i in items]  # fmt: skip
    return QueuePage(items, len(rows) > first, end, tuple(sorted(stale)))


async def listing_held(conn: AsyncConnection, child_ids: Sequence[str]) -> frozenset[str]:
    """Of these children, those whose stored suggestions list a person another index child
    holds. Suggestions are stored without such persons (`suggestions_for`), but a person may be
    linked or registered elsewhere after: then the stored count and best score may take in
    another region's child, and are not to be answered."""
    if not child_ids:
        return frozenset()
    s, c = t.identity_suggestion, t.child
    query = (
        select(s.c.child_id)
        .join(c, and_(c.c.nik == s.c.nik, c.c.id != s.c.child_id))
        .where(s.c.child_id.in_(set(child_ids)))
        .distinct()
    )
    return frozenset(child_id for (child_id,) in await conn.execute(query))


async def drop(db: Database, child_ids: Sequence[str]) -> None:
    """Drop these children's suggestions (stale: `listing_held`), each in a short transaction
    with the child's row locked first, as `keep` does: the next queue request scores them."""
    for child_id in child_ids:
        async with db.transaction() as conn:
            await conn.execute(
                select(t.child.c.id).where(t.child.c.id == child_id).with_for_update(key_share=True)
            )
            await forget(conn, child_id)


async def count(conn: AsyncConnection, f: QueueFilter) -> tuple[int, int]:
    """(children in the queue, those of them without fresh suggestions yet)."""
    now = datetime.now(UTC)
    query = (
        select(func.count(), func.count(_run.c.child_id))
        .select_from(t.child.outerjoin(_run, _fresh(now)))
        .where(*_membership(f))
    )
    total, suggested = (await conn.execute(query)).one()
    return int(total), int(total) - int(suggested)


async def unsuggested(conn: AsyncConnection, f: QueueFilter, limit: int) -> list[str]:
    """Children of the queue without fresh suggestions, oldest first."""
    now = datetime.now(UTC)
    query = (
        select(t.child.c.id)
        .select_from(t.child.outerjoin(_run, _fresh(now)))
        .where(*_membership(f), _run.c.child_id.is_(None))
        .order_by(t.child.c.registered_at, t.child.c.id)
        .limit(limit)
    )
    return [child_id for (child_id,) in await conn.execute(query)]


# --- suggestions -------------------------------------------------------------------------------


async def candidates_for(
    conn: AsyncConnection, child_id: str, top: int, within: tuple[str, ...] | None = None
) -> Candidates | None:
    """The matcher's candidates for an index child as an officer of jurisdiction `within` is
    shown them (None: unfiltered), from every attribute any agency reported, without the persons
    marked "not this person" and — before ranking — without the index children of other regions
    (DOMAIN.md "Jurisdiction"; for an ABH child, SPPA). None: no such child."""

    async def held_outside(conn: AsyncConnection, niks: Sequence[str]) -> frozenset[str]:
        assert within is not None
        return await repository.niks_held_outside(conn, niks, within)

    return await _candidates(conn, child_id, top, held_outside if within is not None else None)


async def suggestions_for(conn: AsyncConnection, child_id: str) -> Candidates | None:
    """The queue's suggestions for a child: shared by every officer who may see the child, so
    computed without any person another index child holds — wherever that child lives, whoever
    asks. Such a person is linked already (a link to them is refused), so the queue's count and
    best score are of the persons the child could still be linked to."""

    async def held(conn: AsyncConnection, niks: Sequence[str]) -> frozenset[str]:
        return await repository.niks_held_by_others(conn, niks, child_id)

    return await _candidates(conn, child_id, SUGGESTION_TOP, held)


async def _candidates(
    conn: AsyncConnection, child_id: str, top: int, leave_out: store.LeaveOut | None
) -> Candidates | None:
    record = await store.child_record(conn, child_id)
    if record is None:
        return None
    rejected = await decisions.rejected_niks(conn, child_id)
    record = replace(record, excluded_niks=record.excluded_niks | rejected)
    found = await store.candidates(conn, record, top=top, leave_out=leave_out)
    # Whatever the matcher does with `excluded_niks`, a rejected person is never proposed.
    kept = tuple(c for c in found.candidates if c.person.nik not in rejected)
    return replace(found, candidates=kept) if len(kept) != len(found.candidates) else found


async def is_fresh(conn: AsyncConnection, child_id: str) -> bool:
    now = datetime.now(UTC)
    query = select(_run.c.child_id).where(
        _run.c.child_id == child_id,
        _run.c.model_version == store.MODEL_VERSION,
        _run.c.computed_at >= now - SUGGESTION_TTL,
    )
    return (await conn.execute(query)).first() is not None


async def forget(conn: AsyncConnection, child_id: str) -> None:
    """Drop the child's suggestions: what they were computed from changed (a decision, a link)."""
    await conn.execute(
        delete(t.identity_suggestion).where(t.identity_suggestion.c.child_id == child_id)
    )
    await conn.execute(delete(_run).where(_run.c.child_id == child_id))


async def keep(conn: AsyncConnection, child_id: str, found: Candidates) -> None:
    """Store the child's top candidates as its suggestions (replacing any). Two requests scoring
    the same child at once: the second's insert conflicts and is dropped — the first's stand.
    A person marked "not this person" since `found` was read (a reject committed while the
    search ran) is dropped here, in the writing transaction: never suggested again.

    The child's row is locked first (PostgreSQL; SQLite serializes writers anyway): two requests
    replacing one child's suggestions at once otherwise deadlock — each deleting rows the other
    inserted — and one of them answered an internal error."""
    await conn.execute(
        select(t.child.c.id).where(t.child.c.id == child_id).with_for_update(key_share=True)
    )
    if await is_fresh(conn, child_id):
        return  # another request stored them meanwhile: theirs stand
    rejected = await decisions.rejected_niks(conn, child_id)
    if any(c.person.nik in rejected for c in found.candidates):
        kept = tuple(c for c in found.candidates if c.person.nik not in rejected)
        found = replace(found, candidates=kept)
    try:
        async with conn.begin_nested():
            await _replace(conn, child_id, found)
    except IntegrityError:
        pass


async def _replace(conn: AsyncConnection, child_id: str, found: Candidates) -> None:
    await forget(conn, child_id)
    now = datetime.now(UTC)
    top = found.candidates[:SUGGESTION_TOP]
    best = top[0] if top else None
    await conn.execute(
        insert(_run),
        {
            "child_id": child_id,
            "candidate_count": sum(1 for c in top if c.band is not Band.UNLIKELY),
            "best_score": best.score if best else None,
            "best_band": best.band.value if best else None,
            "model_version": found.model_version,
            "computed_at": now,
        },
    )
    if top:
        await conn.execute(
            insert(t.identity_suggestion),
            [
                {
                    "child_id": child_id,
                    "rank": rank,
                    "nik": c.person.nik,
                    "score": c.score,
                    "band": c.band.value,
                    "model_version": found.model_version,
                    "computed_at": now,
                }
                for rank, c in enumerate(top, start=1)
            ],
        )


async def fill(db: Database, f: QueueFilter) -> int:
    """Compute suggestions for up to FILL_PER_REQUEST queue children that have none fresh,
    oldest first, starting no new one after FILL_SECONDS; how many were computed. Each child's
    candidates are read on their own connection and written in a short transaction of their own,
    so a slow search holds no write lock."""
    async with db.connect() as conn:
        child_ids = await unsuggested(conn, f, FILL_PER_REQUEST)
    started = time.monotonic()
    done = 0
    for child_id in child_ids:
        if time.monotonic() - started > FILL_SECONDS:
            break
        async with db.connect() as conn:
            found = await suggestions_for(conn, child_id)
        if found is None:
            continue
        async with db.transaction() as conn:
            await keep(conn, child_id, found)
        done += 1
    return done


async def suggestion_niks(conn: AsyncConnection, child_ids: Sequence[str]) -> dict[str, list[str]]:
    """The stored suggestions' NIKs per child, best first (for tests and tools)."""
    s = t.identity_suggestion
    rows = await conn.execute(
        select(s.c.child_id, s.c.nik).where(s.c.child_id.in_(set(child_ids))).order_by(s.c.rank)
    )
    found: dict[str, list[str]] = {}
    for child_id, nik in rows:
        found.setdefault(child_id, []).append(nik)
    return found
