"""Write a synthetic population registry (SIAK extract) CSV of N people, and match queries.

Families with KK numbers (parents, children; some without a father), names from the seeder's
generators (``satu_anak.synthetic.names``: cultures by province, realistic name frequencies),
desa from ``satu_anak.synthetic.regions`` with its population weights, NIKs that encode the
kecamatan, birth date and sex. Work is split by kecamatan so that each worker process owns the
NIK and KK serial counters of its kecamatan: no two people share a NIK.

    python -m bench.identity.make_registry --people 10000000 --out registry.csv \
        --records records.csv --queries 2000

``--records`` writes queries for ``satu-anak identity match``: children (under 18) of the
registry, recorded the way agencies record them (another spelling, a nickname, a birth year or
an age instead of the date, a kabupaten instead of the desa, parents sometimes missing), with the
true NIK in an extra ``true_nik`` column (the match command ignores unknown columns).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import multiprocessing
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from satu_anak.synthetic import regions
from satu_anak.synthetic.common import PLACE_LIST, PLACES, REFERENCE_DATE
from satu_anak.synthetic.names import (
    generate_family_names,
    generate_person_name,
    name_variant,
    nickname,
)
from subgraphs.common.identifiers import make_kk, make_nik

HEADER: Final = (
    "nik", "full_name", "sex", "birth_date", "birth_place", "region_code", "kk_number",
    "mother_name", "father_name", "relationship",
)  # fmt: skip
RECORD_HEADER: Final = (
    "record_id", "name", "nickname", "sex", "birth_date", "age_estimate", "birth_place",
    "region_code", "mother_name", "father_name", "true_nik",
)  # fmt: skip
TODAY: Final = REFERENCE_DATE.toordinal()
_YEAR: Final = 365.25
_OLDEST_MOTHER: Final = date(1935, 1, 1).toordinal()
_YOUNGEST_MOTHER: Final = TODAY - int(19 * _YEAR)
_CHILD_SINCE: Final = TODAY - int(18 * _YEAR)
_KIDS: Final = (0, 1, 1, 2, 2, 2, 3, 3, 4, 5)  # children per family, drawn uniformly
_TASK_PEOPLE: Final = 250_000  # a kecamatan larger than this is split into parts


@dataclass(frozen=True, slots=True)
class Task:
    """People to make in one kecamatan: per desa, and which share of the serials to use."""

    kecamatan: str
    desa: tuple[tuple[str, int], ...]
    part: int
    parts: int
    seed: int
    sample_rate: float  # chance that a child becomes a match query candidate


@dataclass(frozen=True, slots=True)
class Person:
    nik: str
    name: str
    sex: str
    birth: int
    place: str
    desa: str
    kk: str
    mother: str | None
    father: str | None


class _Serials:
    """NIK / KK serials 1–9999 per prefix, from this part's share so parts never collide."""

    def __init__(self, part: int, parts: int) -> None:
        self.start = 1 + part * (9999 // parts)
        self.used: dict[str, int] = {}

    def next(self, prefix: str) -> int:
        serial = self.used.get(prefix, self.start)
        self.used[prefix] = serial + 1
        return serial


def _family(
    rng: random.Random, desa: str, niks: _Serials, kks: _Serials
) -> list[tuple[Person, str]]:
    """One family card's members with their relationship (HEAD, SPOUSE, CHILD)."""
    rand = rng.random
    kecamatan = desa[:8]
    home = PLACES[desa[:5]]
    mother_birth = _OLDEST_MOTHER + int(rand() * (_YOUNGEST_MOTHER - _OLDEST_MOTHER))
    births, birth = [], mother_birth + int((19 + rand() * 10) * _YEAR)
    for _ in range(_KIDS[int(rand() * len(_KIDS))]):
        if birth >= TODAY:
            break
        births.append(birth)
        birth += int((1.3 + rand() * 3.7) * _YEAR)
    first_sex = "F" if rand() < 0.49 else "M"
    names = generate_family_names(rng, first_sex, province=desa[:2])
    father = names.father if rand() < 0.88 else None
    issued = min(TODAY - 1, max([mother_birth + int(20 * _YEAR), *births]) + int(rand() * 900))
    kk_prefix = make_kk(kecamatan, date.fromordinal(issued), 1)[:12]
    kk = make_kk(kecamatan, date.fromordinal(issued), kks.next(kk_prefix))

    def person(name: str, sex: str, born: int, mother: str | None, dad: str | None) -> Person:
        day = date.fromordinal(born)
        prefix = make_nik(kecamatan, day, sex, 1)[:12]
        nik = make_nik(kecamatan, day, sex, niks.next(prefix))
        place = home if rand() < 0.85 else PLACE_LIST[int(rand() * len(PLACE_LIST))]
        return Person(nik, name, sex, born, place, desa, kk, mother, dad)

    def grandparent(sex: str) -> str:
        return generate_person_name(rng, sex, culture=names.culture, generation="parent")

    members = []
    if father is not None:
        father_birth = mother_birth - int(rand() * 8 * _YEAR)
        grandfather = grandparent("M") if rand() < 0.7 else None
        members.append((person(father, "M", father_birth, grandparent("F"), grandfather), "HEAD"))
    grandfather = grandparent("M") if rand() < 0.7 else None
    mother = person(names.mother, "F", mother_birth, grandparent("F"), grandfather)
    members.append((mother, "SPOUSE" if father else "HEAD"))
    for i, born in enumerate(births):
        sex = first_sex if i == 0 else ("F" if rand() < 0.49 else "M")
        name = names.child if i == 0 else generate_person_name(rng, sex, culture=names.culture)
        members.append((person(name, sex, born, names.mother, father), "CHILD"))
    return members


def _make(task: Task) -> tuple[bytes, list[Person], int]:
    """One task's CSV rows (bytes), its sampled children, and its people count."""
    rng = random.Random(task.seed)
    niks, kks = _Serials(task.part, task.parts), _Serials(task.part, task.parts)
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\n").writerow
    sample: list[Person] = []
    made = 0
    for desa, people in task.desa:
        count = 0
        while count < people:
            for p, relationship in _family(rng, desa, niks, kks):
                write((
                    p.nik, p.name, "P" if p.sex == "F" else "L", date.fromordinal(p.birth),
                    p.place, p.desa, p.kk, p.mother or "", p.father or "", relationship,
                ))  # fmt: skip
                count += 1
                if p.birth >= _CHILD_SINCE and rng.random() < task.sample_rate:
                    sample.append(p)
        made += count
    return out.getvalue().encode("utf-8"), sample, made


def _tasks(people: int, seed: int, queries: int) -> list[Task]:
    rng = random.Random(seed)
    draws = 400_000
    weights = Counter(regions.random_desa(rng) for _ in range(draws))
    by_kecamatan: dict[str, list[tuple[str, int]]] = {}
    for desa, n in sorted(weights.items()):
        by_kecamatan.setdefault(desa[:8], []).append((desa, round(people * n / draws)))
    # About a third of the registry are children; sample three times what the queries need.
    rate = min(1.0, 3 * queries / max(1, people / 3))
    tasks = []
    for kecamatan, desa in by_kecamatan.items():
        total = sum(n for _, n in desa)
        parts = max(1, -(-total // _TASK_PEOPLE))
        for part in range(parts):
            share = tuple((d, n // parts + (1 if part < n % parts else 0)) for d, n in desa)
            tasks.append(Task(kecamatan, share, part, parts, rng.randrange(2**32), rate))
    tasks.sort(key=lambda t: -sum(n for _, n in t.desa))  # big ones first: even finish
    return tasks


def make_registry(
    people: int, out: Path, seed: int = 1, workers: int = 2, queries: int = 0
) -> tuple[int, list[Person]]:
    """Write about ``people`` registry rows to ``out``; return the count and sampled children."""
    tasks = _tasks(people, seed, queries)
    sample: list[Person] = []
    made = 0
    with out.open("wb") as stream:
        stream.write((",".join(HEADER) + "\n").encode())
        for data, picked, count in _results(tasks, workers):
            stream.write(data)
            sample += picked
            made += count
    return made, sample


def _results(tasks: list[Task], workers: int) -> Iterator[tuple[bytes, list[Person], int]]:
    if workers <= 1:
        yield from map(_make, tasks)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap_unordered(_make, tasks)


# --- Match queries ---------------------------------------------------------------------------


def _query(rng: random.Random, number: int, p: Person) -> tuple[str, ...]:
    """A child as an agency without the NIK records it."""
    rand = rng.random
    name = p.name
    if rand() < 0.6:
        with contextlib.suppress(ValueError):  # no variant applies: the name as it is
            name = name_variant(rng, p.name)[0]
    born = date.fromordinal(p.birth)
    birth, age = born.isoformat(), ""
    r = rand()
    if r < 0.15:
        birth = str(born.year)
    elif r < 0.3:
        birth, age = "", str(max(0, (REFERENCE_DATE - born).days // 365))
    elif r < 0.4:
        birth = (born + timedelta(days=int(rand() * 400) - 200)).isoformat()
        birth = min(birth, (REFERENCE_DATE - timedelta(days=1)).isoformat())
    r = rand()
    region = p.desa if r < 0.5 else p.desa[:5] if r < 0.8 else ""
    sex = {"F": ("P", "F"), "M": ("L", "M")}[p.sex][int(rand() * 2)] if rand() < 0.95 else ""
    mother = p.mother if p.mother and rand() < 0.7 else ""
    if mother and rand() < 0.15:
        mother = nickname(rng, mother)
    return (
        f"Q{number:07d}", name, nickname(rng, p.name) if rand() < 0.3 else "", sex, birth, age,
        p.place if rand() < 0.5 else "", region, mother,
        p.father if p.father and rand() < 0.35 else "", p.nik,
    )  # fmt: skip


def write_records(path: Path, sample: list[Person], queries: int, seed: int) -> int:
    rng = random.Random(seed + 1)
    chosen = rng.sample(sample, min(queries, len(sample)))
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(RECORD_HEADER)
        writer.writerows(_query(rng, i + 1, p) for i, p in enumerate(chosen))
    return len(chosen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--records", type=Path, help="also write match queries here")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    queries = args.queries if args.records else 0
    made, sample = make_registry(args.people, args.out, args.seed, args.workers, queries)
    print(f"{args.out}: {made} people in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if args.records:
        n = write_records(args.records, sample, args.queries, args.seed)
        print(f"{args.records}: {n} match queries", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
