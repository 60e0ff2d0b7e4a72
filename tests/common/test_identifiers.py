"""Tests for NIK, KK and region-code validation in subgraphs.common.identifiers."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from subgraphs.common.identifiers import (
    PROVINCE_CODES,
    InvalidIdentifier,
    NikParts,
    Sex,
    make_kk,
    make_nik,
    parse_nik,
    region_prefix_matches,
    validate_kk,
    validate_region_code,
)

TODAY = date(2026, 1, 15)


def nik(region: str = "147106", ddmmyy: str = "150312", serial: str = "0042") -> str:
    return region + ddmmyy + serial


# --- parse_nik: valid ----------------------------------------------------------------------


def test_male_nik_decodes_all_parts() -> None:
    parts = parse_nik(nik(), today=TODAY)
    assert parts == NikParts(
        region_code="14.71.06", birth_date=date(2012, 3, 15), sex=Sex.M, serial="0042"
    )
    assert parts.sex == "M"


def test_female_day_carries_plus_forty() -> None:
    parts = parse_nik(nik(ddmmyy="550312"), today=TODAY)
    assert parts.sex == Sex.F
    assert parts.birth_date == date(2012, 3, 15)


@pytest.mark.parametrize(
    ("ddmmyy", "expected"), [("410110", date(2010, 1, 1)), ("710110", date(2010, 1, 31))]
)
def test_female_day_range_edges(ddmmyy: str, expected: date) -> None:
    parts = parse_nik(nik(ddmmyy=ddmmyy), today=TODAY)
    assert (parts.sex, parts.birth_date) == (Sex.F, expected)


def test_century_is_chosen_so_birth_is_not_in_the_future() -> None:
    assert parse_nik(nik(ddmmyy="150126"), today=TODAY).birth_date == date(2026, 1, 15)
    assert parse_nik(nik(ddmmyy="160126"), today=TODAY).birth_date == date(1926, 1, 16)
    assert parse_nik(nik(ddmmyy="010185"), today=TODAY).birth_date == date(1985, 1, 1)


def test_feb_29_in_leap_years() -> None:
    assert parse_nik(nik(ddmmyy="290212"), today=TODAY).birth_date == date(2012, 2, 29)
    assert parse_nik(nik(ddmmyy="290200"), today=TODAY).birth_date == date(2000, 2, 29)
    assert parse_nik(nik(ddmmyy="690296"), today=TODAY).birth_date == date(1996, 2, 29)


def test_today_defaults_to_current_date() -> None:
    assert parse_nik(nik(ddmmyy="010101")).birth_date == date(2001, 1, 1)


# --- parse_nik: invalid --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("147106150312004", "length"),  # 15 digits
        ("14710615031200421", "length"),  # 17 digits
        ("", "length"),
        ("14710615031200a2", "digits"),
        ("1471 061503120042"[:16], "digits"),
        ("١٤٧١٠٦١٥٠٣١٢٠٠٤٢", "digits"),  # Arabic-Indic digits are not NIK digits
        (nik(ddmmyy="320312"), "date"),  # day 32
        (nik(ddmmyy="400312"), "date"),  # neither a male nor a female day
        (nik(ddmmyy="720312"), "date"),  # female day 32
        (nik(ddmmyy="000312"), "date"),
        (nik(ddmmyy="151312"), "date"),  # month 13
        (nik(ddmmyy="150012"), "date"),  # month 0
        (nik(ddmmyy="300212"), "date"),  # Feb 30
        (nik(ddmmyy="290213"), "date"),  # Feb 29, non-leap
        (nik(ddmmyy="690213"), "date"),  # female Feb 29, non-leap
        (nik(ddmmyy="310412"), "date"),  # April 31
        (nik(serial="0000"), "serial"),
        (nik(region="107106"), "province"),  # 10 is not a province
        (nik(region="207106"), "province"),
        (nik(region="997106"), "province"),
        (nik(region="140006"), "region"),  # kabupaten 00
        (nik(region="147100"), "region"),  # kecamatan 00
    ],
)
def test_invalid_niks_are_rejected(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        parse_nik(value, today=TODAY)
    assert info.value.reason == reason
    assert info.value.field == "nik"


def test_error_carries_field_and_does_not_echo_the_value() -> None:
    bad = nik(ddmmyy="300212")
    with pytest.raises(InvalidIdentifier) as info:
        parse_nik(bad, field="childNik", today=TODAY)
    err = info.value
    assert err.field == "childNik"
    assert isinstance(err, ValueError)
    assert "not a real date" in str(err)
    assert bad not in str(err) and "300212" not in str(err)


def test_length_message() -> None:
    with pytest.raises(InvalidIdentifier, match="NIK must be 16 digits"):
        parse_nik("123", today=TODAY)


def test_non_string_is_rejected() -> None:
    with pytest.raises(InvalidIdentifier):
        parse_nik(1471061503120042, today=TODAY)  # type: ignore[arg-type]


# --- make_nik ------------------------------------------------------------------------------


def test_make_nik_layout() -> None:
    assert make_nik("14.71.06", date(2012, 3, 15), "M", 42) == "1471061503120042"
    assert make_nik("53.71.02", date(2019, 12, 1), "F", 7) == "5371024112190007"
    assert make_nik("537102", date(2019, 12, 1), Sex.F, 7) == "5371024112190007"


def test_make_parse_round_trip() -> None:
    rng = random.Random(5)
    regions = ["14.71.06", "14.08.01", "53.01.06", "13.73.01", "21.71.03", "18.02.01"]
    start = date(1927, 1, 1)
    for _ in range(5000):
        region = rng.choice(regions)
        born = start + timedelta(days=rng.randrange((TODAY - start).days + 1))
        sex = rng.choice("FM")
        serial = rng.randint(1, 9999)
        parts = parse_nik(make_nik(region, born, sex, serial), today=TODAY)
        assert parts == NikParts(region, born, Sex(sex), f"{serial:04d}")


@pytest.mark.parametrize(
    ("region", "sex", "serial"),
    [
        ("14.71", "M", 1),  # not kecamatan level
        ("14.71.06.1003", "M", 1),
        ("10.71.06", "M", 1),
        ("14.71.06", "X", 1),
        ("14.71.06", "m", 1),
        ("14.71.06", "M", 0),
        ("14.71.06", "M", 10000),
    ],
)
def test_make_nik_rejects_bad_input(region: str, sex: str, serial: int) -> None:
    with pytest.raises(InvalidIdentifier):
        make_nik(region, date(2012, 3, 15), sex, serial)


# --- KK ------------------------------------------------------------------------------------


def test_valid_kk_is_returned_unchanged() -> None:
    assert validate_kk("1471062901150003") == "1471062901150003"
    assert validate_kk("5301062902160001") == "5301062902160001"  # Feb 29, 2016


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("147106290115000", "length"),
        ("14710629011500x3", "digits"),
        ("1071062901150003", "province"),
        ("1400062901150003", "region"),
        ("1471063201150003", "date"),  # day 32
        ("1471064101150003", "date"),  # no +40 on a KK
        ("1471061513150003", "date"),  # month 13
        ("1471062902150003", "date"),  # Feb 29, 2015
    ],
)
def test_invalid_kk(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        validate_kk(value)
    assert (info.value.field, info.value.reason) == ("kkNumber", reason)


def test_make_kk_round_trip() -> None:
    kk = make_kk("14.08.01", date(2015, 1, 29), 3)
    assert kk == "1408012901150003"
    assert validate_kk(kk) == kk


# --- region codes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("14", "14"),
        ("14.71", "14.71"),
        ("14.71.06", "14.71.06"),
        ("14.71.06.1003", "14.71.06.1003"),
        ("1471", "14.71"),
        ("147106", "14.71.06"),
        ("1471061003", "14.71.06.1003"),
        (" 53.71 ", "53.71"),
        ("97", "97"),
    ],
)
def test_valid_region_codes_are_normalized(value: str, expected: str) -> None:
    assert validate_region_code(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1",
        "14.7",
        "14.071",
        "14.71.6",
        "14.71.06.103",
        "14.71.06.10030",
        "14.71.06.1003.01",
        "14-71",
        "14.71.",
        "147",
        "14710610",
        "10.71",
        "98",
        "14.00",
        "14.71.00",
        "14.71.06.0000",
        "١٤.٧١",
    ],
)
def test_invalid_region_codes(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        validate_region_code(value)
    assert info.value.field == "regionCode"


def test_province_codes_match_the_kemendagri_list() -> None:
    expected = {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53}
    expected |= {61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82}
    expected |= set(range(91, 98))
    assert {int(c) for c in PROVINCE_CODES} == expected


@pytest.mark.parametrize(
    ("code", "prefix", "matches"),
    [
        ("14.71.06.1003", "14", True),
        ("14.71.06.1003", "14.71", True),
        ("14.71.06.1003", "14.71.06", True),
        ("14.71.06.1003", "14.71.06.1003", True),
        ("14.71", "14.71", True),
        ("14.71.06", "1471", True),  # undotted jurisdiction is normalized first
        ("14.71", "14.7", False),  # segment-wise, not string-wise
        ("14.71.06", "14.7", False),
        ("14.71", "14.71.06", False),  # a wider code is not inside a narrower one
        ("14.72.01", "14.71", False),
        ("13.71", "14", False),
        ("14.71", "", False),  # empty jurisdiction grants nothing
        ("", "", False),
        ("garbage", "garbage", False),
        ("14.71.x", "14", False),
    ],
)
def test_region_prefix_matches(code: str, prefix: str, matches: bool) -> None:
    assert region_prefix_matches(code, prefix) is matches
