"""The two sides of a comparison: a child as agencies recorded it, and a registry person."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class ChildRecord:
    """What is known of a child who may be in the registry: every value any agency reported.

    Any field may be empty: the matcher scores with what it has. ``names`` holds the full name
    first, then every other name (nicknames, other spellings, what other agencies recorded).
    ``birth_date`` with ``birth_date_exact`` False is an approximation; ``birth_year`` alone (a
    year written without a day) or ``age_estimate`` (years at ``as_of``) when no date is known.
    Parents' and places' lists hold every reported value, most trusted first.
    """

    names: tuple[str, ...] = ()
    sex: str | None = None  # "M" / "F"
    birth_date: date | None = None
    birth_date_exact: bool = True
    birth_year: int | None = None
    age_estimate: float | None = None
    as_of: date | None = None
    birth_places: tuple[str, ...] = ()
    region_codes: tuple[str, ...] = ()  # PP.KK.CC.DDDD or a prefix (PP.KK)
    mother_names: tuple[str, ...] = ()
    father_names: tuple[str, ...] = ()
    kk_number: str | None = None
    addresses: tuple[str, ...] = ()  # the family's address, as each agency wrote it
    record_id: str | None = None  # the index id (ANK…) or the caller's record id
    # An index child (``record_id`` is its id): it can be linked to a person no other index
    # child holds, and is matched for that. A record typed in or read from a file may be an
    # index child already: for it, a person another child holds is ranked like any other.
    indexed: bool = False
    nik: str | None = None  # the NIK an index child holds already, if any
    excluded_niks: frozenset[str] = field(default_factory=frozenset)  # "not this person"


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    """A person in the population registry (SIAK)."""

    person_id: int
    nik: str
    full_name: str
    sex: str
    birth_date: date
    birth_place: str
    region_code: str
    kk_number: str | None
    mother_name: str | None
    father_name: str | None
    address: str | None = None  # the family's (its KK's) address
    # The index child that holds this person's NIK, if any: a person is one child, so another
    # index child's person is not one this record can be linked to (``linkNik`` refuses it).
    held_by: str | None = None
