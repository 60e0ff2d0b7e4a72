"""Benchmark: seed a synthetic world into fresh SQLite files or PostgreSQL databases and time it."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

import asyncpg

from satu_anak.synthetic.loader import SUBGRAPHS, SeedReport, seed
from subgraphs.common.settings import SubgraphSettings

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


async def bench_sqlite(children: int, seed_value: int, chunk_size: int) -> SeedReport:
    with tempfile.TemporaryDirectory(prefix="satu-anak-bench-") as folder:
        settings = {
            name: SubgraphSettings(name, f"sqlite+aiosqlite:///{Path(folder) / f'{name}.db'}")
            for name in SUBGRAPHS
        }
        return await seed(
            children, seed_value, settings, ground_truth_dir=Path(folder), chunk_size=chunk_size
        )


async def bench_postgres(
    children: int, seed_value: int, chunk_size: int, admin_url: str, keep: bool
) -> SeedReport:
    base = admin_url.replace("+asyncpg", "").rsplit("/", 1)[0]
    names = {name: f"satu_anak_bench_{name}" for name in SUBGRAPHS}
    admin = await asyncpg.connect(admin_url.replace("+asyncpg", ""))
    try:
        for database in names.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{database}"')
        settings = {
            name: SubgraphSettings(
                name, f"{base}/{database}".replace("postgresql://", "postgresql+asyncpg://", 1)
            )
            for name, database in names.items()
        }
        with tempfile.TemporaryDirectory(prefix="satu-anak-bench-") as folder:
            return await seed(
                children, seed_value, settings, ground_truth_dir=Path(folder), chunk_size=chunk_size
            )
    finally:
        if not keep:
            for database in names.values():
                await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, nargs="+", default=[2000])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--chunk-size", type=int, default=20_000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SATU_ANAK_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="an admin connection; the benchmark creates satu_anak_bench_* databases beside it",
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    parser.add_argument("--details", action="store_true", help="print rows per table too")
    args = parser.parse_args()
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    results: list[tuple[str, SeedReport]] = []
    for children in args.children:
        for backend in backends:
            if backend == "sqlite":
                report = asyncio.run(bench_sqlite(children, args.seed, args.chunk_size))
            else:
                report = asyncio.run(
                    bench_postgres(
                        children, args.seed, args.chunk_size, args.postgres_url, args.keep
                    )
                )
            results.append((backend, report))
            if args.details:
                print(report.summary(), flush=True)
    print(f"{'backend':<10} {'children':>10} {'rows total':>12} {'seconds':>9} {'rows/s':>10}")
    for backend, report in results:
        rate = report.total_rows / report.seconds if report.seconds else 0.0
        print(
            f"{backend:<10} {report.children:>10} {report.total_rows:>12} "
            f"{report.seconds:>9.1f} {rate:>10.0f}"
        )


if __name__ == "__main__":
    main()
