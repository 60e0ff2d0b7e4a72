"""Appending to the audit chain, durably and in order, and reading it back.

Appends are group-committed: records arriving while a transaction is being written wait, and go
together in the next one. Each transaction locks the chain's head row (`SELECT ... FOR UPDATE` on
PostgreSQL; SQLite's `BEGIN IMMEDIATE` takes the database's write lock), numbers its records from
the head on, links each to the one before, and moves the head — so appenders in several processes
(several consent replicas, one database) can neither fork the chain nor leave a gap. A caller's
records are durable when `append` returns: the transaction has committed (SQLite with
`synchronous=FULL`; PostgreSQL's default `synchronous_commit`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Select, and_, event, exists, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from auth.audit.chain import Checkpoint, encode_entry, entry_hash
from subgraphs.common.database import Database
from subgraphs.consent.audit.tables import (
    audit_basis,
    audit_checkpoint,
    audit_child,
    audit_entry,
    audit_head,
    guardian_view,
)

log = logging.getLogger("satu_anak.audit")

MAX_RECORDS_PER_APPEND: Final = 1_000
MAX_RECORD_BYTES: Final = 1_000_000  # the gateway keeps to it too (gateway/audit/writer.py)
OUTCOMES: Final = frozenset({"answered", "partial", "refused", "failed"})
MAX_PAGE: Final = 100


class AuditRecordError(ValueError):
    """A record the store will not take (malformed or too large): nothing of its batch is written."""


class AuditStoreUnavailable(RuntimeError):
    """The records could not be written (database down, disk full, a constraint refused them)."""


def durable_sqlite(db: Database) -> None:
    """Every commit of this SQLite database reaches the disk before it returns (the subgraphs'
    `synchronous=NORMAL` may lose the last commits on power loss: not for the access log)."""
    if db.dialect != "sqlite":
        return

    def full(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    event.listen(db.engine.sync_engine, "connect", full)


@dataclass(frozen=True, slots=True)
class _Row:
    seq: int
    body: bytes
    hash: bytes
    at: datetime
    actor: str | None
    role: str | None
    agency: str | None
    purpose: str | None
    outcome: str
    children: tuple[str, ...]
    bases: tuple[str, ...]


def check_record(record: object) -> Mapping[str, Any]:
    """The record if the store can take it, else AuditRecordError saying why."""
    if not isinstance(record, dict):
        raise AuditRecordError("a record must be a JSON object")
    if "seq" in record:
        raise AuditRecordError("a record may not carry its own seq")
    if len(orjson.dumps(record)) > MAX_RECORD_BYTES:
        raise AuditRecordError(f"a record may be at most {MAX_RECORD_BYTES} bytes")
    if record.get("outcome") not in OUTCOMES:
        raise AuditRecordError(f"outcome must be one of {', '.join(sorted(OUTCOMES))}")
    _time(record)
    principal = record.get("principal")
    if principal is not None and not (
        isinstance(principal, dict) and isinstance(principal.get("subject"), str)
    ):
        raise AuditRecordError("principal must be an object with a subject")
    children = record.get("children", [])
    if not isinstance(children, list) or not all(
        isinstance(c, dict) and isinstance(c.get("id"), str) and len(c["id"]) <= 64
        for c in children
    ):
        raise AuditRecordError("children must be a list of objects with an id")
    return record


def _time(record: Mapping[str, Any]) -> datetime:
    value = record.get("time")
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise AuditRecordError("time must be an ISO 8601 instant with its offset")
    return at


def basis_tokens(value: object) -> list[tuple[str, str | None]]:
    """The bases one disclosed category names, as (kind, id): "mandate agreement:3,5" is
    mandate, agreement 3 and agreement 5."""
    if not isinstance(value, str):
        return []
    found: list[tuple[str, str | None]] = []
    for token in value.split():
        kind, _, ids = token.partition(":")
        if not ids:
            found.append((kind, None))
        found.extend((kind, one) for one in ids.split(",") if one)
    return found


def bases_of(record: Mapping[str, Any]) -> tuple[str, ...]:
    """The legal bases a record names, each one ("consent:12") and its kind ("consent"): what
    the auditors' basis filter matches."""
    found: set[str] = set()
    for child in record.get("children", ()):
        disclosed = child.get("disclosed")
        if isinstance(disclosed, dict):
            for value in disclosed.values():
                for kind, one in basis_tokens(value):
                    found.add(kind[:80])
                    if one is not None:
                        found.add(f"{kind}:{one}"[:80])
    return tuple(sorted(found))


def _text(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def row_of(seq: int, previous: bytes, record: Mapping[str, Any]) -> _Row:
    body = encode_entry(seq, record)
    principal = record.get("principal") or {}
    return _Row(
        seq=seq,
        body=body,
        hash=entry_hash(previous, body),
        at=_time(record),
        actor=_text(principal.get("subject"), 200),
        role=_text(principal.get("role"), 40),
        agency=_text(principal.get("agency"), 40),
        purpose=_text(record.get("purpose"), 64),
        outcome=str(record["outcome"]),
        children=tuple(sorted({c["id"] for c in record.get("children", ())})),
        bases=bases_of(record),
    )


def chained(size: int, previous: bytes, records: Sequence[Mapping[str, Any]]) -> list[_Row]:
    """`records` as the entries after a chain of `size` entries whose head is `previous`: each
    numbered and linked to the one before."""
    rows = []
    for offset, record in enumerate(records, start=1):
        row = row_of(size + offset, previous, record)
        previous = row.hash
        rows.append(row)
    return rows


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    body: bytes
    hash: bytes

    @property
    def record(self) -> dict[str, Any]:
        value: dict[str, Any] = orjson.loads(self.body)
        return value


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """The auditors' filters; every one given must hold."""

    child_id: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    basis: str | None = None  # "consent" (the kind) or "consent:12" (that one)
    any_basis: tuple[str, ...] | None = None  # one of these bases (e.g. grants awaiting review)
    outcome: str | None = None


class AuditStore:
    """The chain in one database; `append` is safe from many tasks and many processes at once."""

    def __init__(self, db: Database, signing_key: Ed25519PrivateKey | None = None) -> None:
        self.db = db
        self.signing_key = signing_key
        self._pending: list[tuple[list[Mapping[str, Any]], asyncio.Future[tuple[int, int]]]] = []
        self._flushing: asyncio.Task[None] | None = None
        self.transactions = 0  # appends committed (a test and the benchmark read it)
        # SQLite: appends go through the driver directly, one thread hop per transaction.
        self._sqlite = _SqliteAppender.for_url(db.url) if db.dialect == "sqlite" else None

    # --- appending ---------------------------------------------------------------------------

    async def append(self, records: Sequence[object]) -> tuple[int, int]:
        """Append `records` (checked first: one bad record refuses the batch) and return the
        first and last seq they got, once they are durable. Raises AuditRecordError or
        AuditStoreUnavailable; then none of them was written."""
        if not records:
            raise AuditRecordError("no records")
        if len(records) > MAX_RECORDS_PER_APPEND:
            raise AuditRecordError(f"at most {MAX_RECORDS_PER_APPEND} records at once")
        checked = [check_record(r) for r in records]
        future: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        self._pending.append((checked, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:64], self._pending[64:]
            try:
                first = await self._write([r for records, _ in batch for r in records])
            except Exception as failure:
                log.error("audit append failed: %s", failure)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(AuditStoreUnavailable(str(failure)))
                continue
            for records, future in batch:
                if not future.done():
                    future.set_result((first, first + len(records) - 1))
                first += len(records)

    async def _write(self, records: list[Mapping[str, Any]]) -> int:
        if self._sqlite is not None:
            first = await asyncio.to_thread(self._sqlite.write, records)
            self.transactions += 1
            return first
        async with self.db.transaction() as conn:
            size, previous = await self._lock_head(conn)
            rows = chained(size, previous, records)
            await conn.execute(
                insert(audit_entry),
                [
                    {
                        "seq": r.seq,
                        "body": r.body,
                        "hash": r.hash,
                        "at": r.at,
                        "actor": r.actor,
                        "role": r.role,
                        "agency": r.agency,
                        "purpose": r.purpose,
                        "outcome": r.outcome,
                    }
                    for r in rows
                ],
            )
            children = [{"seq": r.seq, "child_id": c} for r in rows for c in r.children]
            if children:
                await conn.execute(insert(audit_child), children)
            bases = [{"seq": r.seq, "basis": b} for r in rows for b in r.bases]
            if bases:
                await conn.execute(insert(audit_basis), bases)
            moved = await conn.execute(
                update(audit_head)
                .where(audit_head.c.id == 1, audit_head.c.size == size)
                .values(size=rows[-1].seq, head=rows[-1].hash)
            )
            if moved.rowcount != 1:
                raise AuditStoreUnavailable("the chain's head moved during the append")
        self.transactions += 1
        return size + 1

    async def _lock_head(self, conn: AsyncConnection) -> tuple[int, bytes]:
        query = select(audit_head.c.size, audit_head.c.head).where(audit_head.c.id == 1)
        if self.db.dialect != "sqlite":
            query = query.with_for_update()  # SQLite: BEGIN IMMEDIATE holds the write lock
        row = (await conn.execute(query)).one_or_none()
        if row is None:
            raise AuditStoreUnavailable("the audit store has no head row (not migrated?)")
        return int(row.size), bytes(row.head)

    async def close(self) -> None:
        if self._flushing is not None:
            with contextlib.suppress(Exception):
                await self._flushing
        if self._sqlite is not None:
            self._sqlite.close()

    # --- checkpoints ---------------------------------------------------------------------------

    async def checkpoint(self, now: datetime | None = None) -> tuple[int, str] | None:
        """Sign and keep a checkpoint of the chain as it is, unless one of this size exists;
        returns (size, signed note) of the newest checkpoint, None without a signing key."""
        if self.signing_key is None:
            return None
        try:
            return await self._checkpoint(self.signing_key, now)
        except IntegrityError:
            # Another replica checkpointed the same size at the same moment: that one stands.
            return await self.latest_checkpoint()

    async def _checkpoint(
        self, key: Ed25519PrivateKey, now: datetime | None
    ) -> tuple[int, str] | None:
        async with self.db.transaction() as conn:
            head = (
                await conn.execute(
                    select(audit_head.c.size, audit_head.c.head).where(audit_head.c.id == 1)
                )
            ).one()
            size, digest = int(head.size), bytes(head.head)
            existing = (
                await conn.execute(
                    select(audit_checkpoint.c.note).where(audit_checkpoint.c.size == size)
                )
            ).scalar_one_or_none()
            if existing is not None:
                return size, str(existing)
            note = Checkpoint(size, digest).sign(key)
            await conn.execute(
                insert(audit_checkpoint).values(
                    size=size, head=digest, note=note, created_at=now or datetime.now(UTC)
                )
            )
        return size, note

    async def latest_checkpoint(self) -> tuple[int, str] | None:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(
                    select(audit_checkpoint.c.size, audit_checkpoint.c.note)
                    .order_by(audit_checkpoint.c.size.desc())
                    .limit(1)
                )
            ).one_or_none()
        return None if row is None else (int(row.size), str(row.note))

    async def size(self) -> int:
        async with self.db.connect() as conn:
            return int(
                (
                    await conn.execute(select(audit_head.c.size).where(audit_head.c.id == 1))
                ).scalar_one()
            )

    # --- the guardian's view switch -----------------------------------------------------------

    async def guardian_setting(self, child_id: str) -> Any:
        async with self.db.connect() as conn:
            return (
                await conn.execute(
                    select(guardian_view).where(guardian_view.c.child_id == child_id)
                )
            ).one_or_none()

    async def set_guardian_view(
        self, child_id: str, enabled: bool, reason: str, set_by: str, at: datetime
    ) -> Any:
        values = {"enabled": enabled, "reason": reason, "set_by": set_by, "set_at": at}
        async with self.db.transaction() as conn:
            changed = await conn.execute(
                update(guardian_view).where(guardian_view.c.child_id == child_id).values(**values)
            )
            if changed.rowcount == 0:
                await conn.execute(insert(guardian_view).values(child_id=child_id, **values))
            return (
                await conn.execute(
                    select(guardian_view).where(guardian_view.c.child_id == child_id)
                )
            ).one()

    # --- reading ------------------------------------------------------------------------------

    async def entries(
        self, where: EntryFilter, first: int = 20, before: int | None = None
    ) -> tuple[list[Entry], bool, int]:
        """Up to `first` entries matching `where`, newest first, older than seq `before`;
        whether more follow, and how many match in all."""
        first = max(1, min(first, MAX_PAGE))
        conditions = _conditions(where)
        query: Select[Any] = select(audit_entry.c.seq, audit_entry.c.body, audit_entry.c.hash)
        if conditions:
            query = query.where(and_(*conditions))
        counted = select(func.count()).select_from(audit_entry)
        if conditions:
            counted = counted.where(and_(*conditions))
        if before is not None:
            query = query.where(audit_entry.c.seq < before)
        query = query.order_by(audit_entry.c.seq.desc()).limit(first + 1)
        async with self.db.connect() as conn:
            rows = (await conn.execute(query)).all()
            total = int((await conn.execute(counted)).scalar_one())
        entries = [Entry(int(r.seq), bytes(r.body), bytes(r.hash)) for r in rows[:first]]
        return entries, len(rows) > first, total


def _conditions(where: EntryFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.child_id is not None:
        conditions.append(
            exists().where(
                audit_child.c.seq == audit_entry.c.seq, audit_child.c.child_id == where.child_id
            )
        )
    if where.actor is not None:
        conditions.append(audit_entry.c.actor == where.actor)
    if where.since is not None:
        conditions.append(audit_entry.c.at >= where.since)
    if where.until is not None:
        conditions.append(audit_entry.c.at < where.until)
    if where.outcome is not None:
        conditions.append(audit_entry.c.outcome == where.outcome)
    for bases in _basis_sets(where):
        conditions.append(
            exists().where(audit_basis.c.seq == audit_entry.c.seq, audit_basis.c.basis.in_(bases))
        )
    return conditions


def _basis_sets(where: EntryFilter) -> Iterable[list[str]]:
    if where.basis is not None:
        yield [where.basis]
    if where.any_basis is not None:
        yield list(where.any_basis) or [""]  # none awaiting review: nothing matches


class _SqliteAppender:
    """Appends to a SQLite access log in one worker-thread hop per transaction: the statements
    run in the driver, not one event-loop round trip each through SQLAlchemy's async bridge
    (a one-record transaction cost ~4 ms of CPU that way, mostly in the bridge). The same
    statements and the same locking as the portable path: `BEGIN IMMEDIATE` takes the database's
    write lock, the head row is read, the entries and their index rows inserted, the head moved
    only from the size it was read at."""

    _ENTRY = (
        "INSERT INTO audit_entry (seq, body, hash, at, actor, role, agency, purpose, outcome) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_url(cls, url: str) -> _SqliteAppender | None:
        database = make_url(url).database
        if not database or database == ":memory:":
            return None
        return cls(database)

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, timeout=5
            )
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=FULL",  # durable when COMMIT returns
                "PRAGMA foreign_keys=ON",
                "PRAGMA busy_timeout=5000",
            ):
                connection.execute(pragma)
            self._connection = connection
        return self._connection

    def write(self, records: list[Mapping[str, Any]]) -> int:
        with self._lock:
            try:
                connection = self._connect()
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise AuditStoreUnavailable(str(error)) from None
            try:
                found = connection.execute(
                    "SELECT size, head FROM audit_head WHERE id = 1"
                ).fetchone()
                if found is None:
                    raise AuditStoreUnavailable("the audit store has no head row (not migrated?)")
                size, previous = int(found[0]), bytes(found[1])
                rows = chained(size, previous, records)
                connection.executemany(
                    self._ENTRY,
                    [
                        (
                            r.seq,
                            r.body,
                            r.hash,
                            r.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
                            r.actor,
                            r.role,
                            r.agency,
                            r.purpose,
                            r.outcome,
                        )
                        for r in rows
                    ],
                )
                connection.executemany(
                    "INSERT INTO audit_child (seq, child_id) VALUES (?, ?)",
                    [(r.seq, c) for r in rows for c in r.children],
                )
                connection.executemany(
                    "INSERT INTO audit_basis (seq, basis) VALUES (?, ?)",
                    [(r.seq, b) for r in rows for b in r.bases],
                )
                moved = connection.execute(
                    "UPDATE audit_head SET size = ?, head = ? WHERE id = 1 AND size = ?",
                    (rows[-1].seq, rows[-1].hash, size),
                )
                if moved.rowcount != 1:
                    raise AuditStoreUnavailable("the chain's head moved during the append")
                connection.execute("COMMIT")
            except BaseException as failure:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                if isinstance(failure, sqlite3.Error):
                    raise AuditStoreUnavailable(str(failure)) from None
                raise
            return size + 1

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
