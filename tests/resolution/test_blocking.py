"""Blocking keys and query blocks: what a registry person is filed under, what a child looks up."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import date

from resolution.blocking import (
    CALL_NAME_DAY_CAP,
    LOOSE_CAP,
    TIGHT_CAP,
    Block,
    BlockKind,
    KeyColumn,
    Match,
    call_name_end,
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
    # The day, and the day with day and month swapped, in every year of the window (±1): a
    # wrong year under the right day and month.
    days = {date(y, m, d) for y in (2015, 2016, 2017) for m, d in ((3, 7), (7, 3))}
    assert {d for b in dated for d in b.birth_dates} == days
    assert all(b.years is not None and (b.years.first, b.years.last) == (2015, 2017) for b in dated)


def test_an_approximate_date_still_narrows_names_by_its_day_in_a_wider_window() -> None:
    # "2021-08-16~" for a child born 2020-08-16: the year was written wrong, not the day.
    blurred = ChildRecord(names=("Hanifah",), birth_date=date(2021, 8, 16), birth_date_exact=False)
    dated = [b for b in query_blocks(blurred) if b.birth_dates]
    assert {b.column for b in dated} == {KeyColumn.NAME}
    assert all(date(2020, 8, 16) in b.birth_dates for b in dated)
    assert all(
        b.years is not None and b.years.first <= 2019 and b.years.last >= 2023 for b in dated
    )
    # The spelling neighbours on the day only for a written (exact) date.
    assert not [b for b in dated if b.kind is BlockKind.SPELLING]


def test_29_february_is_searched_only_in_leap_years() -> None:
    record = ChildRecord(names=("Putri",), birth_date=date(2016, 2, 29))
    dated = {d for b in query_blocks(record) if b.birth_dates for d in b.birth_dates}
    assert dated == {date(2016, 2, 29)}


def test_a_typo_in_a_moved_childs_name_is_looked_up_nationally_on_the_day() -> None:
    # "Kucnoro" for Kuncoro, whose family moved: one letter off, on the written day, anywhere.
    record = ChildRecord(names=("Kucnoro",), birth_date=date(2016, 2, 26), region_codes=("14.71",))
    spelled = [b for b in query_blocks(record) if b.kind is BlockKind.SPELLING and b.birth_dates]
    assert [b.region for b in spelled] == [None]
    assert phonetic_key("kuncoro") in spelled[0].keys
    assert date(2016, 2, 26) in spelled[0].birth_dates


def test_names_run_together_are_split_at_a_known_given_name() -> None:
    # "Gilangfirmansyah" for Gilang Firmansyah: both names together, nationally (a family
    # that moved); "Muhammadbima" for Muhammad Bima: filed under bima.
    record = ChildRecord(names=("Gilangfirmansyah",), birth_date=date(2024, 1, 25))
    split = [
        b
        for b in query_blocks(record)
        if b.also == ((KeyColumn.NAME2, phonetic_key("firmansyah")),)
    ]
    assert [(b.column, b.key, b.region) for b in split] == [
        (KeyColumn.NAME, phonetic_key("gilang"), None)
    ]
    prefixed = query_blocks(ChildRecord(names=("Muhammadbima",), birth_date=date(2012, 4, 30)))
    assert phonetic_key("bima") in _lookups(prefixed, KeyColumn.NAME)
    # A name the registry knows whole is not taken apart.
    whole = query_blocks(ChildRecord(names=("Mardiana",), birth_date=date(2012, 4, 30)))
    assert not [b for b in whole if b.also and b.also[0][0] is KeyColumn.NAME2]
    assert _lookups(whole, KeyColumn.NAME) >= {phonetic_key("mardiana")}


def test_an_age_estimate_orders_rows_from_the_likeliest_birth_year() -> None:
    # Aged 0 on 5 March 2024: born between March 2023 and March 2024, most likely in 2023.
    aged = year_window(ChildRecord(age_estimate=0, as_of=date(2024, 3, 5)))
    assert aged is not None and aged.target == 2023
    assert aged.first <= 2022 and aged.last >= 2024


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


def test_a_call_name_alone_looks_up_the_nations_children_born_on_the_day_whose_name_ends_so() -> (
    None
):
    def on_the_day(record: ChildRecord) -> list[tuple[Match, str, str | None]]:
        blocks = [b for b in query_blocks(record) if b.kind is BlockKind.CALL_NAME_DAY]
        return [(b.match, b.key, b.sex) for b in blocks]

    # "Nana" for Mardiana, whose family moved from Kupang: no mother, no KK, no formal name.
    nana = ChildRecord(names=("Nana",), sex="F", birth_date=date(2012, 3, 31),
                       region_codes=("14.71.02.1001",))  # fmt: skip
    blocks = query_blocks(nana)
    # The called name ending in the reduplicated syllable, or beginning with the call name.
    assert on_the_day(nana) == [(Match.SUFFIX, "na", "F"), (Match.PREFIX, "nana", "F")]
    for block in (b for b in blocks if b.kind is BlockKind.CALL_NAME_DAY):
        assert (block.column, block.region, block.cap) == (KeyColumn.NAME, None, CALL_NAME_DAY_CAP)
        # The day and month (31 March has no swapped day) in every year of the window, nearest
        # the written year first.
        assert set(block.birth_dates) == {date(y, 3, 31) for y in (2011, 2012, 2013)}
        assert block.years is not None and block.order_year == 2012
    # Right after the desa's neighbourhood, before the loose name blocks fill the people cap.
    kinds = [b.kind for b in blocks]
    assert kinds.index(BlockKind.CALL_NAME_DAY) == kinds.index(BlockKind.NEIGHBOURHOOD) + 1
    assert kinds.index(BlockKind.CALL_NAME_DAY) < kinds.index(BlockKind.GIVEN_NAME)
    # A closed last syllable is its own end ("Rul" for Masrul), and a beginning too ("Gab" for
    # Gabriel); an approximate date's day is searched as well.
    rul = dataclasses.replace(nana, names=("Rul",), sex="M", birth_date_exact=False)
    assert on_the_day(rul) == [(Match.SUFFIX, "rul", "M"), (Match.PREFIX, "rul", "M")]
    # Two letters end a name but begin too many: no beginning; one letter: nothing.
    assert on_the_day(dataclasses.replace(nana, names=("La",))) == [(Match.SUFFIX, "la", "F")]
    assert on_the_day(dataclasses.replace(nana, names=("A",))) == []
    # Not when something stronger reaches the family, nor without a day.
    assert on_the_day(dataclasses.replace(nana, mother_names=("Nurhayati",))) == []
    assert on_the_day(dataclasses.replace(nana, kk_number="1306020109160001")) == []
    assert on_the_day(dataclasses.replace(nana, names=("Mardiana",))) == []
    assert on_the_day(dataclasses.replace(nana, birth_date=None, birth_year=2012)) == []
    # A mother known by her call name only still leaves the call name to look up by, and her
    # call name's end is looked up among the mothers of the children born on the day.
    kaka = [b for b in query_blocks(dataclasses.replace(nana, mother_names=("Kaka",)))
            if b.kind is BlockKind.CALL_NAME_DAY]  # fmt: skip
    assert [(b.column, b.match, b.key) for b in kaka] == [
        (KeyColumn.NAME, Match.SUFFIX, "na"), (KeyColumn.NAME, Match.PREFIX, "nana"),
        (KeyColumn.MOTHER, Match.SUFFIX, "ka"),
    ]  # fmt: skip


def test_a_call_name_with_an_approximate_date_looks_up_the_nations_children_born_near_it() -> None:
    def near(record: ChildRecord) -> list[tuple[Match, str, str | None]]:
        return [(b.match, b.key, b.sex) for b in query_blocks(record)
                if b.kind is BlockKind.CALL_NAME_NEAR]  # fmt: skip

    # "Jiji" for Darmaji, a family that moved, "1 January 2014" for a date it does not know.
    jiji = ChildRecord(names=("Jiji",), sex="M", birth_date=date(2014, 1, 1),
                       birth_date_exact=False, region_codes=("14.71.02.1001",))  # fmt: skip
    blocks = query_blocks(jiji)
    key = phonetic_key("Jiji")  # "yiyi": j and y are one sound to the key (pre-1972 spelling)
    assert near(jiji) == [(Match.SUFFIX, call_name_end(key), "M"), (Match.PREFIX, key, "M")]
    ending, beginning = (b for b in blocks if b.kind is BlockKind.CALL_NAME_NEAR)
    # Within a year of the approximate date, nationally, nearest the year first.
    assert ending.born_between == (date(2012, 12, 31), date(2015, 1, 2))  # 366 days either way
    assert (ending.region, ending.column, ending.order_year) == (None, KeyColumn.NAME, 2014)
    assert (beginning.born_between, beginning.region) == (None, None)
    # Last: they get what the tighter blocks left of the store's people cap.
    assert blocks[-2:] == [ending, beginning]
    # A year alone: that year's days; an age estimate: only the beginning (years too many for
    # a range over the nation); a written day: the day blocks instead.
    (by_year,) = [b for b in query_blocks(dataclasses.replace(jiji, birth_date=None,
                  birth_year=2014)) if b.match is Match.SUFFIX]  # fmt: skip
    assert by_year.born_between == (date(2014, 1, 1), date(2014, 12, 31))
    aged = dataclasses.replace(jiji, birth_date=None, age_estimate=11, as_of=date(2025, 6, 1))
    assert near(aged) == [(Match.PREFIX, key, "M")]
    assert near(dataclasses.replace(jiji, birth_date_exact=True)) == []
    # Not when a formal name, a mother's formal name or a KK reaches the child, nor without
    # any date at all.
    assert near(dataclasses.replace(jiji, names=("Darmaji",))) == []
    assert near(dataclasses.replace(jiji, mother_names=("Nurul Tri",))) == []
    assert near(dataclasses.replace(jiji, kk_number="1306020109160001")) == []
    assert near(dataclasses.replace(jiji, birth_date=None)) == []


def test_a_typo_of_a_family_that_moved_is_looked_up_nationally_when_nothing_else_reaches_it() -> (
    None
):
    def national(record: ChildRecord) -> list[Block]:
        return [b for b in query_blocks(record)
                if b.kind is BlockKind.SPELLING and b.region is None and not b.birth_dates]  # fmt: skip

    gbariel = ChildRecord(names=("Gbariel",), sex="M", birth_date=date(2021, 2, 4),
                          birth_date_exact=False, region_codes=("14.71.02.1001",))  # fmt: skip
    (block,) = national(gbariel)
    assert block.match is Match.ANY_OF and phonetic_key("Gabriel") in block.keys
    assert (block.sex, block.cap, block.years) == ("M", LOOSE_CAP, year_window(gbariel))
    # A mother, a KK or a written day (whose own blocks reach a family that moved): none.
    assert national(dataclasses.replace(gbariel, mother_names=("Yasinta Tefa",))) == []
    assert national(dataclasses.replace(gbariel, kk_number="1306020109160001")) == []
    assert national(dataclasses.replace(gbariel, birth_date_exact=True)) == []


def test_a_called_name_run_into_the_next_is_looked_up_by_the_given_name_it_begins_with() -> None:
    record = ChildRecord(names=("Khairunnisakhairunnisa",), sex="F", birth_date=date(2021, 6, 9),
                         region_codes=("53.01.06.1003",))  # fmt: skip
    given = {b.key for b in query_blocks(record) if b.kind is BlockKind.GIVEN_NAME}
    assert phonetic_key("Khairunnisa") in given


def test_a_call_names_end_is_a_reduplicated_syllable_once() -> None:
    assert call_name_end("nana") == "na"  # Mardiana
    assert call_name_end("wiwi") == "wi"  # Dewi
    assert call_name_end("rul") == "rul"  # Masrul
    assert call_name_end("dan") == "dan"  # Muhammad Zidan
    assert call_name_end("ania") == "ania"  # not a repetition


def test_a_call_name_without_mother_reaches_a_family_that_moved_through_the_fathers_family_name() -> (
    None
):
    # "Eta", father Silvester Tallo, no mother: the registry files Margareta Kristiani Tallo under
    # tallo as its other token; and Eta's formal name, Margareta, is looked up nationally.
    record = ChildRecord(names=("Eta",), sex="F", birth_date=date(2016, 6, 14),
                         birth_date_exact=False, region_codes=("13.06.02.2004",),
                         father_names=("Silvester Tallo",))  # fmt: skip
    blocks = query_blocks(record)
    tallo = [b for b in blocks if b.column is KeyColumn.NAME2 and b.key == phonetic_key("tallo")]
    assert [(b.region, b.sex) for b in tallo] == [(None, "F")]
    formal = [b for b in blocks if b.kind is BlockKind.NICKNAME and b.region is None and not b.also
              and not b.birth_dates]  # fmt: skip
    assert [(b.key, b.sex) for b in formal] == [(phonetic_key("margareta"), "F")]
    # With a mother to look up by, neither: the mother's blocks reach the family.
    with_mother = query_blocks(dataclasses.replace(record, mother_names=("Kristina Tallo",)))
    assert not [
        b
        for b in with_mother
        if b.column is KeyColumn.NAME2 and b.key == phonetic_key("tallo") and not b.also
    ]
    assert not [
        b
        for b in with_mother
        if b.kind is BlockKind.NICKNAME and b.region is None and not b.also and not b.birth_dates
    ]


def test_the_mothers_national_block_is_wider_when_the_child_has_only_call_names() -> None:
    def national_mother_cap(names: tuple[str, ...]) -> int:
        record = ChildRecord(names=names, sex="F", birth_date=date(2019, 10, 8),
                             region_codes=("15.71.03.1001",), mother_names=("Gusniar Zahra",))  # fmt: skip
        (block,) = [b for b in query_blocks(record) if b.column is KeyColumn.MOTHER
                    and b.region is None and not b.birth_dates and not b.also]  # fmt: skip
        return block.cap

    assert national_mother_cap(("Nini",)) > national_mother_cap(("Erni Pertiwi",)) == LOOSE_CAP


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


def test_a_written_day_in_a_desa_looks_up_the_desas_children_born_on_it_whatever_their_name() -> (
    None
):
    # "Sidko" for Fransiskus (a call name and a typo): no key is near, but the child is still
    # in its desa and its day is written.
    sidko = ChildRecord(names=("Sidko",), sex="M", birth_date=date(2010, 2, 6),
                        region_codes=("53.71.02.1004", "53.71"))  # fmt: skip
    (block,) = [b for b in query_blocks(sidko) if b.kind is BlockKind.DESA_DAY]
    assert (block.column, block.key, block.region) == (KeyColumn.REGION, "53.71.02.1004", None)
    # The day and the day and month swapped, in every year of the window.
    assert set(block.birth_dates) == {
        date(y, m, d) for y in (2009, 2010, 2011) for m, d in ((2, 6), (6, 2))
    }
    assert block.cap == TIGHT_CAP
    # Not for an approximate date (its day is a guess), nor where no desa is known.
    assert not [b for b in query_blocks(dataclasses.replace(sidko, birth_date_exact=False))
                if b.kind is BlockKind.DESA_DAY]  # fmt: skip
    assert not [b for b in query_blocks(dataclasses.replace(sidko, region_codes=("53.71",)))
                if b.kind is BlockKind.DESA_DAY]  # fmt: skip


def test_a_name_run_together_is_split_as_written_where_the_spelling_rules_rewrite_the_join() -> (
    None
):
    # "Ahmadjasman" reads as "ahmajasman" (dj → j, pre-1972 spelling): the prefix Ahmad is
    # found in the name as written, and Jasman, the called name, looked up.
    record = ChildRecord(names=("Ahmadjasman",), sex="M", birth_date=date(2021, 6, 5),
                         region_codes=("31.75.02.1003",))  # fmt: skip
    given = {b.key for b in query_blocks(record) if b.kind is BlockKind.GIVEN_NAME}
    assert phonetic_key("Jasman") in given
