"""Bulk-load the synthetic world into every subgraph's database: SQLite files or PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Integer, Numeric, Table
from sqlalchemy.engine import make_url

from satu_anak.synthetic.common import GroundTruth
from satu_anak.synthetic.consents import seeded_cases
from satu_anak.synthetic.stories import STORIES
from satu_anak.synthetic.world import COLUMNS, TABLES, Chunk, generate
from subgraphs.common.database import create_engine
from subgraphs.common.migrations import upgrade
from subgraphs.common.settings import SubgraphSettings, data_dir

__all__ = ["GROUND_TRUTH_COLUMNS", "GROUND_TRUTH_FILE", "SUBGRAPHS", "SeedReport", "seed"]

log = logging.getLogger("satu_anak.seed")

SUBGRAPHS = tuple(TABLES)
GROUND_TRUTH_FILE = "identity_ground_truth.csv"
# person_id blank: no match; negative: "", sibling, twin, namesake or unregistered;
# confuser_person_id: the sibling's, twin's or namesake's registry person (the likely false link).
GROUND_TRUTH_COLUMNS = ("child_id", "person_id", "variations", "negative", "confuser_person_id")


@dataclass
class SeedReport:
    """What a seed run did: rows per subgraph and table, time taken, or why it skipped."""

    children: int
    seed: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: bool = False
    message: str = ""
    # Skipped: how many children the child index already holds (None: it holds none).
    existing_children: int | None = None
    ground_truth_path: Path | None = None
    # The consent registry's seeded cases, one line each (consents.py), for the README's users.
    registry: list[str] = field(default_factory=list)
    # The planted children, one line each (stories.py): there whatever the seed and size.
    stories: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(n for tables in self.counts.values() for n in tables.values())

    def summary(self) -> str:
        if self.skipped:
            return f"seed skipped: {self.message}"
        lines = [
            f"seeded {self.children} children (seed {self.seed}): {self.total_rows} rows "
            f"in {self.seconds:.1f} s"
        ]
        for subgraph, tables in self.counts.items():
            lines.append(f"  {subgraph}: " + ", ".join(f"{t} {n}" for t, n in tables.items()))
        if self.stories:
            lines.append("planted children (stories):")
            lines.extend(f"  {line}" for line in self.stories)
        if self.registry:
            lines.append("consent registry (seeded cases):")
            lines.extend(f"  {line}" for line in self.registry)
        return "\n".join(lines)


async def seed(
    children: int,
    seed: int,
    settings: dict[str, SubgraphSettings] | None = None,
    only_if_empty: bool = True,
    *,
    ground_truth_dir: Path | None = None,
    chunk_size: int = 20_000,
    now: datetime | None = None,
) -> SeedReport:
    """Migrate every subgraph's database and load a world of ``children`` children into it.

    With ``only_if_empty`` (the default) a database that already holds rows is left alone and
    the report says so; without it, existing rows in the seeded tables are deleted first.
    The identity ground truth goes to ``<ground_truth_dir or data dir>/identity_ground_truth.csv``.
    ``now`` is the moment of seeding (default: the clock): the seeded break-glass grant that is in
    force is in force for 23 hours after it; every other row is fixed by the seed.
    """
    moment = now or datetime.now(UTC)
    started = time.perf_counter()
    settings = settings or {name: SubgraphSettings.from_env(name) for name in SUBGRAPHS}
    missing = [name for name in SUBGRAPHS if name not in settings]
    if missing:
        raise ValueError(f"no settings for subgraphs: {', '.join(missing)}")
    report = SeedReport(children=children, seed=seed)
    for name in SUBGRAPHS:
        await _migrate(name, settings[name].database_url)
    sinks = {name: _sink(name, settings[name].database_url) for name in SUBGRAPHS}
    try:
        for sink in sinks.values():
            await sink.open()
        occupied = {name: await sink.occupied() for name, sink in sinks.items()}
        occupied = {name: tables for name, tables in occupied.items() if tables}
        if occupied and only_if_empty:
            report.skipped = True
            if "child" in occupied.get("disdukcapil", ()):
                report.existing_children = await sinks["disdukcapil"].count("child")
                report.message = (
                    f"the child index already holds {report.existing_children} children; "
                    "nothing loaded"
                )
            else:
                report.message = "already holding rows: " + ", ".join(
                    f"{name} ({', '.join(tables)})" for name, tables in occupied.items()
                )
            log.info("seed skipped: %s", report.message)
            return report
        for name in occupied:
            await sinks[name].clear()
        report.counts = {name: dict.fromkeys(COLUMNS[name], 0) for name in SUBGRAPHS}
        target = (ground_truth_dir or data_dir()) / GROUND_TRUTH_FILE
        report.ground_truth_path = await _load(
            children, seed, chunk_size, sinks, report, target, moment
        )
        report.stories = [f"{story.child_id}: {story.description}" for story in STORIES]
        report.registry = [f"{c.table} {c.id}: {c.description}" for c in seeded_cases(moment)]
        for sink in sinks.values():
            await sink.finish()
    finally:
        for sink in sinks.values():
            await sink.close()
    report.seconds = time.perf_counter() - started
    report.message = f"loaded {report.total_rows} rows"
    log.info("seed done", extra={"rows": report.total_rows, "seconds": round(report.seconds, 1)})
    return report


async def _load(
    children: int,
    seed: int,
    chunk_size: int,
    sinks: dict[str, _Sink],
    report: SeedReport,
    target: Path,
    now: datetime,
) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".csv.partial")
    with partial.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(GROUND_TRUTH_COLUMNS)
        async for chunk in _chunks(children, seed, chunk_size, now):
            # Subgraphs are separate databases: write them side by side.
            await asyncio.gather(*(sink.write(chunk.rows[name]) for name, sink in sinks.items()))
            for name, tables in chunk.rows.items():
                counts = report.counts[name]
                for table, rows in tables.items():
                    counts[table] += len(rows)
            writer.writerows(map(_ground_truth_row, chunk.ground_truth))
    partial.replace(target)
    return target


def _ground_truth_row(g: GroundTruth) -> tuple[str, str, str, str, str]:
    return (
        g.child_id,
        "" if g.person_id is None else str(g.person_id),
        ";".join(g.variations),
        g.negative,
        "" if g.confuser_person_id is None else str(g.confuser_person_id),
    )


async def _chunks(children: int, seed: int, chunk_size: int, now: datetime) -> AsyncIterator[Chunk]:
    """The world's chunks, each made on a worker thread so that the event loop stays responsive.

    Generating the next chunk while the databases take the last one was measured slower, not
    faster: both halves are Python code contending for the GIL.
    """
    chunks = generate(children, seed, chunk_size, now)
    while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
        yield chunk


async def _migrate(name: str, url: str) -> None:
    """Alembic to head where the subgraph has migrations; its metadata otherwise."""
    engine = create_engine(url)
    try:
        if _has_migrations(name):
            await upgrade(f"subgraphs.{name}", engine)
        else:
            metadata = TABLES[name][0].metadata
            async with engine.begin() as connection:
                await connection.run_sync(metadata.create_all)
    finally:
        await engine.dispose()


def _has_migrations(name: str) -> bool:
    spec = importlib.util.find_spec(f"subgraphs.{name}")
    if spec is None or not spec.submodule_search_locations:
        return False
    # A subgraph's own revisions (migrations/versions); the environment is shared
    # (subgraphs.common.migration_env).
    return any(
        (Path(location) / "migrations" / "versions").is_dir()
        for location in spec.submodule_search_locations
    )


class _Sink:
    """One subgraph's database during a load."""

    def __init__(self, subgraph: str) -> None:
        self.tables = TABLES[subgraph]
        self.columns = COLUMNS[subgraph]

    async def open(self) -> None: ...

    async def occupied(self) -> list[str]:
        """Tables of ours that already hold rows."""
        raise NotImplementedError

    async def count(self, table: str) -> int:
        """The rows `table` (one of ours) holds."""
        raise NotImplementedError

    async def clear(self) -> None:
        raise NotImplementedError

    async def write(self, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        raise NotImplementedError

    async def finish(self) -> None: ...

    async def close(self) -> None: ...


def _sink(subgraph: str, url: str) -> _Sink:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("seeding SQLite needs a database file, not :memory:")
        return _SqliteSink(subgraph, Path(parsed.database))
    if backend == "postgresql":
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return _PostgresSink(subgraph, dsn)
    raise ValueError(f"cannot seed a {backend} database")


# --- SQLite: the stdlib driver, executemany, one transaction per chunk ---------------------


_Converter = Callable[[tuple[Any, ...]], tuple[Any, ...]]


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_datetime(value: datetime | None) -> str | None:
    # SQLAlchemy keeps SQLite timestamps as naive text with microseconds; aware values as UTC.
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def _sqlite_numeric(value: Decimal | None) -> float | None:
    # SQLAlchemy binds Numeric as float on SQLite and rebuilds the Decimal when reading.
    return None if value is None else float(value)


def _sqlite_converter(table: Table, columns: tuple[str, ...]) -> _Converter | None:
    """A row function turning dates, timestamps and decimals into what SQLAlchemy stores."""
    converters: dict[str, Callable[[Any], Any]] = {}
    parts = []
    for i, name in enumerate(columns):
        kind = table.c[name].type
        convert = (
            _sqlite_datetime if isinstance(kind, DateTime)
            else _sqlite_date if isinstance(kind, Date)
            else _sqlite_numeric if isinstance(kind, Numeric)
            else None
        )  # fmt: skip
        if convert is None:
            parts.append(f"r[{i}]")
        else:
            converters[f"f{i}"] = convert
            parts.append(f"f{i}(r[{i}])")
    if not converters:
        return None
    # Generated once per table: a flat tuple expression is several times faster than a loop.
    function: _Converter = eval(f"lambda r: ({', '.join(parts)},)", converters)
    return function


class _SqliteSink(_Sink):
    def __init__(self, subgraph: str, path: Path) -> None:
        super().__init__(subgraph)
        self.path = path
        self.connection: sqlite3.Connection | None = None
        self.indexes: list[tuple[str, str]] | None = None
        self.statements: dict[str, tuple[str, _Converter | None]] = {}

    def _conn(self) -> sqlite3.Connection:
        assert self.connection is not None
        return self.connection

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are begun and committed explicitly, one per chunk.
        self.connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in (
            "synchronous=OFF",
            "journal_mode=WAL",
            "cache_size=-65536",
            "temp_store=MEMORY",
        ):
            self.connection.execute(f"PRAGMA {pragma}")
        for table in self.tables:
            columns = self.columns[table.name]
            placeholders = ", ".join("?" * len(columns))
            names = ", ".join(f'"{c}"' for c in columns)
            self.statements[table.name] = (
                f'INSERT INTO "{table.name}" ({names}) VALUES ({placeholders})',
                _sqlite_converter(table, columns),
            )

    async def occupied(self) -> list[str]:
        conn = self._conn()
        return [
            t.name
            for t in self.tables
            if conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{t.name}")').fetchone()[0]
        ]

    async def count(self, table: str) -> int:
        assert any(t.name == table for t in self.tables)
        return int(self._conn().execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])

    async def clear(self) -> None:
        conn = self._conn()
        conn.execute("BEGIN")
        for table in reversed(self.tables):
            conn.execute(f'DELETE FROM "{table.name}"')
        conn.execute("COMMIT")

    async def write(self, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        if self.indexes is None:
            await asyncio.to_thread(self._drop_indexes)
        await asyncio.to_thread(self._write, rows)

    def _drop_indexes(self) -> None:
        # Secondary indexes are cheaper to build once at the end than to maintain per row.
        conn = self._conn()
        names = [t.name for t in self.tables]
        marks = ", ".join("?" * len(names))
        self.indexes = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            names,
        ).fetchall()
        for index, _sql in self.indexes:
            conn.execute(f'DROP INDEX "{index}"')

    def _write(self, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            for table, table_rows in rows.items():
                if not table_rows:
                    continue
                statement, convert = self.statements[table]
                conn.executemany(
                    statement, table_rows if convert is None else map(convert, table_rows)
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    async def finish(self) -> None:
        await asyncio.to_thread(self._finish)

    def _finish(self) -> None:
        conn = self._conn()
        for _index, sql in self.indexes or ():
            conn.execute(sql)
        self.indexes = None
        conn.execute("PRAGMA analysis_limit=1000")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        if self.connection is not None:
            if self.indexes:
                # A failed load must not leave the database without its indexes.
                await asyncio.to_thread(self._finish)
            self.connection.close()
            self.connection = None


# --- PostgreSQL: asyncpg binary COPY inside one transaction per database -------------------


class _PostgresSink(_Sink):
    def __init__(self, subgraph: str, dsn: str) -> None:
        super().__init__(subgraph)
        self.dsn = dsn
        self.connection: Any = None
        self.transaction: Any = None
        self.deferred: list[str] = []  # DDL to replay after the load: indexes, then foreign keys

    async def open(self) -> None:
        import asyncpg

        self.connection = await asyncpg.connect(self.dsn)

    async def occupied(self) -> list[str]:
        return [
            t.name
            for t in self.tables
            if await self.connection.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{t.name}")')
        ]

    async def count(self, table: str) -> int:
        assert any(t.name == table for t in self.tables)
        return int(await self.connection.fetchval(f'SELECT count(*) FROM "{table}"'))

    async def clear(self) -> None:
        names = ", ".join(f'"{t.name}"' for t in self.tables)
        await self.connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")

    async def write(self, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        conn = self.connection
        if self.transaction is None:
            # All or nothing: a failed seed leaves the database as it found it.
            self.transaction = conn.transaction()
            await self.transaction.start()
            await self._defer_constraints()
        for table, table_rows in rows.items():
            if table_rows:
                await conn.copy_records_to_table(
                    table, records=table_rows, columns=list(self.columns[table])
                )

    async def _defer_constraints(self) -> None:
        """Drop secondary indexes and foreign keys now; recreate them once the rows are in."""
        conn = self.connection
        names = [t.name for t in self.tables]
        indexes = await conn.fetch(
            """
            SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
            FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_class tc ON tc.oid = i.indrelid
            WHERE tc.relnamespace = current_schema()::regnamespace
              AND tc.relname = ANY($1::text[])
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            names,
        )
        foreign_keys = await conn.fetch(
            """
            SELECT c.conrelid::regclass::text AS tbl, c.conname AS name,
                   pg_get_constraintdef(c.oid) AS definition
            FROM pg_constraint c
            JOIN pg_class tc ON tc.oid = c.conrelid
            WHERE c.contype = 'f' AND tc.relnamespace = current_schema()::regnamespace
              AND tc.relname = ANY($1::text[])
            """,
            names,
        )
        for fk in foreign_keys:
            await conn.execute(f'ALTER TABLE {fk["tbl"]} DROP CONSTRAINT "{fk["name"]}"')
        for index in indexes:
            await conn.execute(f'DROP INDEX "{index["name"]}"')
        self.deferred = [index["definition"] for index in indexes] + [
            f'ALTER TABLE {fk["tbl"]} ADD CONSTRAINT "{fk["name"]}" {fk["definition"]}'
            for fk in foreign_keys
        ]

    async def finish(self) -> None:
        conn = self.connection
        if self.transaction is None:
            return
        # Enough to sort a ten-million-row registry's index keys in memory (256 MB spilled).
        await conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for statement in self.deferred:
            await conn.execute(statement)
        # COPY with explicit ids leaves the sequences at 1: move them past the loaded rows.
        for table in self.tables:
            if "id" in table.c and isinstance(table.c.id.type, Integer):
                sequence = await conn.fetchval(
                    "SELECT pg_get_serial_sequence($1, 'id')", table.name
                )
                if sequence:
                    await conn.execute(
                        f'SELECT setval($1, COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)',
                        sequence,
                    )
        await self.transaction.commit()
        self.transaction = None
        for table in self.tables:
            await conn.execute(f'ANALYZE "{table.name}"')

    async def close(self) -> None:
        if self.connection is None:
            return
        if self.transaction is not None:
            await self.transaction.rollback()
            self.transaction = None
        await self.connection.close()
        self.connection = None
