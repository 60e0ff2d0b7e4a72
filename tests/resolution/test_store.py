"""Candidate retrieval over a real database (SQLite, and PostgreSQL when reachable): the true person
is found through another block when one field is wrong, the work stays capped, exclusions hold."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy import insert, text

from resolution import store
from resolution.batch import match_records
from resolution.blocking import (
    CALL_NAME_DAY_CAP,
    TIGHT_CAP,
    Block,
    BlockKind,
    Match,
    query_blocks,
    registry_keys,
)
from resolution.explain import Band, Warning_
from resolution.names import normalize_name
from resolution.records import ChildRecord
from subgraphs.common.database import Database
from subgraphs.common.identifiers import make_kk, make_nik
from subgraphs.common.settings import normalize_database_url
from subgraphs.disdukcapil import tables as t
from subgraphs.disdukcapil.service import SPEC

pytestmark = pytest.mark.anyio

PEKANBARU = "14.71.02.1001"
BATAM = "21.71.03.1002"
KUPANG = "53.71.04.1009"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


class Registry:
    """A handful of registry persons, each in a family card of its own."""

    def __init__(self) -> None:
        self.families: list[dict[str, Any]] = []
        self.persons: list[dict[str, Any]] = []

    def add(
        self, name: str, born: date, region: str, mother: str | None = None, sex: str = "M"
    ) -> dict[str, Any]:
        pid = len(self.persons) + 1
        kk = make_kk(region[:8], date(2020, 1, 1), pid)
        self.families.append({
            "kk_number": kk, "head_name": "Kepala", "region_code": region,
            "address": "Jl. Merdeka", "issued_on": date(2020, 1, 1),
        })  # fmt: skip
        keys = registry_keys(name, mother, born)
        person = {
            "id": pid, "nik": make_nik(region[:8], born, sex, pid), "kk_number": kk,
            "full_name": name, "normalized_name": normalize_name(name), "sex": sex,
            "birth_date": born, "birth_place": "Pekanbaru", "mother_name": mother,
            "father_name": None, "relationship": "CHILD", "region_code": region,
            "birth_certificate_number": None, **keys._asdict(),
        }  # fmt: skip
        self.persons.append(person)
        return person

    async def write(self, db: Database) -> None:
        async with db.transaction() as conn:
            await conn.execute(insert(t.family), self.families)
            await conn.execute(insert(t.person), self.persons)


@pytest.fixture
async def db(make_database: Any) -> AsyncIterator[Database]:
    yield await make_database(SPEC)


async def _found(db: Database, record: ChildRecord) -> set[str]:
    async with db.connect() as conn:
        ids = await store.retrieve(conn, query_blocks(record))
        people = await store.load_people(conn, ids)
    return {p.nik for p in people}


async def _namesakes(registry: Registry, name: str, count: int, born: date) -> None:
    """People sharing a name and year elsewhere: what a block's cap must not let crowd out."""
    for i in range(count):
        registry.add(name, date(born.year, 1 + i % 12, 1 + i % 28), KUPANG, f"Ibu {i}")


async def test_the_true_person_is_found_whichever_field_is_wrong(db: Database) -> None:
    registry = Registry()
    rizki = registry.add("Muhammad Rizki Pratama", date(2015, 3, 10), PEKANBARU, "Sri Wahyuni")
    joko = registry.add("Joko Susilo", date(2012, 8, 17), PEKANBARU, "Sulastri")
    moved = registry.add("Yohanes Benu", date(2016, 2, 2), KUPANG, "Maria Kolo")
    motherless = registry.add("Aisyah Putri", date(2018, 5, 5), PEKANBARU, None, "F")
    wrong_year = registry.add("Fajar Hidayat", date(2011, 9, 9), PEKANBARU, "Halimah")
    await _namesakes(registry, "Rizki", 3, date(2015, 1, 1))
    await registry.write(db)

    cases = {
        # A nickname only, and the mother's name.
        rizki["nik"]: ChildRecord(
            names=("Iki",), birth_date=date(2015, 3, 10), region_codes=(PEKANBARU,),
            mother_names=("Sri Wahyuni",),
        ),
        # Pre-1972 spelling.
        joko["nik"]: ChildRecord(
            names=("Djoko Soesilo",), birth_date=date(2012, 8, 17), region_codes=(PEKANBARU,)
        ),
        # The family moved: recorded in Batam, registered in Kupang.
        moved["nik"]: ChildRecord(
            names=("Yohanes Benu",), birth_date=date(2016, 2, 2), region_codes=(BATAM,)
        ),
        # No mother at all.
        motherless["nik"]: ChildRecord(
            names=("Siti Aisyah Putri",), birth_date=date(2018, 5, 5), region_codes=(PEKANBARU,)
        ),
        # The year is three years off, no mother: found by name in the kabupaten, any year.
        wrong_year["nik"]: ChildRecord(
            names=("Fajar Hidayat",), birth_date=date(2014, 9, 9), region_codes=(PEKANBARU,)
        ),
    }  # fmt: skip
    for nik, record in cases.items():
        assert nik in await _found(db, record), record


async def test_a_missing_name_is_made_up_for_by_the_mother(db: Database) -> None:
    registry = Registry()
    baby = registry.add("Nabila Zahra", date(2025, 2, 1), PEKANBARU, "Sri Wahyuni", "F")
    registry.add("Nabila Zahra", date(2025, 2, 1), KUPANG, "Yuliana", "F")
    await registry.write(db)
    record = ChildRecord(names=("By. Ny. Sri Wahyuni",), birth_date=date(2025, 1, 1),
                         birth_date_exact=False, region_codes=(PEKANBARU,))  # fmt: skip
    assert await _found(db, record) == {baby["nik"]}


async def test_a_common_name_cannot_crowd_the_local_person_out(db: Database) -> None:
    registry = Registry()
    await _namesakes(registry, "Putri", 3 * TIGHT_CAP, date(2016, 1, 1))
    local = registry.add("Putri", date(2016, 6, 1), PEKANBARU, None, "F")
    await registry.write(db)
    record = ChildRecord(names=("Putri",), birth_date=date(2016, 6, 1), region_codes=(PEKANBARU,))
    found = await _found(db, record)
    assert local["nik"] in found
    assert len(found) <= store.MAX_PEOPLE
    assert len(found) < len(registry.persons)  # the namesakes elsewhere were capped


async def test_a_family_that_moved_under_a_common_name_is_found_by_the_day(db: Database) -> None:
    registry = Registry()
    await _namesakes(registry, "Putri", 3 * TIGHT_CAP, date(2016, 1, 1))
    moved = registry.add("Putri", date(2016, 7, 3), KUPANG, None, "F")
    await registry.write(db)
    # Recorded in Batam with day and month swapped, no mother: the national name block is full
    # of namesakes; the day finds her.
    record = ChildRecord(
        names=("Putri",), sex="F", birth_date=date(2016, 3, 7), region_codes=(BATAM,)
    )
    assert moved["nik"] in await _found(db, record)


async def test_a_family_that_moved_is_found_by_the_day_under_a_wrong_year_or_a_typo(
    db: Database,
) -> None:
    registry = Registry()
    await _namesakes(registry, "Hanifah", 3 * TIGHT_CAP, date(2020, 1, 1))
    await _namesakes(registry, "Kuncoro", 3 * TIGHT_CAP, date(2016, 1, 1))
    hanifah = registry.add("Hanifah", date(2020, 8, 16), KUPANG, None, "F")
    kuncoro = registry.add("Kuncoro", date(2016, 2, 26), KUPANG, None, "M")
    await registry.write(db)
    # Recorded in Batam, no mother: the year written wrong (approximate), the day right.
    year_off = ChildRecord(names=("Hanifah",), sex="F", birth_date=date(2021, 8, 16),
                           birth_date_exact=False, region_codes=(BATAM,))  # fmt: skip
    assert hanifah["nik"] in await _found(db, year_off)
    # The name one letter off, the date right.
    typo = ChildRecord(names=("Kucnoro",), sex="M", birth_date=date(2016, 2, 26),
                       region_codes=(BATAM,))  # fmt: skip
    assert kuncoro["nik"] in await _found(db, typo)


async def test_names_run_together_find_a_family_that_moved(db: Database) -> None:
    registry = Registry()
    await _namesakes(registry, "Gilang Pratama", 3 * TIGHT_CAP, date(2024, 1, 1))
    gilang = registry.add("Gilang Firmansyah", date(2024, 3, 25), KUPANG, "Nur Mardiana")
    await registry.write(db)
    record = ChildRecord(names=("Gilangfirmansyah",), sex="M", birth_date=date(2023, 1, 1),
                         birth_date_exact=False, region_codes=(BATAM,))  # fmt: skip
    assert gilang["nik"] in await _found(db, record)


async def test_a_child_known_only_by_a_call_name_is_found_in_its_desa(db: Database) -> None:
    registry = Registry()
    wiwi = registry.add("Dewi Lestari", date(2019, 4, 4), PEKANBARU, "Sulastri", "F")
    next_desa = registry.add("Dewi Lestari", date(2019, 4, 4), "14.71.02.1002", "Sulastri", "F")
    registry.add("Rina Lestari", date(2009, 4, 4), PEKANBARU, "Sulastri", "F")  # too old
    registry.add("Lestari", date(2019, 4, 4), PEKANBARU, "Sulastri", "F")  # the name ends otherwise
    await registry.write(db)
    # "Wiwi" is the end of "Dewi", reduplicated: no key index reaches it, and no mother is
    # known: the desa's girls born around 2019 are all there is to go on...
    record = ChildRecord(
        names=("Wiwi",), sex="F", birth_date=date(2019, 6, 1), birth_date_exact=False,
        region_codes=(PEKANBARU,),
    )  # fmt: skip
    desa = [b for b in query_blocks(record) if b.kind is BlockKind.NEIGHBOURHOOD]
    async with db.connect() as conn:
        found = await store.load_people(conn, await store.retrieve(conn, desa))
    assert {p.nik for p in found} == {wiwi["nik"], registry.persons[-1]["nik"]}
    # ... and, where the family may have moved, the nation's girls born within a year of the
    # approximate date whose called name ends in "wi" (the next desa's Dewi among them).
    assert await _found(db, record) == {wiwi["nik"], next_desa["nik"], registry.persons[-1]["nik"]}


async def test_a_call_name_of_a_family_that_moved_is_found_by_the_day_and_the_names_end_or_start(
    db: Database,
) -> None:
    registry = Registry()
    mardiana = registry.add("Mardiana", date(2012, 3, 31), KUPANG, "Asmah", "F")
    desna = registry.add("Desna Ndun", date(2011, 3, 31), KUPANG, None, "F")  # a year off
    registry.add("Dewi Lestari", date(2012, 3, 31), KUPANG, None, "F")  # the name ends otherwise
    registry.add("Hasna", date(2012, 3, 31), KUPANG, None, "M")  # a boy
    registry.add("Yuliana", date(2012, 5, 3), KUPANG, None, "F")  # another day
    registry.add("Rina", date(2015, 3, 31), KUPANG, None, "F")  # outside the window
    gabriel = registry.add("Gabriel Bessie", date(2015, 5, 9), KUPANG, None, "M")
    registry.add("Gabriela", date(2015, 5, 9), KUPANG, None, "F")  # a girl
    registry.add("Yakobus", date(2015, 5, 9), KUPANG, None, "M")  # the name begins otherwise
    await registry.write(db)
    # "Nana" for Mardiana, recorded in Pekanbaru (the family moved from Kupang), no mother, no
    # KK: no key she is filed under is "nana", and Pekanbaru's desa holds nobody; the girls born
    # on 31 March around 2012 whose called name ends in "na" are the two.
    record = ChildRecord(
        names=("Nana",), sex="F", birth_date=date(2012, 3, 31), region_codes=(PEKANBARU,)
    )
    assert await _found(db, record) == {mardiana["nik"], desna["nik"]}
    # "Gab" for Gabriel, day and month swapped: the called name's beginning, on the day.
    gab = ChildRecord(
        names=("Gab",), sex="M", birth_date=date(2015, 9, 5), region_codes=(PEKANBARU,)
    )
    assert await _found(db, gab) == {gabriel["nik"]}


async def test_a_call_name_of_a_family_that_moved_is_found_near_an_approximate_date(
    db: Database,
) -> None:
    registry = Registry()
    darmaji = registry.add("Darmaji", date(2014, 5, 1), KUPANG, "Nurul Tri", "M")
    registry.add("Darmaji", date(2016, 3, 1), KUPANG, None, "M")  # more than a year off
    registry.add("Sumiji", date(2014, 2, 2), KUPANG, None, "F")  # a girl
    registry.add("Joko", date(2014, 2, 2), KUPANG, None, "M")  # the name ends otherwise
    orpa = registry.add("Orpa", date(2009, 7, 27), KUPANG, "Veronika", "F")
    registry.add("Orpa", date(2001, 7, 27), KUPANG, "Veronika", "F")  # outside the window
    await registry.write(db)
    # "Jiji" for Darmaji, recorded in Pekanbaru (the family moved from Kupang) with the year's
    # first day for a date: no written day, no mother, no KK. The boys born within a year of
    # it whose called name ends in "ji".
    jiji = ChildRecord(names=("Jiji",), sex="M", birth_date=date(2014, 1, 1),
                       birth_date_exact=False, region_codes=(PEKANBARU,))  # fmt: skip
    assert await _found(db, jiji) == {darmaji["nik"]}
    # "Orp" for Orpa, aged about 15: the girls of the window whose called name begins so.
    orp = ChildRecord(names=("Orp",), sex="F", age_estimate=15, as_of=date(2024, 6, 1),
                      region_codes=(PEKANBARU,))  # fmt: skip
    assert await _found(db, orp) == {orpa["nik"]}


async def test_a_typo_a_run_together_name_or_a_babys_mother_by_call_name_reach_a_family_that_moved(
    db: Database,
) -> None:
    registry = Registry()
    gabriel = registry.add("Gabriel", date(2021, 9, 27), KUPANG, "Yasinta Tefa", "M")
    registry.add("Gabriel", date(2021, 9, 27), KUPANG, "Yasinta Tefa", "F")  # a girl
    khairunnisa = registry.add("Khairunnisa Khairunnisa", date(2021, 2, 8), KUPANG, "Mardiana", "F")
    baby = registry.add("Rosnani Pertiwi", date(2024, 9, 9), KUPANG, "Zuraida Syakila", "F")
    registry.add("Rahmi", date(2024, 9, 9), KUPANG, "Yuliani", "F")  # the day, another mother
    await registry.write(db)
    # A typo in the called name, no mother, an approximate date, recorded where the family is not.
    gbariel = ChildRecord(names=("Gbariel",), sex="M", birth_date=date(2021, 2, 4),
                          birth_date_exact=False, region_codes=(PEKANBARU,),
                          father_names=("Andreas Matius Tallo",))  # fmt: skip
    assert await _found(db, gbariel) == {gabriel["nik"]}
    # The called name run into itself (a spacing slip): the known given name it begins with.
    run = ChildRecord(names=("Khairunnisakhairunnisa",), sex="F", birth_date=date(2021, 6, 9),
                      birth_date_exact=False, region_codes=(BATAM,), mother_names=("Nana",))  # fmt: skip
    assert khairunnisa["nik"] in await _found(db, run)
    # "By. Ny. Dada": the baby of a mother known by the end of her name (Zuraida), the day
    # right and the year not: the girls born on the day whose mother's called name ends in "da".
    dada = ChildRecord(names=("BY. NY. Dada",), sex="F", birth_date=date(2023, 9, 9),
                       birth_date_exact=False, region_codes=(BATAM,), mother_names=("Dada",))  # fmt: skip
    assert await _found(db, dada) == {baby["nik"]}


async def test_a_garbled_name_in_its_own_desa_is_found_by_the_written_day(db: Database) -> None:
    registry = Registry()
    fransiskus = registry.add("Fransiskus Taek", date(2010, 2, 6), KUPANG, "Yuliana", "M")
    swapped = registry.add("Yohanes Taek", date(2011, 6, 2), KUPANG, "Yuliana", "M")
    registry.add("Markus Taek", date(2010, 3, 6), KUPANG, "Yuliana", "M")  # another day
    registry.add("Fransiskus Bana", date(2010, 2, 6), BATAM, "Maria", "M")  # another desa
    await registry.write(db)
    sidko = ChildRecord(names=("Sidko",), sex="M", birth_date=date(2010, 2, 6),
                        region_codes=(KUPANG,))  # fmt: skip
    assert await _found(db, sidko) == {fransiskus["nik"], swapped["nik"]}


async def test_the_call_name_day_blocks_read_the_birth_date_index_alone(db: Database) -> None:
    # The day's people tested for sex and the name's end in the index (migration 0008), not
    # fetched from the table one by one (a few hundred a day at ten million people), nor a
    # region's years walked instead. A registry with statistics: an empty table's plan says
    # nothing of a real one's.
    rng = random.Random(14)
    registry = Registry()
    desa = (PEKANBARU, "14.71.02.1002", "14.71.05.2001", BATAM, KUPANG)
    for _ in range(3000):
        born = date(rng.randint(2000, 2025), rng.randint(1, 12), rng.randint(1, 28))
        name = rng.choice(("Mardiana", "Dewi", "Rizki", "Putri Ayu", "Hasna", "Yohanes"))
        registry.add(name, born, rng.choice(desa), rng.choice(("Sri", None)), rng.choice("MF"))
    await registry.write(db)
    record = ChildRecord(names=("Nana",), sex="F", birth_date=date(2012, 3, 28),
                         birth_date_exact=False, region_codes=(KUPANG,))  # fmt: skip
    blocks = [b for b in query_blocks(record) if b.kind is BlockKind.CALL_NAME_DAY]
    assert [b.match for b in blocks] == [Match.SUFFIX, Match.PREFIX]
    # The end: a filter on the days' rows. (The beginning is a range of the key: a seek in this
    # index or, for a rare beginning, in a name index; test_every_block_reads_a_key_index.)
    # The same for the end of a call name with only an approximate date or a year: a range
    # of the index's days (a year of the nation's children), the end and sex tested in it.
    year_only = ChildRecord(names=("Nana",), sex="F", birth_year=2012, region_codes=(KUPANG,))
    near = [b for b in query_blocks(year_only) if b.kind is BlockKind.CALL_NAME_NEAR]
    assert [b.match for b in near] == [Match.SUFFIX, Match.PREFIX]
    async with db.engine.connect() as conn:
        # As the import leaves it: statistics, and (PostgreSQL) the visibility map that an
        # index-only scan needs, which only VACUUM (outside a transaction) writes.
        vacuum = "VACUUM ANALYZE person" if conn.dialect.name == "postgresql" else "ANALYZE"
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text(vacuum))
        for ending in (blocks[:1], near[:1]):
            statement = store.blocks_statement(ending).compile(
                conn.sync_connection, compile_kwargs={"literal_binds": True}
            )
            if conn.dialect.name == "sqlite":
                rows = await conn.execute(text(f"EXPLAIN QUERY PLAN {statement}"))
                plan = str([r[-1] for r in rows])
                assert "USING COVERING INDEX ix_person_birth_date_keys" in plan
            else:
                await conn.execute(text("SET enable_bitmapscan = off"))  # a few thousand rows
                rows = await conn.execute(text(f"EXPLAIN {statement}"))
                plan = str([r[0] for r in rows])
                assert "Index Only Scan using ix_person_birth_date_keys" in plan


async def test_excluded_niks_are_never_candidates(db: Database) -> None:
    registry = Registry()
    one = registry.add("Rizki Pratama", date(2015, 3, 10), PEKANBARU, "Sri Wahyuni")
    two = registry.add("Rizki Pratama", date(2015, 3, 10), PEKANBARU, "Sri Wahyuni")
    await registry.write(db)
    record = ChildRecord(
        names=("Rizki Pratama",), birth_date=date(2015, 3, 10), region_codes=(PEKANBARU,),
        excluded_niks=frozenset({one["nik"]}),
    )  # fmt: skip
    async with db.connect() as conn:
        answer = await store.candidates(conn, record, top=10)
    niks = {c.person.nik for c in answer.candidates}
    assert niks == {two["nik"]}
    assert answer.blocks_searched == len(query_blocks(record))


async def test_people_left_out_by_the_caller_are_left_out_before_ranking(db: Database) -> None:
    """Two identical registry records (twins, say): together they split the probability and
    warn of each other; with one left out by the caller (a person the officer may not be shown),
    the other is ranked as if it had been found alone — nothing of the first is in the answer."""
    registry = Registry()
    one = registry.add("Rizki Pratama", date(2015, 3, 10), PEKANBARU, "Sri Wahyuni")
    two = registry.add("Rizki Pratama", date(2015, 3, 10), PEKANBARU, "Sri Wahyuni")
    await registry.write(db)
    record = ChildRecord(
        names=("Rizki Pratama",), birth_date=date(2015, 3, 10), region_codes=(PEKANBARU,)
    )
    asked: list[list[str]] = []

    async def leave_out(_conn: Any, niks: Any) -> set[str]:
        asked.append(sorted(niks))
        return {one["nik"]}

    async with db.connect() as conn:
        both = await store.candidates(conn, record, top=10)
        left = await store.candidates(conn, record, top=10, leave_out=leave_out)
        alone = await store.candidates(
            conn, replace(record, excluded_niks=frozenset({one["nik"]})), top=10
        )
    assert {c.person.nik for c in both.candidates} == {one["nik"], two["nik"]}
    assert asked == [sorted({one["nik"], two["nik"]})]
    assert [c.person.nik for c in left.candidates] == [two["nik"]]
    assert left.candidates[0].score > max(c.score for c in both.candidates)
    assert left.candidates == alone.candidates
    assert left.no_match_probability == alone.no_match_probability


async def test_a_blank_record_finds_nobody_without_error(db: Database) -> None:
    registry = Registry()
    registry.add("Rizki Pratama", date(2015, 3, 10), PEKANBARU, "Sri Wahyuni")
    await registry.write(db)
    async with db.connect() as conn:
        answer = await store.candidates(conn, ChildRecord(), top=5)
        blank_names = await store.candidates(conn, ChildRecord(names=("  ",)), top=5)
    assert answer.candidates == () and answer.blocks_searched == 0
    assert blank_names.candidates == ()


async def test_score_pair_scores_one_named_person(db: Database) -> None:
    registry = Registry()
    person = registry.add("Rizki Pratama", date(2015, 3, 10), PEKANBARU, "Sri Wahyuni")
    await registry.write(db)
    record = ChildRecord(names=("Rizki Pratama",), birth_date=date(2015, 3, 10))
    async with db.connect() as conn:
        scored = await store.score_pair(conn, record, person["nik"])
        unknown = await store.score_pair(conn, record, "1471020000000000")
    assert scored is not None and scored.person.nik == person["nik"]
    assert unknown is None


def _index_child(child_id: str, name: str, registered_by: str, **changes: Any) -> dict[str, Any]:
    """A child index row in Pekanbaru: no NIK, date or parents unless ``changes`` give them."""
    return {
        "id": child_id, "nik": None, "full_name": name, "normalized_name": normalize_name(name),
        "sex": "M", "birth_date": None, "birth_date_approximate": False, "birth_place": None,
        "mother_name": None, "father_name": None, "region_code": PEKANBARU, "address": None,
        "kk_number": None, "birth_certificate_number": None, "kia_status": "NONE",
        "registry_person_id": None, "registered_by": registered_by, "registered_at": NOW,
        **changes,
    }  # fmt: skip


async def test_child_record_merges_every_report_and_other_name(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            insert(t.child),
            [_index_child("ANK000000099", "Iki", "LKSA", address="RT 003/RW 002")],
        )
        await conn.execute(insert(t.child_name), [
            {"child_id": "ANK000000099", "name": "Rizki Pratama",
             "normalized_name": "rizki pratama", "recorded_by": "BALAI"},
        ])  # fmt: skip
        reports = [
            ("LKSA", "fullName", "Iki"), ("LKSA", "regionCode", PEKANBARU),
            ("BALAI", "fullName", "Rizki Pratama"), ("BALAI", "birthDate", "2015-03-10"),
            ("BALAI", "motherName", "Sri Wahyuni"), ("PKH", "motherName", "Sri"),
            ("PKH", "regionCode", BATAM), ("PKH", "kkNumber", "1471020101150001"),
            ("PKH", "fatherName", "Bambang"), ("PKH", "birthPlace", "Pekanbaru"),
            ("PKH", "birthDate", "not a date"), ("PKH", "ageEstimate", "about ten"),
            ("LKSA", "ageEstimate", "11"), ("PKH", "address", "Jl. Merdeka No. 4"),
            ("BALAI", "address", "RT 003/RW 002"),
        ]  # fmt: skip
        await conn.execute(insert(t.child_attribute_report), [
            {"child_id": "ANK000000099", "agency": agency, "attribute": attribute,
             "value": value, "reported_at": NOW}
            for agency, attribute, value in reports
        ])  # fmt: skip
    async with db.connect() as conn:
        record = await store.child_record(conn, "ANK000000099")
        unknown = await store.child_record(conn, "ANK999999999")
    assert unknown is None
    assert record is not None
    assert record.names == ("Iki", "Rizki Pratama")  # the index's name first, each once
    # The index has no date: the first readable one reported, as written (no report says it is
    # approximate).
    assert record.birth_date == date(2015, 3, 10) and record.birth_date_exact
    assert record.mother_names == ("Sri Wahyuni", "Sri")
    assert record.father_names == ("Bambang",)
    assert record.region_codes == (PEKANBARU, BATAM)
    assert record.kk_number == "1471020101150001"
    assert record.birth_places == ("Pekanbaru",)
    assert (record.age_estimate, record.as_of) == (11, NOW.date())  # the readable one
    assert record.sex == "M" and record.record_id == "ANK000000099"
    assert record.addresses == ("RT 003/RW 002", "Jl. Merdeka No. 4")  # the index's first, once


async def test_a_registry_person_names_the_index_child_holding_its_nik(db: Database) -> None:
    registry = Registry()
    held = registry.add("Rizki Pratama", date(2015, 3, 10), PEKANBARU, "Sri Wahyuni")
    free = registry.add("Rina Pratama", date(2016, 3, 10), PEKANBARU, "Sri Wahyuni", sex="F")
    await registry.write(db)
    async with db.transaction() as conn:
        await conn.execute(insert(t.child), [_index_child(
            "ANK000000042", "Rizki Pratama", "PKH", nik=held["nik"],
            birth_date=date(2015, 3, 10), registry_person_id=held["id"],
        )])  # fmt: skip
    async with db.connect() as conn:
        people = await store.load_people(conn, [free["id"], held["id"]])
        record = ChildRecord(names=("Rizki Pratama",), birth_date=date(2015, 3, 10))
        answer = await store.candidates(conn, record, top=5)
    assert {p.nik: p.held_by for p in people} == {held["nik"]: "ANK000000042", free["nik"]: None}
    rizki = next(c for c in answer.candidates if c.person.nik == held["nik"])
    assert Warning_.HELD_BY_ANOTHER_CHILD in rizki.warnings and rizki.band != Band.AUTO_SUGGEST


async def test_a_registry_person_carries_the_address_of_its_family_card(db: Database) -> None:
    registry = Registry()
    person = registry.add("Rizki Pratama", date(2015, 3, 10), PEKANBARU, "Sri Wahyuni")
    await registry.write(db)
    async with db.connect() as conn:
        (loaded,) = await store.load_people(conn, [person["id"]])
        record = ChildRecord(names=("Rizki",), region_codes=(PEKANBARU,), addresses=("Jl Merdeka",))
        scored = await store.score_pair(conn, record, person["nik"])
    assert loaded.address == "Jl. Merdeka" and loaded.held_by is None
    # A record without an address reads none: nothing to compare it with, nothing to show.
    async with db.connect() as conn:
        (bare,) = await store.load_people(conn, [person["id"]], addresses=False)
        plain = await store.candidates(
            conn, ChildRecord(names=("Rizki",), region_codes=(PEKANBARU,))
        )
        told = await store.candidates(conn, record)
    assert bare == dataclasses.replace(loaded, address=None)
    assert [c.person.address for c in plain.candidates] == [None]
    assert [c.person.address for c in told.candidates] == ["Jl. Merdeka"]
    assert scored is not None
    assert {e.attribute: e.level for e in scored.explanation}["address"] == "NEAR"


KEY_INDEX_RECORDS = (
    ChildRecord(
        names=("Rizki Pratama", "Iki"), birth_date=date(2015, 3, 10),
        region_codes=(PEKANBARU, BATAM), mother_names=("Sri Wahyuni",),
        kk_number="1471020101150001",
    ),
    # Names run together (split at a known given name), an approximate date (the day in every
    # year of the window), a baby of Mrs X, a call name alone (the desa's neighbourhood).
    ChildRecord(
        names=("Gilangfirmansyah", "Muhammadbima", "By. Ny. Sri Wahyuni"),
        birth_date=date(2023, 1, 25), birth_date_exact=False, region_codes=(PEKANBARU,),
    ),
    ChildRecord(names=("Nana",), sex="F", birth_date=date(2012, 3, 31), region_codes=(KUPANG,)),
    ChildRecord(names=("Yul",), age_estimate=0, as_of=date(2024, 3, 5), mother_names=("Rina",)),
    # A call name near an approximate date, a typo nationally, a baby of a mother's call name.
    ChildRecord(names=("Jiji",), sex="M", birth_date=date(2014, 1, 1), birth_date_exact=False,
                region_codes=(PEKANBARU,)),
    ChildRecord(names=("Gbariel",), sex="M", birth_year=2021, region_codes=(PEKANBARU,)),
    ChildRecord(names=("By. Ny. Dada",), sex="F", birth_date=date(2023, 9, 9),
                region_codes=(PEKANBARU,), mother_names=("Dada",)),
)  # fmt: skip


@pytest.mark.parametrize("linkable_first", [False, True], ids=["typed-in", "index-child"])
@pytest.mark.parametrize("record", KEY_INDEX_RECORDS, ids=lambda r: r.names[0])
async def test_every_block_reads_a_key_index(
    db: Database, record: ChildRecord, linkable_first: bool
) -> None:
    blocks = query_blocks(record)
    async with db.connect() as conn:
        statement = store.blocks_statement(blocks, linkable_first=linkable_first).compile(
            conn.sync_connection, compile_kwargs={"literal_binds": True}
        )
        if conn.dialect.name == "sqlite":
            plan = [r[-1] for r in await conn.execute(text(f"EXPLAIN QUERY PLAN {statement}"))]
            # Each block's own reading of person ("SCAN b3" is the union reading a block's rows).
            scans = [line for line in plan if line.startswith(("SCAN person", "SEARCH person"))]
            assert scans and all("USING INDEX" in s or "USING COVERING INDEX" in s for s in scans)
            assert not [s for s in scans if s.startswith("SCAN person")]
        else:
            # A handful of rows: tell the planner a table scan is not an option, then check that
            # every block has an index to read instead.
            await conn.execute(text("SET enable_seqscan = off"))
            plan = [r[0] for r in await conn.execute(text(f"EXPLAIN {statement}"))]
            assert not [line for line in plan if "Seq Scan" in line]
            assert sum("Index" in line for line in plan) >= len(blocks)


def _in_block(block: Block, person: dict[str, Any]) -> bool:
    """Whether a registry row meets a block's conditions (the statement's WHERE, in Python)."""
    value = person[block.column.value]
    if block.match is Match.ANY_OF:
        hit = value in block.keys
    elif block.match is Match.PREFIX:
        hit = block.key <= value < block.key + "~"
    elif block.match is Match.SUFFIX:
        hit = value.endswith(block.key)
    else:
        hit = value == block.key
    years, region = block.years, block.region
    return (
        hit
        and (years is None or years.first <= person["birth_year"] <= years.last)
        and (region is None or region <= person["region_code"] < region + "~")
        and all(person[column.value] == key for column, key in block.also)
        and (not block.birth_dates or person["birth_date"] in block.birth_dates)
        and (
            block.born_between is None
            or block.born_between[0] <= person["birth_date"] <= block.born_between[1]
        )
        and (block.sex is None or person["sex"] == block.sex)
    )


def _block_order(block: Block, person: dict[str, Any]) -> tuple[int, str, int]:
    """The order a block's cap cuts by: nearest the target year, else the key index's order."""
    if block.order_year is not None:
        return abs(person["birth_year"] - block.order_year), "", person["id"]
    if block.years is not None:
        return person["birth_year"], "", person["id"]
    if block.region is not None:
        return 0, person["region_code"], person["id"]
    return 0, "", person["id"]


def _expected_ids(
    blocks: list[Block], persons: list[dict[str, Any]], held: frozenset[str] | None = None
) -> list[int]:
    """What retrieval must return, worked out without a database: each block's rows in its
    order up to its cap, the blocks in turn, each person once, at most MAX_PEOPLE. With
    ``held`` (the NIKs index children hold; retrieval for an index child): each block's held
    persons after its others, and every block's others before any block's held persons."""
    found: list[tuple[bool, int, int, int]] = []
    for number, block in enumerate(blocks):

        def order(person: dict[str, Any], block: Block = block) -> tuple[Any, ...]:
            return (held is not None and person["nik"] in held, *_block_order(block, person))

        rows = sorted((p for p in persons if _in_block(block, p)), key=order)
        found += [(order(p)[0], number, i, p["id"]) for i, p in enumerate(rows[: block.cap])]
    ids = dict.fromkeys(row[-1] for row in sorted(found))
    return list(ids)[: store.MAX_PEOPLE]


def _crowded(rng: random.Random) -> Registry:
    """700 namesakes, enough to fill every cap, in shuffled order so that the table's physical
    order is not the id order: a capped block that kept whichever rows its plan met first
    would keep other people (and other people on PostgreSQL than on SQLite)."""
    registry = Registry()
    desa = (PEKANBARU, "14.71.02.1002", "14.71.05.2001", BATAM, KUPANG)
    mothers = ("Sri Wahyuni", "Siti Aminah", "Nur Halimah", None)
    for _ in range(700):
        name = rng.choice(("Rizki Pratama", "Muhammad Rizki", "Rizky Ramadhan", "Riski Saputra"))
        born = date(rng.randint(2008, 2024), rng.randint(1, 12), rng.randint(1, 28))
        registry.add(name, born, rng.choice(desa), rng.choice(mothers), rng.choice("MF"))
    registry.persons.sort(key=lambda p: rng.random())
    return registry


CROWDED_RECORDS: tuple[ChildRecord, ...] = (
    ChildRecord(names=("Rizki Pratama",), sex="M", birth_date=date(2015, 3, 10),
                region_codes=(PEKANBARU,), mother_names=("Sri Wahyuni",)),
    ChildRecord(names=("Rizki",), birth_year=2016, region_codes=("14.71",)),
    ChildRecord(names=("Rizki Saputra",), region_codes=(PEKANBARU,)),  # no date at all
    ChildRecord(names=("Iki",), sex="F", birth_date=date(2012, 1, 1), birth_date_exact=False,
                region_codes=(PEKANBARU,)),
    ChildRecord(names=("Riski",), age_estimate=9, as_of=date(2026, 11, 1),
                mother_names=("Siti",), region_codes=(BATAM, PEKANBARU)),
)  # fmt: skip


async def test_capped_blocks_keep_the_same_people_on_every_backend(db: Database) -> None:
    registry = _crowded(random.Random(11))
    await registry.write(db)
    for record in CROWDED_RECORDS:
        blocks = query_blocks(record)
        expected = _expected_ids(blocks, registry.persons)
        cut = [b for b in blocks if sum(_in_block(b, p) for p in registry.persons) > b.cap]
        assert len(cut) >= 2 and len(expected) > TIGHT_CAP  # the caps cut
        async with db.connect() as conn:
            assert await store.retrieve(conn, blocks) == expected, record


async def test_for_an_index_child_caps_cut_the_persons_other_children_hold_first(
    db: Database,
) -> None:
    # Two in three of the namesakes are held by index children (the triggers on child mark
    # them): for an index child without a NIK, who can be linked to none of them, each block
    # keeps the others first and the people cap keeps every block's others before any held
    # person; held persons still come where there is room (a child recorded twice is one).
    rng = random.Random(11)
    registry = _crowded(rng)
    await registry.write(db)
    holders = [p for p in registry.persons if rng.random() < 2 / 3]
    async with db.transaction() as conn:
        await conn.execute(insert(t.child), [
            _index_child(f"ANK{i:09d}", p["full_name"], "PKH", nik=p["nik"])
            for i, p in enumerate(holders, start=100)
        ])  # fmt: skip
    held = frozenset(p["nik"] for p in holders)
    for record in CROWDED_RECORDS:
        blocks = query_blocks(record)
        plain = _expected_ids(blocks, registry.persons)
        linkable_first = _expected_ids(blocks, registry.persons, held)
        by_id = {p["id"]: p["nik"] in held for p in registry.persons}
        # The order keeps more linkable persons, and some held ones still.
        assert sum(not by_id[i] for i in linkable_first) > sum(not by_id[i] for i in plain)
        assert any(by_id[i] for i in linkable_first), record
        async with db.connect() as conn:
            assert await store.retrieve(conn, blocks, linkable_first=True) == linkable_first
            assert await store.retrieve(conn, blocks) == plain
            indexed = replace(record, indexed=True, record_id="ANK000000001")
            assert {p.person_id for p in await store.found(conn, indexed)} == set(linkable_first)
            # A record typed in, or an index child holding a NIK already, is retrieved as
            # before: the child at the counter may be one of those index children.
            assert {p.person_id for p in await store.found(conn, record)} == set(plain)
            documented = replace(indexed, nik=holders[0]["nik"])
            assert {p.person_id for p in await store.found(conn, documented)} == set(plain)


async def test_the_call_name_day_blocks_cap_keeps_the_same_people_on_every_backend(
    db: Database,
) -> None:
    # More girls born on the day (or with day and month swapped) whose names end in "na" than
    # the block's cap, in shuffled order: the cap keeps those nearest the written year, then by
    # id, on SQLite and PostgreSQL alike.
    rng = random.Random(13)
    registry = Registry()
    for _ in range(6 * CALL_NAME_DAY_CAP):
        name = rng.choice(("Mardiana", "Yuliana", "Desna", "Rina Putri", "Dewi", "Hasna"))
        born = date(rng.randint(2010, 2014), *rng.choice(((3, 5), (5, 3), (3, 6))))
        registry.add(name, born, rng.choice((KUPANG, BATAM)), None, rng.choice("MF"))
    registry.persons.sort(key=lambda p: rng.random())
    await registry.write(db)
    record = ChildRecord(names=("Nana",), sex="F", birth_date=date(2012, 3, 5),
                         birth_date_exact=False, region_codes=(PEKANBARU,))  # fmt: skip
    blocks = query_blocks(record)
    (name_end,) = [
        b for b in blocks if b.kind is BlockKind.CALL_NAME_DAY and b.match is Match.SUFFIX
    ]
    rows = [p for p in registry.persons if _in_block(name_end, p)]
    assert len(rows) > name_end.cap  # the cap cuts
    kept = sorted(rows, key=partial(_block_order, name_end))[: name_end.cap]
    # Nearest the written year first: the cut falls in a farther year than every kept row's.
    assert max(abs(p["birth_year"] - 2012) for p in kept) <= min(
        abs(p["birth_year"] - 2012) for p in rows if p not in kept
    )
    async with db.connect() as conn:
        assert await store.retrieve(conn, [name_end]) == [p["id"] for p in kept]
        assert await store.retrieve(conn, blocks) == _expected_ids(blocks, registry.persons)


async def test_a_batch_over_processes_ranks_as_single_queries_do(db: Database) -> None:
    # `satu-anak identity match` splits a batch over worker processes (each with its own string
    # hashing, connection and caches): every record must get what a single query gets.
    rng = random.Random(12)
    registry = Registry()
    desa = (PEKANBARU, "14.71.02.1002", BATAM, KUPANG)
    for _ in range(400):
        name = rng.choice(("Nabila Putri", "Bila Lestari", "Nabilah", "Rizki Pratama"))
        born = date(rng.randint(2008, 2012), rng.randint(1, 12), rng.randint(1, 28))
        registry.add(name, born, rng.choice(desa), rng.choice(("Endang Sumiati", None)), "F")
    await registry.write(db)
    kinds = (
        ChildRecord(names=("Nabika", "Bila"), birth_year=2009, region_codes=("14.71",),
                    mother_names=("Endang Sumiati",)),
        ChildRecord(names=("Bila",), sex="F", birth_date=date(2010, 3, 7), region_codes=(BATAM,)),
        ChildRecord(names=("Nabila Putri",), age_estimate=15, as_of=date(2026, 11, 1)),
    )  # fmt: skip
    records = [
        (line, dataclasses.replace(kinds[line % len(kinds)], record_id=f"R{line:03d}"))
        for line in range(120)
    ]
    expected = []
    async with db.connect() as conn:
        for _line, record in records:
            found = await store.candidates(conn, record, top=5)
            expected += [
                (record.record_id, rank, c.person.nik, c.score, c.band.value)
                for rank, c in enumerate(found.candidates, start=1)
            ]
    rows, failures = await asyncio.to_thread(
        match_records, normalize_database_url(db.url), records, 5, 2
    )
    assert failures == [] and len(expected) == 5 * len(records)
    assert rows == expected
