"""Comparison levels: what each attribute of a record and a registry person agree on."""

from __future__ import annotations

from datetime import date

import pytest

from resolution.compare import ATTRIBUTES, LEVELS, compare, person_side, record_side
from resolution.records import ChildRecord, RegistryRecord

JOKO = RegistryRecord(
    person_id=1,
    nik="2171091708140001",
    full_name="Muhammad Joko Sutrisno",
    sex="M",
    birth_date=date(2014, 8, 17),
    birth_place="Batam",
    region_code="21.71.09.1002",
    kk_number="2171090101150001",
    mother_name="Sri Wahyuni",
    father_name="Sutrisno",
)


def levels(**fields: object) -> dict[str, str]:
    return compare(record_side(ChildRecord(**fields)), person_side(JOKO))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("Muhammad Joko Sutrisno", "EXACT"),
        ("Moehammad Djoko Soetrisno", "OLD_SPELLING"),
        ("Joko", "EXACT"),
        ("Jokko Sutrisno", "PHONETIC"),
        ("Jokro Sutrisno", "KEYSTROKE"),  # a key pressed on the way
        ("Jkoo Sutrisno", "KEYSTROKE"),  # two letters swapped
        ("Joka Sutrisno", "ALIKE"),
        ("Iki", "DIFFERENT"),
        ("Sutrisno", "TOKEN_SHARED"),
        ("Bagus Santoso", "DIFFERENT"),
    ],
)
def test_given_name_levels(name: str, level: str) -> None:
    assert levels(names=(name,))["given_name"] == level


def test_the_best_of_several_names_counts_once() -> None:
    # Every agency's name is compared; the pair's level is the best, not a sum.
    assert levels(names=("Bagus", "Djoko"))["given_name"] == "OLD_SPELLING"


@pytest.mark.parametrize(
    ("fields", "level"),
    [
        ({"birth_date": date(2014, 8, 17)}, "EXACT"),
        # An approximate date has levels of its own: on the day is only "within a month".
        ({"birth_date": date(2014, 8, 17), "birth_date_exact": False}, "APPROX_WITHIN_MONTH"),
        ({"birth_date": date(2014, 9, 10), "birth_date_exact": False}, "APPROX_WITHIN_MONTH"),
        ({"birth_date": date(2014, 1, 1), "birth_date_exact": False}, "APPROX_SAME_YEAR"),
        ({"birth_date": date(2013, 8, 17), "birth_date_exact": False}, "APPROX_YEAR_OFF"),
        ({"birth_date": date(2015, 3, 1), "birth_date_exact": False}, "APPROX_WITHIN_1_YEAR"),
        ({"birth_date": date(2012, 3, 1), "birth_date_exact": False}, "APPROX_WITHIN_3_YEARS"),
        ({"birth_date": date(2001, 3, 1), "birth_date_exact": False}, "DIFFERENT"),
        ({"birth_date": date(2014, 8, 1)}, "WITHIN_MONTH"),
        ({"birth_date": date(2014, 1, 1)}, "SAME_YEAR"),
        ({"birth_date": date(2015, 8, 17)}, "YEAR_OFF"),
        ({"birth_date": date(2015, 3, 1)}, "WITHIN_1_YEAR"),
        ({"birth_date": date(2012, 3, 1)}, "WITHIN_3_YEARS"),
        ({"birth_date": date(2001, 3, 1)}, "DIFFERENT"),
        ({"birth_year": 2014}, "YEAR_ONLY_SAME"),
        ({"birth_year": 2013}, "YEAR_ONLY_NEAR"),
        ({"birth_year": 2011}, "YEAR_ONLY_WITHIN_3_YEARS"),
        ({"birth_year": 2010}, "DIFFERENT"),
        ({"age_estimate": 12, "as_of": date(2026, 11, 1)}, "YEAR_ONLY_SAME"),
        ({}, "MISSING"),
    ],
)
def test_birth_date_levels(fields: dict[str, object], level: str) -> None:
    assert levels(**fields)["birth_date"] == level


def test_day_and_month_swapped() -> None:
    person = RegistryRecord(**_with(birth_date=date(2014, 3, 7)))  # type: ignore[arg-type]
    found = compare(record_side(ChildRecord(birth_date=date(2014, 7, 3))), person_side(person))
    assert found["birth_date"] == "SWAPPED"


def _with(**changes: object) -> dict[str, object]:
    fields = {name: getattr(JOKO, name) for name in JOKO.__slots__}
    return {**fields, **changes}


@pytest.mark.parametrize(
    ("codes", "level"),
    [
        (("21.71.09.1002",), "DESA"),
        (("21.71.09.1005",), "KECAMATAN"),
        (("21.71.06.1005",), "KABUPATEN"),
        (("21.71",), "KABUPATEN"),  # the record knows only the kabupaten
        (("21.01.01.2001",), "PROVINCE"),
        (("53.71.02.1002",), "OTHER"),
        (("53.71.02.1002", "21.71.09.1002"), "DESA"),
    ],
)
def test_region_levels(codes: tuple[str, ...], level: str) -> None:
    assert levels(region_codes=codes)["region"] == level


@pytest.mark.parametrize(
    ("mother", "level"),
    [
        ("Sri Wahyuni", "EXACT"),
        ("Sri Wahjoeni", "OLD_SPELLING"),
        ("Wahyuni", "CALLED_NAME"),
        ("Siti Aminah", "DIFFERENT"),
        # Two full names: one woman's if one's every name is in the other, two women's if they
        # only share one (before: both CALLED_NAME, as if 'Sri' were what she is called).
        ("Sri Wahyuni Lestari", "SIMILAR"),  # a name more
        ("Sri Wahyuny", "SIMILAR"),  # a name misspelt
        ("Sri Lestari", "DIFFERENT"),  # only 'Sri' shared
        ("Dewi Wahyuni", "DIFFERENT"),  # only 'Wahyuni' shared
    ],
)
def test_mother_levels(mother: str, level: str) -> None:
    assert levels(mother_names=(mother,))["mother"] == level


@pytest.mark.parametrize(
    ("written", "registered", "level"),
    [
        ("Yuni Sukarni", "Wahyuni Sukarni", "SIMILAR"),  # her call name and her family name
        ("Nur Aini Lestari", "Nuraini Lestari", "SIMILAR"),  # the prefix written apart
        ("Elisabeth Kase", "Elisabeth Maria Kase", "SIMILAR"),  # a middle name left out
        ("Yohana Fatima Tamelab", "Yohana Hege", "DIFFERENT"),  # only a name shared
        ("Maria Mariah", "Maria Nona Kase", "DIFFERENT"),  # 'Mariah' is not another 'Maria'
        ("Maria Nona Kase", "Maria Mariah", "DIFFERENT"),  # ... either way round
    ],
)
def test_two_full_names_of_a_mother(written: str, registered: str, level: str) -> None:
    person = RegistryRecord(**_with(mother_name=registered))  # type: ignore[arg-type]
    record = ChildRecord(names=("Budi",), mother_names=(written,))
    assert compare(record_side(record), person_side(person))["mother"] == level


def test_a_baby_named_after_its_mother_gives_the_mother() -> None:
    found = levels(names=("By. Ny. Sri Wahyuni",))
    assert found["mother"] == "EXACT"
    assert found["given_name"] == "MISSING"  # the baby has no name of its own yet


def test_bin_gives_the_father() -> None:
    assert levels(names=("Joko bin Sutrisno",))["father"] == "EXACT"


def test_sex_kk_and_place() -> None:
    found = levels(sex="L", kk_number=JOKO.kk_number, birth_places=("Kota Batam",))
    assert (found["sex"], found["kk"], found["birth_place"]) == ("SAME", "SAME", "EXACT")
    found = levels(sex="F", kk_number="5301010101010001", birth_places=("Kupang",))
    assert (found["sex"], found["kk"], found["birth_place"]) == (
        "DIFFERENT",
        "DIFFERENT",
        "DIFFERENT",
    )


def test_a_blank_record_compares_as_missing_everywhere() -> None:
    found = levels()
    assert set(found) == set(ATTRIBUTES)
    assert all(level == "MISSING" for level in found.values())


def test_blank_strings_are_missing_too() -> None:
    found = levels(names=("", "  "), mother_names=("",), region_codes=(" ",), sex="")
    assert all(level == "MISSING" for level in found.values())


def test_every_level_tuple_ends_with_missing() -> None:
    assert all(levels_[-1] == "MISSING" for levels_ in LEVELS.values())


def _levels_against(full_name: str, written: str) -> dict[str, str]:
    """The levels of a record of one written name against a person of that full name."""
    person = RegistryRecord(**_with(full_name=full_name))  # type: ignore[arg-type]
    return compare(record_side(ChildRecord(names=(written,))), person_side(person))


@pytest.mark.parametrize(
    ("nick", "full", "level"),
    [("Nana", "Adriana Seran", "CALL_SYLLABLE"), ("Kaka", "Kartika Marni", "CALL_SYLLABLE")],
)
def test_a_reduplicated_call_name_reaches_the_call_syllable_level(
    nick: str, full: str, level: str
) -> None:
    assert _levels_against(full, nick)["given_name"] == level


@pytest.mark.parametrize(
    ("written", "full", "level"),
    [
        ("Idmas", "Dimas Nugroho", "KEYSTROKE"),
        ("Mrkus", "Markus Silva", "KEYSTROKE"),
        ("Katarinq", "Katarina Bana", "KEYSTROKE"),  # q beside a: a slip, even at the end
        ("Wilhelmini", "Wilhelmina Bere", "SIMILAR"),  # one vowel for another at the end: a twin's
        ("Marcus", "Markus Silva", "SIMILAR"),  # c is not beside k
        ("Yri", "Siti Tri Lestari", "NICKNAME_SLIP"),  # Tri, y beside t
        ("Jas", "Dorkas Kase", "NICKNAME_SLIP"),  # Kas, of Dorkas
        ("Fsfa", "Dafa Ramadhan", "NICKNAME_SLIP"),  # Fafa, the last syllable twice
        ("Toyo", "Prasetyo Hermawan", "NICKNAME_SLIP"),  # Tyo, a letter added
        ("Nana", "Adriana Seran", "CALL_SYLLABLE"),  # as it is, not a slip of "Ana"
        ("Fitrii", "Fitria Agustina", "SIMILAR"),  # a twin's other ending, not a slip of "Fitri"
        ("Na", "Zainab Syamsul", "DIFFERENT"),  # two letters: too little to read a slip in
        ("Budi", "Bidu Santoso", "DIFFERENT"),
        ("Sariji", "Sariijo Wibowo", "SIMILAR"),  # not Sarii (one letter short) and a j added
        ("Hasan", "Ikhsan Setiawan", "DIFFERENT"),  # not Hsan (one letter short) and an a added
    ],
)
def test_typing_slips_in_a_given_name_or_a_call_name(written: str, full: str, level: str) -> None:
    assert _levels_against(full, written)["given_name"] == level


@pytest.mark.parametrize(
    ("written", "full", "level"),
    [
        ("Gus", "Agus Salim", "NICKNAME"),  # the last letters, one left out: a call name
        ("Agus", "Agustinus Bere", "NICKNAME"),  # the first letters, five left out
        ("Farhan", "Farhana Setiawan", "SIMILAR"),  # the first letters, one left out: a twin's
        ("Farhana", "Farhan Setiawan", "SIMILAR"),  # either way round
    ],
)
def test_a_call_name_cut_from_the_front_leaves_two_letters_out(
    written: str, full: str, level: str
) -> None:
    assert _levels_against(full, written)["given_name"] == level


@pytest.mark.parametrize(
    ("written", "full", "given", "others"),
    [
        ("Putripertiwi", "Putri Pertiwi", "EXACT", "EXACT"),
        ("RIBKATALLO", "Ribka Tallo", "EXACT", "EXACT"),
        ("Muhammadrizki", "Muhammad Rizki", "EXACT", "MISSING"),
        ("Sitiaisyah", "Siti Aisyah", "EXACT", "MISSING"),
        ("Putripratiwi", "Putri Pertiwi", "NICKNAME", "MISSING"),  # another name run together
    ],
)
def test_a_name_written_run_together_is_the_same_name(
    written: str, full: str, given: str, others: str
) -> None:
    found = _levels_against(full, written)
    assert (found["given_name"], found["other_names"]) == (given, others)


def test_a_mother_by_her_call_syllable_is_similar() -> None:
    assert levels(mother_names=("Nini",))["mother"] == "SIMILAR"  # Sri Wahyu-ni
    assert levels(mother_names=("Titi",))["mother"] == "DIFFERENT"
