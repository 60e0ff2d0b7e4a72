"""Blocking recall: is the true registry person among those candidate retrieval finds?

Run: PYTHONPATH=. .venv/bin/python bench/identity/blocking_recall.py [--children 50000 --seed 42]
     [--data-dir DIR]

Without ``--data-dir`` a world of ``--children`` children is seeded into a temp dir (as
``satu-anak seed`` does) and removed afterwards; with it, that folder's ``disdukcapil.db`` and
``identity_ground_truth.csv`` are read as they are. For every matchable undocumented child of the
ground truth (a ``person_id``), ``store.child_record`` gathers what the agencies reported, the
record's blocks run against the registry exactly as ``store.candidates`` runs them, and the child
counts as found when its true person is among the people retrieved (before scoring: this measures
blocking, not ranking). Printed: recall overall and by variation kind, people retrieved per query
(median, p95, max), and what each kind of block contributes (the children only that kind found,
and recall without it).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from resolution import store
from resolution.blocking import query_blocks
from satu_anak.synthetic.loader import GROUND_TRUTH_FILE, seed
from subgraphs.common.settings import SubgraphSettings


@dataclass(frozen=True)
class Truth:
    child_id: str
    person_id: int
    variations: tuple[str, ...]


@dataclass
class Tally:
    queries: int = 0
    found: int = 0
    by_variation: Counter[str] = field(default_factory=Counter)
    found_by_variation: Counter[str] = field(default_factory=Counter)
    people: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    only_kind: Counter[str] = field(default_factory=Counter)  # found by this block kind alone
    misses: list[str] = field(default_factory=list)

    def add(self, truth: Truth, found: bool) -> None:
        self.queries += 1
        self.found += found
        for kind in truth.variations or ("none",):
            self.by_variation[kind] += 1
            self.found_by_variation[kind] += found


def read_truth(path: Path) -> list[Truth]:
    with path.open(newline="", encoding="utf-8") as f:
        return [
            Truth(row["child_id"], int(row["person_id"]), _variations(row["variations"]))
            for row in csv.DictReader(f)
            if row["person_id"]
        ]


def _variations(text: str) -> tuple[str, ...]:
    return tuple(v for v in text.split(";") if v)


async def measure(conn: AsyncConnection, truths: list[Truth], show_misses: int) -> Tally:
    tally = Tally()
    for truth in truths:
        record = await store.child_record(conn, truth.child_id)
        if record is None:
            raise SystemExit(f"{truth.child_id} is in the ground truth but not in the child index")
        started = time.perf_counter()
        blocks = query_blocks(record)
        ids = await store.retrieve(conn, blocks)
        tally.seconds.append(time.perf_counter() - started)
        # Once more, untimed, for what each block returned (which kinds found the person).
        rows = (await conn.execute(store.blocks_statement(blocks))).all() if blocks else []
        found = truth.person_id in ids
        tally.add(truth, found)
        tally.people.append(len(ids))
        tally.rows.append(len(rows))
        tally.blocks.append(len(blocks))
        kinds = {str(blocks[r.block].kind) for r in rows if r.id == truth.person_id}
        if len(kinds) == 1:
            tally.only_kind[kinds.pop()] += 1
        if not found and len(tally.misses) < show_misses:
            tally.misses.append(f"{truth.child_id} {truth.variations} {record}")
    return tally


def _percentile(values: list[int] | list[float], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))]) if ordered else 0.0


def report(tally: Tally) -> str:
    lines = [
        f"matchable undocumented children: {tally.queries}",
        f"blocking recall: {tally.found}/{tally.queries} = {tally.found / tally.queries:.4%}",
        "",
        "| variation | children | found | recall |",
        "|---|---:|---:|---:|",
    ]
    for kind, n in sorted(tally.by_variation.items(), key=lambda kv: -kv[1]):
        got = tally.found_by_variation[kind]
        lines.append(f"| {kind} | {n} | {got} | {got / n:.2%} |")
    lines += [
        "",
        "| per query | median | p95 | max |",
        "|---|---:|---:|---:|",
        _row("blocks", tally.blocks),
        _row("rows returned by the blocks", tally.rows),
        _row("distinct people retrieved", tally.people),
        _row("retrieval ms", [s * 1000 for s in tally.seconds]),
        "",
        "true person found by one kind of block only (recall lost without it):",
    ]
    for kind, n in tally.only_kind.most_common():
        lines.append(f"  {kind}: {n} ({n / tally.queries:.2%})")
    if tally.misses:
        lines += ["", "misses:", *(f"  {m}" for m in tally.misses)]
    return "\n".join(lines)


def _row(label: str, values: list[int] | list[float]) -> str:
    med, p95, top = statistics.median(values), _percentile(values, 0.95), max(values)
    return f"| {label} | {med:.1f} | {p95:.1f} | {top:.1f} |"


async def run(data_dir: Path, show_misses: int) -> Tally:
    truths = read_truth(data_dir / GROUND_TRUTH_FILE)
    engine = create_async_engine(f"sqlite+aiosqlite:///{data_dir / 'disdukcapil.db'}")
    try:
        async with engine.connect() as conn:
            return await measure(conn, truths, show_misses)
    finally:
        await engine.dispose()


async def seed_into(folder: Path, children: int, seed_value: int) -> None:
    settings = {
        name: SubgraphSettings.from_env(name, {"SATU_ANAK_DATA_DIR": str(folder)})
        for name in ("disdukcapil", "dinsos", "pkh", "balai", "consent")
    }
    await seed(children, seed_value, settings, ground_truth_dir=folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", type=Path, help="a seeded data folder (default: seed one)")
    parser.add_argument("--misses", type=int, default=20, help="misses to print")
    args = parser.parse_args()
    if args.data_dir is not None:
        tally = asyncio.run(run(args.data_dir, args.misses))
    else:
        with tempfile.TemporaryDirectory(prefix="blocking-recall-") as tmp:
            folder = Path(tmp)
            asyncio.run(seed_into(folder, args.children, args.seed))
            tally = asyncio.run(run(folder, args.misses))
    print(report(tally))
    return 0


if __name__ == "__main__":
    sys.exit(main())
