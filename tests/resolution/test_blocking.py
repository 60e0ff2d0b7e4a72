"""Blocking keys and query blocks: what a registry person is filed under, what a child looks up."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

from resolution.blocking import (
    LOOSE_CAP,
    TIGHT_CAP,
    Block,
    BlockKind,
    KeyColumn,
    query_blocks,
    registry_keys,
    year_window,
)
from resolution.names import phonetic_key
from resolution.records import ChildRecord


def _lookups(blocks: list[Block], column: KeyColumn) -> set[str]:
    return {b.key for b in blocks if b.column is column}


def test_registry_keys_file_a_person_under_called_name_other_token_mother_and_year() -> None:
    keys = registry_keys("Muhammad Rizki Pratama", "Siti Aminah", date(2015, 3, 10))
    assert keys.name_key == phonetic_key("rizki")  # past the Muhammad prefix
    assert keys.name_key2 == phonetic_key("pratama")
    assert keys.mother_key == phonetic_key("aminah")  # past Siti
    assert keys.birth_year == 2015


def test_registry_keys_of_a_single_name_without_mother() -> None:
    keys = registry_keys("Sukarni", None, date(1980, 1, 1))
    assert keys == (phonetic_key("sukarni"), "", "", 1980)


def test_old_spelling_and_new_spelling_share_a_key() -> None:
    old = registry_keys("Djoko Soesilo", None, date(1990, 1, 1))
    new = registry_keys("Joko Susilo", None, date(1990, 1, 1))
    assert (old.name_key, old.name_key2) == (new.name_key, new.name_key2)


def test_year_windows_widen_with_uncertainty() -> None:
    exact = year_window(ChildRecord(birth_date=date(2015, 6, 1)))
    blurred = year_window(ChildRecord(birth_date=date(2015, 6, 1), birth_date_exact=False))
    aged = year_window(ChildRecord(age_estimate=7, as_of=date(2026, 11, 1)))
    assert exact is not None and (exact.first, exact.last) == (2014, 2016)
    assert blurred is not None and (blurred.first, blurred.last) == (2013, 2017)
    # Seven on 1 November 2026: born between November 2018 and October 2019, give or take.
    assert aged is not None and aged.first <= 2018 and aged.last >= 2019
    assert year_window(ChildRecord()) is None


def test_every_name_mother_and_region_is_looked_up_in_several_blocks() -> None:
    record = ChildRecord(
        names=("Rizki Pratama", "Iki"),
        birth_date=date(2015, 3, 10),
        region_codes=("14.71.02.1001", "21.71"),
        mother_names=("Aminah",),
    )
    blocks = query_blocks(record)
    names = _lookups(blocks, KeyColumn.NAME)
    assert phonetic_key("rizki") in names
    assert phonetic_key("pratama") in _lookups(blocks, KeyColumn.NAME2)
    assert _lookups(blocks, KeyColumn.MOTHER) == {phonetic_key("aminah")}
    # Both kabupaten, their provinces, and the nation (a family that moved).
    regions = {
        b.region for b in blocks if b.column is KeyColumn.NAME and b.key == phonetic_key("rizki")
    }
    assert {"14.71", "21.71", "14", "21", None} <= regions
    # A wrong year: the called name in the kabupaten, whatever the year.
    assert any(
        b.years is None and b.region == "14.71" for b in blocks if b.column is KeyColumn.NAME
    )
    assert len(blocks) == len(set(blocks))


def test_tight_blocks_come_first_and_every_block_is_capped() -> None:
    record = ChildRecord(names=("Putri",), birth_date=date(2016, 1, 1), region_codes=("14.71",))
    blocks = query_blocks(record)
    assert blocks[0].region == "14.71" and blocks[0].years is not None
    assert blocks[0].cap == TIGHT_CAP
    assert all(0 < b.cap <= max(TIGHT_CAP, LOOSE_CAP) for b in blocks)


def test_a_baby_of_mrs_x_is_looked_up_by_its_mother() -> None:
    record = ChildRecord(names=("By. Ny. Sri Wahyuni",), birth_date=date(2025, 2, 1))
    blocks = query_blocks(record)
    assert phonetic_key("sri") in _lookups(blocks, KeyColumn.MOTHER)
    assert not [b for b in blocks if b.kind is BlockKind.GIVEN_NAME]


def test_a_kk_number_is_its_own_block() -> None:
    blocks = query_blocks(ChildRecord(kk_number="1471020101150001"))
    assert [(b.column, b.key) for b in blocks] == [(KeyColumn.KK, "1471020101150001")]


def test_a_blank_record_has_no_blocks() -> None:
    assert query_blocks(ChildRecord()) == []
    assert query_blocks(ChildRecord(names=("", "  ", "."), mother_names=("",))) == []


def test_a_written_date_narrows_names_nationally_with_day_and_month_swapped() -> None:
    record = ChildRecord(names=("Putri",), birth_date=date(2016, 3, 7), region_codes=("21.71",))
    dated = [b for b in query_blocks(record) if b.birth_dates]
    assert dated and all(b.region is None for b in dated)
    assert {d for b in dated for d in b.birth_dates} == {date(2016, 3, 7), date(2016, 7, 3)}
    blurred = ChildRecord(names=("Putri",), birth_date=date(2016, 3, 7), birth_date_exact=False)
    assert not [b for b in query_blocks(blurred) if b.birth_dates]


def test_only_a_call_name_without_mother_searches_the_desa_neighbourhood() -> None:
    def neighbourhood(record: ChildRecord) -> list[Block]:
        return [b for b in query_blocks(record) if b.kind is BlockKind.NEIGHBOURHOOD]

    base = ChildRecord(names=("Wiwi",), sex="F", birth_date=date(2019, 6, 1),
                       region_codes=("14.71.02.1001",))  # fmt: skip
    assert [(b.column, b.key, b.sex) for b in neighbourhood(base)] == [
        (KeyColumn.REGION, "14.71.02.1001", "F")
    ]
    formal = ChildRecord(names=("Dewi Lestari",), birth_date=date(2019, 6, 1),
                         region_codes=("14.71.02.1001",))  # fmt: skip
    with_mother = ChildRecord(names=("Wiwi",), birth_date=date(2019, 6, 1),
                              region_codes=("14.71.02.1001",), mother_names=("Sulastri",))  # fmt: skip
    assert neighbourhood(formal) == [] and neighbourhood(with_mother) == []


def test_a_record_has_the_same_blocks_in_every_process() -> None:
    # A nickname's formal names are a set, whose order follows the process's string hashing:
    # taken in that order, the blocks (and so which people the people cap keeps) changed from
    # one process to the next, and a batch's workers disagreed with a single query.
    script = (
        "from resolution.blocking import query_blocks\n"
        "from resolution.records import ChildRecord\n"
        "r = ChildRecord(names=('Nabika', 'Bila'), birth_year=2009, region_codes=('18.01',),"
        " mother_names=('Endang Sumiati',))\n"
        "print([repr(b) for b in query_blocks(r)])\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout
        for seed in range(1, 9)
    }  # fmt: skip
    assert len(outputs) == 1
