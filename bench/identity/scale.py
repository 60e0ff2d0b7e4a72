"""Scale benchmark of the identity bulk tools: import, single-record candidates, batch match.

    python -m bench.identity.scale --people 1000000 --scratch /work/scratch-bulk

For each backend (SQLite file, PostgreSQL database): a fresh database, `satu-anak identity
import-registry` of a generated N-person registry (wall seconds, rows/s, peak RSS of the largest
process, database size), then ``resolution.store.candidates`` over 500 single queries (p50/p95,
after 20 warm-up queries; each record also as an index child without a NIK, whose blocks cut the
persons other index children hold first) and `satu-anak identity match` of a 2,000-record batch
(seconds, and the share of queries whose true person is ranked first / in the top 5). Prints a
Markdown table. Large files go to --scratch, never into the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
AS_OF = "2026-11-01"  # the generator's reference date: the queries' ages are counted to it


@dataclass
class Result:
    backend: str
    import_seconds: float = 0.0
    rows: int = 0
    peak_rss_mb: float = 0.0
    size_mb: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    child_p50_ms: float = 0.0  # the same records as index children without a NIK
    child_p95_ms: float = 0.0
    batch_seconds: float = 0.0
    top1: float = 0.0
    top5: float = 0.0
    summary: str = ""
    load_before: str = ""  # load averages (1, 5, 15 min) when the backend's run began


def _run(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB of the largest process, stdout) of a command."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    out = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    return seconds, usage.ru_maxrss / 1024, out


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "satu_anak.cli", "identity", *args]


async def _fresh_postgres(admin_url: str, name: str) -> str:
    import asyncpg

    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


async def _drop_postgres(admin_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _postgres_size(url: str) -> float:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        size: int = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    return size / 2**20


async def _single_queries(
    url: str, records: Path, count: int, warm: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """p50 and p95 milliseconds of ``candidates`` for one record at a time: as a record typed
    in, and as an index child without a NIK (whose blocks cut held persons first), the two
    alternately for each record."""
    from resolution.batch import read_records
    from resolution.store import candidates
    from subgraphs.common.database import create_engine
    from subgraphs.common.settings import normalize_database_url

    rows, _ = read_records(records, date.fromisoformat(AS_OF))
    engine = create_engine(normalize_database_url(url))
    times: tuple[list[float], list[float]] = ([], [])
    try:
        async with engine.connect() as conn:
            for _line, record in rows[-warm:]:
                await candidates(conn, record, top=5)
                await candidates(conn, replace(record, indexed=True), top=5)
            for i, (_line, record) in enumerate(rows[:count]):
                ways = ((0, record), (1, replace(record, indexed=True)))
                for way, query in ways if i % 2 else reversed(ways):
                    started = time.perf_counter()
                    await candidates(conn, query, top=5)
                    times[way].append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    typed, child = ((statistics.median(t), statistics.quantiles(t, n=20)[18]) for t in times)
    return typed, child


def _hits(records: Path, candidates: Path) -> tuple[float, float]:
    truth = {r["record_id"]: r.get("true_nik", "") for r in csv.DictReader(records.open())}
    ranks: dict[str, int] = {}
    for row in csv.DictReader(candidates.open()):
        if row["nik"] == truth.get(row["record_id"]):
            ranks[row["record_id"]] = int(row["rank"])
    total = len(truth) or 1
    return (
        sum(1 for r in ranks.values() if r == 1) / total,
        sum(1 for r in ranks.values() if r <= 5) / total,
    )


def bench_backend(backend: str, url: str, registry: Path, records: Path, scratch: Path) -> Result:
    result = Result(backend, load_before=" ".join(f"{x:.1f}" for x in os.getloadavg()))
    seconds, rss, out = _run(_cli("import-registry", str(registry), "--database-url", url))
    result.import_seconds, result.peak_rss_mb = seconds, rss
    result.summary = out.strip()
    result.rows = int(out.split("loaded ", 1)[1].split(",", 1)[0])
    if backend == "sqlite":
        result.size_mb = Path(url.split("///", 1)[1]).stat().st_size / 2**20
    else:
        result.size_mb = asyncio.run(_postgres_size(url))
    typed, child = asyncio.run(_single_queries(url, records, 500, 20))
    (result.p50_ms, result.p95_ms), (result.child_p50_ms, result.child_p95_ms) = typed, child
    found = scratch / f"candidates-{backend}.csv"
    match = ("match", "--in", str(records), "--out", str(found), "--as-of", AS_OF)
    result.batch_seconds, _rss, _out = _run(_cli(*match, "--database-url", url))
    result.top1, result.top5 = _hits(records, found)
    return result


def table(results: list[Result], people: int) -> str:
    lines = [
        f"Registry of {people:,} people; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"{platform.node()}, {os.cpu_count()} cores; load average now: "
        + " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "",
        "| backend | load before | import s | rows/s | peak RSS MB | DB size MB "
        "| candidates p50 ms | p95 ms | as an index child p50 / p95 ms "
        "| 2,000-record match s | true person 1st / top 5 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.backend} | {r.load_before} | {r.import_seconds:.0f} | {r.rows / r.import_seconds:,.0f} "
            f"| {r.peak_rss_mb:,.0f} | {r.size_mb:,.0f} | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
            f"| {r.child_p50_ms:.1f} / {r.child_p95_ms:.1f} | {r.batch_seconds:.1f} | {r.top1:.1%} / {r.top5:.1%} |"
        )
    for r in results:
        lines += ["", f"{r.backend} import:", "", *(f"    {x}" for x in r.summary.splitlines())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--scratch", type=Path, default=Path("/work/scratch-bulk"))
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="an admin database URL")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--pg-database", help="the PostgreSQL database to (re)create (default: i10_bulk_scale_N)"
    )
    args = parser.parse_args(argv)
    scratch: Path = args.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    registry = scratch / f"registry-{args.people}.csv"
    records = scratch / f"records-{args.people}.csv"
    if not registry.exists() or not records.exists():
        seconds, _rss, _ = _run(
            [sys.executable, "-m", "bench.identity.make_registry", "--people", str(args.people),
             "--out", str(registry), "--records", str(records)]
        )  # fmt: skip
        print(f"generated {registry} in {seconds:.0f} s", file=sys.stderr)
    database = args.pg_database or f"i10_bulk_scale_{args.people}"
    results = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            path = scratch / f"scale-{args.people}.db"
            for leftover in scratch.glob(f"{path.name}*"):
                leftover.unlink()
            url = f"sqlite:///{path}"
        else:
            url = asyncio.run(_fresh_postgres(args.postgres, database))
        results.append(bench_backend(backend, url, registry, records, scratch))
        print(table(results, args.people), file=sys.stderr)
        if args.keep:
            continue
        if backend == "sqlite":
            for leftover in scratch.glob(f"{path.name}*"):
                leftover.unlink()
        else:
            asyncio.run(_drop_postgres(args.postgres, database))
    print(table(results, args.people))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
