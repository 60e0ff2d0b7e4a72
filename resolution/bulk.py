"""Bulk tools: load a registry (SIAK) extract into Disdukcapil's ``person`` table, all or nothing.

``import_registry`` reads a CSV one physical line per record, validates and keys every row in
worker processes (the CPU-heavy half: NIK, dates, region codes, name normalization, blocking
keys), and writes the rows in the parent, in one transaction, with the secondary indexes rebuilt
at the end. A row that fails validation is reported by line and skipped; a failure of the load
itself (or a killed process) leaves the database as it was. ``satu-anak identity match`` lives in
``resolution.batch``.
"""

from __future__ import annotations

import asyncio
import csv
import multiprocessing
import os
import sqlite3
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO, Any, Final, NamedTuple

from sqlalchemy.engine import make_url

from resolution.blocking import registry_keys
from resolution.names import normalize_name
from subgraphs.common.identifiers import (
    InvalidIdentifier,
    parse_nik,
    validate_kk,
    validate_region_code,
)

__all__ = [
    "OPTIONAL_COLUMNS",
    "REGISTRY_COLUMNS",
    "ImportReport",
    "RegistryFileError",
    "Reject",
    "import_registry",
    "split_line",
]

# The columns a registry extract must carry (any order; other columns are ignored).
REGISTRY_COLUMNS: Final = (
    "nik", "full_name", "sex", "birth_date", "birth_place", "region_code", "kk_number",
    "mother_name", "father_name",
)  # fmt: skip
# Read when present: SIAK's status in the family (HEAD, SPOUSE, CHILD, ...).
OPTIONAL_COLUMNS: Final = ("relationship",)
# What an imported row fills, in this order (birth_certificate_number stays empty).
PERSON_COLUMNS: Final = (
    "id", "nik", "kk_number", "full_name", "normalized_name", "sex", "birth_date", "birth_place",
    "mother_name", "father_name", "relationship", "region_code", "name_key", "name_key2",
    "mother_key", "birth_year",
)  # fmt: skip
UNKNOWN_RELATIONSHIP: Final = "UNKNOWN"
_SEX: Final = {"L": "M", "P": "F"}  # laki-laki, perempuan
_MAX_LENGTH: Final = {
    "full_name": 120, "birth_place": 80, "mother_name": 120, "father_name": 120,
    "relationship": 24,
}  # fmt: skip
_BLOCK_BYTES: Final = 1 << 21  # ~13,000 lines: large enough to amortize a task, small to stream
_IN_FLIGHT: Final = 4  # blocks queued per worker pool: bounds memory, keeps both cores busy
_STDERR_REJECTS: Final = 1000  # lines printed; the --rejects file holds them all


class RegistryFileError(Exception):
    """The file cannot be imported at all (unreadable, no header, required columns missing)."""


class Reject(NamedTuple):
    """A skipped row: its line in the file, the field (or ``csv``/``duplicate``) and why."""

    line: int
    field: str
    reason: str


@dataclass
class ImportReport:
    """What an import did."""

    rows_read: int = 0
    loaded: int = 0
    families_created: int = 0
    held: int = 0  # loaded people whose NIK an index child already held (person.held)
    rejects: list[Reject] = field(default_factory=list)
    seconds: float = 0.0
    backend: str = ""
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step

    @property
    def rejected(self) -> Counter[str]:
        return Counter(r.field for r in self.rejects)

    def summary(self) -> str:
        rate = self.rows_read / self.seconds if self.seconds else 0.0
        lines = [
            f"read {self.rows_read} rows, loaded {self.loaded}, rejected {len(self.rejects)}, "
            f"{self.families_created} new families (KK), {self.seconds:.1f} s "
            f"({rate:,.0f} rows/s, {self.backend})"
        ]
        lines += [f"  rejected for {name}: {n}" for name, n in sorted(self.rejected.items())]
        if self.held:
            lines.append(f"  {self.held} loaded people's NIKs are held by index children already")
        if self.phases:
            lines.append("  " + ", ".join(f"{k} {v:.1f} s" for k, v in self.phases.items()))
        return "\n".join(lines)


# --- Parsing and validation (runs in the worker processes) ---------------------------------


def split_line(line: str) -> list[str]:
    """One CSV record written on one line; raises csv.Error for bad quoting."""
    if '"' not in line:
        return line.split(",")
    return next(csv.reader((line,), strict=True))


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each column is in the file, and how the target database wants the rows."""

    index: dict[str, int]  # column -> position, for REGISTRY_COLUMNS and the optional ones
    width: int  # fields per row (the header's)
    id_base: int  # person.id = id_base + line number
    today: date
    dates_as_text: bool  # SQLite keeps dates as ISO text; asyncpg wants date objects


class _Block(NamedTuple):
    rows: list[tuple[Any, ...]]
    rejects: list[Reject]
    read: int


class RowError(Exception):
    """A row's field that fails its check: reported by line, the row skipped."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class _Memo:
    """What one parsing process remembers between blocks: the normal form of names seen (a
    registry repeats its names: ~90 % of a million full names are repeats) and region codes.
    Bounded: emptied when full."""

    LIMIT: Final = 200_000

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.regions: dict[str, str | RowError] = {}

    def normalized(self, name: str) -> str:
        known = self.names.get(name)
        if known is None:
            if len(self.names) >= self.LIMIT:
                self.names.clear()
            known = self.names[name] = normalize_name(name)
        return known


_memo: _Memo | None = None  # a worker process's, made by the pool's initializer


def _start_worker() -> None:
    global _memo
    _memo = _Memo()


def _parse_in_worker(layout: _Layout, first_line: int, data: bytes) -> _Block:
    assert _memo is not None
    return _parse_block(layout, first_line, data, _memo)


def _parse_block(layout: _Layout, first_line: int, data: bytes, memo: _Memo) -> _Block:
    """Rows of a block of whole lines starting at line ``first_line``."""
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines = [_decoded(raw) for raw in data.split(b"\n")]
    if lines and lines[-1] == "":
        lines.pop()
    rows: list[tuple[Any, ...]] = []
    rejects: list[Reject] = []
    read = 0
    for offset, text in enumerate(lines):
        line = first_line + offset
        if text.endswith("\r"):
            text = text[:-1]
        if not text.strip():
            continue
        read += 1
        try:
            rows.append(_person_row(layout, line, text, memo))
        except RowError as bad:
            rejects.append(Reject(line, bad.field, bad.reason))
    return _Block(rows, rejects, read)


def _decoded(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "\x00"  # marks the line as unreadable below


def _person_row(layout: _Layout, line: int, text: str, memo: _Memo) -> tuple[Any, ...]:
    if "\x00" in text:
        raise RowError("csv", "not UTF-8 text, or a NUL character")
    try:
        fields = split_line(text)
    except csv.Error as error:
        raise RowError("csv", f"malformed CSV row: {error}") from None
    if len(fields) != layout.width:
        raise RowError(
            "csv", f"malformed CSV row: {len(fields)} fields, the header has {layout.width}"
        )
    at = layout.index
    nik = fields[at["nik"]].strip()
    sex = _sex(fields[at["sex"]])
    birth = _birth_date(fields[at["birth_date"]], layout.today)
    _check_nik(nik, birth, sex, layout.today)
    region = _region(fields[at["region_code"]], memo.regions)
    kk = _kk(fields[at["kk_number"]])
    full_name = _text(fields, at, "full_name", required=True)
    normalized = memo.normalized(full_name)
    if not normalized:
        raise RowError("full_name", "full_name has no letters")
    mother = _text(fields, at, "mother_name") or None
    father = _text(fields, at, "father_name") or None
    relationship = (
        _text(fields, at, "relationship").upper() if "relationship" in at else ""
    ) or UNKNOWN_RELATIONSHIP
    keys = registry_keys(full_name, mother, birth)
    return (
        layout.id_base + line, nik, kk, full_name, normalized, sex,
        birth.isoformat() if layout.dates_as_text else birth,
        _text(fields, at, "birth_place"), mother, father, relationship, region,
        keys.name_key[:40], keys.name_key2[:40], keys.mother_key[:40], keys.birth_year,
    )  # fmt: skip


def _text(fields: list[str], at: dict[str, int], name: str, *, required: bool = False) -> str:
    value = fields[at[name]].strip()
    if required and not value:
        raise RowError(name, f"{name} is blank")
    if len(value) > _MAX_LENGTH[name]:
        raise RowError(name, f"{name} is longer than {_MAX_LENGTH[name]} characters")
    return value


def _sex(value: str) -> str:
    sex = _SEX.get(value.strip().upper())
    if sex is None:
        raise RowError("sex", "sex must be L or P")
    return sex


def _birth_date(value: str, today: date) -> date:
    text = value.strip()
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise RowError("birth_date", "birth_date must be YYYY-MM-DD")
    return checked_day(text, "birth_date", today, "birth_date is in the future")


def checked_day(text: str, field: str, latest: date, too_late: str) -> date:
    """A real calendar day written YYYY-MM-DD, no later than ``latest`` (else ``too_late``) and
    not before 1900; a RowError naming ``field`` otherwise."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise RowError(field, f"{field} is not a real date") from None
    if day > latest:
        raise RowError(field, too_late)
    if day.year < 1900:
        raise RowError(field, f"{field} is before 1900")
    return day


def _check_nik(nik: str, birth: date, sex: str, today: date) -> None:
    """A NIK encodes the birth date (day + 40 for women) and the kecamatan of first
    registration. The date and sex must agree; the kecamatan need not (people move, the NIK
    stays)."""
    try:
        parts = parse_nik(nik, "nik", today=today)
    except InvalidIdentifier as error:
        raise RowError("nik", error.message) from None
    encoded = parts.birth_date
    expected = (birth.day, birth.month, birth.year % 100)
    if (encoded.day, encoded.month, encoded.year % 100) != expected:
        raise RowError("nik", "NIK date part (digits 7–12) disagrees with birth_date")
    if parts.sex != sex:
        raise RowError("nik", "NIK day part (digits 7–8) disagrees with sex")


def _region(value: str, seen: dict[str, str | RowError]) -> str:
    """A desa-level Kemendagri code: its form, and a province that exists (the project knows
    only some kabupaten, so the lower levels are checked for form, not listed)."""
    known = seen.get(value)
    if known is None:
        try:
            code = validate_region_code(value, "region_code")
            known = (
                code
                if len(code) == 13
                else RowError("region_code", "region_code must be a desa code PP.KK.CC.DDDD")
            )
        except InvalidIdentifier as error:
            known = RowError("region_code", error.message)
        if len(seen) < _Memo.LIMIT:
            seen[value] = known
    if isinstance(known, RowError):
        raise RowError(known.field, known.reason)  # a fresh one: a raise extends its traceback
    return known


def _kk(value: str) -> str:
    try:
        return validate_kk(value.strip(), "kk_number")
    except InvalidIdentifier as error:
        raise RowError("kk_number", error.message) from None


# --- Reading the file in blocks of whole lines ----------------------------------------------


def _header(stream: IO[bytes]) -> tuple[dict[str, int], int, int]:
    """Column positions, the header's field count, and the lines it took (1)."""
    raw = stream.readline()
    if not raw:
        raise RegistryFileError("the file is empty (a header row is required)")
    try:
        names = [n.strip().lower() for n in split_line(raw.decode("utf-8-sig").rstrip("\r\n"))]
    except (UnicodeDecodeError, csv.Error) as error:
        raise RegistryFileError(f"line 1: the header cannot be read: {error}") from None
    missing = [c for c in REGISTRY_COLUMNS if c not in names]
    if missing:
        raise RegistryFileError(f"line 1: the header lacks {', '.join(missing)}")
    wanted = (*REGISTRY_COLUMNS, *OPTIONAL_COLUMNS)
    index = {name: names.index(name) for name in wanted if name in names}
    return index, len(names), 1


def _blocks(stream: IO[bytes], first_line: int) -> Iterator[tuple[int, bytes]]:
    """(first line number, bytes of whole lines) blocks."""
    line = first_line
    while True:
        data = stream.read(_BLOCK_BYTES)
        if not data:
            return
        if not data.endswith(b"\n"):
            data += stream.readline()
        yield line, data
        line += data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def _parsed(blocks: Iterator[tuple[int, bytes]], layout: _Layout, workers: int) -> Iterator[_Block]:
    """Parsed blocks in file order: in ``workers`` processes, at most a few blocks ahead."""
    if workers <= 1:
        memo = _Memo()
        for first, data in blocks:
            yield _parse_block(layout, first, data, memo)
        return
    parse = partial(_parse_in_worker, layout)
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_start_worker) as pool:
        pending: deque[Any] = deque()
        for first, data in blocks:
            pending.append(pool.apply_async(parse, (first, data)))
            if len(pending) >= workers * _IN_FLIGHT:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


# --- Writing: one transaction per import -----------------------------------------------------


class _Target:
    """Disdukcapil's database during one import: begin, rows, families, commit or roll back."""

    existing = 0  # persons before the import
    id_base = 0  # the largest person.id before the import

    async def begin(self, incoming_bytes: int) -> None:
        raise NotImplementedError

    async def registered(self, niks: Sequence[str]) -> set[str]:
        """Which of ``niks`` the registry already holds."""
        raise NotImplementedError

    async def write(self, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    async def add_families(self) -> int:
        """Family (KK) rows for the imported people's KK numbers the table lacks."""
        raise NotImplementedError

    async def mark_held(self) -> int:
        """Marks the added people whose NIK an index child holds already (``person.held``: the
        triggers on ``child`` keep it from then on); how many."""
        raise NotImplementedError

    async def commit(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


# By the child index's NIKs (a few, against the rows added: the NIK's unique index finds each).
_MARK_HELD: Final = (
    "UPDATE person SET held = TRUE "
    "WHERE nik IN (SELECT nik FROM child WHERE nik IS NOT NULL) AND id > $1"
)


def _defer_indexes(existing: int, incoming_bytes: int) -> bool:
    # Rebuilding the indexes pays when the import at least doubles the table (~150 bytes a row).
    return existing * 150 < incoming_bytes


def _century_cutoff(today: date) -> int:
    """Two-digit years up to this one are 20yy (as for NIKs: not after today)."""
    return today.year % 100


class _SqliteTarget(_Target):
    """The stdlib driver: a rollback journal for the import (new pages are not journaled, and a
    killed import leaves a hot journal that the next opener rolls back), executemany, the
    secondary indexes dropped inside the transaction and rebuilt before COMMIT."""

    def __init__(self, path: Path, today: date) -> None:
        self.path = path
        self.today = today
        self.conn: sqlite3.Connection | None = None
        self.indexes: list[tuple[str, str]] = []
        self.journal = "wal"
        self.insert = (
            f"INSERT INTO person ({', '.join(PERSON_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(PERSON_COLUMNS))})"
        )

    def _c(self) -> sqlite3.Connection:
        assert self.conn is not None
        return self.conn

    async def begin(self, incoming_bytes: int) -> None:
        conn = self.conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=5000")
        try:  # only when nobody else has the database open
            self.journal = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        except sqlite3.OperationalError:
            self.journal = "wal"
        # temp_store=MEMORY: the index rebuilds sort in memory, not in temporary files
        # (1M rows: 13 -> 10 s for the indexes).
        pragmas = ("synchronous=NORMAL", "cache_size=-1048576", "threads=2", "temp_store=MEMORY")
        for pragma in pragmas:
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("BEGIN IMMEDIATE")
        self.existing, top = conn.execute("SELECT count(*), max(id) FROM person").fetchone()
        self.id_base = top or 0
        if _defer_indexes(self.existing, incoming_bytes):
            # The NIK's UNIQUE index stays (SQLite cannot drop it); the others are rebuilt.
            self.indexes = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'person' AND sql IS NOT NULL"
            ).fetchall()
            for name, _sql in self.indexes:
                conn.execute(f'DROP INDEX "{name}"')

    async def registered(self, niks: Sequence[str]) -> set[str]:
        import json

        found = self._c().execute(
            "SELECT nik FROM person WHERE nik IN (SELECT value FROM json_each(?))",
            (json.dumps(list(niks)),),
        )
        return {nik for (nik,) in found}

    async def write(self, rows: list[tuple[Any, ...]]) -> None:
        self._c().executemany(self.insert, rows)

    async def add_families(self) -> int:
        conn = self._c()
        before = conn.total_changes
        conn.execute(
            """
            INSERT INTO family (kk_number, head_name, region_code, address, issued_on)
            SELECT kk_number, full_name, region_code, '',
                   (CASE WHEN CAST(substr(kk_number, 11, 2) AS INTEGER) <= :cutoff
                         THEN '20' ELSE '19' END)
                   || substr(kk_number, 11, 2) || '-' || substr(kk_number, 9, 2)
                   || '-' || substr(kk_number, 7, 2)
            FROM (
                -- SQLite takes the bare columns from the row that gives min(): the member
                -- marked HEAD, else the oldest.
                SELECT kk_number, full_name, region_code,
                       min((relationship <> 'HEAD') || birth_date || printf('%012d', id))
                FROM person WHERE id > :base GROUP BY kk_number
            ) AS heads
            WHERE kk_number NOT IN (SELECT kk_number FROM family)
            """,
            {"cutoff": _century_cutoff(self.today), "base": self.id_base},
        )
        return conn.total_changes - before

    async def mark_held(self) -> int:
        conn = self._c()
        before = conn.total_changes
        conn.execute(_MARK_HELD.replace("$1", ":base"), {"base": self.id_base})
        return conn.total_changes - before

    async def commit(self) -> None:
        conn = self._c()
        for _name, sql in self.indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        self.indexes = []
        conn.execute("PRAGMA analysis_limit=1000")
        conn.execute("ANALYZE person")
        conn.execute("ANALYZE family")

    async def close(self) -> None:
        if self.conn is None:
            return
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        if self.journal != "wal":
            self.conn.execute("PRAGMA journal_mode=WAL")  # what the subgraph runs with
        self.conn.close()
        self.conn = None


class _PostgresTarget(_Target):
    """asyncpg: binary COPY inside one transaction; the seeder's sink defers the indexes and
    foreign keys and rebuilds them, moves the sequences on and commits."""

    def __init__(self, dsn: str, today: date) -> None:
        from satu_anak.synthetic.loader import _PostgresSink

        self.sink = _PostgresSink("disdukcapil", dsn)
        self.today = today

    async def begin(self, incoming_bytes: int) -> None:
        sink = self.sink
        await sink.open()
        conn = sink.connection
        if _defer_indexes(await conn.fetchval("SELECT count(*) FROM person"), incoming_bytes):
            await sink.write({})  # the sink's first write opens the transaction and defers
        else:
            sink.transaction = conn.transaction()
            await sink.transaction.start()
        await conn.execute("LOCK TABLE person, family IN SHARE ROW EXCLUSIVE MODE")
        self.existing, top = await conn.fetchrow("SELECT count(*), max(id) FROM person")
        self.id_base = top or 0

    async def registered(self, niks: Sequence[str]) -> set[str]:
        found = await self.sink.connection.fetch(
            "SELECT nik FROM person WHERE nik = ANY($1::text[])", list(niks)
        )
        return {r["nik"] for r in found}

    async def write(self, rows: list[tuple[Any, ...]]) -> None:
        await self.sink.connection.copy_records_to_table(
            "person", records=rows, columns=list(PERSON_COLUMNS)
        )

    async def add_families(self) -> int:
        conn = self.sink.connection
        await conn.execute("SET LOCAL work_mem = '256MB'")
        status: str = await conn.execute(
            """
            INSERT INTO family (kk_number, head_name, region_code, address, issued_on)
            SELECT DISTINCT ON (kk_number) kk_number, full_name, region_code, '',
                   make_date(
                       CASE WHEN substr(kk_number, 11, 2)::int <= $2 THEN 2000 ELSE 1900 END
                       + substr(kk_number, 11, 2)::int,
                       substr(kk_number, 9, 2)::int, substr(kk_number, 7, 2)::int)
            FROM person p
            WHERE id > $1
              AND NOT EXISTS (SELECT 1 FROM family f WHERE f.kk_number = p.kk_number)
            ORDER BY kk_number, relationship <> 'HEAD', birth_date, id
            """,
            self.id_base,
            _century_cutoff(self.today),
        )
        return int(status.rsplit(" ", 1)[1])

    async def mark_held(self) -> int:
        status: str = await self.sink.connection.execute(_MARK_HELD, self.id_base)
        return int(status.rsplit(" ", 1)[1])

    async def commit(self) -> None:
        await self.sink.finish()
        # Marks the new pages all-visible, without which PostgreSQL cannot answer retrieval from
        # the covering key indexes alone (migration 0005) and fetches every row from the table
        # until autovacuum gets round to it. Outside the transaction (VACUUM cannot run in one):
        # the rows are committed; pages already all-visible are skipped.
        await self.sink.connection.execute("VACUUM person")

    async def close(self) -> None:
        await self.sink.close()


def _target(url: str, today: date) -> tuple[_Target, str]:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise RegistryFileError("importing into SQLite needs a database file")
        return _SqliteTarget(Path(parsed.database), today), "sqlite"
    if backend == "postgresql":
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return _PostgresTarget(dsn, today), "postgresql"
    raise RegistryFileError(f"cannot import into a {backend} database")


async def _migrated(url: str) -> None:
    from subgraphs.common.database import create_engine
    from subgraphs.common.migrations import upgrade

    engine = create_engine(url)
    try:
        await upgrade("subgraphs.disdukcapil", engine)
    finally:
        await engine.dispose()


# --- The import ------------------------------------------------------------------------------


async def import_registry(
    path: Path,
    database_url: str,
    *,
    workers: int | None = None,
    today: date | None = None,
    on_reject: Callable[[Reject], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Load ``path`` into Disdukcapil's registry at ``database_url`` (migrated first).

    Valid rows are loaded in one transaction; each invalid one is reported (``on_reject``, as
    it is found; all of them in the report, by line) and skipped. ``progress`` is told the
    rows written so far after each block. Raises RegistryFileError when the file cannot be
    imported at all; any other failure rolls the whole import back.
    """
    from subgraphs.common.settings import normalize_database_url

    started = time.perf_counter()
    today = today or date.today()
    database_url = normalize_database_url(database_url)
    report = ImportReport()
    target, report.backend = _target(database_url, today)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    size = os.stat(path).st_size
    with path.open("rb") as stream:
        index, width, header_lines = _header(stream)
        await _migrated(database_url)
        if size <= _BLOCK_BYTES:
            workers = 1  # forking costs more than it saves
        clock = _Clock(report.phases)
        try:
            await target.begin(size)
            clock.lap("begin")
            layout = _Layout(index, width, target.id_base, today, report.backend == "sqlite")
            blocks = _parsed(_blocks(stream, header_lines + 1), layout, workers)
            await _load(blocks, target, report, on_reject, progress)
            clock.lap("rows")
            report.families_created = await target.add_families()
            report.held = await target.mark_held()
            clock.lap("families")
            await target.commit()
            clock.lap("indexes and commit")
        finally:
            await target.close()
    report.rejects.sort()
    report.seconds = time.perf_counter() - started
    return report


class _Clock:
    def __init__(self, laps: dict[str, float]) -> None:
        self.laps = laps
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now


async def _load(
    blocks: Iterator[_Block],
    target: _Target,
    report: ImportReport,
    on_reject: Callable[[Reject], None] | None,
    progress: Callable[[int], None] | None,
) -> None:
    seen: set[int] = set()  # NIKs as integers: a third of the memory of strings
    check_registry = target.existing > 0
    for block in blocks:
        report.rows_read += block.read
        rejects = list(block.rejects)
        rows = _first_of_each_nik(block.rows, seen, target.id_base, rejects)
        if check_registry and rows:
            known = await target.registered([row[1] for row in rows])
            if known:
                rejects += [
                    Reject(row[0] - target.id_base, "duplicate", "NIK already in the registry")
                    for row in rows
                    if row[1] in known
                ]
                rows = [row for row in rows if row[1] not in known]
        if rows:
            await target.write(rows)
            report.loaded += len(rows)
        rejects.sort()
        report.rejects += rejects
        if on_reject is not None:
            for reject in rejects:
                on_reject(reject)
        if progress is not None:
            progress(report.loaded)


def _first_of_each_nik(
    rows: list[tuple[Any, ...]], seen: set[int], id_base: int, rejects: list[Reject]
) -> list[tuple[Any, ...]]:
    """The rows whose NIK no earlier line had; the others become rejects."""
    kept = []
    add = seen.add
    for row in rows:
        key = int(row[1])
        if key in seen:
            rejects.append(Reject(row[0] - id_base, "duplicate", "NIK repeats an earlier line's"))
        else:
            add(key)
            kept.append(row)
    return kept


def print_reject(stream: IO[str] | None = None) -> Callable[[Reject], None]:
    """A reject printer for the command line: the first thousand, then a count at the end."""
    printed = 0

    def show(reject: Reject) -> None:
        nonlocal printed
        printed += 1
        out = stream or sys.stderr
        if printed <= _STDERR_REJECTS:
            print(f"line {reject.line}: {reject.field}: {reject.reason}", file=out)
        elif printed == _STDERR_REJECTS + 1:
            print("(more rejected rows: see --rejects FILE)", file=out)

    return show


def write_rejects(path: Path, rejects: Sequence[Reject]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(("line", "field", "reason"))
        writer.writerows(rejects)


def run_import(
    path: Path,
    database_url: str,
    rejects_path: Path | None = None,
    workers: int | None = None,
) -> tuple[int, ImportReport | None]:
    """The command: exit status and report (None when the file could not be imported)."""
    try:
        report = asyncio.run(
            import_registry(
                path,
                database_url,
                workers=workers,
                on_reject=print_reject(),
                progress=_progress_printer(),
            )
        )
    except (RegistryFileError, OSError) as error:
        print(f"import-registry: {error}", file=sys.stderr)
        return 2, None
    if rejects_path is not None:
        write_rejects(rejects_path, report.rejects)
    print(report.summary())
    return 0, report


def _progress_printer() -> Callable[[int], None]:
    step = 100_000
    shown = 0

    def show(loaded: int) -> None:
        nonlocal shown
        if loaded >= shown + step:
            shown = loaded - loaded % step
            print(f"  {loaded} rows written…", file=sys.stderr, flush=True)

    return show
