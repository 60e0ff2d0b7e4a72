"""How often `identityCandidates` withholds the true person's record from the officer.

    PYTHONPATH=. python bench/identity/withheld.py --children 200000 --seed 2

A candidate registered outside the child's kabupaten is shown in full only when the matcher rates
it REVIEW or AUTO_SUGGEST (docs/identity-resolution.md, "Jurisdiction"): for a family that moved,
the officer then sees the true person's score and levels but not the record, and cannot link it
from there. This counts, over the seeder's matchable undocumented children (ground truth), the
true person's place in the top 5 the officer asks for: in the child's kabupaten, in another and
shown, in another and withheld (UNLIKELY) — overall and for the records labelled "moved".
Retrieval and ranking as ``bench/identity/evaluate.py`` does them (the shipped model).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.identity.evaluate import read_ground_truth, retrieve_all, sample_queries
from resolution.explain import Band
from resolution.model import shipped
from resolution.train import read_child_records, seed_world

TOP = 5


def _kabupaten(region: str | None) -> str:
    return (region or "")[:5]


def count(folder: Path) -> tuple[dict[str, Counter[str]], int]:
    with sqlite3.connect(folder / "disdukcapil.db") as db:
        (persons,) = db.execute("SELECT count(*) FROM person").fetchone()
        records = read_child_records(db)
    queries = sample_queries(records, read_ground_truth(folder), random.Random(0))
    matchable = [q for q in queries if q.person_id is not None]
    retrieved = asyncio.run(retrieve_all(folder / "disdukcapil.db", matchable))
    model = shipped().with_registry_size(persons)
    tally: dict[str, Counter[str]] = {"ALL": Counter(), "moved": Counter()}
    for query, people in retrieved:
        answer = model.rank(query.record, people, TOP)
        home = _kabupaten(query.record.region_codes[0] if query.record.region_codes else None)
        place = "not in the top 5"
        for candidate in answer.candidates:
            if candidate.person.person_id == query.person_id:
                if _kabupaten(candidate.person.region_code) == home:
                    place = "in the child's kabupaten"
                elif candidate.band is Band.UNLIKELY:
                    place = "another kabupaten, withheld (UNLIKELY)"
                else:
                    place = "another kabupaten, shown"
        for kind in ("ALL", *(k for k in query.kinds if k == "moved")):
            tally[kind][place] += 1
            tally[kind]["queries"] += 1
    return tally, persons


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, help="an already seeded data directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="identity-withheld-") as tmp:
        folder = args.data_dir or Path(tmp)
        started = time.perf_counter()
        if args.data_dir is None:
            seed_world(args.children, args.seed, folder)
        tally, persons = count(folder)
        seconds = time.perf_counter() - started
    print(
        f"Command: `PYTHONPATH=. python bench/identity/withheld.py {' '.join(argv or sys.argv[1:])}`"
    )
    print(
        f"World: {args.children} children, seed {args.seed} ({persons} registry persons); "
        f"model {shipped().version}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"{platform.machine()}, Python {platform.python_version()}; {seconds:.0f} s"
    )
    print()
    places = (
        "in the child's kabupaten",
        "another kabupaten, shown",
        "another kabupaten, withheld (UNLIKELY)",
        "not in the top 5",
    )
    print("| matchable records | n | " + " | ".join(places) + " |")
    print("|---|---:|" + "---:|" * len(places))
    for kind, t in tally.items():
        n = t["queries"]
        cells = " | ".join(f"{t[p]} ({100 * t[p] / n:.1f} %)" if n else "–" for p in places)
        print(f"| {kind} | {n} | {cells} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
