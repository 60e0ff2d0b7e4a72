"""Address knowledge: reading an address into its parts, writing it as clerks do, comparing."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

import pytest

from resolution.address import Address, parse_address, write_address
from resolution.compare import compare, person_side, record_side
from resolution.records import ChildRecord, RegistryRecord

SIAK_TOWN = "Jl. Sudirman No. 12, RT 003/RW 002, Tanjung Uma"
SIAK_VILLAGE = "Dusun II, RT 003/RW 001, Desa Sungai Pua"


@pytest.mark.parametrize(
    ("written", "parts"),
    [
        (SIAK_TOWN, Address("jalan sudirman", "12", 3, 2)),
        ("JALAN SUDIRMAN 12, RT.03/RW.02", Address("jalan sudirman", "12", 3, 2)),
        (
            "Jln. Sudirman Nomor 12 Rt 3 Rw 2 Kel. Tanjung Uma",
            Address("jalan sudirman", "12", 3, 2),
        ),
        ("RT/RW 003/002", Address(None, None, 3, 2)),
        ("rt3 rw2", Address(None, None, 3, 2)),
        ("Gg. Mawar No.5A", Address("gang mawar", "5a", None, None)),
        (SIAK_VILLAGE, Address("dusun 2", None, 3, 1)),
        ("Dsn. 2, RT 3", Address("dusun 2", None, 3, None)),
        ("Dusun Krajan RT 01 RW 04", Address("dusun krajan", None, 1, 4)),
        ("Jl. Kaharuddin Nasution No. 91", Address("jalan kaharuddin nasution", "91", None, None)),
        ("Jalan Sudirman", Address("jalan sudirman", None, None, None)),
    ],
)
def test_an_address_is_read_into_its_parts(written: str, parts: Address) -> None:
    assert parse_address(written) == parts


@pytest.mark.parametrize(
    "hostile",
    ["", "   ", "!!!", "rt rw", "RT 99999/RW 0", "no no no", "Jl.", "ä" * 10_000,
     "RT " + "9" * 5000, "Jl. " + "Mawar " * 5000, "\x00\n\t", "DROP TABLE family; --"],
)  # fmt: skip
def test_text_that_is_no_address_reads_as_nothing_and_never_fails(hostile: str) -> None:
    parts = parse_address(hostile)
    assert not parts.rt and not parts.rw and not parts.number
    assert parts.way is None or len(parts.way) < 200


def test_every_way_a_clerk_writes_an_address_reads_back_the_same() -> None:
    rng = random.Random(7)
    for siak, place in ((SIAK_TOWN, "Tanjung Uma"), (SIAK_VILLAGE, "Sungai Pua")):
        parts = parse_address(siak)
        written = {write_address(parts, place, rng) for _ in range(300)}
        assert len(written) > 30  # many forms, not one
        assert {parse_address(w) for w in written} == {parts}
        # and with parts left out, the rest reads back
        only_rt = Address(None, None, parts.rt, parts.rw)
        assert parse_address(write_address(only_rt, place, rng)) == only_rt


PERSON = RegistryRecord(
    person_id=1, nik="2171091708140001", full_name="Muhammad Joko Sutrisno", sex="M",
    birth_date=date(2014, 8, 17), birth_place="Batam", region_code="21.71.09.1002",
    kk_number="2171090101150001", mother_name="Sri Wahyuni", father_name="Sutrisno",
    address=SIAK_TOWN,
)  # fmt: skip


def level(*addresses: str, region: str = "21.71.09.1002", person: RegistryRecord = PERSON) -> str:
    record = ChildRecord(names=("Joko",), region_codes=(region,), addresses=addresses)
    return compare(record_side(record), person_side(person))["address"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("JALAN SUDIRMAN 12, RT.03/RW.02", "HOUSE"),
        ("Jl. Sudirman No. 12", "HOUSE"),  # no RT/RW: the house alone
        ("Jl. Sudirmann No. 12, RT 3/RW 2", "HOUSE"),  # a slip in a long street name
        ("RT 3/RW 2", "SAME_RT"),  # the neighbourhood only
        ("Jl. Sudirman No. 40, RT 3/RW 2", "SAME_RT"),  # another house of the RT
        ("Jl. Sudirman No. 40, RT 5/RW 2", "NEAR"),  # the street, another RT
        ("RT 5/RW 2", "NEAR"),  # the same RW
        ("Jl. Merdeka No. 3, RT 7/RW 5", "DIFFERENT"),
        ("RT 3/RW 4", "DIFFERENT"),  # RT 3 of another RW is another neighbourhood
        ("Gg. Sudirman No. 12", "DIFFERENT"),  # a gang is not the jalan of that name
        ("!!!", "MISSING"),
    ],
)
def test_address_levels(written: str, expected: str) -> None:
    assert level(written) == expected


def test_a_village_address_agrees_on_the_neighbourhood_at_best() -> None:
    villager = dataclasses.replace(PERSON, address=SIAK_VILLAGE)
    assert level("Dsn. II, RT 03 RW 01", person=villager) == "SAME_RT"
    assert level("Dusun 3, RT 03 RW 01", person=villager) == "NEAR"  # a dusun has its RWs
    assert level("Dusun 2", person=villager) == "NEAR"


def test_the_best_of_several_addresses_counts_once() -> None:
    assert level("RT 7/RW 5", "Jl. Sudirman No. 12") == "HOUSE"


def test_an_address_is_compared_within_one_desa_only() -> None:
    # Elsewhere the region says it all; an address of another desa is not more evidence.
    assert level(SIAK_TOWN, region="21.71.09.1005") == "MISSING"
    assert level(SIAK_TOWN, region="21.71") == "MISSING"
    assert level() == "MISSING"
    assert level(SIAK_TOWN, person=dataclasses.replace(PERSON, address=None)) == "MISSING"
    assert level(SIAK_TOWN, person=dataclasses.replace(PERSON, address="")) == "MISSING"


def test_the_explanation_shows_both_addresses_as_written() -> None:
    record = ChildRecord(names=("Joko",), addresses=("RT.03/RW.02", "  ", "!!!"))
    assert record_side(record).values()["address"] == "RT.03/RW.02"
    assert person_side(PERSON).values()["address"] == SIAK_TOWN
