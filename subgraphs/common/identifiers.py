"""Validation and construction of Indonesian identifiers: NIK, KK number, Kemendagri region code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Final, Literal

__all__ = [
    "PROVINCE_CODES",
    "InvalidIdentifier",
    "NikParts",
    "Sex",
    "make_kk",
    "make_nik",
    "parse_nik",
    "region_prefix_matches",
    "validate_kk",
    "validate_region_code",
]

# Kemendagri province codes (Sumatra 11–19, Kepri 21, Java 31–36, Bali/Nusa Tenggara 51–53,
# Kalimantan 61–65, Sulawesi 71–76, Maluku 81–82, Papua 91–97).
PROVINCE_CODES: Final[frozenset[str]] = frozenset(
    f"{n:02d}"
    for n in (
        *range(11, 20),
        21,
        *range(31, 37),
        *range(51, 54),
        *range(61, 66),
        *range(71, 77),
        81,
        82,
        *range(91, 98),
    )
)

# Women's NIKs carry the birth day plus 40, so days 41–71 are valid and mean "female".
_FEMALE_DAY_OFFSET: Final = 40

_DOTTED_RE: Final = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?")
_UNDOTTED_LENGTHS: Final = frozenset({2, 4, 6, 10})

Reason = Literal["format", "length", "digits", "province", "region", "date", "serial", "sex"]


class Sex(StrEnum):
    """Sex as encoded in a NIK; a StrEnum so that ``Sex.F == "F"``."""

    F = "F"
    M = "M"


class InvalidIdentifier(ValueError):
    """An identifier whose shape is wrong; the message never echoes the value itself."""

    def __init__(self, field: str, message: str, reason: Reason = "format") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        # Machine-readable so API layers can map errors without parsing the message.
        self.reason: Reason = reason


@dataclass(frozen=True, slots=True)
class NikParts:
    """The decoded parts of a NIK."""

    region_code: str  # 'PP.KK.CC' (kecamatan of first registration)
    birth_date: date
    sex: Sex
    serial: str  # 4 digits, never '0000'


def _is_ascii_digits(value: str) -> bool:
    # str.isdigit alone accepts non-ASCII digits such as Arabic-Indic ones.
    return value.isascii() and value.isdigit()


def _check_region_digits(digits: str, field: str, label: str) -> None:
    """Check the 6-digit PPKKCC prefix shared by NIK and KK numbers."""
    if digits[0:2] not in PROVINCE_CODES:
        raise InvalidIdentifier(
            field, f"{label} province code (digits 1–2) is not an Indonesian province", "province"
        )
    if digits[2:4] == "00" or digits[4:6] == "00":
        raise InvalidIdentifier(
            field, f"{label} kabupaten/kecamatan code (digits 3–6) cannot be 00", "region"
        )


def _check_sixteen_digits(value: object, field: str, label: str) -> str:
    if not isinstance(value, str):
        raise InvalidIdentifier(field, f"{label} must be a string of 16 digits", "format")
    if len(value) != 16:
        raise InvalidIdentifier(field, f"{label} must be 16 digits", "length")
    if not _is_ascii_digits(value):
        raise InvalidIdentifier(field, f"{label} must contain only digits 0–9", "digits")
    return value


def parse_nik(value: str, field: str = "nik", *, today: date | None = None) -> NikParts:
    """Decode a NIK (``PPKKCC DDMMYY SSSS``), raising InvalidIdentifier if it cannot be real.

    The century of the two-digit year is the latest one that does not put the birth date
    after ``today`` (default: the current date).
    """
    nik = _check_sixteen_digits(value, field, "NIK")
    _check_region_digits(nik, field, "NIK")
    day = int(nik[6:8])
    month = int(nik[8:10])
    yy = int(nik[10:12])
    sex = Sex.M
    if day > _FEMALE_DAY_OFFSET:
        day -= _FEMALE_DAY_OFFSET
        sex = Sex.F
    if not 1 <= month <= 12:
        raise InvalidIdentifier(field, "NIK date part (digits 7–12) has no valid month", "date")
    if today is None:
        today = date.today()
    try:
        birth = date(2000 + yy, month, day)
        if birth > today:
            birth = date(1900 + yy, month, day)
    except ValueError:
        # Day 0, 32–40, 72+ or a day past the month's end (including Feb 29 off a leap year).
        raise InvalidIdentifier(
            field, "NIK date part (digits 7–12) is not a real date", "date"
        ) from None
    serial = nik[12:16]
    if serial == "0000":
        raise InvalidIdentifier(field, "NIK serial (digits 13–16) cannot be 0000", "serial")
    return NikParts(
        region_code=f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}",
        birth_date=birth,
        sex=sex,
        serial=serial,
    )


@lru_cache(maxsize=8192)
def _kecamatan_digits(region_code: str, field: str) -> str:
    """Turn a 'PP.KK.CC' code into 'PPKKCC'; cached because bulk generation reuses few codes."""
    normalized = validate_region_code(region_code, field)
    if len(normalized) != 8:
        raise InvalidIdentifier(
            field, "region code must be at kecamatan level (PP.KK.CC)", "format"
        )
    return normalized.replace(".", "")


def make_nik(region_code: str, birth_date: date, sex: str, serial: int) -> str:
    """Build a NIK from a kecamatan code 'PP.KK.CC', a birth date, 'F'/'M' and a serial 1–9999."""
    prefix = _kecamatan_digits(region_code, "regionCode")
    if sex == "F":
        day = birth_date.day + _FEMALE_DAY_OFFSET
    elif sex == "M":
        day = birth_date.day
    else:
        raise InvalidIdentifier("sex", "sex must be 'F' or 'M'", "sex")
    if not 1 <= serial <= 9999:
        raise InvalidIdentifier("serial", "NIK serial must be between 1 and 9999", "serial")
    return f"{prefix}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


def validate_kk(value: str, field: str = "kkNumber") -> str:
    """Check a family card (KK) number: 16 digits, a real region prefix and issue date."""
    kk = _check_sixteen_digits(value, field, "KK number")
    _check_region_digits(kk, field, "KK number")
    try:
        # 2000 + yy is a leap year whenever 1900 + yy is, so it accepts every real DDMMYY.
        date(2000 + int(kk[10:12]), int(kk[8:10]), int(kk[6:8]))
    except ValueError:
        raise InvalidIdentifier(
            field, "KK number issue-date part (digits 7–12) is not a real date", "date"
        ) from None
    return kk


def make_kk(region_code: str, issue_date: date, serial: int) -> str:
    """Build a KK number from a kecamatan code 'PP.KK.CC', an issue date and a serial 1–9999."""
    prefix = _kecamatan_digits(region_code, "regionCode")
    if not 1 <= serial <= 9999:
        raise InvalidIdentifier("serial", "KK serial must be between 1 and 9999", "serial")
    return (
        f"{prefix}{issue_date.day:02d}{issue_date.month:02d}{issue_date.year % 100:02d}{serial:04d}"
    )


def validate_region_code(value: str, field: str = "regionCode") -> str:
    """Check a Kemendagri region code and return it dotted: 'PP', 'PP.KK', 'PP.KK.CC' or
    'PP.KK.CC.DDDD'. Undotted digit strings of length 2, 4, 6 or 10 are accepted too."""
    if not isinstance(value, str):
        raise InvalidIdentifier(field, "region code must be a string", "format")
    code = value.strip()
    if _is_ascii_digits(code) and len(code) in _UNDOTTED_LENGTHS:
        code = ".".join(part for part in (code[0:2], code[2:4], code[4:6], code[6:10]) if part)
    elif not (code.isascii() and _DOTTED_RE.fullmatch(code)):
        raise InvalidIdentifier(
            field, "region code must look like PP, PP.KK, PP.KK.CC or PP.KK.CC.DDDD", "format"
        )
    parts = code.split(".")
    if parts[0] not in PROVINCE_CODES:
        raise InvalidIdentifier(
            field, "region code province part is not an Indonesian province", "province"
        )
    if any(set(part) == {"0"} for part in parts[1:]):
        raise InvalidIdentifier(
            field, "region code kabupaten, kecamatan or desa part cannot be all zeros", "region"
        )
    return code


@lru_cache(maxsize=16384)
def _normalized_or_none(code: str) -> str | None:
    # Cached: access checks compare the same few jurisdiction and region codes over and over.
    try:
        return validate_region_code(code)
    except InvalidIdentifier:
        return None


def region_prefix_matches(code: str, prefix: str) -> bool:
    """True if ``prefix`` (a jurisdiction) contains region ``code``, comparing whole segments.

    '14.71' contains '14.71.01.1001'; '14.7' contains nothing. Malformed input on either side
    matches nothing, because this guards access and must fail closed.
    """
    # Fast path for the common case of two already-normalized dotted codes.
    if code == prefix:
        return _normalized_or_none(code) == code
    norm_code = _normalized_or_none(code)
    norm_prefix = _normalized_or_none(prefix)
    if norm_code is None or norm_prefix is None:
        return False
    return norm_code == norm_prefix or norm_code.startswith(norm_prefix + ".")
