"""How an agency writes down a child who has no NIK: every way real records differ from the registry.

Each variation an ``AgencyRecord`` applies is labelled with its kind (``VARIATION_KINDS``) in the
identity ground truth, so that the matcher's evaluation can be broken down by kind; several may
combine on one record.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import date
from typing import Any, Final

from resolution.address import Address, parse_address, write_address
from resolution.names import canonical_prefix, old_spelling, parse_name, phonetic_key
from satu_anak.synthetic import regions
from satu_anak.synthetic.common import (
    PLACE_LIST,
    REFERENCE_DAY,
    STREETS,
    Household,
    Kid,
    age_on,
    pick_weighted,
)
from satu_anak.synthetic.names import (
    VARIANT_KINDS,
    Culture,
    VariantKind,
    name_variant,
    nickname,
)

# Every label the ground truth's ``variations`` column may carry.
VARIATION_KINDS: Final[tuple[str, ...]] = (
    *VARIANT_KINDS,  # one rendering of the name: old_spelling, muhammad_abbrev, nickname, typo…
    "single_name",  # the registry has the full name, the agency only the called name
    "title_an",  # "An. Budi" (anak)
    "bin_binti",  # "Budi bin Slamet": the father's name closes the child's
    "by_ny",  # "By. Ny. Sari": a baby under one year, recorded as the baby of Mrs Sari
    "birth_date_approximate",  # a date some months off, or 1 January / 1 July of the year
    "birth_date_year_off",  # the right day and month, the year one off
    "birth_date_swapped",  # day and month swapped: 2014-03-07 recorded as 2014-07-03
    "birth_date_unknown",  # no date, only an age estimate (attribute report ageEstimate)
    "mother_nickname",  # the mother recorded by her call name
    "no_mother",  # the registry knows the mother, the record does not
    "no_father",  # the registry knows the father, the record does not
    "moved",  # recorded in another kabupaten (or province) than the registry's region
    "birthplace_missing",
    "birthplace_different",
)
NEGATIVE_KINDS: Final[tuple[str, ...]] = ("sibling", "twin", "namesake", "unregistered")

# The variants officers meet every day; the rarer ones (typo, phonetic…) now and then.
_COMMON_VARIANTS: Final[tuple[VariantKind, ...]] = (
    "old_spelling", "muhammad_abbrev", "dropped_prefix", "nur_variant", "nickname",
)  # fmt: skip
_PREFIX_VARIANTS: Final[tuple[VariantKind, ...]] = (
    "muhammad_abbrev", "nur_variant", "dropped_prefix",
)  # fmt: skip
_BIRTH_BLURS: Final = (
    ("birth_date_unknown", 0.15),
    ("birth_date_approximate", 0.40),
    ("birth_date_year_off", 0.25),
    ("birth_date_swapped", 0.20),
)
_MUSLIM_CULTURES: Final = frozenset({Culture.JAVANESE, Culture.MALAY})


def _desa_by_province() -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for desa in regions.all_desa():
        grouped[desa.code[:2]].append(desa.code)
    return {province: tuple(codes) for province, codes in grouped.items()}


_DESA_BY_PROVINCE: Final = _desa_by_province()


def swapped(day: date) -> date | None:
    """``day`` with day and month swapped, if that is another valid date (7 March → 3 July)."""
    if day.day > 12 or day.day == day.month:
        return None
    return date(day.year, day.day, day.month)


def given_token(name: str) -> str:
    """The token of ``name`` (as written) the person is called by: past Muhammad/Siti/Nur."""
    tokens = name.split()
    given = parse_name(name).given
    for token in tokens:
        if given is not None and parse_name(token).given == given:
            return token
    return tokens[0] if tokens else name


def age_estimate_on(birth: int, blur: int, reported: int) -> int:
    """The age an officer writes on day ``reported`` (ordinals): full years, off by ``blur``."""
    return max(0, age_on(birth, reported) + blur)


def _address(kid: Kid, hh: Household) -> str:
    """The family's address as an agency wrote it down: the same address in the clerk's own
    form, with parts left out, a number slipped, or the house the family lived in before (in the
    same desa). Drawn from a generator of the child's own, so that the rest of the world stays
    what it was without addresses."""
    rng = random.Random(f"address|{hh.address}|{kid.name}|{kid.birth}")
    draw = rng.random()
    parts = parse_address(hh.address)
    place = hh.address.rsplit(",", 1)[-1].replace("Desa ", "").strip()
    if draw < 0.1:
        return hh.address  # copied from the family card
    if draw < 0.18:
        parts = _previous_address(parts, rng)
    elif draw < 0.3:
        slip = rng.random()
        if slip < 0.5 and parts.rt is not None:
            parts = replace(parts, rt=max(1, parts.rt + rng.choice((-1, 1, 2))))
        elif slip < 0.8 and parts.number is not None:
            parts = replace(parts, number=str(1 + rng.randrange(120)))
        elif parts.rw is not None:
            parts = replace(parts, rw=max(1, parts.rw + rng.choice((-1, 1))))
    elif draw < 0.45:
        if rng.random() < 0.5:
            parts = replace(parts, way=None, number=None)  # "RT 3/RW 2" only
        else:
            parts = replace(parts, rt=None, rw=None)
    return write_address(parts, place, rng)


def _previous_address(parts: Address, rng: random.Random) -> Address:
    """Another house in the same desa: another dusun or street, number, RT and RW."""
    rt, rw = 1 + rng.randrange(9), 1 + rng.randrange(6)
    if parts.way is not None and parts.way.startswith("dusun"):
        return Address(f"dusun {1 + rng.randrange(3)}", None, rt, rw)
    street = parse_address(rng.choice(STREETS)).way if rng.random() < 0.6 else parts.way
    return Address(street, str(1 + rng.randrange(120)), rt, rw)


class AgencyRecord:
    """Draws what an agency recorded of a child: name, birth, parents, places, with labels."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.rand = rng, rng.random

    def record(self, kid: Kid, hh: Household, positive: bool) -> tuple[dict[str, Any], list[str]]:
        """The child columns as recorded, and the kinds of variation from the registry's truth.

        ``positive`` records (the child is in the registry) always differ in name or birth date;
        a child that is not in the registry is recorded by the same habits, a little less often.
        """
        rand = self.rand
        kinds: list[str] = []
        mother = self._mother(hh, kinds)
        before = len(kinds)
        name = self._name(kid, hh, mother, kinds, 0.8 if positive else 0.4)
        named = len(kinds) > before
        birth: int | None = kid.birth
        approx, age = False, None
        if rand() < (0.55 if positive else 0.5) or (positive and not named):
            birth, approx, age = self._birth(kid, kinds)
        region = self._region(kid, hh, kinds)
        return {
            "full_name": name,
            "birth": birth,
            "approx": approx,
            "age_blur": age,
            "birth_place": self._birth_place(kid, kinds),
            "mother": mother,
            "father": self._father(hh, kinds),
            "region": region,
            "address": _address(kid, hh) if region == hh.desa and rand() < 0.4 else None,
            "kk": hh.kk if "PKH" in kid.contacts and rand() < 0.5 else None,
        }, kinds

    # --- parents ---------------------------------------------------------------------------

    def _mother(self, hh: Household, kinds: list[str]) -> str | None:
        rand = self.rand
        if rand() >= 0.7:
            kinds.append("no_mother")
            return None
        if rand() < 0.25:
            called = nickname(self.rng, hh.mother)
            if called.lower() != hh.mother.lower():
                kinds.append("mother_nickname")
                return called
        return hh.mother

    def _father(self, hh: Household, kinds: list[str]) -> str | None:
        if hh.father is None:
            return None
        if self.rand() < 0.35:
            return hh.father
        kinds.append("no_father")
        return None

    # --- name ------------------------------------------------------------------------------

    def _name(
        self, kid: Kid, hh: Household, mother: str | None, kinds: list[str], p_variant: float
    ) -> str:
        rand = self.rand
        if kid.age < 1 and rand() < 0.7:
            kinds.append("by_ny")
            return f"{'BY. NY.' if rand() < 0.3 else 'By. Ny.'} {mother or hh.mother}"
        name = kid.name
        if " " in name and rand() < 0.12:
            name = given_token(name)
            kinds.append("single_name")
        elif rand() < p_variant:
            name = self._variant(name, kinds)
            if rand() < 0.15:
                name = self._variant(name, kinds)
        r = rand()
        if r < 0.05:
            name = f"An. {name}"
            kinds.append("title_an")
        elif r < 0.13 and hh.father and hh.culture in _MUSLIM_CULTURES:
            father = hh.father if rand() < 0.5 else given_token(hh.father)
            name = f"{name} {'binti' if kid.sex == 'F' else 'bin'} {father}"
            kinds.append("bin_binti")
        return name

    def _variant(self, name: str, kinds: list[str]) -> str:
        rand, rng = self.rand, self.rng
        if rand() < 0.15:
            # Every y written j, as before 1972: only the phonetic key reads it back.
            old = old_spelling(name, ambiguous=True)
            if old != name:
                kinds.append("old_spelling")
                return old
        prefix = canonical_prefix(name.split(" ", 1)[0]) if " " in name else None
        if prefix is not None and rand() < 0.7:
            # Officers abbreviate Muhammad, drop Siti and swap Nur/Nurul all the time.
            allowed: tuple[VariantKind, ...] | None = (
                ("muhammad_abbrev",) if prefix == "muhammad" and rand() < 0.7 else _PREFIX_VARIANTS
            )
        else:
            allowed = _COMMON_VARIANTS if rand() < 0.7 else None
        for kinds_tried in (allowed, None):
            try:
                variant, kind = name_variant(rng, name, kinds_tried)
            except ValueError:
                continue
            kinds.append(kind)
            return variant
        return name

    # --- birth -----------------------------------------------------------------------------

    def _birth(self, kid: Kid, kinds: list[str]) -> tuple[int | None, bool, int | None]:
        """(recorded birth day, approximate?, age-estimate blur) and the kind, appended to ``kinds``.

        The blur is ``None`` unless the date is unknown; the age it blurs depends on the day the
        agency reports it (``age_estimate_on``).
        """
        rand, birth = self.rand, kid.birth
        kind: str = pick_weighted(rand, _BIRTH_BLURS)
        true = date.fromordinal(birth)
        if kind == "birth_date_unknown":
            kinds.append(kind)
            # The officer's blur (a year either way, half the time); the age itself is taken on
            # the day of the report (``age_estimate_on``), not on the reference day.
            return None, False, int(rand() * 3) - 1 if rand() < 0.5 else 0
        if kind == "birth_date_swapped":
            other = swapped(true)
            if other is not None and other.toordinal() < REFERENCE_DAY:
                kinds.append(kind)
                return other.toordinal(), False, None
            kind = "birth_date_approximate"
        if kind == "birth_date_year_off":
            year = true.year + 1 if rand() < 0.5 else true.year - 1
            new = date(year, true.month, min(true.day, 28)).toordinal()
            if new >= REFERENCE_DAY:
                new = date(true.year - 1, true.month, min(true.day, 28)).toordinal()
        elif rand() < 0.4:
            new = (date(true.year, 1, 1) if true.month > 1 else date(true.year, 7, 1)).toordinal()
        else:
            shift = 30 + int(rand() * 210)
            late = rand() >= 0.5 and birth + shift < REFERENCE_DAY
            new = birth + shift if late else birth - shift
        if new >= REFERENCE_DAY:
            new = birth - 45
        kinds.append(kind)
        return new, True, None

    # --- places ----------------------------------------------------------------------------

    def _birth_place(self, kid: Kid, kinds: list[str]) -> str | None:
        rand = self.rand
        if rand() >= 0.5:
            kinds.append("birthplace_missing")
            return None
        if rand() < 0.1:
            other = PLACE_LIST[int(rand() * len(PLACE_LIST))]
            if other != kid.birth_place:
                kinds.append("birthplace_different")
                return other
        return kid.birth_place

    def _region(self, kid: Kid, hh: Household, kinds: list[str]) -> str:
        """Where the child lives now: an LKSA's desa, the family's, or where the family moved."""
        region = kid.lksa_desa or hh.desa
        if kid.lksa_desa is None and self.rand() < 0.15:
            # A Balai serves the provinces it serves: its children moved within the province.
            region = self._elsewhere(hh.desa, within_province="BALAI" in kid.contacts)
        if region[:5] != hh.desa[:5]:
            kinds.append("moved")
        return region

    def _elsewhere(self, desa: str, within_province: bool) -> str:
        """A desa in another kabupaten: of the same province half the time, else anywhere."""
        rand = self.rand
        same_province = _DESA_BY_PROVINCE[desa[:2]]
        for _ in range(8):
            if within_province or rand() < 0.5:
                other = same_province[int(rand() * len(same_province))]
            else:
                other = regions.random_desa(self.rng)
            if other[:5] != desa[:5]:
                return other
        return desa


# --- twins -------------------------------------------------------------------------------
# Twins' names often rhyme: a pair from this table, or the given name with its last vowel changed.
_RHYMING_PAIRS: Final[dict[str, str]] = {
    "hasan": "Husein", "husein": "Hasan", "husen": "Hasan", "rina": "Rini", "rini": "Rina",
    "putra": "Putri", "putri": "Putra", "dewa": "Dewi", "dewi": "Dewa", "fajar": "Fajri",
    "rizki": "Rizka", "rizky": "Rizka", "rizka": "Rizki", "alif": "Alifa", "farhan": "Farhana",
    "nabila": "Nabilah", "yusuf": "Yunus", "adi": "Ida", "dinda": "Dindi", "rama": "Rami",
}  # fmt: skip
_VOWEL_SWAP: Final = {"a": "i", "i": "a", "o": "i", "u": "a", "e": "a"}


def rhyming_name(given: str) -> str | None:
    """A twin's rhyming given name ('Hasan' → 'Husein', 'Rina' → 'Rini'), if one is known."""
    low = given.lower()
    if low in _RHYMING_PAIRS:
        return _RHYMING_PAIRS[low]
    if len(low) >= 3 and low[-1] in _VOWEL_SWAP:
        return given[:-1] + _VOWEL_SWAP[low[-1]]
    return None


def differs(a: str, b: str) -> bool:
    """Whether two given names are different names, not two spellings of one."""
    return phonetic_key(a) != phonetic_key(b)
