"""The access log's store on a real database (SQLite, and PostgreSQL when reachable): appends in
order under concurrency — from one store and from two at once on one database — without forks or
gaps; checkpoints; reads with filters; and `verify` catching each kind of tampering, naming the
first bad record."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from auth.audit.chain import Checkpoint
from subgraphs.common.database import Database
from subgraphs.common.service import SubgraphSpec
from subgraphs.consent.audit import tables
from subgraphs.consent.audit.store import (
    AuditRecordError,
    AuditStore,
    AuditStoreUnavailable,
    EntryFilter,
)
from subgraphs.consent.audit.verify import verify
from tests.conftest import MakeDatabase

pytestmark = pytest.mark.anyio

# The access log's database is migrated like a subgraph's (its own package and history).
AUDIT_SPEC = SubgraphSpec(
    name="audit",
    package="subgraphs.consent.audit",
    build_schema=lambda: None,  # type: ignore[arg-type,return-value]
    metadata=tables.metadata,
)
KEY = Ed25519PrivateKey.generate()
T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def record(
    n: int, *, child: str | None = None, basis: str = "mandate", actor: str = "u1"
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "v": 1,
        "time": (T0 + timedelta(minutes=n)).isoformat(),
        "requestId": f"r{n}",
        "principal": {"subject": actor, "role": "dinsos_officer", "agency": "dinsos"},
        "purpose": "child.protection",
        "status": 200,
        "outcome": "answered",
    }
    if child is not None:
        body["children"] = [{"id": child, "found": True, "disclosed": {"identity.basic": basis}}]
    return body


@pytest.fixture
async def db(make_database: MakeDatabase) -> Database:
    database = await make_database(AUDIT_SPEC)
    # PostgreSQL databases are reused and truncated between tests, the migration's head row too.
    await sql(
        database,
        "INSERT INTO audit_head (id, size, head) SELECT 1, 0, :zero "
        "WHERE NOT EXISTS (SELECT 1 FROM audit_head)",
        zero=bytes(32),
    )
    return database


async def filled(db: Database, n: int = 10, *, checkpoint_at: tuple[int, ...] = ()) -> AuditStore:
    store = AuditStore(db, KEY)
    for i in range(1, n + 1):
        await store.append([record(i, child=f"ANK{i % 3:09d}")])
        if i in checkpoint_at:
            await store.checkpoint()
    return store


async def sql(db: Database, *statements: str, **params: Any) -> None:
    async with db.transaction() as conn:
        for statement in statements:
            await conn.execute(text(statement), params)


async def check(db: Database, **kwargs: Any) -> str | None:
    result = await verify(db, KEY.public_key(), **kwargs)
    return result.problem


# --- appending ------------------------------------------------------------------------------


async def test_records_are_numbered_in_order_and_the_chain_verifies(db: Database) -> None:
    store = AuditStore(db, KEY)
    assert await store.append([record(1), record(2)]) == (1, 2)
    assert await store.append([record(3)]) == (3, 3)
    assert await store.size() == 3
    result = await verify(db, KEY.public_key())
    assert result.ok and result.checked == 3 and result.size == 3


async def test_concurrent_appends_are_group_committed_without_gaps(db: Database) -> None:
    store = AuditStore(db, KEY)
    ranges = await asyncio.gather(*(store.append([record(i)]) for i in range(300)))
    seqs = sorted(first for first, _ in ranges)
    assert seqs == list(range(1, 301))
    assert store.transactions < 300  # several requests' records went in one transaction
    assert (await verify(db, KEY.public_key())).ok


async def test_two_appenders_on_one_database_never_fork_the_chain(
    db: Database, backend: str
) -> None:
    # Two stores, two engines, one database: as two consent replicas (or processes) would be.
    other = Database(db.url)
    try:
        first, second = AuditStore(db, KEY), AuditStore(other, KEY)
        results = await asyncio.gather(
            *((first if i % 2 else second).append([record(i), record(i)]) for i in range(200))
        )
    finally:
        await other.dispose()
    seqs = sorted(s for a, b in results for s in range(a, b + 1))
    assert seqs == list(range(1, 401))
    result = await verify(db, KEY.public_key())
    assert result.ok, result.problem
    assert result.size == 400


async def test_a_bad_record_refuses_its_whole_batch(db: Database) -> None:
    store = AuditStore(db, KEY)
    for bad in (
        {**record(1), "outcome": "fine"},
        {**record(1), "time": "yesterday"},
        {**record(1), "time": "2026-12-04T08:00:00"},  # no offset
        {**record(1), "seq": 7},
        {**record(1), "children": [{"name": "no id"}]},
        "not an object",
    ):
        with pytest.raises(AuditRecordError):
            await store.append([record(2), bad])
    assert await store.size() == 0


async def test_a_store_that_cannot_write_loses_nothing_half_written(db: Database) -> None:
    store = await filled(db, 3)
    await sql(db, "ALTER TABLE audit_basis RENAME TO audit_basis_away")
    try:
        with pytest.raises(AuditStoreUnavailable):
            await store.append([record(4, child="ANK000000001")])
    finally:
        await sql(db, "ALTER TABLE audit_basis_away RENAME TO audit_basis")
    assert await store.size() == 3  # the head did not move; no entry without its index rows
    async with db.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM audit_entry"))).scalar_one()
    assert count == 3


# --- checkpoints and reading -------------------------------------------------------------------


async def test_checkpoints_are_signed_once_per_size(db: Database) -> None:
    store = await filled(db, 4)
    size, note = await store.checkpoint() or (0, "")
    assert size == 4
    assert Checkpoint.verify(note, KEY.public_key()).size == 4
    assert await store.checkpoint() == (4, note)  # nothing new: the same checkpoint
    assert await store.latest_checkpoint() == (4, note)


async def test_replicas_checkpointing_at_once_agree(db: Database) -> None:
    await filled(db, 4)
    other = Database(db.url)
    try:
        made = await asyncio.gather(
            *(AuditStore(d, KEY).checkpoint() for d in (db, other, db, other))
        )
    finally:
        await other.dispose()
    assert {m[0] for m in made if m} == {4} and len({m for m in made}) == 1
    async with db.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM audit_checkpoint"))).scalar_one() == 1


async def test_entries_are_filtered_and_paged_newest_first(db: Database) -> None:
    store = AuditStore(db, KEY)
    for i in range(1, 8):
        await store.append(
            [
                record(
                    i,
                    child="ANK1" if i % 2 else "ANK2",
                    basis="consent:5" if i == 3 else "mandate",
                    actor="a" if i < 4 else "b",
                )
            ]
        )
    page, more, total = await store.entries(EntryFilter(child_id="ANK1"), first=2)
    assert [e.seq for e in page] == [7, 5] and more and total == 4
    page, more, _ = await store.entries(EntryFilter(child_id="ANK1"), first=2, before=5)
    assert [e.seq for e in page] == [3, 1] and not more
    assert [e.seq for e in (await store.entries(EntryFilter(basis="consent")))[0]] == [3]
    assert [e.seq for e in (await store.entries(EntryFilter(basis="consent:5")))[0]] == [3]
    assert [e.seq for e in (await store.entries(EntryFilter(actor="a")))[0]] == [3, 2, 1]
    since = EntryFilter(since=T0 + timedelta(minutes=6))
    assert [e.seq for e in (await store.entries(since))[0]] == [7, 6]
    assert (await store.entries(EntryFilter(any_basis=())))[0] == []
    # A category disclosed on several bases, one of several ids: each is found on its own.
    several, _ = await store.append([record(8, child="ANK3", basis="mandate agreement:3,5")])
    for basis in ("agreement:5", "agreement:3", "agreement", "mandate"):
        assert several in [e.seq for e in (await store.entries(EntryFilter(basis=basis)))[0]]
    assert page[0].record["requestId"] == "r3"


# --- verification: each kind of tampering ------------------------------------------------------


async def test_an_altered_record_is_named(db: Database) -> None:
    await filled(db, 6)
    await sql(
        db,
        "UPDATE audit_entry SET body = :body WHERE seq = 4",
        body=b'{"outcome":"answered","seq":4,"time":"2026-12-04T08:04:00+00:00"}',
    )
    assert (await check(db) or "").startswith("record 4: altered")


async def test_an_altered_record_with_its_hash_recomputed_breaks_the_next_one(db: Database) -> None:
    from auth.audit.chain import entry_hash

    await filled(db, 6)
    async with db.connect() as conn:
        previous = (
            await conn.execute(text("SELECT hash FROM audit_entry WHERE seq = 3"))
        ).scalar_one()
        body = (await conn.execute(text("SELECT body FROM audit_entry WHERE seq = 4"))).scalar_one()
    # Another request id, everything the filters read left as it was, the hash recomputed.
    forged = bytes(body).replace(b'"requestId":"r4"', b'"requestId":"r9"')
    assert forged != bytes(body)
    await sql(
        db,
        "UPDATE audit_entry SET body = :body, hash = :hash WHERE seq = 4",
        body=forged,
        hash=entry_hash(bytes(previous), forged),
    )
    assert (await check(db) or "").startswith("record 5: altered")


async def test_a_deleted_record_is_named(db: Database) -> None:
    await filled(db, 6)
    await sql(
        db,
        "DELETE FROM audit_child WHERE seq = 3",
        "DELETE FROM audit_basis WHERE seq = 3",
        "DELETE FROM audit_entry WHERE seq = 3",
    )
    assert (await check(db) or "").startswith("record 3: missing (deleted)")


async def test_reordered_records_are_named(db: Database) -> None:
    await filled(db, 6)
    # Swap records 2 and 3 (rows keep their content; their positions change). The index rows
    # go first: their foreign keys would stop the renumbering (an attacker drops them too).
    await _drop_index_rows(db, 2)
    await sql(
        db,
        "UPDATE audit_entry SET seq = -2 WHERE seq = 2",
        "UPDATE audit_entry SET seq = 2 WHERE seq = 3",
        "UPDATE audit_entry SET seq = 3 WHERE seq = -2",
    )
    assert (await check(db) or "").startswith("record 2: out of place")


async def test_an_inserted_record_is_named(db: Database) -> None:
    await filled(db, 5)
    # Make room after record 2 and slip a record in, renumbering the rows after it.
    await _drop_index_rows(db, 3)
    for seq in (5, 4, 3):
        await sql(
            db,
            "UPDATE audit_entry SET seq = :new WHERE seq = :old",
            new=seq + 1,
            old=seq,
        )
    await sql(
        db,
        "INSERT INTO audit_entry (seq, body, hash, at, outcome) VALUES (3, :body, :hash, :at, 'answered')",
        body=b'{"outcome":"answered","seq":3,"time":"2026-12-04T08:02:30+00:00"}',
        hash=bytes(32),
        at=T0,
    )
    assert (await check(db) or "").startswith("record 3: altered")


async def test_index_rows_that_hide_a_record_from_the_filters_are_named(db: Database) -> None:
    await filled(db, 5)
    await sql(db, "DELETE FROM audit_child WHERE seq = 4")
    assert (await check(db) or "").startswith("record 4: its index rows or columns differ")


async def test_a_filter_column_changed_is_named(db: Database) -> None:
    await filled(db, 5)
    await sql(db, "UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 2")
    assert (await check(db) or "").startswith("record 2: its index rows or columns differ")


async def test_appends_after_the_head_was_read_are_not_tampering(db: Database) -> None:
    store = await filled(db, 3)
    # Entries past the head (as a live log has while verify walks): left for the next run.
    await sql(
        db,
        "UPDATE audit_head SET size = 2, head = (SELECT hash FROM audit_entry WHERE seq = 2)",
    )
    result = await verify(db, KEY.public_key())
    assert result.ok and result.size == 2
    assert store is not None


async def test_truncation_is_caught_by_a_stored_checkpoint(db: Database) -> None:
    await filled(db, 8, checkpoint_at=(8,))
    await _cut_after(db, 5)
    problem = await check(db) or ""
    assert problem.startswith("record 6: missing"), problem
    assert "truncated" in problem


async def test_truncation_with_the_checkpoints_deleted_is_caught_by_one_kept_elsewhere(
    db: Database,
) -> None:
    store = await filled(db, 8)
    _, kept = await store.checkpoint() or (0, "")
    await _cut_after(db, 5)
    await sql(db, "DELETE FROM audit_checkpoint")
    assert await check(db) is None  # the store alone no longer shows it...
    problem = await check(db, external=kept) or ""
    assert problem.startswith("record 6: missing"), problem  # ...the witness's copy does


async def test_a_chain_rewritten_from_some_point_on_differs_from_its_checkpoint(
    db: Database,
) -> None:
    store = await filled(db, 6, checkpoint_at=(6,))
    await _cut_after(db, 3)
    # A rewrite of records 4.. through the store itself: a valid chain, but not the signed one.
    for i in range(4, 7):
        await store.append([record(i, child="ANK999999999")])
    problem = await check(db) or ""
    assert problem.startswith("record 6: the chain up to it differs from checkpoint at 6")


async def test_a_forged_checkpoint_is_refused(db: Database) -> None:
    await filled(db, 3)
    async with db.connect() as conn:
        head = (await conn.execute(text("SELECT head FROM audit_head"))).scalar_one()
    note = Checkpoint(9, bytes(head)).sign(Ed25519PrivateKey.generate())
    await sql(
        db,
        "INSERT INTO audit_checkpoint (size, head, note, created_at) VALUES (9, :head, :note, :at)",
        head=bytes(head),
        note=note,
        at=T0,
    )
    assert "no signature" in (await check(db) or "")


async def test_verification_can_start_from_a_record(db: Database) -> None:
    await filled(db, 6, checkpoint_at=(2, 6))
    result = await verify(db, KEY.public_key(), start=4)
    assert result.ok and result.checked == 3
    assert any("before --from" in s for s in result.skipped)
    await sql(
        db,
        "UPDATE audit_entry SET body = :body WHERE seq = 5",
        body=b'{"outcome":"answered","seq":5,"time":"2026-12-04T08:05:00+00:00"}',
    )
    assert ((await verify(db, KEY.public_key(), start=4)).problem or "").startswith(
        "record 5: altered"
    )


async def _cut_after(db: Database, last: int) -> None:
    await sql(
        db,
        "DELETE FROM audit_child WHERE seq > :last",
        "DELETE FROM audit_basis WHERE seq > :last",
        "DELETE FROM audit_entry WHERE seq > :last",
        "UPDATE audit_head SET size = :last, head = (SELECT hash FROM audit_entry WHERE seq = :last)",
        last=last,
    )


async def _drop_index_rows(db: Database, first: int) -> None:
    await sql(
        db,
        "DELETE FROM audit_child WHERE seq > :after",
        "DELETE FROM audit_basis WHERE seq > :after",
        after=first - 1,
    )
