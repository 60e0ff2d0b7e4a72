"""Blocking keys: the indexed columns a registry person is filed under.

Initial version (interfaces first): H2 completes it. The column names and ``registry_keys``'s
signature are the contract with the importer, the seeder and the migration.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from resolution.names import parse_name, phonetic_key


class RegistryKeys(NamedTuple):
    """Values of the ``person`` table's key columns."""

    name_key: str  # phonetic key of the name the person is called by
    name_key2: str  # phonetic key of another token (family name, second given name), or ""
    mother_key: str  # phonetic key of the mother's called name, or ""
    birth_year: int


def registry_keys(full_name: str, mother_name: str | None, birth_date: date) -> RegistryKeys:
    parsed = parse_name(full_name)
    given = parsed.given or ""
    other = next((t for t in reversed(parsed.tokens) if t != given), "")
    mother = parse_name(mother_name).given if mother_name else None
    return RegistryKeys(
        phonetic_key(given),
        phonetic_key(other) if other else "",
        phonetic_key(mother) if mother else "",
        birth_date.year,
    )
