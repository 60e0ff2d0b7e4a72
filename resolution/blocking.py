"""Blocking: the indexed keys a registry person is filed under, and the lookups a child needs.

A registry person is filed under four keys (``person``'s key columns, migration 0002): the
phonetic key of the name the person is called by (past Muhammad/Siti/Nur…), of one other name
token (the family name or last other given name), of the mother's called name, and the birth
year. A child record is looked up by many small key lookups — ``Block`` s — whose results are
unioned: every reported name, its nickname expansions, its other tokens and joined tokens, every
mother's name, the KK number, each with a birth-year window or a region prefix or both. A child
recorded under a nickname, in another kabupaten, with a wrong year or without a mother is still
found through another block than the one its broken field would have served.

Each block has a row cap, so that a common key ("putri" nationally) costs no more than any other;
what a cap drops is the part of a block farthest from the birth-year estimate, and the tighter
blocks (same key, same kabupaten, the year window) come first and are rarely capped.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, NamedTuple

from resolution.names import formal_names, parse_name, phonetic_key
from resolution.records import ChildRecord

KEY_LENGTH: Final = 40  # the key columns' width
KABUPATEN_PREFIX: Final = 5  # "PP.KK" of "PP.KK.CC.DDDD"
PROVINCE_PREFIX: Final = 2

# Rows one block may return. A tight block (key + year window + kabupaten) holds a few dozen
# people even for the commonest names at national scale; a loose one (key nationally, or key in a
# kabupaten in any year) is cut to the rows nearest the birth-year estimate.
TIGHT_CAP: Final = 60
LOOSE_CAP: Final = 40
FAMILY_CAP: Final = 20  # one KK holds a household, rarely more than a dozen people

# Birth-year windows: half-widths around what the record says.
EXACT_DATE_SLACK: Final = 1  # a written date is still off by a year now and then
APPROXIMATE_DATE_SLACK: Final = 2
YEAR_ONLY_SLACK: Final = 1
AGE_ESTIMATE_SLACK: Final = 2


class RegistryKeys(NamedTuple):
    """Values of the ``person`` table's key columns."""

    name_key: str  # phonetic key of the name the person is called by
    name_key2: str  # phonetic key of another token (family name, second given name), or ""
    mother_key: str  # phonetic key of the mother's called name, or ""
    birth_year: int


def registry_keys(full_name: str, mother_name: str | None, birth_date: date) -> RegistryKeys:
    """The keys a registry person is filed under (written by the importer and the seeder)."""
    parsed = parse_name(full_name)
    name_key = _key(parsed.given or "")
    others = [k for k in (_key(t) for t in parsed.tokens) if k and k != name_key]
    mother = parse_name(mother_name).given if mother_name else parsed.mother
    return RegistryKeys(name_key, others[-1] if others else "", _key(mother or ""), birth_date.year)


class KeyColumn(StrEnum):
    """The ``person`` column a block looks its key up in."""

    NAME = "name_key"
    NAME2 = "name_key2"
    MOTHER = "mother_key"
    KK = "kk_number"


class BlockKind(StrEnum):
    """Why a block is searched: which reported value it rests on."""

    GIVEN_NAME = "given_name"  # the name the child is called by
    NICKNAME = "nickname"  # a formal name a reported nickname stands for
    OTHER_NAME = "other_name"  # another token: family name, second given name, joined tokens
    MOTHER = "mother"
    FAMILY = "family"  # the KK number


@dataclass(frozen=True, slots=True)
class YearWindow:
    """Inclusive birth-year range, and the year the record points at (rows nearest first)."""

    first: int
    last: int
    target: int


@dataclass(frozen=True, slots=True)
class Block:
    """One key lookup: ``column = key``, within ``years`` and under ``region`` (a code prefix)
    where given, at most ``cap`` rows, nearest ``years.target`` (or ``target_year``) first."""

    kind: BlockKind
    column: KeyColumn
    key: str
    years: YearWindow | None = None
    region: str | None = None
    cap: int = LOOSE_CAP
    target_year: int | None = None  # ordering only, for a block without a window

    def describe(self) -> str:
        parts = [f"{self.column}={self.key}"]
        if self.years is not None:
            parts.append(f"year {self.years.first}-{self.years.last}")
        if self.region is not None:
            parts.append(f"region {self.region}*")
        return f"{self.kind}: {', '.join(parts)} (≤{self.cap})"


def query_blocks(record: ChildRecord) -> list[Block]:
    """The key lookups for ``record``, tightest first, without duplicates; [] when the record
    carries nothing to look up by."""
    years = year_window(record)
    regions = _region_prefixes(record.region_codes)
    names = _NameKeys.of(record.names, record.father_names)
    mothers = _mother_keys(record)
    blocks: list[Block] = []
    if record.kk_number and record.kk_number.strip():
        blocks.append(
            Block(BlockKind.FAMILY, KeyColumn.KK, record.kk_number.strip(), cap=FAMILY_CAP)
        )
    for key in names.given:
        blocks.extend(_name_blocks(BlockKind.GIVEN_NAME, key, years, regions, national=True))
    for key in mothers:
        blocks.extend(_mother_blocks(key, years, regions))
    for key in names.nicknames:
        blocks.extend(_name_blocks(BlockKind.NICKNAME, key, years, regions, national=False))
    for key in names.given:
        blocks.extend(_second_token_blocks(key, years))
    for key in names.others:
        blocks.extend(_other_token_blocks(key, years, regions))
    return list(dict.fromkeys(blocks))


def year_window(record: ChildRecord) -> YearWindow | None:
    """The birth years worth searching, from a date, a year or an age estimate; None if unknown."""
    if record.birth_date is not None:
        year = record.birth_date.year
        slack = EXACT_DATE_SLACK if record.birth_date_exact else APPROXIMATE_DATE_SLACK
        return YearWindow(year - slack, year + slack, year)
    if record.birth_year is not None:
        year = record.birth_year
        return YearWindow(year - YEAR_ONLY_SLACK, year + YEAR_ONLY_SLACK, year)
    if record.age_estimate is not None:
        # Aged n at as_of: born in as_of's year − n or the one before.
        as_of = record.as_of or date.today()
        year = as_of.year - int(record.age_estimate)
        return YearWindow(year - 1 - AGE_ESTIMATE_SLACK, year + AGE_ESTIMATE_SLACK - 1, year)
    return None


def _name_blocks(
    kind: BlockKind,
    key: str,
    years: YearWindow | None,
    regions: tuple[str, ...],
    *,
    national: bool,
) -> Iterator[Block]:
    """A name the registry may file the person under: in the kabupaten within the window, in the
    province within the window, nationally within the window (a family that moved), and in the
    kabupaten whatever the year (a wrong or unknown date)."""
    column = KeyColumn.NAME
    if years is not None:
        for region in regions:
            yield Block(kind, column, key, years, region, TIGHT_CAP)
        for province in _provinces(regions):
            yield Block(kind, column, key, years, province, LOOSE_CAP)
        if national or not regions:
            yield Block(kind, column, key, years, None, LOOSE_CAP)
    target = years.target if years is not None else None
    for region in regions:
        yield Block(kind, column, key, None, region, LOOSE_CAP, target)


def _mother_blocks(key: str, years: YearWindow | None, regions: tuple[str, ...]) -> Iterator[Block]:
    """The mother's called name: her children in the kabupaten (any year, nearest first), and her
    children anywhere within the window (a family that moved)."""
    target = years.target if years is not None else None
    for region in regions:
        yield Block(BlockKind.MOTHER, KeyColumn.MOTHER, key, None, region, TIGHT_CAP, target)
    if years is not None:
        yield Block(BlockKind.MOTHER, KeyColumn.MOTHER, key, years, None, LOOSE_CAP)


def _second_token_blocks(key: str, years: YearWindow | None) -> Iterator[Block]:
    """The called name filed as the registry's other token (a first given name the record left
    out, tokens written in another order)."""
    if years is not None:
        yield Block(BlockKind.GIVEN_NAME, KeyColumn.NAME2, key, years, None, LOOSE_CAP)


def _other_token_blocks(
    key: str, years: YearWindow | None, regions: tuple[str, ...]
) -> Iterator[Block]:
    """Another token of a reported name: the registry's other token, or its called name (the
    record dropped or garbled the called name but kept the family name)."""
    target = years.target if years is not None else None
    if years is not None:
        yield Block(BlockKind.OTHER_NAME, KeyColumn.NAME2, key, years, None, LOOSE_CAP)
        yield Block(BlockKind.OTHER_NAME, KeyColumn.NAME, key, years, None, LOOSE_CAP)
    for region in regions:
        yield Block(BlockKind.OTHER_NAME, KeyColumn.NAME, key, None, region, LOOSE_CAP, target)


@dataclass(frozen=True, slots=True)
class _NameKeys:
    """The keys of every reported name, by how directly they rest on what was reported."""

    given: tuple[str, ...]
    nicknames: tuple[str, ...]
    others: tuple[str, ...]

    @classmethod
    def of(cls, names: Iterable[str], father_names: Iterable[str]) -> _NameKeys:
        given: dict[str, None] = {}
        nicknames: dict[str, None] = {}
        others: dict[str, None] = {}
        for name in names:
            parsed = parse_name(name)
            if parsed.baby:
                continue  # "By. Ny. X" names the mother, not the child (see _mother_keys)
            called = _key(parsed.given or "")
            if called:
                given[called] = None
            tokens = [t for t in parsed.tokens if _key(t)]
            for token in tokens:
                for formal in formal_names(token):
                    nicknames[_key(formal)] = None
                if _key(token) != called:
                    others[_key(token)] = None
            for first, second in itertools.pairwise(tokens):
                others[_key(first + second)] = None  # "Nur Haliza" filed as "Nurhaliza"
        for father in father_names:
            # A father's called name often closes the child's name (Malay, Minang habit).
            called = _key(parse_name(father).given or "")
            if called:
                others[called] = None
        nicknames = {k: None for k in nicknames if k and k not in given}
        others = {k: None for k in others if k and k not in given and k not in nicknames}
        return cls(tuple(given), tuple(nicknames), tuple(others))


def _mother_keys(record: ChildRecord) -> tuple[str, ...]:
    """The mother's called name as reported, its formal names if it is a nickname, and the mother
    a baby's name points at ("By. Ny. Sri Wahyuni": baby of Mrs Sri Wahyuni)."""
    keys: dict[str, None] = {}
    reported = [*record.mother_names]
    reported.extend(m for m in (parse_name(n).mother for n in record.names) if m)
    for mother in reported:
        parsed = parse_name(mother)
        called = _key(parsed.given or "")
        if called:
            keys[called] = None
        for formal in formal_names(parsed.given or ""):
            keys[_key(formal)] = None
    return tuple(k for k in keys if k)


def _region_prefixes(codes: Iterable[str]) -> tuple[str, ...]:
    """The kabupaten ("PP.KK") of every reported region; a province code alone stays itself."""
    prefixes: dict[str, None] = {}
    for code in codes:
        code = code.strip()
        if len(code) >= KABUPATEN_PREFIX:
            prefixes[code[:KABUPATEN_PREFIX]] = None
        elif len(code) == PROVINCE_PREFIX:
            prefixes[code] = None
    return tuple(prefixes)


def _provinces(regions: tuple[str, ...]) -> tuple[str, ...]:
    """The provinces of kabupaten prefixes (a province prefix is searched as a region already)."""
    return tuple(dict.fromkeys(r[:PROVINCE_PREFIX] for r in regions if len(r) > PROVINCE_PREFIX))


def _key(token: str) -> str:
    return phonetic_key(token)[:KEY_LENGTH] if token else ""
