"""Candidate retrieval's latency over a large registry: one child's candidates, p50/p95.

Run: PYTHONPATH=. .venv/bin/python bench/identity/retrieval_latency.py --db FILE.db
     [--persons 1500000] [--queries 200] [--seed 7]

Builds (once; reused when FILE.db exists) a SQLite file with Disdukcapil's ``family`` and
``person`` tables and their key indexes, holding ``--persons`` registry persons in households of
the synthetic world's regions and naming traditions (``satu_anak.synthetic.names``: realistic
name frequencies, parents with older names, children with their mother's name), keyed by
``resolution.blocking.registry_keys``. Then draws ``--queries`` children of the registry and
records them as an agency without documents would (a name variant half the time, a blurred date
a third of the time, the mother 70 %, another kabupaten 10 %), and times, per query, over one
connection: retrieval alone (the blocks' statement and loading the people) and the whole of
``store.candidates`` (with whatever model ``resolution.model`` holds). Prints p50/p95/max, the
people retrieved per query and the share of queries whose true person was retrieved.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine

from resolution import store
from resolution.blocking import query_blocks, registry_keys
from resolution.model import Model
from resolution.names import normalize_name
from resolution.records import ChildRecord
from satu_anak.synthetic import regions
from satu_anak.synthetic.names import generate_family_names, name_variant
from subgraphs.disdukcapil import tables as t

PERSON_COLUMNS = (
    "id", "nik", "kk_number", "full_name", "normalized_name", "sex", "birth_date", "birth_place",
    "mother_name", "father_name", "relationship", "region_code", "birth_certificate_number",
    "name_key", "name_key2", "mother_key", "birth_year",
)  # fmt: skip
Person = tuple[object, ...]


def households(rng: random.Random) -> Iterator[tuple[tuple[object, ...], list[Person]]]:
    """Endless households: (family row, persons without ids)."""
    number = 0
    while True:
        number += 1
        desa = regions.random_desa(rng)
        kid_sexes = [rng.choice("MF") for _ in range(rng.choice((1, 1, 2, 2, 3, 4)))]
        names = generate_family_names(rng, kid_sexes[0], province=desa[:2])
        kk = f"{desa[:2]}{desa[3:5]}{desa[6:8]}{number:010d}"[-16:]
        mother_birth = date(rng.randint(1962, 2000), rng.randint(1, 12), rng.randint(1, 28))
        father_birth = date(mother_birth.year - rng.randint(0, 6), rng.randint(1, 12), 1)
        people: list[Person] = [
            _person(names.father, "M", father_birth, None, None, "HEAD", desa, kk),
            _person(names.mother, "F", mother_birth, None, None, "SPOUSE", desa, kk),
        ]
        for i, sex in enumerate(kid_sexes):
            name = (
                names.child
                if i == 0
                else generate_family_names(rng, sex, culture=names.culture).child
            )
            first = mother_birth.year + 18
            born = date(rng.randint(min(first, 2025), 2026), rng.randint(1, 10), rng.randint(1, 28))
            people.append(_person(name, sex, born, names.mother, names.father, "CHILD", desa, kk))
        yield (kk, names.father, desa, "Jl. Merdeka", date(2020, 1, 1)), people


def _person(
    name: str, sex: str, born: date, mother: str | None, father: str | None, relation: str,
    desa: str, kk: str,
) -> Person:  # fmt: skip
    return (
        kk, name, normalize_name(name), sex, born.isoformat(), "Pekanbaru", mother, father,
        relation, desa, None, *registry_keys(name, mother, born),
    )  # fmt: skip


def build(path: Path, persons: int, seed: int) -> None:
    """The registry file: tables from Disdukcapil's metadata, rows in bulk, indexes last."""
    engine = create_engine(f"sqlite:///{path}")
    t.metadata.create_all(engine, tables=[t.family, t.person])
    engine.dispose()
    db = sqlite3.connect(path)
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"
    ).fetchall()
    for name, _sql in indexes:
        db.execute(f"DROP INDEX {name}")
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    rng = random.Random(seed)
    made, started = 0, time.perf_counter()
    families: list[tuple[object, ...]] = []
    rows: list[Person] = []
    for family, people in households(rng):
        families.append(family)
        for p in people:
            made += 1
            rows.append((made, f"{made:016d}", *p))
        if len(rows) >= 50_000 or made >= persons:
            db.executemany("INSERT INTO family VALUES (?,?,?,?,?)", families)
            marks = ",".join("?" * len(PERSON_COLUMNS))
            db.executemany(
                f"INSERT INTO person ({','.join(PERSON_COLUMNS)}) VALUES ({marks})", rows
            )
            families, rows = [], []
        if made >= persons:
            break
    db.commit()
    print(f"{made} persons written in {time.perf_counter() - started:.0f} s", flush=True)
    for _name, sql in indexes:
        db.execute(sql)
    db.execute("ANALYZE")
    db.commit()
    db.close()
    print(f"indexed in {time.perf_counter() - started:.0f} s total", flush=True)


def queries(path: Path, count: int, seed: int) -> list[tuple[int, ChildRecord]]:
    """Children of the registry, recorded as an agency without their documents would."""
    rng = random.Random(seed + 1)
    db = sqlite3.connect(path)
    (top,) = db.execute("SELECT max(id) FROM person").fetchone()
    kabupaten = sorted({d.code[:5] for d in regions.all_desa()})
    picked: list[tuple[int, ChildRecord]] = []
    while len(picked) < count:
        row = db.execute(
            "SELECT id, full_name, birth_date, mother_name, region_code, sex FROM person "
            "WHERE id = ? AND relationship = 'CHILD'",
            (rng.randint(1, top),),
        ).fetchone()
        if row is None:
            continue
        pid, name, born, mother, region, sex = row
        if rng.random() < 0.5:
            with contextlib.suppress(ValueError):  # no variant applies: the name as it is
                name = name_variant(rng, name)[0]
        birth: date | None = date.fromisoformat(born)
        exact = True
        if rng.random() < 0.33:
            exact = False
            birth = None if rng.random() < 0.1 else date(birth.year + rng.choice((-1, 0, 1)), 7, 1)
        if rng.random() < 0.1:
            region = rng.choice(kabupaten) + ".01.1001"
        picked.append((pid, ChildRecord(
            names=(name,), sex=sex, birth_date=birth, birth_date_exact=exact,
            region_codes=(region,), mother_names=(mother,) if mother and rng.random() < 0.7 else (),
        )))  # fmt: skip
    db.close()
    return picked


async def measure(path: Path, picked: list[tuple[int, ChildRecord]]) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    keyed: list[float] = []
    retrieval: list[float] = []
    whole: list[float] = []
    whole_cpu: list[float] = []  # the process's CPU time: what the wall time is on an idle machine
    people: list[int] = []
    found = 0
    model = Model.load()  # once, as a server or a batch does
    async with engine.connect() as conn:
        for _pid, record in picked[:10]:  # warm the connection and the page cache a little
            await store.candidates(conn, record, model=model)
        for pid, record in picked:
            started = time.perf_counter()
            ids = await store.retrieve(conn, query_blocks(record))
            keyed.append(time.perf_counter() - started)
            await store.load_people(conn, ids)
            retrieval.append(time.perf_counter() - started)
            started, cpu = time.perf_counter(), time.process_time()
            await store.candidates(conn, record, model=model)
            whole.append(time.perf_counter() - started)
            whole_cpu.append(time.process_time() - cpu)
            people.append(len(ids))
            found += pid in ids
    await engine.dispose()
    print(f"queries: {len(picked)}; true person retrieved: {found / len(picked):.1%}")
    print("| per query | p50 | p95 | max |")
    print("|---|---:|---:|---:|")
    timings = (
        ("blocks ms (one statement)", keyed),
        ("retrieval ms (blocks + loading the people)", retrieval),
        ("candidates ms (retrieval + model)", whole),
        ("candidates CPU ms (all threads of the process)", whole_cpu),
    )
    for label, values in timings:
        ms = sorted(v * 1000 for v in values)
        print(
            f"| {label} | {statistics.median(ms):.1f} | {ms[int(0.95 * len(ms))]:.1f} | {ms[-1]:.1f} |"
        )
    ordered = sorted(people)
    print(
        f"| people retrieved | {statistics.median(ordered):.0f} | {ordered[int(0.95 * len(ordered))]} | {ordered[-1]} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--persons", type=int, default=1_500_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not args.db.exists():
        build(args.db, args.persons, args.seed)
    asyncio.run(measure(args.db, queries(args.db, args.queries, args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
