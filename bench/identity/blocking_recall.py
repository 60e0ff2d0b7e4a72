"""Blocking recall: is the true registry person among those candidate retrieval finds?

Run: PYTHONPATH=. .venv/bin/python bench/identity/blocking_recall.py [--children 50000 --seed 42]
     [--data-dir DIR] [--diagnose]

Without ``--data-dir`` a world of ``--children`` children is seeded into a temp dir (as
``satu-anak seed`` does) and removed afterwards; with it, that folder's ``disdukcapil.db`` and
``identity_ground_truth.csv`` are read as they are. For every matchable undocumented child of the
ground truth (a ``person_id``), ``store.child_record`` gathers what the agencies reported, the
record's blocks run against the registry exactly as ``store.candidates`` runs them, and the child
counts as found when its true person is among the people retrieved (before scoring: this measures
blocking, not ranking). Printed: recall overall and by variation kind, people retrieved per query
(median, p95, max), and what each kind of block contributes (the children only that kind found,
and recall without it).

``--diagnose`` also ranks every record's people with the shipped model and sorts each matchable
record whose true person is not in the top 5 by where it was lost: (a) no block's key reaches
it, (b) a block reaches it but that block's row cap cut it, (c) the blocks returned it but the
``store.MAX_PEOPLE`` cap cut it, (d) retrieved, ranked below 5. For (a)–(c) the true person is
then scored against the retrieved people directly: would it have been in the top 5 had it been
retrieved, or does the record carry too little to tell it from the others?
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from resolution import store
from resolution.blocking import Block, query_blocks
from resolution.model import Model, shipped
from resolution.records import ChildRecord
from satu_anak.synthetic.loader import GROUND_TRUTH_FILE, seed
from subgraphs.common.settings import SubgraphSettings
from subgraphs.disdukcapil import tables as t


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
    diagnosis: Diagnosis | None = None

    def add(self, truth: Truth, found: bool) -> None:
        self.queries += 1
        self.found += found
        for kind in truth.variations or ("none",):
            self.by_variation[kind] += 1
            self.found_by_variation[kind] += found


TOP: int = 5
UNCAPPED: int = 1_000_000  # a block's cap when asking whether its key reaches the person at all


@dataclass
class Diagnosis:
    """Where the top-5 misses were lost, and whether the record could tell the true person."""

    top5: int = 0
    lost: Counter[str] = field(default_factory=Counter)  # stage → records
    lost_by_variation: dict[str, Counter[str]] = field(default_factory=dict)
    # Retrieval losses (a–c): the true person's rank had it been retrieved (1 = best).
    rank_if_retrieved: dict[str, list[int]] = field(default_factory=dict)
    cut_by: Counter[str] = field(default_factory=Counter)  # (b): the capped block kinds
    # (a) with the person's birth day (or day and month swapped) written: how many share it
    day_reachable: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def add(self, stage: str, truth: Truth, rank: int | None, example: str) -> None:
        self.lost[stage] += 1
        for kind in truth.variations or ("none",):
            self.lost_by_variation.setdefault(kind, Counter())[stage] += 1
        if rank is not None:
            self.rank_if_retrieved.setdefault(stage, []).append(rank)
        if example and len(self.examples) < 80:
            self.examples.append(example)


STAGES = (
    "a not reached by any block",
    "b reached, cut by a block's cap",
    "c cut by MAX_PEOPLE",
    "d retrieved, ranked below 5",
)


async def diagnose(
    conn: AsyncConnection,
    truth: Truth,
    record: ChildRecord,
    blocks: list[Block],
    ids: list[int],
    rows: list[tuple[int, int]],
    model: Model,
    diagnosis: Diagnosis,
) -> None:
    """Rank the retrieved people; for a top-5 miss, find the stage that lost the true person."""
    people = await store.load_people(conn, ids)
    ranked = model.rank(record, people, TOP)
    if truth.person_id in [c.person.person_id for c in ranked.candidates]:
        diagnosis.top5 += 1
        return
    if truth.person_id in ids:
        diagnosis.add(STAGES[3], truth, None, "")
        return
    cuts: list[str] = []
    if any(person == truth.person_id for _, person in rows):
        stage = STAGES[2]
    else:
        uncapped = [dataclasses.replace(b, cap=UNCAPPED) for b in blocks]
        statement = store.blocks_statement(uncapped, linkable_first=store.linkable_first(record))
        reached = (await conn.execute(statement)).all() if uncapped else []
        reaching = sorted({r.block for r in reached if r.id == truth.person_id})
        stage = STAGES[1] if reaching else STAGES[0]
        diagnosis.cut_by.update({str(blocks[b].kind) for b in reaching})
        for b in reaching:  # where the cap fell: the person's place in that block's order
            order = [r.id for r in reached if r.block == b]
            where = f"{order.index(truth.person_id) + 1} of {len(order)}"
            cuts.append(f"      cut: {blocks[b].describe()}: the person is {where}")
    (true_person,) = await store.load_people(conn, [truth.person_id])
    everyone = model.rank(record, [*people, true_person], len(people) + 1).candidates
    rank = 1 + [c.person.person_id for c in everyone].index(truth.person_id)
    example = (
        f"{truth.child_id} {'/'.join(truth.variations)} rank-if-retrieved {rank}\n"
        f"      record: {_shown(record)}\n"
        f"      person: {true_person.full_name} | {true_person.sex} {true_person.birth_date} "
        f"{true_person.region_code} mother {true_person.mother_name} father "
        f"{true_person.father_name} kk {true_person.kk_number}"
    )
    if stage == STAGES[0] and record.birth_date is not None:
        # The written day and month are the person's: how many people of that sex share the day
        # (what a national block by day and sex alone would hold; the call-name day blocks read
        # those whose called name ends or begins as the call name does).
        day, born = record.birth_date, true_person.birth_date
        if (born.month, born.day) in {(day.month, day.day), (day.day, day.month)} and abs(
            born.year - day.year
        ) <= 1:
            same_day = (
                await conn.execute(
                    select(func.count())
                    .select_from(t.person)
                    .where(t.person.c.birth_date == born, t.person.c.sex == true_person.sex)
                )
            ).scalar()
            diagnosis.day_reachable.append(int(same_day or 0))
            cuts.append(
                f"      a day block would reach it: {same_day} people of that sex born that day"
            )
    example = "\n".join((example, *cuts))
    diagnosis.add(stage, truth, rank, example)


def _shown(record: ChildRecord) -> str:
    date_text = (
        f"{record.birth_date}{'' if record.birth_date_exact else '~'}"
        if record.birth_date
        else f"year {record.birth_year}"
        if record.birth_year
        else f"age {record.age_estimate} on {record.as_of}"
        if record.age_estimate is not None
        else "no date"
    )
    return (
        f"{' / '.join(record.names)} | {record.sex} {date_text} {','.join(record.region_codes)} "
        f"mother {' / '.join(record.mother_names) or '-'} father "
        f"{' / '.join(record.father_names) or '-'} kk {record.kk_number or '-'}"
    )


def diagnosis_report(d: Diagnosis, queries: int) -> list[str]:
    misses = sum(d.lost.values())
    lines = [
        "",
        f"top-5 (shipped model over the retrieved people): {d.top5}/{queries} = "
        f"{d.top5 / queries:.2%}; {misses} misses:",
        "",
        "| where the true person was lost | records | would be top-5 if retrieved "
        "| median rank if retrieved |",
        "|---|---:|---:|---:|",
    ]
    for stage in STAGES:
        ranks = d.rank_if_retrieved.get(stage, [])
        top = sum(r <= TOP for r in ranks)
        med = f"{statistics.median(ranks):.0f}" if ranks else "–"
        shown = f"{top}" if stage != STAGES[3] else "–"
        lines.append(f"| {stage} | {d.lost[stage]} | {shown} | {med} |")
    lines += ["", "| variation | " + " | ".join(s[0] for s in STAGES) + " |", "|---|"
              + "---:|" * len(STAGES)]  # fmt: skip
    for kind, counts in sorted(d.lost_by_variation.items(), key=lambda kv: -sum(kv[1].values())):
        lines.append(f"| {kind} | " + " | ".join(str(counts[s]) for s in STAGES) + " |")
    if d.day_reachable:
        lines += [
            "",
            f"(a) with the person's day and month written (year ±1): {len(d.day_reachable)}; "
            f"people of that sex born that day: median {statistics.median(d.day_reachable):.0f}, "
            f"max {max(d.day_reachable)}",
        ]
    if d.cut_by:
        lines += ["", "(b) capped block kinds that reached the person: " + ", ".join(
            f"{k} {n}" for k, n in d.cut_by.most_common())]  # fmt: skip
    if d.examples:
        lines += ["", "(a)–(c) records:", *(f"  {e}" for e in d.examples)]
    return lines


def read_truth(path: Path) -> list[Truth]:
    with path.open(newline="", encoding="utf-8") as f:
        return [
            Truth(row["child_id"], int(row["person_id"]), _variations(row["variations"]))
            for row in csv.DictReader(f)
            if row["person_id"]
        ]


def _variations(text: str) -> tuple[str, ...]:
    return tuple(v for v in text.split(";") if v)


async def measure(
    conn: AsyncConnection, truths: list[Truth], show_misses: int, model: Model | None = None
) -> Tally:
    """``model``: also rank and diagnose the top-5 misses (``--diagnose``)."""
    tally = Tally(diagnosis=Diagnosis() if model is not None else None)
    for truth in truths:
        record = await store.child_record(conn, truth.child_id)
        if record is None:
            raise SystemExit(f"{truth.child_id} is in the ground truth but not in the child index")
        started = time.perf_counter()
        blocks = query_blocks(record)
        first = store.linkable_first(record)
        ids = await store.retrieve(conn, blocks, linkable_first=first)
        tally.seconds.append(time.perf_counter() - started)
        # Once more, untimed, for what each block returned (which kinds found the person).
        statement = store.blocks_statement(blocks, linkable_first=first)
        rows = (await conn.execute(statement)).all() if blocks else []
        found = truth.person_id in ids
        tally.add(truth, found)
        tally.people.append(len(ids))
        tally.rows.append(len(rows))
        tally.blocks.append(len(blocks))
        kinds = {str(blocks[r.block].kind) for r in rows if r.id == truth.person_id}
        if len(kinds) == 1:
            tally.only_kind[kinds.pop()] += 1
        if not found and len(tally.misses) < show_misses:
            tally.misses.append(f"{truth.child_id} {truth.variations} {_shown(record)}")
        if model is not None and tally.diagnosis is not None:
            pairs = [(r.block, r.id) for r in rows]
            await diagnose(conn, truth, record, blocks, ids, pairs, model, tally.diagnosis)
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
    if tally.diagnosis is not None:
        lines += diagnosis_report(tally.diagnosis, tally.queries)
    return "\n".join(lines)


def _row(label: str, values: list[int] | list[float]) -> str:
    med, p95, top = statistics.median(values), _percentile(values, 0.95), max(values)
    return f"| {label} | {med:.1f} | {p95:.1f} | {top:.1f} |"


async def run(data_dir: Path, show_misses: int, diagnose_misses: bool = False) -> Tally:
    truths = read_truth(data_dir / GROUND_TRUTH_FILE)
    engine = create_async_engine(f"sqlite+aiosqlite:///{data_dir / 'disdukcapil.db'}")
    try:
        async with engine.connect() as conn:
            model = None
            if diagnose_misses:
                persons = (await conn.execute(select(func.count()).select_from(t.person))).scalar()
                model = shipped().with_registry_size(int(persons or 0))
            return await measure(conn, truths, show_misses, model)
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
    parser.add_argument(
        "--diagnose", action="store_true", help="rank, and say where each top-5 miss was lost"
    )
    args = parser.parse_args()
    if args.data_dir is not None:
        tally = asyncio.run(run(args.data_dir, args.misses, args.diagnose))
    else:
        with tempfile.TemporaryDirectory(prefix="blocking-recall-") as tmp:
            folder = Path(tmp)
            asyncio.run(seed_into(folder, args.children, args.seed))
            tally = asyncio.run(run(folder, args.misses, args.diagnose))
    print(report(tally))
    return 0


if __name__ == "__main__":
    sys.exit(main())
