"""The call-name day blocks at scale: what they cost and find over a large imported registry.

Run: PYTHONPATH=. .venv/bin/python bench/identity/call_name_latency.py --db FILE.db
     [--queries 300] [--seed 5] [--approximate]

``FILE.db``: a SQLite registry imported by ``satu-anak identity import-registry`` (e.g. the one
``bench/identity/scale.py --keep`` leaves, migrations through 0008). Draws ``--queries`` children
of the registry (born in the last 18 years) and records each as the records the call-name day
blocks are for: the generator's call name alone (``satu_anak.synthetic.names.nickname``: the
end of the name reduplicated, a closed last syllable, the first letters, or a known call name),
a family that moved (a desa of another province), no mother, no KK; the birth date written
exactly two times in three, else day and month right under a year one off (approximate). Per
query, over one connection, alternately with and without the call-name day blocks: the
blocks' statement (``store.retrieve``), the call-name day blocks alone, and
``store.candidates`` with the shipped model (before: the same, the call-name day blocks left
out). Prints p50/p95/max, their rows, and how often the true person was retrieved and ranked in
the top 5 with and without them; and how many people share a day and sex in the registry.

``--approximate``: the call-name near blocks instead (``BlockKind.CALL_NAME_NEAR``): every date
approximate, 30 to 240 days off the true one either way, so that the blocks read a range of
the birth-date index (two years of the nation's children) instead of a few days.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from resolution import store
from resolution.blocking import Block, BlockKind, query_blocks
from resolution.model import Model, shipped
from resolution.records import ChildRecord
from satu_anak.synthetic import regions
from satu_anak.synthetic.names import nickname

CHILD_YEARS = 18
LAST_DAY = date(2026, 10, 31)  # the day before the generator's reference date


def records(
    path: Path, count: int, seed: int, kind: BlockKind = BlockKind.CALL_NAME_DAY
) -> list[tuple[int, ChildRecord]]:
    rng = random.Random(seed)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    (top,) = db.execute("SELECT max(id) FROM person").fetchone()
    (newest,) = db.execute("SELECT max(birth_year) FROM person").fetchone()
    desa = [d.code for d in regions.all_desa()]
    picked: list[tuple[int, ChildRecord]] = []
    while len(picked) < count:
        row = db.execute(
            "SELECT id, full_name, birth_date, region_code, sex FROM person "
            "WHERE id = ? AND birth_year > ?",
            (rng.randint(1, top), newest - CHILD_YEARS),
        ).fetchone()
        if row is None:
            continue
        pid, name, born_text, region, sex = row
        born = date.fromisoformat(born_text)
        exact = kind is BlockKind.CALL_NAME_DAY and rng.random() < 2 / 3
        if kind is BlockKind.CALL_NAME_NEAR:
            born = min(born + timedelta(days=rng.choice((-1, 1)) * rng.randint(30, 240)), LAST_DAY)
        elif not exact:
            try:
                born = born.replace(year=born.year + rng.choice((-1, 1)))
            except ValueError:  # 29 February
                continue
        elsewhere = rng.choice([d for d in desa if d[:2] != region[:2]])
        record = ChildRecord(
            names=(nickname(rng, name),), sex=sex, birth_date=born, birth_date_exact=exact,
            region_codes=(elsewhere,), record_id=str(pid),
        )  # fmt: skip
        if any(b.kind is kind for b in query_blocks(record)):
            picked.append((pid, record))
    db.close()
    return picked


def same_day_counts(path: Path, days: int, seed: int) -> list[int]:
    """People of one sex born on one day, for ``days`` random children's days and sexes."""
    rng = random.Random(seed + 1)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    (newest,) = db.execute("SELECT max(birth_year) FROM person").fetchone()
    counts = []
    for _ in range(days):
        day = date(rng.randint(newest - CHILD_YEARS + 1, newest - 1), rng.randint(1, 12),
                   rng.randint(1, 28))  # fmt: skip
        (n,) = db.execute(
            "SELECT count(*) FROM person WHERE birth_date = ? AND sex = ?",
            (day.isoformat(), rng.choice("MF")),
        ).fetchone()
        counts.append(n)
    db.close()
    return counts


async def _timed_candidates(
    conn: AsyncConnection, record: ChildRecord, blocks: list[Block], model: Model
) -> tuple[float, list[int], list[int]]:
    """``store.candidates`` for the given blocks: seconds, people retrieved, the top 5's ids."""
    started = time.perf_counter()
    ids = await store.retrieve(conn, blocks)
    people = await store.load_people(conn, ids)
    ranked = model.rank(record, people, 5)
    seconds = time.perf_counter() - started
    return seconds, ids, [c.person.person_id for c in ranked.candidates]


async def measure(
    path: Path, picked: list[tuple[int, ChildRecord]], kind: BlockKind = BlockKind.CALL_NAME_DAY
) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    timings: dict[str, list[float]] = {k: [] for k in ("day", "after", "before", "c_after",
                                                       "c_before")}  # fmt: skip
    rows: list[int] = []
    added: list[int] = []
    found = {"day": 0, "after": 0, "before": 0, "top5_after": 0, "top5_before": 0}
    async with engine.connect() as conn:
        persons = (await conn.exec_driver_sql("SELECT count(*) FROM person")).scalar() or 0
        model = shipped().with_registry_size(int(persons))
        for _pid, record in picked[:10]:  # warm the connection and the page cache a little
            await store.retrieve(conn, query_blocks(record))
        for pid, record in picked:
            after = query_blocks(record)
            day = [b for b in after if b.kind is kind]
            before = [b for b in after if b.kind is not kind]
            started = time.perf_counter()
            day_rows = (await conn.execute(store.blocks_statement(day))).all()
            timings["day"].append(time.perf_counter() - started)
            rows.append(len(day_rows))
            found["day"] += any(r.id == pid for r in day_rows)
            for label, blocks in (("after", after), ("before", before)):
                started = time.perf_counter()
                await store.retrieve(conn, blocks)
                timings[label].append(time.perf_counter() - started)
            s_after, ids_after, top_after = await _timed_candidates(conn, record, after, model)
            s_before, ids_before, top_before = await _timed_candidates(conn, record, before, model)
            timings["c_after"].append(s_after)
            timings["c_before"].append(s_before)
            added.append(len(set(ids_after) - set(ids_before)))
            found["after"] += pid in ids_after
            found["before"] += pid in ids_before
            found["top5_after"] += pid in top_after
            found["top5_before"] += pid in top_before
    await engine.dispose()
    n = len(picked)
    print(f"registry: {persons} persons; queries: {n} call-name-only records of moved families"
          f" ({kind.value} blocks)")  # fmt: skip
    print(
        f"true person: among the call-name day blocks' rows {found['day'] / n:.1%}; retrieved "
        f"{found['before'] / n:.1%} → {found['after'] / n:.1%}; top 5 "
        f"{found['top5_before'] / n:.1%} → {found['top5_after'] / n:.1%}"
    )
    print(f"people added per query by the blocks: mean {statistics.mean(added):.1f}")
    print("| per query | p50 | p95 | max |")
    print("|---|---:|---:|---:|")
    labels = (
        (f"{kind.value} blocks alone, ms", timings["day"]),
        ("all blocks (store.retrieve) without them, ms", timings["before"]),
        ("all blocks (store.retrieve) with them, ms", timings["after"]),
        ("candidates (retrieve, load, rank) without them, ms", timings["c_before"]),
        ("candidates (retrieve, load, rank) with them, ms", timings["c_after"]),
    )
    for label, values in labels:
        ms = sorted(v * 1000 for v in values)
        print(f"| {label} | {statistics.median(ms):.1f} | {ms[int(0.95 * n)]:.1f} | {ms[-1]:.1f} |")
    ordered = sorted(rows)
    print(f"| rows of the {kind.value} blocks | {statistics.median(ordered):.0f} "
          f"| {ordered[int(0.95 * n)]} | {ordered[-1]} |")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--approximate", action="store_true", help="the call-name near blocks")
    args = parser.parse_args()
    kind = BlockKind.CALL_NAME_NEAR if args.approximate else BlockKind.CALL_NAME_DAY
    counts = sorted(same_day_counts(args.db, 200, args.seed))
    print(
        f"people of one sex born on one day (200 random children's days): median "
        f"{statistics.median(counts):.0f}, p95 {counts[int(0.95 * len(counts))]}, max {counts[-1]}"
    )
    picked = records(args.db, args.queries, args.seed, kind)
    asyncio.run(measure(args.db, picked, kind))
    return 0


if __name__ == "__main__":
    sys.exit(main())
