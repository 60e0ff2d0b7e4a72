"""The matcher's caches change nothing: a few hundred generated records ranked with every cache
cold (a fresh model, the preparation caches cleared) and with warm caches give equal Candidates,
and every memoized pair equals the pair computed from scratch."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from bench.identity.make_registry import make_registry, write_records
from resolution.batch import read_records
from resolution.compare import clear_caches, compare, person_side, record_side
from resolution.explain import Candidates
from resolution.model import Model
from resolution.records import ChildRecord, RegistryRecord

AS_OF = date(2026, 11, 1)  # the generator's reference date
QUERIES = 300
NEIGHBOURS = 80  # the registry rows either side of the true person: its desa, family, twins


Case = tuple[ChildRecord, list[RegistryRecord]]


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    """Generated queries, each with the true person's desa neighbours as its retrieved people."""
    folder = tmp_path_factory.mktemp("fast-path")
    registry = folder / "registry.csv"
    _count, sample = make_registry(6000, registry, seed=11, workers=1, queries=QUERIES)
    records = folder / "records.csv"
    write_records(records, sample, QUERIES, seed=11)
    people = _people(registry)
    at = {p.nik: i for i, p in enumerate(people)}
    truth = {r["record_id"]: r["true_nik"] for r in csv.DictReader(records.open())}
    rows, rejects = read_records(records, AS_OF)
    assert not rejects
    found = []
    for _line, record in rows:
        i = at[truth[record.record_id or ""]]
        found.append((record, people[max(0, i - NEIGHBOURS) : i + NEIGHBOURS]))
    assert len(found) >= QUERIES * 0.9
    return found


def _people(path: Path) -> list[RegistryRecord]:
    return [
        RegistryRecord(
            person_id=i,
            nik=r["nik"],
            full_name=r["full_name"],
            sex=r["sex"],
            birth_date=date.fromisoformat(r["birth_date"]),
            birth_place=r["birth_place"],
            region_code=r["region_code"],
            kk_number=r["kk_number"],
            mother_name=r["mother_name"] or None,
            father_name=r["father_name"] or None,
        )
        for i, r in enumerate(csv.DictReader(path.open(encoding="utf-8")), start=1)
    ]


def _cold(record: ChildRecord, people: list[RegistryRecord]) -> Candidates:
    clear_caches()
    return Model.load().rank(record, people, 5)


def test_warm_caches_rank_exactly_as_cold_ones(cases: list[Case]) -> None:
    reference = [_cold(record, people) for record, people in cases]
    model = Model.load()
    for _round in range(2):  # the second round answers from the caches alone
        warm = [model.rank(record, people, 5) for record, people in cases]
        assert warm == reference
    # Not a trivial world: candidates of several bands, most records with five of them.
    assert len({c.band for found in reference for c in found.candidates}) >= 2
    assert sum(len(found.candidates) for found in reference) > len(cases) * 4


def test_every_memoized_pair_equals_the_pair_from_scratch(cases: list[Case]) -> None:
    model = Model.load()
    uncached_person = person_side.__wrapped__
    for record, people in cases[:100]:
        side = record_side(record)
        for person in people:
            fresh = uncached_person(person)
            expected = model.pair_from_levels(compare(side, fresh), model._tf(fresh))
            assert model.pair(side, person_side(person)) == expected
