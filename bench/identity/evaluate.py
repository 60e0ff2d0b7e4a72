"""The matcher measured against the seeder's ground truth (identity_ground_truth.csv).

    PYTHONPATH=. python bench/identity/evaluate.py --children 60000 --seed 2 [--write RESULTS.md]

Seeds a world into a temporary SQLite data directory (or reads one: --data-dir), builds a child
record for every undocumented index child (index row, other names, every agency's report),
retrieves candidates as the service does (``resolution.store``: SQL blocks over the
key indexes of the seeded SQLite database), ranks them with the shipped model and with the ablation (plain
independent Fellegi–Sunter: no family level, no competition), and prints hit rates, the
auto-suggest band's precision and recall and the false auto-suggest rate on records with no true
match, per kind of variation and per kind of negative. A quarter of the queries have no match.

``--choose-bands`` prints, instead, precision/recall/false-auto for a grid of thresholds: run it
on the TRAINING seed to choose weights.json's bands, never on the seed you report. ``--pool DIR``
(repeatable) adds validation worlds: each one's grid, then the grid over all of them pooled —
one world's few hundred no-match records (each 0.3 % of its false-auto rate) are too few to
set a threshold by.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import itertools
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from resolution import store
from resolution.explain import Band, Candidates
from resolution.model import Model, shipped
from resolution.records import ChildRecord, RegistryRecord
from resolution.train import read_child_records, seed_world

NO_MATCH_SHARE = 0.25


@dataclass(frozen=True)
class Query:
    record: ChildRecord
    person_id: int | None  # the true registry person, None: the child is not in the registry
    kinds: tuple[str, ...]  # variations (matchable) or the negative's kind (no match)


@dataclass
class Tally:
    """Counts for one row of the table."""

    queries: int = 0
    top1: int = 0
    top5: int = 0
    auto: int = 0  # records with an auto-suggested candidate
    auto_right: int = 0

    def add(self, query: Query, answer: Candidates) -> None:
        self.queries += 1
        ids = [c.person.person_id for c in answer.candidates]
        auto = [c for c in answer.candidates if c.band == Band.AUTO_SUGGEST]
        if query.person_id is not None:
            self.top1 += bool(ids) and ids[0] == query.person_id
            self.top5 += query.person_id in ids[:5]
        if auto:
            self.auto += 1
            self.auto_right += auto[0].person.person_id == query.person_id


@dataclass
class Run:
    """One model's answers over every query, tallied by kind."""

    name: str
    held_by: frozenset[str] = frozenset()  # the model's gating warnings
    matchable: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    no_match: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    reliability: list[tuple[float, bool]] = field(default_factory=list)
    # The top candidate: score, right?, record matchable?, held out of AUTO by a warning?
    tops: list[tuple[float, bool, bool, bool]] = field(default_factory=list)
    # Every returned candidate: score, right?, the record's kinds, the candidate's warnings.
    seen: list[tuple[float, bool, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, query: Query, answer: Candidates) -> None:
        table = self.matchable if query.person_id is not None else self.no_match
        for kind in ("ALL", *query.kinds):
            table[kind].add(query, answer)
        for c in answer.candidates:
            right = c.person.person_id == query.person_id
            self.reliability.append((c.score, right))
            self.seen.append((c.score, right, query.kinds, tuple(w.value for w in c.warnings)))
        if answer.candidates:
            top = answer.candidates[0]
            right = top.person.person_id == query.person_id
            held = bool(self.held_by.intersection(top.warnings))
            self.tops.append((top.score, right, query.person_id is not None, held))


def read_ground_truth(folder: Path) -> dict[str, tuple[int | None, tuple[str, ...]]]:
    truth = {}
    with (folder / "identity_ground_truth.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            person = int(row["person_id"]) if row["person_id"] else None
            if person is not None:
                kinds = tuple(k for k in row["variations"].split(";") if k) or ("no_variation",)
            else:
                kinds = (row.get("negative") or "unregistered",)
            truth[row["child_id"]] = (person, kinds)
    return truth


def sample_queries(
    records: Sequence[ChildRecord],
    truth: dict[str, tuple[int | None, tuple[str, ...]]],
    rng: random.Random,
) -> list[Query]:
    """Every matchable record, and no-match records to make up a quarter of the queries."""
    queries = [Query(r, *truth[r.record_id]) for r in records if r.record_id in truth]
    matchable = [q for q in queries if q.person_id is not None]
    negatives = [q for q in queries if q.person_id is None]
    wanted = round(len(matchable) * NO_MATCH_SHARE / (1 - NO_MATCH_SHARE))
    if len(negatives) >= wanted:
        negatives = rng.sample(negatives, wanted)
    else:
        keep = round(len(negatives) * (1 - NO_MATCH_SHARE) / NO_MATCH_SHARE)
        matchable = rng.sample(matchable, min(keep, len(matchable)))
    return matchable + negatives


def evaluate(folder: Path, models: Sequence[Model], sample_seed: int = 0) -> tuple[list[Run], int]:
    with sqlite3.connect(folder / "disdukcapil.db") as db:
        (persons,) = db.execute("SELECT count(*) FROM person").fetchone()
        records = read_child_records(db)
    queries = sample_queries(records, read_ground_truth(folder), random.Random(sample_seed))
    retrieved = asyncio.run(retrieve_all(folder / "disdukcapil.db", queries))
    runs = []
    for model in models:
        sized = model.with_registry_size(persons)
        run = Run(model.version, model.held_by if model.hard_negative_gate else frozenset())
        started = time.perf_counter()
        for query, people in retrieved:
            run.add(query, sized.rank(query.record, people, 5))
        run.seconds = time.perf_counter() - started
        runs.append(run)
    return runs, persons


async def retrieve_all(
    db: Path, queries: Sequence[Query]
) -> list[tuple[Query, list[RegistryRecord]]]:
    """Each query's record as the service reads it (``store.child_record``) and the people its
    blocks find in the database (``store.candidates``' retrieval: SQL over the key indexes).

    The retrieval is done once and ranked by every model, as ``store.candidates`` would rank it.
    """
    engine = create_async_engine(f"sqlite+aiosqlite:///{db}")
    answers = []
    try:
        async with engine.connect() as conn:
            for query in queries:
                assert query.record.record_id is not None
                record = await store.child_record(conn, query.record.record_id)
                assert record is not None
                people = await store.found(conn, record)
                answers.append((dataclasses.replace(query, record=record), people))
    finally:
        await engine.dispose()
    return answers


# --- the printed table ----------------------------------------------------------------------


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f} %" if d else "–"


def table(run: Run) -> list[str]:
    lines = [
        f"#### {run.name}",
        "",
        "| matchable records, by variation | n | top-1 | top-5 | auto-suggested | right person | auto recall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, t in sorted(run.matchable.items(), key=lambda kv: (kv[0] != "ALL", kv[0])):
        lines.append(
            f"| {kind} | {t.queries} | {_pct(t.top1, t.queries)} | {_pct(t.top5, t.queries)} "
            f"| {t.auto} | {_pct(t.auto_right, t.auto)} | {_pct(t.auto_right, t.queries)} |"
        )
    everyone = run.matchable["ALL"]
    right = everyone.auto_right
    autos = everyone.auto + run.no_match["ALL"].auto
    lines += [
        "",
        f"Matchable records whose person is first / in the top 5: {everyone.top1} / "
        f"{everyone.top5} of {everyone.queries}.",
        "",
        f"Auto-suggest precision over every query (matchable and no-match): "
        f"{_pct(right, autos)} ({right} right of {autos} auto-suggested).",
        "",
        "| no-match records, by kind | n | auto-suggested (false) | false auto rate |",
        "|---|---:|---:|---:|",
    ]
    for kind, t in sorted(run.no_match.items(), key=lambda kv: (kv[0] != "ALL", kv[0])):
        lines.append(f"| {kind} | {t.queries} | {t.auto} | {_pct(t.auto, t.queries)} |")
    return lines


def reliability(
    run: Run, edges: Sequence[float] = (0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97, 1.0001)
) -> list[str]:
    lines = [
        f"Reliability of {run.name}'s scores (every returned candidate):",
        "",
        "| score bin | candidates | mean predicted | observed right |",
        "|---|---:|---:|---:|",
    ]
    for lo, hi in itertools.pairwise(edges):
        inside = [(s, ok) for s, ok in run.reliability if lo <= s < hi]
        if inside:
            mean = sum(s for s, _ in inside) / len(inside)
            right = sum(ok for _, ok in inside)
            lines.append(
                f"| {lo:.2f}–{min(hi, 1):.2f} | {len(inside)} | {mean:.3f} | {right / len(inside):.3f} |"
            )
    return lines


def threshold_grid(run: Run, thresholds: Iterable[float]) -> list[str]:
    """Precision/recall/false-auto of the top candidate at each auto-suggest threshold."""
    lines = [
        "| auto threshold | precision | recall | false auto (no match) |",
        "|---:|---:|---:|---:|",
    ]
    for t in thresholds:
        right = wrong = neg_auto = 0
        for top_score, is_right, matchable, held in run.tops:
            if top_score >= t and not held:
                right += is_right
                wrong += not is_right
                neg_auto += not matchable
        m = run.matchable["ALL"].queries
        n = run.no_match["ALL"].queries
        lines.append(
            f"| {t:.3f} | {_pct(right, right + wrong)} | {_pct(right, m)} | {_pct(neg_auto, n)} |"
        )
    return lines


def pool(runs: Sequence[Run]) -> Run:
    """One run's top candidates and query counts over several worlds (for the threshold grid)."""
    pooled = Run(runs[0].name, runs[0].held_by)
    for run in runs:
        pooled.tops.extend(run.tops)
        pooled.matchable["ALL"].queries += run.matchable["ALL"].queries
        pooled.no_match["ALL"].queries += run.no_match["ALL"].queries
    return pooled


def write_labels(path: Path, run: Run, version: str) -> None:
    """The seeder's ground truth standing in for officers' decisions (LINK / NOT_THIS_PERSON)
    on every returned candidate; the kinds and warnings ride along for diagnosis."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["model_version", "raw_score", "decision", "kinds", "warnings"])
        for score, right, kinds, warnings in run.seen:
            decision = "LINK" if right else "NOT_THIS_PERSON"
            out.writerow([version, repr(score), decision, ";".join(kinds), ";".join(warnings)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, help="an already seeded data directory")
    parser.add_argument("--weights", type=Path, help="weights.json (default: the shipped one)")
    parser.add_argument("--choose-bands", action="store_true")
    parser.add_argument(
        "--pool",
        type=Path,
        action="append",
        default=[],
        help="with --choose-bands: another seeded data directory (validation), pooled",
    )
    parser.add_argument("--write", type=Path, help="also write the tables to this file")
    parser.add_argument(
        "--write-labels",
        type=Path,
        help="instead: write every returned candidate's RAW (uncalibrated) score and whether "
        "it is the true person, as a label file for `satu-anak identity calibrate` (training "
        "seed only)",
    )
    args = parser.parse_args(argv)
    if args.pool and not args.choose_bands:
        parser.error("--pool: only with --choose-bands")
    model = Model.load(args.weights) if args.weights else shipped()
    if args.write_labels:
        model = model.uncalibrated()
    with tempfile.TemporaryDirectory(prefix="identity-eval-") as tmp:
        folder = args.data_dir or Path(tmp)
        started = time.perf_counter()
        if args.data_dir is None:
            seed_world(args.children, args.seed, folder)
        seeded = time.perf_counter() - started
        runs, persons = evaluate(folder, (model, model.ablated()))
    lines = [
        f"Command: `PYTHONPATH=. python bench/identity/evaluate.py {' '.join(argv or sys.argv[1:])}`",
        f"World: {args.children} children, seed {args.seed} ({persons} registry persons; "
        f"seeded in {seeded:.0f} s); model {model.version}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.machine()}, Python "
        f"{platform.python_version()}",
        "",
    ]
    if args.write_labels:
        write_labels(args.write_labels, runs[0], model.version)
        print("\n".join([*lines, *reliability(runs[0])]))
        print(f"labels written to {args.write_labels}")
        return 0
    if args.choose_bands:
        grid = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.93, 0.95, 0.97, 0.98, 0.99)
        lines += ["Auto-suggest thresholds (top candidate):", ""]
        lines += threshold_grid(runs[0], grid)
        pooled = [runs[0]]
        for folder in args.pool:
            run = evaluate(folder, (model,))[0][0]
            lines += ["", f"Validation world {folder}:", "", *threshold_grid(run, grid)]
            pooled.append(run)
        if args.pool:
            lines += ["", f"All {len(pooled)} worlds pooled:", ""]
            lines += threshold_grid(pool(pooled), grid)
        print("\n".join(lines))
        return 0
    for run in runs:
        lines += table(run)
        lines += ["", f"Ranking took {run.seconds:.1f} s.", ""]
        lines += reliability(run)
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.write:
        args.write.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
