"""Blocking: the indexed keys a registry person is filed under, and the lookups a child needs.

A registry person is filed under four keys (``person``'s key columns, migration 0002): the
phonetic key of the name the person is called by (past Muhammad/Siti/Nur…), of one other name
token (the family name or last other given name), of the mother's called name, and the birth
year. A child record is looked up by many small key lookups — ``Block`` s — whose results are
unioned: every reported name, its nickname expansions, its other tokens and joined tokens, every
mother's name, the KK number, each with a birth-year window or a region prefix or both. A child
recorded under a nickname, in another kabupaten, with a wrong year or without a mother is still
found through another block than the one its broken field would have served. A child known only
by a call name made from the end or the beginning of its formal name ("Nana" for Mardiana, "Gab"
for Gabriel), whose family moved, is looked up by its written day and its sex over the birth-date
index, among those whose called name ends (or begins) as the call name does — or, with only an
approximate date or a year, over the index's days within a year of it, last. A written day in a
desa finds the desa's children born on it whatever they are called; a child with no mother, no
KK and no written day has its called name's one-letter neighbours looked up nationally.

Each block has a row cap, so that a common key ("putri" nationally) costs no more than any other;
what a cap drops is the part of a block farthest from the birth-year estimate (or, in a block
without a target year, whatever the index yields last). Tight blocks (a desa; a kabupaten and the
window; two keys together; a written day) hold a few dozen people even for the commonest names,
so a cap there rarely costs recall; loose ones (a province, the nation, any year) are where it
does: a family that moved, recorded under a common name with no mother, no exact date and no
family token, is found only among the nearest-year namesakes of its sex. The store scores at most
200 people per record, taking blocks in this order (bench/identity/RETRIEVAL.md has the figures).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Final, NamedTuple

from resolution.names import canonical_prefix, formal_names, parse_name, phonetic_key
from resolution.records import ChildRecord

KEY_LENGTH: Final = 40  # the key columns' width
DESA_CODE: Final = 13  # "PP.KK.CC.DDDD"
KABUPATEN_PREFIX: Final = 5  # "PP.KK"
PROVINCE_PREFIX: Final = 2
CHILD_YEARS: Final = 18  # a record without any date is a child's: born in the last 18 years
CALL_NAME_LENGTH: Final = 4  # "Nana", "Wan", "Iki": a call name, not a formal given name
MIN_SPELLING_KEY: Final = 3
MONTHS: Final = 12  # shorter keys have too many neighbours to be worth a lookup

# Rows one block may return. A tight block (key + year window + kabupaten) holds a few dozen
# people even for the commonest names at national scale; a loose one (key nationally, or key in a
# kabupaten in any year) is cut to the rows nearest the birth-year estimate.
TIGHT_CAP: Final = 60
LOOSE_CAP: Final = 40
FAMILY_CAP: Final = 20  # one KK holds a household, rarely more than a dozen people
# The desa's children of one sex born in a five-year window: ~70 in a desa of 3,000 people. Only
# records with nothing but call names have this block, so its rows cost little overall.
NEIGHBOURHOOD_CAP: Final = 100
# The nation's children of one sex born on the written day (and month, or the two swapped) in
# the window whose called name ends (or begins) as the call name does: 2 rows on average in the
# seeded worlds, a median of 7 (p95 57) at ten million people (bench/identity/RETRIEVAL.md);
# nearest the written year first.
CALL_NAME_DAY_CAP: Final = 60
MIN_NAME_END: Final = 2  # one letter ends every other name: no filter at all
# An approximate date ("about March", or the 1st of January or July of the year) is within a
# year of the day: the reach of a call name's national range over the birth-date index.
APPROXIMATE_REACH_DAYS: Final = 366

# Birth-year windows: half-widths around what the record says.
EXACT_DATE_SLACK: Final = 1  # a written date is still off by a year now and then
APPROXIMATE_DATE_SLACK: Final = 2
YEAR_ONLY_SLACK: Final = 1
AGE_ESTIMATE_SLACK: Final = 2
DAYS_PER_YEAR: Final = 365.25


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
    REGION = "region_code"  # the desa itself: its children born around the date


class Match(StrEnum):
    """How a block's keys meet the column."""

    EQUAL = "equal"  # column = the one key
    ANY_OF = "any_of"  # column IN the keys (spelling neighbours of one reported name)
    PREFIX = "prefix"  # column starts with the key (a short call name, a cut-off name)
    SUFFIX = "suffix"  # column ends with the key (a call name made from a name's end): a filter


class BlockKind(StrEnum):
    """Why a block is searched: which reported value it rests on."""

    GIVEN_NAME = "given_name"  # the name the child is called by
    NICKNAME = "nickname"  # a formal name a reported nickname stands for
    OTHER_NAME = "other_name"  # another token: family name, second given name, joined tokens
    SPELLING = "spelling"  # the called name's neighbours: one letter off, cut short, run together
    MOTHER = "mother"
    FAMILY = "family"  # the KK number
    NEIGHBOURHOOD = "neighbourhood"  # only a call name: the desa's children of that age
    # Only a call name: the nation's children born on the day whose called name ends or
    # begins as the call name does.
    CALL_NAME_DAY = "call_name_day"
    # The desa's children born on the written day, whatever their name.
    DESA_DAY = "desa_day"
    # Only a call name and an approximate date or a year: the nation's children born near it
    # whose called name ends or begins as the call name does.
    CALL_NAME_NEAR = "call_name_near"


@dataclass(frozen=True, slots=True)
class YearWindow:
    """Inclusive birth-year range, and the year the record points at (rows nearest first), if
    any: a record without any date is searched over a child's years, in no order."""

    first: int
    last: int
    target: int | None


@dataclass(frozen=True, slots=True)
class Block:
    """One key lookup: ``column = key`` (or IN ``keys``, or LIKE ``key%``), within ``years`` and
    under ``region`` (a code prefix) where given, at most ``cap`` rows, nearest ``years.target``
    (or ``target_year``) first."""

    kind: BlockKind
    column: KeyColumn
    key: str
    years: YearWindow | None = None
    region: str | None = None
    cap: int = LOOSE_CAP
    target_year: int | None = None  # ordering only, for a block without a window
    match: Match = Match.EQUAL
    keys: tuple[str, ...] = ()  # Match.ANY_OF: the keys (``key`` is the name they surround)
    sex: str | None = None  # a filter, for the one block that has no name to narrow by
    also: tuple[tuple[KeyColumn, str], ...] = ()  # further keys the rows must carry (filters)
    birth_dates: tuple[date, ...] = ()  # a filter: born on one of these days
    born_between: tuple[date, date] | None = None  # a filter: born within these days (inclusive)

    @property
    def order_year(self) -> int | None:
        return self.years.target if self.years is not None else self.target_year

    def describe(self) -> str:
        shown = f"{self.key}%" if self.match is Match.PREFIX else self.key
        if self.match is Match.SUFFIX:
            shown = f"%{self.key}"
        if self.match is Match.ANY_OF:
            shown = f"{len(self.keys)} keys around {self.key}"
        parts = [f"{self.column} {self.match} {shown}"]
        if self.years is not None:
            parts.append(f"year {self.years.first}-{self.years.last}")
        if self.region is not None:
            parts.append(f"region {self.region}*")
        if self.birth_dates:
            parts.append(f"{len(self.birth_dates)} days")
        if self.born_between is not None:
            parts.append(f"born {self.born_between[0]}..{self.born_between[1]}")
        if self.sex is not None:
            parts.append(f"sex {self.sex}")
        return f"{self.kind}: {', '.join(parts)} (≤{self.cap})"


def query_blocks(record: ChildRecord) -> list[Block]:
    """The key lookups for ``record``, tightest first, without duplicates; [] when the record
    carries nothing to look up by."""
    years = year_window(record)
    area = _Area.of(record.region_codes)
    names = _NameKeys.of(record.names, record.father_names)
    mothers = _mother_keys(record)
    blocks: list[Block] = []
    if record.kk_number and record.kk_number.strip():
        kk = record.kk_number.strip()
        blocks.append(Block(BlockKind.FAMILY, KeyColumn.KK, kk, cap=FAMILY_CAP))
    blocks.extend(_desa_day_blocks(area, record))
    formal_mothers = [m for m in mothers if len(m) > CALL_NAME_LENGTH]
    # Nothing but call names: no formal name, no mother's formal name, no KK reaches the child.
    call_names_only = not formal_mothers and not record.kk_number and names.only_call_names
    if years is not None and call_names_only:
        # The desa's children are the likeliest place, so they come before the many loose name
        # blocks that might fill the people cap first.
        blocks.extend(_neighbourhood_blocks(years, area, record.sex))
        # ... and a family that moved: the nation's children born on the day, of that sex,
        # whose called name ends or begins as the call name does ("Nana" ← Mardiana, "Rul" ←
        # Masrul, "Gab" ← Gabriel).
        blocks.extend(_call_name_day_blocks(names, mothers, record))
    for key in names.given:
        blocks.extend(
            _name_blocks(BlockKind.GIVEN_NAME, key, years, area, national=True, sex=record.sex)
        )
    blocks.extend(_family_moved_blocks(names, mothers, _family_tokens(record, names), years))
    blocks.extend(_birth_day_blocks(names, mothers, record))
    for key in mothers:
        blocks.extend(_mother_blocks(key, years, area, record.sex, wide=names.only_call_names))
    if not mothers:
        blocks.extend(_parent_token_blocks(record, names, years))
    # A call name's formal names nationally only where nothing else reaches a family that moved
    # (no mother, no KK): "Eta" → Margareta; a call name may stand for several formal names.
    alone = names.only_call_names and not mothers and not record.kk_number
    for key in names.nicknames:
        blocks.extend(
            _name_blocks(BlockKind.NICKNAME, key, years, area, national=alone, sex=record.sex)
        )
    for key in names.given:
        blocks.extend(_spelling_blocks(key, years, area))
        blocks.extend(_second_token_blocks(key, years))
    if not mothers and not record.kk_number and not _written_day(record):
        # Nothing else reaches a family that moved (no mother, no KK, no written day to narrow
        # the nation by): the called name one letter off, nationally, of the record's sex.
        for key in names.given:
            blocks.extend(_national_spelling_blocks(key, years, record.sex))
    if call_names_only:
        # Last, with what is left of the store's people cap: a call name and an approximate
        # date or a year, the nation's children born near it (wide: cut to the nearest years).
        blocks.extend(_call_name_near_blocks(names, record))
    for key in names.others:
        blocks.extend(_other_token_blocks(key, years, area))
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
        # Aged n: born between n + 1 and n years before as_of, most likely about n + ½ years
        # before — the year a capped block's rows are taken nearest to (aged 0 in March 2024:
        # born around September 2023, not in 2024).
        middle = as_of - timedelta(days=round((int(record.age_estimate) + 0.5) * DAYS_PER_YEAR))
        return YearWindow(year - 1 - AGE_ESTIMATE_SLACK, year + AGE_ESTIMATE_SLACK - 1, middle.year)
    return None


def _search_years(years: YearWindow | None, record_as_of: date | None = None) -> YearWindow:
    """The window a block searches: the record's, or a child's years when it gave none."""
    if years is not None:
        return years
    this_year = (record_as_of or date.today()).year
    return YearWindow(this_year - CHILD_YEARS, this_year, None)


@dataclass(frozen=True, slots=True)
class _Area:
    """Where the record places the child: desa codes, their kabupaten, their provinces."""

    desa: tuple[str, ...]
    kabupaten: tuple[str, ...]
    provinces: tuple[str, ...]

    @classmethod
    def of(cls, codes: Iterable[str]) -> _Area:
        desa: dict[str, None] = {}
        kabupaten: dict[str, None] = {}
        for code in (c.strip() for c in codes):
            if len(code) == DESA_CODE:
                desa[code] = None
            if len(code) >= KABUPATEN_PREFIX:
                kabupaten[code[:KABUPATEN_PREFIX]] = None
            elif len(code) == PROVINCE_PREFIX:
                kabupaten[code] = None  # only the province known: searched as the closest area
        provinces = dict.fromkeys(
            k[:PROVINCE_PREFIX] for k in kabupaten if len(k) > PROVINCE_PREFIX
        )
        return cls(tuple(desa), tuple(kabupaten), tuple(provinces))


def _name_blocks(
    kind: BlockKind,
    key: str,
    years: YearWindow | None,
    area: _Area,
    *,
    national: bool,
    sex: str | None = None,
) -> Iterator[Block]:
    """A name the registry may file the person under: in the desa whatever the year (a wrong or
    unknown date); in the kabupaten, the province and (for a reported name) the nation within the
    window (a family that moved: there of the record's sex, which halves a common name's rows);
    in the kabupaten whatever the year."""
    column = KeyColumn.NAME
    target = years.target if years is not None else None
    window = _search_years(years)
    for desa in area.desa:
        yield Block(kind, column, key, None, desa, TIGHT_CAP, target)
    for region in area.kabupaten:
        yield Block(kind, column, key, window, region, TIGHT_CAP)
    if years is not None:
        for province in area.provinces:
            yield Block(kind, column, key, years, province, LOOSE_CAP)
    if (national and years is not None) or not area.kabupaten:
        yield Block(kind, column, key, window, None, LOOSE_CAP, sex=sex)
    if years is not None:
        for region in area.kabupaten:
            yield Block(kind, column, key, None, region, LOOSE_CAP, target)


def _family_moved_blocks(
    names: _NameKeys, mothers: tuple[str, ...], family: tuple[str, ...], years: YearWindow | None
) -> Iterator[Block]:
    """Two keys together anywhere in the nation: the called name (or a formal name a call name
    stands for) with the mother's or another token, and the mother's name with a family token
    (the child's other tokens, the parents' other names: a family name is often the father's
    and, in NTT, the mother's too). A family that moved, under names too common for a national
    block's cap; two keys together are rare, so these stop at their cap early and rank nothing."""
    window = _search_years(years)
    unordered = YearWindow(window.first, window.last, None)
    for key in (*names.given, *names.nicknames):
        for mother in mothers:
            also = ((KeyColumn.MOTHER, mother),)
            yield Block(BlockKind.MOTHER, KeyColumn.NAME, key, unordered, cap=TIGHT_CAP, also=also)
    for key in names.given:
        for other in names.others:
            also = ((KeyColumn.NAME2, other),)
            yield Block(
                BlockKind.OTHER_NAME, KeyColumn.NAME, key, unordered, cap=TIGHT_CAP, also=also
            )
    for called, other in names.splits:
        # Run together: the two names it was made of, together, anywhere in the nation.
        also = ((KeyColumn.NAME2, other),)
        yield Block(BlockKind.SPELLING, KeyColumn.NAME, called, unordered, cap=TIGHT_CAP, also=also)
    for mother in mothers:
        for token in family:
            also = ((KeyColumn.NAME2, token),)
            yield Block(
                BlockKind.MOTHER, KeyColumn.MOTHER, mother, unordered, cap=TIGHT_CAP, also=also
            )


def _family_tokens(record: ChildRecord, names: _NameKeys) -> tuple[str, ...]:
    """Keys of the tokens a family shares: the child's other tokens, the parents' other names."""
    tokens: dict[str, None] = dict.fromkeys(names.others)
    for parent in (*record.mother_names, *record.father_names):
        parsed = parse_name(parent)
        tokens.update(dict.fromkeys(_key(t) for t in parsed.tokens if t != parsed.given))
    return tuple(t for t in tokens if t)


def _birth_day_blocks(
    names: _NameKeys, mothers: tuple[str, ...], record: ChildRecord
) -> Iterator[Block]:
    """A written date narrows a name nationally to a handful: the called name (or a formal name a
    call name stands for) or the mother's, born on that day and month (or with the two swapped)
    in any year of the window, in any region — a family that moved, under a name too common for
    a national block's cap. Every year of the window, not the written one only: a wrong year
    under the right day and month is a common slip (a year written from memory, or an agency's
    date approximated to the year it was told). With a written (exact) date, the called name's
    spelling neighbours too: a typo in the name of a family that moved."""
    dated = _record_days(record)
    if dated is None:
        return
    window, days = dated
    years = YearWindow(window.first, window.last, None)
    for key in (*names.given, *names.nicknames):
        yield Block(
            BlockKind.GIVEN_NAME, KeyColumn.NAME, key, years, cap=TIGHT_CAP, birth_dates=days
        )
    for key in mothers:
        yield Block(BlockKind.MOTHER, KeyColumn.MOTHER, key, years, cap=TIGHT_CAP, birth_dates=days)
    if not record.birth_date_exact:
        return
    for key in names.given:
        if len(key) >= MIN_SPELLING_KEY:
            neighbours = tuple(sorted(_one_letter_off(key)))
            yield Block(
                BlockKind.SPELLING, KeyColumn.NAME, key, years, cap=TIGHT_CAP,
                match=Match.ANY_OF, keys=neighbours, birth_dates=days,
            )  # fmt: skip


def _record_days(record: ChildRecord) -> tuple[YearWindow, tuple[date, ...]] | None:
    """The record's year window and its date's days (``_same_days``); None without a date."""
    if record.birth_date is None:
        return None
    window = year_window(record)
    assert window is not None  # a record with a date has a window
    return window, _same_days(record.birth_date, window)


def _same_days(day: date, window: YearWindow) -> tuple[date, ...]:
    """``day``'s day and month (and the two swapped) in every year of the window, ``day``
    first; 29 February only in leap years."""
    days: dict[date, None] = {day: None}
    for year in range(window.first, window.last + 1):
        for month, dom in ((day.month, day.day), (day.day, day.month)):
            if month <= MONTHS:
                with contextlib.suppress(ValueError):  # 29 February of a common year
                    days[date(year, month, dom)] = None
    return tuple(days)


def _mother_blocks(
    key: str, years: YearWindow | None, area: _Area, sex: str | None, *, wide: bool = False
) -> Iterator[Block]:
    """The mother's called name: her children in the desa and in the kabupaten (any year, nearest
    first), and her children anywhere within the window (a family that moved). ``wide``: the
    child has nothing but call names, so the mother is the only key that reaches a family that
    moved — her children anywhere get the cap of a neighbourhood instead of a loose block's."""
    target = years.target if years is not None else None
    for region in (*area.desa, *area.kabupaten):
        yield Block(BlockKind.MOTHER, KeyColumn.MOTHER, key, None, region, TIGHT_CAP, target)
    window = _search_years(years)
    cap = NEIGHBOURHOOD_CAP if wide else LOOSE_CAP
    yield Block(BlockKind.MOTHER, KeyColumn.MOTHER, key, window, None, cap, sex=sex)


def _parent_token_blocks(
    record: ChildRecord, names: _NameKeys, years: YearWindow | None
) -> Iterator[Block]:
    """No mother to look up by: a family name the father's name carries ("Silvester Tallo" →
    Margareta Kristiani Tallo), as the registry's other token, anywhere within the window, of the
    record's sex — a family that moved, where the child is known by a call name only."""
    window = _search_years(years)
    for token in _family_tokens(record, names):
        if token not in names.others and token not in names.given:
            yield Block(
                BlockKind.OTHER_NAME, KeyColumn.NAME2, token, window, None, LOOSE_CAP,
                sex=record.sex,
            )  # fmt: skip


def _spelling_blocks(key: str, years: YearWindow | None, area: _Area) -> Iterator[Block]:
    """A called name written one letter off, cut short or run together with the next name: its
    neighbours and its prefixes in the kabupaten within the window, and the names it begins."""
    if len(key) < MIN_SPELLING_KEY:
        return
    window = _search_years(years)
    neighbours = tuple(sorted(_one_letter_off(key) | _prefixes(key)))
    for desa in area.desa:
        yield Block(
            BlockKind.SPELLING, KeyColumn.NAME, key, None, desa, TIGHT_CAP,
            match=Match.ANY_OF, keys=neighbours,
        )  # fmt: skip
    for region in area.kabupaten:
        yield Block(
            BlockKind.SPELLING, KeyColumn.NAME, key, window, region, TIGHT_CAP,
            match=Match.ANY_OF, keys=neighbours,
        )  # fmt: skip
        yield Block(
            BlockKind.SPELLING, KeyColumn.NAME, key, window, region, TIGHT_CAP, match=Match.PREFIX
        )


def _second_token_blocks(key: str, years: YearWindow | None) -> Iterator[Block]:
    """The called name filed as the registry's other token (a first given name the record left
    out, tokens written in another order)."""
    if years is not None:
        yield Block(BlockKind.GIVEN_NAME, KeyColumn.NAME2, key, years, None, LOOSE_CAP)


def _other_token_blocks(key: str, years: YearWindow | None, area: _Area) -> Iterator[Block]:
    """Another token of a reported name: the registry's other token, or its called name (the
    record dropped or garbled the called name but kept the family name)."""
    window = _search_years(years)
    target = years.target if years is not None else None
    # In the kabupaten first, unordered: the scan stops at the cap instead of ranking a common
    # family name's whole national window.
    unordered = YearWindow(window.first, window.last, None)
    for region in area.kabupaten:
        yield Block(BlockKind.OTHER_NAME, KeyColumn.NAME2, key, unordered, region, TIGHT_CAP)
    yield Block(BlockKind.OTHER_NAME, KeyColumn.NAME2, key, window, None, LOOSE_CAP)
    yield Block(BlockKind.OTHER_NAME, KeyColumn.NAME, key, window, None, LOOSE_CAP)
    for region in area.kabupaten:
        yield Block(BlockKind.OTHER_NAME, KeyColumn.NAME, key, None, region, LOOSE_CAP, target)


def _neighbourhood_blocks(years: YearWindow, area: _Area, sex: str | None) -> Iterator[Block]:
    """A child known only by a call name ("Nana", "Wan": often the end of the formal name, which
    no key index can look up), the mother at most by hers, and no KK: the children of the desa born in the
    window, nearest the year first. It reads the desa by ``ix_person_region_code``: a few
    thousand people in a real desa."""
    for desa in area.desa:
        yield Block(
            BlockKind.NEIGHBOURHOOD,
            KeyColumn.REGION,
            desa,
            years,
            None,
            NEIGHBOURHOOD_CAP,
            sex=sex,
        )


def _desa_day_blocks(area: _Area, record: ChildRecord) -> Iterator[Block]:
    """The desa's children born on the written day (or with day and month swapped), whatever
    they are called: a name garbled past every key ("Sidko" for Fransiskus) of a child still
    in its desa. A few people a desa, read by the region index."""
    dated = _record_days(record)
    if dated is None or not _written_day(record):
        return
    window, days = dated
    for desa in area.desa:
        yield Block(
            BlockKind.DESA_DAY, KeyColumn.REGION, desa, window, None, TIGHT_CAP, birth_dates=days
        )


def _call_name_day_blocks(
    names: _NameKeys, mothers: tuple[str, ...], record: ChildRecord
) -> Iterator[Block]:
    """A call name made from the end of the formal name ("Nana" ← Mardiana, "Fafa" ← Zalfa,
    "Rul" ← Masrul, "Dan" ← Muhammad Zidan) or its beginning ("Gab" ← Gabriel), of a family
    that moved to another desa, with no mother nor KK to look up by: no key the registry is
    filed under is the call name, and the desa's neighbourhood is the wrong desa. The record's
    written day narrows the nation to a few dozen people of its sex per day in the seeded
    worlds, and the call name to those whose called name ends (or begins) so: blocks over the
    birth-date index, which holds the called name's key and (migration 0008) the sex, so both
    are tested in the index — a beginning as a range of the key, seeked. Every year of the
    window and the day and month swapped, as the day blocks do; nearest the written year first.
    """
    dated = _record_days(record)
    if dated is None:
        return
    window, days = dated
    on_the_days = {"birth_dates": days}
    yield from _ends_and_starts(
        BlockKind.CALL_NAME_DAY, names, window, record.sex, on_the_days,
        {**on_the_days, "cap": CALL_NAME_DAY_CAP},
    )  # fmt: skip
    for key in mothers:
        # The mother known by a call name too ("By. Ny. Dada" ← Zuraida): her children born on
        # the day whose mother's called name ends so (the birth-date index carries that key).
        end = call_name_end(key)
        if len(end) >= MIN_NAME_END:
            yield Block(
                BlockKind.CALL_NAME_DAY, KeyColumn.MOTHER, end, window, cap=CALL_NAME_DAY_CAP,
                match=Match.SUFFIX, sex=record.sex, birth_dates=days,
            )  # fmt: skip


def _call_name_near_blocks(names: _NameKeys, record: ChildRecord) -> Iterator[Block]:
    """The same call names where the record has no written day to narrow the nation by, only an
    approximate date or a year: the nation's children of its sex born near it whose called name
    ends as the call name does ("Jiji" ← Darmaji, "Hot" ← Marihot), over the birth-date index's
    range (which carries the key and the sex), nearest the year first; and those whose called
    name begins so ("Orp" ← Orpa), over the name-key index, within the window."""
    span = _near_days(record)
    window = year_window(record)
    if window is None or _written_day(record):
        return
    ending = {"born_between": span} if span is not None else None
    yield from _ends_and_starts(
        BlockKind.CALL_NAME_NEAR, names, window, record.sex, ending, {"cap": LOOSE_CAP}
    )


def _ends_and_starts(
    kind: BlockKind,
    names: _NameKeys,
    window: YearWindow,
    sex: str | None,
    ending: dict[str, Any] | None,
    starting: dict[str, Any],
) -> Iterator[Block]:
    """Per call name, the nation's children of ``sex`` in the window whose called name ends as
    it does (a reduplicated syllable once), filtered by ``ending`` (their days; None: no such
    block), and those whose called name begins with it, by ``starting`` (days, cap)."""
    for key in names.given:
        end = call_name_end(key)
        if ending is not None and len(end) >= MIN_NAME_END:
            yield Block(
                kind, KeyColumn.NAME, end, window, cap=CALL_NAME_DAY_CAP, match=Match.SUFFIX,
                sex=sex, **ending,
            )  # fmt: skip
        if len(key) >= MIN_SPELLING_KEY:
            yield Block(kind, KeyColumn.NAME, key, window, match=Match.PREFIX, sex=sex, **starting)


def _written_day(record: ChildRecord) -> bool:
    return record.birth_date is not None and record.birth_date_exact


def _near_days(record: ChildRecord) -> tuple[date, date] | None:
    """The days an approximate date or a year reaches: within a year of an approximate date
    (a guess some months off, or the 1st of January or July of the year), the year a year
    names; None for a written day (the day blocks serve it) or an age estimate (too many
    years for a range over the whole nation)."""
    if record.birth_date is not None:
        if record.birth_date_exact:
            return None
        day = record.birth_date.toordinal()  # clamped: a typed-in 0001-01-01 is no error
        first = max(day - APPROXIMATE_REACH_DAYS, date.min.toordinal())
        last = min(day + APPROXIMATE_REACH_DAYS, date.max.toordinal())
        return (date.fromordinal(first), date.fromordinal(last))
    if record.birth_year is not None:
        return (date(record.birth_year, 1, 1), date(record.birth_year, MONTHS, 31))
    return None


def _national_spelling_blocks(
    key: str, years: YearWindow | None, sex: str | None
) -> Iterator[Block]:
    """The called name one letter off ("Gbariel" ← Gabriel) anywhere in the nation within the
    window, of the record's sex: a typo in the name of a family that moved."""
    if len(key) < MIN_SPELLING_KEY or years is None:
        return
    yield Block(
        BlockKind.SPELLING, KeyColumn.NAME, key, years, None, LOOSE_CAP,
        match=Match.ANY_OF, keys=tuple(sorted(_one_letter_off(key))), sex=sex,
    )  # fmt: skip


def call_name_end(key: str) -> str:
    """The end of a formal name a call name's key stands for: a reduplicated syllable once
    ("nana" → "na": Mardiana, "wiwi" → "wi": Dewi), else the whole call name ("rul": Masrul)."""
    half = len(key) // 2
    if len(key) % 2 == 0 and key[:half] == key[half:]:
        return key[:half]
    return key


_LETTERS: Final = "abcdefghijklmnopqrstuvwxyz"


def _one_letter_off(key: str) -> set[str]:
    """Every key one deletion, insertion, substitution or swap of neighbours away (a typo)."""
    splits = [(key[:i], key[i:]) for i in range(len(key) + 1)]
    deleted = {a + b[1:] for a, b in splits if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaced = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserted = {a + c + b for a, b in splits for c in _LETTERS}
    return (deleted | swapped | replaced | inserted) - {key}


def _prefixes(key: str) -> set[str]:
    """The key's proper prefixes of a name's length: "prasetyoramadan" ⊃ "prasetyo"."""
    return {key[:i] for i in range(MIN_SPELLING_KEY, len(key))}


@dataclass(frozen=True, slots=True)
class _NameKeys:
    """The keys of every reported name, by how directly they rest on what was reported."""

    given: tuple[str, ...]
    nicknames: tuple[str, ...]
    others: tuple[str, ...]

    own_tokens: int  # tokens of the child's own reported names (a father's name aside)
    # Tokens run together ("Dioprasetyo"), split where a known given name ends: (called, other)
    splits: tuple[tuple[str, str], ...] = ()

    @property
    def only_call_names(self) -> bool:
        """Nothing but short call names: no formal name, no family name to look up by."""
        return self.own_tokens <= len(self.given) and all(
            len(k) <= CALL_NAME_LENGTH for k in self.given
        )

    @classmethod
    def of(cls, names: Iterable[str], father_names: Iterable[str]) -> _NameKeys:
        given: dict[str, None] = {}
        nicknames: dict[str, None] = {}
        others: dict[str, None] = {}
        splits: dict[tuple[str, str], None] = {}
        own_tokens = 0
        for name in names:
            parsed = parse_name(name)
            if parsed.baby:
                continue  # "By. Ny. X" names the mother, not the child (see _mother_keys)
            called = _key(parsed.given or "")
            if called:
                given[called] = None
            tokens = [t for t in parsed.tokens if _key(t)]
            own_tokens += len(tokens)
            for token in tokens:
                for formal in sorted(formal_names(token)):  # a set: its order varies by process
                    nicknames[_key(formal)] = None
                if _key(token) != called:
                    others[_key(token)] = None
            for first, second in itertools.pairwise(tokens):
                others[_key(first + second)] = None  # "Nur Haliza" filed as "Nurhaliza"
            # Split as written too: the spelling rules may rewrite the join itself
            # ("Ahmadjasman" reads as "ahmajasman": dj → j), hiding the prefix it begins with.
            written = ("".join(c for c in w if c.isalpha()) for w in name.lower().split())
            for token in dict.fromkeys([*tokens, *(w for w in written if w not in tokens)]):
                parts = _run_together(token)
                for left, right in parts:
                    if right and left:
                        splits[(left, right)] = None
                    else:  # "Muhammadbima": the name after the prefix is the called one
                        given[left or right] = None
                two = [left for left, right in parts if left and right]
                if two and _key(token) == called:
                    # The called name run into the next ("Khairunnisakhairunnisa"): the
                    # longest known given name it begins with is the one it is called by.
                    given[two[-1]] = None
        for father in father_names:
            # A father's called name often closes the child's name (Malay, Minang habit).
            called = _key(parse_name(father).given or "")
            if called:
                others[called] = None
        nicknames = {k: None for k in nicknames if k and k not in given}
        others = {k: None for k in others if k and k not in given and k not in nicknames}
        return cls(tuple(given), tuple(nicknames), tuple(others), own_tokens, tuple(splits))


MIN_SPLIT: Final = 3  # each part of a run-together token: a name, not a syllable


def _run_together(token: str) -> list[tuple[str, str]]:
    """Keys of the two names a run-together token may be ("dioprasetyo" → dio + prasetyo), where
    the first part is a given name the registry knows (the shipped model's given-name
    frequencies) and the whole is not: ``(called, other)``. A name prefix run into the called
    name ("muhammadbima") gives ``("", called)``: the registry files Muhammad Bima under bima."""
    if len(token) < 2 * MIN_SPLIT or _key(token) in _known_given_keys():
        return []
    found: list[tuple[str, str]] = []
    prefixed = ""
    for i in range(MIN_SPLIT, len(token) - MIN_SPLIT + 1):
        left, right = token[:i], token[i:]
        if canonical_prefix(left) is not None:
            prefixed = right  # the longest prefix: "muhammad|bima", not "muh|ammadbima"
        elif _key(left) in _known_given_keys():
            found.append((_key(left), _key(right)))
    return [("", _key(prefixed)), *found] if prefixed else found


@functools.cache
def _known_given_keys() -> frozenset[str]:
    """Keys of the given names common in the registry: the words a run-together token is split
    at (learned with the weights, ``resolution.train.given_name_frequencies``)."""
    from resolution.model import shipped  # the weights: read on first use

    return frozenset(shipped().name_frequencies)


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
        for formal in sorted(formal_names(parsed.given or "")):
            keys[_key(formal)] = None
    return tuple(k for k in keys if k)


def _key(token: str) -> str:
    return phonetic_key(token)[:KEY_LENGTH] if token else ""
