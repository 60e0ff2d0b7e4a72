"""Comparison levels: how one attribute of a child record compares with a registry person.

Each attribute has an ordered tuple of levels, strongest agreement first and ``MISSING`` last
(nothing to compare: it weighs nothing). A record may carry several values of an attribute
(every agency's report, every other name): the pair's level is the best level over them, so
many values never add up to more evidence than the best one gives.

The name knowledge (spelling reform, prefixes, nicknames, phonetic keys) is ``resolution.names``;
this module only decides which level a pair of values reaches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import permutations
from typing import Any, Final

from rapidfuzz.distance import JaroWinkler

from resolution.address import Address, parse_address
from resolution.names import (
    fold,
    formal_names,
    nicknames_of,
    normalize_name,
    one_keystroke,
    parse_name,
    phonetic_key,
)
from resolution.records import ChildRecord, RegistryRecord

MISSING: Final = "MISSING"

# Given name: the token the child is called by.
GIVEN_LEVELS: Final = (
    "EXACT", "OLD_SPELLING", "NICKNAME", "PHONETIC", "KEYSTROKE", "NICKNAME_SLIP", "SIMILAR",
    "ALIKE", "TOKEN_SHARED", "CALL_SYLLABLE", "DIFFERENT", MISSING,
)  # fmt: skip
# The other name tokens: family name, middle names, a father's name carried as surname.
OTHER_LEVELS: Final = ("EXACT", "SIMILAR", "PARTIAL", "DIFFERENT", MISSING)
# A date the record marks approximate is compared on levels of its own (APPROX_…): the same
# gap means little under an approximation and much under a date written as known, and one set
# of levels for both makes the first look like a namesake and the second like a match.
BIRTH_DATE_LEVELS: Final = (
    "EXACT", "SWAPPED", "WITHIN_MONTH", "SAME_YEAR", "YEAR_OFF", "WITHIN_1_YEAR",
    "APPROX_WITHIN_MONTH", "APPROX_SAME_YEAR", "APPROX_YEAR_OFF", "APPROX_WITHIN_1_YEAR",
    "APPROX_WITHIN_3_YEARS", "YEAR_ONLY_SAME", "YEAR_ONLY_NEAR", "YEAR_ONLY_WITHIN_3_YEARS",
    "WITHIN_3_YEARS", "DIFFERENT", MISSING,
)  # fmt: skip
SEX_LEVELS: Final = ("SAME", "DIFFERENT", MISSING)
PLACE_LEVELS: Final = ("EXACT", "SIMILAR", "DIFFERENT", MISSING)
REGION_LEVELS: Final = ("DESA", "KECAMATAN", "KABUPATEN", "PROVINCE", "OTHER", MISSING)
PARENT_LEVELS: Final = ("EXACT", "OLD_SPELLING", "CALLED_NAME", "SIMILAR", "DIFFERENT", MISSING)
KK_LEVELS: Final = ("SAME", "DIFFERENT", MISSING)
# The family's address, compared by its parts (resolution.address) and only within one desa
# (elsewhere the region already says it all): the same house (street or gang and number), the
# same RT (the neighbourhood: a village's dusun, RT and RW), the same RW or street, or not.
ADDRESS_LEVELS: Final = ("HOUSE", "SAME_RT", "NEAR", "DIFFERENT", MISSING)

LEVELS: Final[dict[str, tuple[str, ...]]] = {
    "given_name": GIVEN_LEVELS,
    "other_names": OTHER_LEVELS,
    "birth_date": BIRTH_DATE_LEVELS,
    "sex": SEX_LEVELS,
    "birth_place": PLACE_LEVELS,
    "region": REGION_LEVELS,
    "mother": PARENT_LEVELS,
    "father": PARENT_LEVELS,
    "kk": KK_LEVELS,
    "address": ADDRESS_LEVELS,
}
ATTRIBUTES: Final = tuple(LEVELS)
# Attributes a child shares with its siblings (the family level of the model); the rest
# (given name, other names, birth date, sex, birth place) tell one child of a family from another.
FAMILY_ATTRIBUTES: Final = frozenset({"region", "mother", "father", "kk", "address"})

_SIMILAR_JW: Final = 0.92
_SHORTEST_CALL: Final = 3  # a call name of two letters ('Na') says too little to read a slip in
_ALIKE_JW: Final = 0.85
_PARENT_JW: Final = 0.88
_MOST_TOKENS: Final = 6  # longer names are paired greedily, not every way (6! at most)
_PLACE_WORDS: Final = frozenset({"kota", "kabupaten", "kab", "kec", "desa", "kel"})
# Bounded caches of the preparation (pure functions of their arguments, so a hit is exactly what
# a fresh call would give): registry names and parents repeat a lot, and a batch or a server
# meets the same people again. ~1-2 kB an entry.
_NAME_CACHE: Final = 1 << 16
_PERSON_CACHE: Final = 1 << 14
_PAIR_CACHE: Final = 1 << 17  # token pairs (nickname, closeness): a few dozen bytes each
_folded = lru_cache(maxsize=_NAME_CACHE)(fold)


@dataclass(frozen=True, slots=True)
class Name:
    """One name prepared for comparison: the called token and the rest, normalized."""

    raw_given: str | None  # the called token as written (folded), to tell EXACT from reform
    given: str | None  # normalized (spelling reform applied)
    given_key: str | None
    others: frozenset[str]
    tokens: frozenset[str]
    keys: frozenset[str]  # phonetic keys of every token


@lru_cache(maxsize=_NAME_CACHE)
def prepare_name(name: str) -> Name:
    parsed = parse_name(name)
    given = parsed.given
    folded = fold(name).split()
    # The called token as written: itself when written in today's spelling (the common case).
    raw = given if given is None or given in folded else _written(folded, given)
    others = frozenset(t for t in parsed.tokens if t != given and t != parsed.prefix)
    return Name(
        raw,
        given,
        phonetic_key(given) if given else None,
        others,
        frozenset(parsed.tokens),
        frozenset(phonetic_key(t) for t in parsed.tokens),
    )


def _written(folded: list[str], given: str) -> str:
    return next((t for t in folded if normalize_name(t) == given), given)


@dataclass(frozen=True, slots=True)
class Parent:
    """A parent's name as written, folded, normalized and parsed."""

    written: str
    folded: str
    normalized: str
    name: Name


@lru_cache(maxsize=_NAME_CACHE)
def prepare_parent(name: str) -> Parent:
    return Parent(name, fold(name), normalize_name(name), prepare_name(name))


@dataclass(frozen=True, slots=True)
class Side:
    """Everything one side of a pair says, prepared once and compared against many."""

    names: tuple[Name, ...]
    birth_date: date | None
    birth_year: int | None
    sex: str | None
    places: tuple[str, ...]
    regions: tuple[tuple[str, ...], ...]
    mothers: tuple[Parent, ...]
    fathers: tuple[Parent, ...]
    kk: str | None
    written_names: tuple[str, ...] = ()
    written_date: str | None = None
    written_places: tuple[str, ...] = ()
    date_exact: bool = True  # False: ``birth_date`` is an approximation (the record says so)
    addresses: tuple[Address, ...] = ()
    written_addresses: tuple[str, ...] = ()

    def values(self) -> dict[str, str | None]:
        """What this side says of each attribute, as the officer reads it in the explanation."""
        names = " / ".join(self.written_names) or None
        return {
            "given_name": names,
            "other_names": names,
            "birth_date": self.written_date,
            "sex": self.sex,
            "birth_place": " / ".join(self.written_places) or None,
            "region": " / ".join(".".join(r) for r in self.regions) or None,
            "mother": " / ".join(p.written for p in self.mothers) or None,
            "father": " / ".join(p.written for p in self.fathers) or None,
            "kk": self.kk,
            "address": " / ".join(self.written_addresses) or None,
        }


def _sex(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().upper()[:1]
    return {"L": "M", "P": "F"}.get(v, v) if v in "LPMF" else None


def _place(value: str) -> str:
    return " ".join(t for t in _folded(value).split() if t not in _PLACE_WORDS)


def _clean(values: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for v in values:
        if v and _folded(v):
            seen.setdefault(v.strip(), None)
    return tuple(seen)


def record_side(record: ChildRecord) -> Side:
    """A child record prepared: names parsed, kin read from bin/binti and "By. Ny." names."""
    names = _clean(record.names)
    parsed = [parse_name(n) for n in names]
    mothers = _clean((*record.mother_names, *(p.mother for p in parsed)))
    fathers = _clean((*record.father_names, *(p.father for p in parsed)))
    own = tuple(prepare_name(n) for n, p in zip(names, parsed, strict=True) if not p.baby)
    year = record.birth_year
    if record.birth_date is None and year is None and record.age_estimate is not None:
        as_of = record.as_of or date.today()
        year = round(as_of.year + (as_of.timetuple().tm_yday / 366) - record.age_estimate - 0.5)
    return Side(
        names=tuple(n for n in own if n.given),
        birth_date=record.birth_date,
        birth_year=record.birth_date.year if record.birth_date else year,
        sex=_sex(record.sex),
        places=tuple(p for p in (_place(v) for v in record.birth_places) if p),
        regions=tuple(
            tuple(c.strip().split(".")) for c in dict.fromkeys(record.region_codes) if c.strip()
        ),
        mothers=tuple(prepare_parent(m) for m in mothers),
        fathers=tuple(prepare_parent(f) for f in fathers),
        kk=record.kk_number or None,
        written_names=names,
        written_date=_written_date(record, year),
        written_places=_clean(record.birth_places),
        date_exact=record.birth_date_exact,
        **_addresses(record.addresses),
    )


def _addresses(written: Iterable[str | None]) -> dict[str, Any]:
    """The addresses that say something (one part or more), read and as written."""
    kept = [(a, w) for w in _clean(written) if (a := parse_address(w))]
    return {
        "addresses": tuple(dict.fromkeys(a for a, _ in kept)),
        "written_addresses": tuple(w for _, w in kept),
    }


def _written_date(record: ChildRecord, year: int | None) -> str | None:
    if record.birth_date is not None:
        exact = "" if record.birth_date_exact else " (approximate)"
        return f"{record.birth_date.isoformat()}{exact}"
    if record.age_estimate is not None and year is not None:
        return (
            f"about {year} (age {record.age_estimate:g} in {(record.as_of or date.today()).year})"
        )
    return None if year is None else str(year)


@lru_cache(maxsize=_PERSON_CACHE)
def person_side(person: RegistryRecord) -> Side:
    """A registry person prepared, cached by the whole record (every field is in the key, so an
    edited person is prepared afresh)."""
    return Side(
        names=tuple(n for n in (prepare_name(person.full_name),) if n.given),
        birth_date=person.birth_date,
        birth_year=person.birth_date.year,
        sex=_sex(person.sex),
        places=tuple(p for p in (_place(person.birth_place or ""),) if p),
        regions=((tuple(person.region_code.split(".")),) if person.region_code else ()),
        mothers=tuple(prepare_parent(m) for m in _clean((person.mother_name,))),
        fathers=tuple(prepare_parent(f) for f in _clean((person.father_name,))),
        kk=person.kk_number or None,
        written_names=(person.full_name,),
        written_date=person.birth_date.isoformat(),
        written_places=_clean((person.birth_place,)),
        **_addresses((person.address,)),
    )


def clear_caches() -> None:
    """Forget every prepared name and person (tests compare a cold run with a warm one)."""
    for cached in (
        prepare_name, prepare_parent, person_side, _folded, _nickname, _close, _same_way,
        parse_address,
    ):  # fmt: skip
        cached.cache_clear()


def person_as_record(person: RegistryRecord) -> ChildRecord:
    """A registry person written as a child record (for u-probabilities between persons)."""
    return ChildRecord(
        names=(person.full_name,),
        sex=person.sex,
        birth_date=person.birth_date,
        birth_places=(person.birth_place,) if person.birth_place else (),
        region_codes=(person.region_code,) if person.region_code else (),
        mother_names=(person.mother_name,) if person.mother_name else (),
        father_names=(person.father_name,) if person.father_name else (),
        kk_number=person.kk_number,
        addresses=(person.address,) if person.address else (),
    )


# --- the attributes, one function each ------------------------------------------------------


@lru_cache(maxsize=_PAIR_CACHE)
def _nickname(a: str, b: str) -> bool:
    if b in formal_names(a) or a in formal_names(b):
        return True
    # Panggilan are mostly a syllable or two of the formal name: 'Iki' (Rizki), 'Nus' (Markus),
    # 'Gus' (Agus). Its first letters leave two or more out: one less is another name (Farhan /
    # Farhana, a twin's), not what the child is called.
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return len(short) >= 3 and (
        long_.endswith(short) or (long_.startswith(short) and len(long_) - len(short) >= 2)
    )


def given_level(a: Name, b: Name) -> str:
    if a.given is None or b.given is None:
        return MISSING
    if a.given == b.given:
        return "EXACT" if a.raw_given == b.raw_given else "OLD_SPELLING"
    if _nickname(a.given, b.given):
        return "NICKNAME"
    if a.given_key == b.given_key:
        return "PHONETIC"
    if one_keystroke(a.given, b.given) or (
        a.raw_given is not None
        and b.raw_given is not None
        and one_keystroke(a.raw_given, b.raw_given)
    ):
        return "KEYSTROKE"
    if (
        _slipped_nickname(a.given, b.given)
        or (
            a.raw_given is not None
            and b.raw_given is not None
            and _slipped_nickname(a.raw_given, b.raw_given)
        )
    ) and not (_call_syllable(a.given, b.tokens) or _call_syllable(b.given, a.tokens)):
        # (a reduplicated call name as it is, 'Nana' for Adriana, is not a slip of 'Ana')
        return "NICKNAME_SLIP"
    jw = JaroWinkler.similarity(a.given, b.given)
    if jw >= _SIMILAR_JW:
        return "SIMILAR"
    if jw >= _ALIKE_JW:
        return "ALIKE"
    if a.given_key in b.keys or b.given_key in a.keys:
        return "TOKEN_SHARED"
    if _call_syllable(a.given, b.tokens) or _call_syllable(b.given, a.tokens):
        return "CALL_SYLLABLE"
    return "DIFFERENT"


@lru_cache(maxsize=_PAIR_CACHE)
def _slipped_nickname(a: str, b: str) -> bool:
    """A call name of the one typed with one slip: 'Yri' (Tri, of Siti Tri Lestari), 'Jas'
    (Kas, of Dorkas), 'Fsfa' (Fafa, of Dafa), 'Toyo' (Tyo, of Prasetyo): a known call name, the
    formal name's first or last letters, or its last syllable doubled."""
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    n = len(short)
    if n < _SHORTEST_CALL:
        return False
    calls = {normalize_name(call) for call in nicknames_of(long_)}
    # A call name cut from the formal name leaves two letters or more out of it, slip and all:
    # one less is the name with another ending (Fitria / Fitrii, twins' names; Sariji read as
    # Sarii+j of Sariijo) or another name (Hasan read as Hsan+a of Ikhsan), not a call name.
    if n <= len(long_) - 2:
        for size in (n - 1, n, n + 1):
            if _SHORTEST_CALL <= size <= len(long_) - 2:
                calls.update((long_[:size], long_[-size:]))
    if len(long_) <= _SHORTEST_CALL:
        calls.add(long_)  # a three-letter name is its own call name: 'Yri' for Tri
    calls.add(long_[-2:] * 2)
    return any(one_keystroke(short, call, shortest=_SHORTEST_CALL) for call in calls)


def _call_syllable(nick: str, tokens: Iterable[str]) -> bool:
    """A reduplicated call name made of a name's last syllable: 'Nana' (Adriana), 'Kaka'
    (Kartika), 'Lili' (Maruli), 'Nini' (Yuliani). Weak alone: many names end in -na."""
    half = len(nick) // 2
    if len(nick) not in (4, 6) or nick[:half] != nick[half:]:
        return False
    syllable = nick[:half]
    return any(t != nick and t.endswith(syllable) for t in tokens)


def other_level(a: Name, b: Name) -> str:
    if not a.others or not b.others:
        return MISSING
    if a.others == b.others:
        return "EXACT"
    matched = sum(1 for t in a.others if any(_close(t, u) for u in b.others))
    if matched == len(a.others):
        return "SIMILAR"
    return "PARTIAL" if matched else "DIFFERENT"


@lru_cache(maxsize=_PAIR_CACHE)
def _close(a: str, b: str) -> bool:
    return a == b or phonetic_key(a) == phonetic_key(b) or JaroWinkler.similarity(a, b) >= 0.9


def birth_date_level(a: Side, b: Side) -> str:
    if b.birth_year is None or (a.birth_date is None and a.birth_year is None):
        return MISSING
    if a.birth_date is None or b.birth_date is None:
        assert a.birth_year is not None
        gap = abs(a.birth_year - b.birth_year)
        return (
            "YEAR_ONLY_SAME" if gap == 0 else "YEAR_ONLY_NEAR" if gap == 1
            else "YEAR_ONLY_WITHIN_3_YEARS" if gap <= 3 else "DIFFERENT"
        )  # fmt: skip
    level = _date_gap(a.birth_date, b.birth_date)
    if (a.date_exact and b.date_exact) or level == "DIFFERENT":
        return level
    # An approximation ("about March 2015", the year's first day for a year told): the same gaps
    # on the APPROX_ levels, the day itself (or its day and month swapped) only "within a month".
    return "APPROX_WITHIN_MONTH" if level in _ON_THE_DAY else f"APPROX_{level}"


_ON_THE_DAY: Final = frozenset({"EXACT", "SWAPPED", "WITHIN_MONTH"})


def _date_gap(x: date, y: date) -> str:
    if x == y:
        return "EXACT"
    if x.year == y.year and x.month == y.day and x.day == y.month:
        return "SWAPPED"
    days = abs(x.toordinal() - y.toordinal())
    if days <= 31:
        return "WITHIN_MONTH"
    if x.year == y.year:
        return "SAME_YEAR"
    if x.month == y.month and x.day == y.day and abs(x.year - y.year) == 1:
        return "YEAR_OFF"
    if days <= 366:
        return "WITHIN_1_YEAR"
    return "WITHIN_3_YEARS" if days <= 3 * 366 else "DIFFERENT"


def place_level(a: Side, b: Side) -> str:
    best = MISSING
    for x in a.places:
        for y in b.places:
            if x == y:
                return "EXACT"
            if x in y or y in x or JaroWinkler.similarity(x, y) >= 0.9:
                best = "SIMILAR"
            elif best == MISSING:
                best = "DIFFERENT"
    return best


def region_level(a: Side, b: Side) -> str:
    best = len(REGION_LEVELS) - 1
    for x in a.regions:
        for y in b.regions:
            shared = 0
            for p, q in zip(x, y, strict=False):
                if p != q:
                    break
                shared += 1
            best = min(best, 4 - min(shared, 4))
    return REGION_LEVELS[best]


def parent_level(a_values: tuple[Parent, ...], b_values: tuple[Parent, ...]) -> str:
    best = len(PARENT_LEVELS) - 1
    for x in a_values:
        for y in b_values:
            best = min(best, PARENT_LEVELS.index(_parent_pair(x, y)))
            if best == 0:
                return PARENT_LEVELS[0]
    return PARENT_LEVELS[best]


def _parent_pair(x: Parent, y: Parent) -> str:
    if x.folded == y.folded:
        return "EXACT"
    nx, ny = x.normalized, y.normalized
    if nx == ny:
        return "OLD_SPELLING"
    px, py = x.name, y.name
    if len(px.tokens) > 1 and len(py.tokens) > 1:
        # Two full names are one parent's when each name of the shorter is one of the other's
        # (a middle name left out, a name misspelt, a call name: 'Elisabeth Kase' / 'Elisabeth
        # Maria Kase', 'Yuni Sukarni' / 'Wahyuni Sukarni', 'Nur Aini' / 'Nuraini'). Only a name
        # shared ('Yohana Fatima Tamelab' / 'Yohana Hege') is two people: on seeds 1 and 3 not
        # one of 1,380 such candidates was the child. (One name against a full name: below.)
        return "SIMILAR" if _one_within(px.tokens, py.tokens) else "DIFFERENT"
    if px.given and py.given:
        # A mother recorded by the name she is called: 'Yuni' for 'Wahyuni Sukarni'.
        if px.given == py.given or px.given in py.tokens or py.given in px.tokens:
            return "CALLED_NAME"
        if _nickname(px.given, py.given):
            return "CALLED_NAME"
        if _call_syllable(px.given, py.tokens) or _call_syllable(py.given, px.tokens):
            return "SIMILAR"
    if JaroWinkler.similarity(nx, ny) >= _PARENT_JW or (
        px.given_key is not None and px.given_key == py.given_key
    ):
        return "SIMILAR"
    return "DIFFERENT"


def _one_within(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether each token of the smaller set is a token of the other — the same, close, or a
    call name of it — each matched to its own (a full name has a few tokens: every pairing is
    tried), so the answer does not depend on which side is which."""
    short, long_ = (tuple(a), tuple(b)) if len(a) <= len(b) else (tuple(b), tuple(a))
    fits = [[_close(t, u) or _nickname(t, u) for u in long_] for t in short]
    if len(long_) > _MOST_TOKENS:  # a name this long: each token takes the first free one
        free = list(range(len(long_)))
        for row in fits:
            match = next((j for j in free if row[j]), None)
            if match is None:
                return False
            free.remove(match)
        return True
    return any(
        all(row[j] for row, j in zip(fits, chosen, strict=True))
        for chosen in permutations(range(len(long_)), len(short))
    )


def _best(levels: tuple[str, ...], found: Iterable[str]) -> str:
    return min(found, key=levels.index, default=MISSING)


@lru_cache(maxsize=_NAME_CACHE)
def _run_together(written: str) -> frozenset[str]:
    """A name of several tokens written as one ('Putri Pertiwi' → putripertiwi), with and
    without its Muhammad/Siti/Nur prefix; empty for a one-token name."""
    parsed = parse_name(written)
    joined = "".join(parsed.tokens)
    forms = {joined} if len(parsed.tokens) > 1 else set()
    if parsed.prefix and joined:
        forms.add(f"{parsed.prefix}{joined}")
    return frozenset(forms)


def _names_read_apart(a: Side, b: Side) -> tuple[Name, ...]:
    """The record's names, and the person's own name wherever the record wrote it run together
    as one token ('Putripertiwi' for Putri Pertiwi): the same name, its spaces lost."""
    single = {x.given for x in a.names if len(x.tokens) == 1}
    if not single:
        return a.names
    apart = tuple(prepare_name(w) for w in b.written_names if single & _run_together(w))
    return (*a.names, *apart) if apart else a.names


def address_level(a: Side, b: Side) -> str:
    """The best level over both sides' addresses (the caller compares within one desa only)."""
    return _best(ADDRESS_LEVELS, (_address_pair(x, y) for x in a.addresses for y in b.addresses))


def _address_pair(x: Address, y: Address) -> str:
    way = _agrees(x.way, y.way, _same_way)
    # A house number alone is any street's: it counts with its street only.
    number = _agrees(x.number, y.number) if way is not None else None
    rt, rw = _agrees(x.rt, y.rt), _agrees(x.rw, y.rw)
    if way is None and rt is None and rw is None:
        return MISSING
    if way and number and rt is not False and rw is not False:
        return "HOUSE"
    if rt and rw and way is not False:
        return "SAME_RT"
    if way or rw or (rt and rw is None):
        return "NEAR"
    return "DIFFERENT"


def _agrees(x: object, y: object, same: Any = None) -> bool | None:
    if x is None or y is None:
        return None
    return bool(same(x, y)) if same is not None else x == y


@lru_cache(maxsize=_PAIR_CACHE)
def _same_way(x: str, y: str) -> bool:
    """Two ways are one when their kind agrees and their names do, a slip allowed in a long
    name ('Kaharudin' / 'Kaharuddin'), not in a short one ('Dusun 2' / 'Dusun 3')."""
    kind_x, _, name_x = x.partition(" ")
    kind_y, _, name_y = y.partition(" ")
    if kind_x != kind_y:
        return False
    return name_x == name_y or (
        min(len(name_x), len(name_y)) >= 6 and JaroWinkler.similarity(name_x, name_y) >= 0.92
    )


def compare(a: Side, b: Side) -> dict[str, str]:
    """The level of every attribute for the pair (a: the record, b: the registry person)."""
    names = _names_read_apart(a, b)
    region = region_level(a, b) if a.regions and b.regions else MISSING
    return {
        "given_name": _best(GIVEN_LEVELS, (given_level(x, y) for x in names for y in b.names)),
        "other_names": _best(OTHER_LEVELS, (other_level(x, y) for x in names for y in b.names)),
        "birth_date": birth_date_level(a, b),
        "sex": MISSING if not a.sex or not b.sex else "SAME" if a.sex == b.sex else "DIFFERENT",
        "birth_place": place_level(a, b),
        "region": region,
        "mother": parent_level(a.mothers, b.mothers),
        "father": parent_level(a.fathers, b.fathers),
        "kk": MISSING if not a.kk or not b.kk else "SAME" if a.kk == b.kk else "DIFFERENT",
        "address": address_level(a, b) if region == "DESA" else MISSING,
    }


def level_indexes(levels: dict[str, str]) -> tuple[int, ...]:
    """The levels as indexes into ``LEVELS`` (attribute order ``ATTRIBUTES``), for numpy."""
    return tuple(LEVELS[a].index(levels[a]) for a in ATTRIBUTES)
