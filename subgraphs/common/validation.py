"""Input checks shared by every subgraph's mutations: identifiers, dates, text, paging."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from subgraphs.common.errors import BadUserInput, bad_identifier
from subgraphs.common.identifiers import (
    InvalidIdentifier,
    NikParts,
    parse_nik,
    validate_kk,
    validate_region_code,
)

MAX_PAGE_SIZE = 100


def nik(value: str, field: str = "nik") -> NikParts:
    try:
        return parse_nik(value, field)
    except InvalidIdentifier as error:
        raise bad_identifier(error) from None


def kk_number(value: str, field: str = "kkNumber") -> str:
    try:
        return validate_kk(value, field)
    except InvalidIdentifier as error:
        raise bad_identifier(error) from None


def region_code(value: str, field: str = "regionCode") -> str:
    try:
        return validate_region_code(value, field)
    except InvalidIdentifier as error:
        raise bad_identifier(error) from None


def not_in_future(value: date | datetime, field: str) -> None:
    if isinstance(value, datetime):
        now = datetime.now(value.tzinfo or UTC)
        if (value if value.tzinfo else value.replace(tzinfo=UTC)) > now:
            raise BadUserInput(f"{field} is in the future", field=field)
    elif value > date.today():
        raise BadUserInput(f"{field} is in the future", field=field)


def not_before(value: date, earlier: date, field: str, earlier_field: str) -> None:
    if value < earlier:
        raise BadUserInput(f"{field} is before {earlier_field}", field=field)


# Control characters other than tab, newline and carriage return: never text a person typed,
# and PostgreSQL refuses a NUL in text outright (a 500 instead of the field's error).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value: str, field: str, max_length: int = 2000) -> str:
    stripped = value.strip()
    if not stripped:
        raise BadUserInput(f"{field} must not be empty", field=field)
    if len(stripped) > max_length:
        raise BadUserInput(f"{field} is longer than {max_length} characters", field=field)
    if _CONTROL.search(stripped):
        raise BadUserInput(f"{field} contains a control character", field=field)
    return stripped


def page_size(first: int, field: str = "first") -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(f"{field} must be between 1 and {MAX_PAGE_SIZE}", field=field)
    return first
