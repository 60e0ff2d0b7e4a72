"""Synthetic Indonesian names, old/new spellings and labelled name variants for matching tests."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal, TypeVar, get_args

from resolution.names import (
    KEYBOARD_NEIGHBOURS,
    MUHAMMAD_FORMS,
    canonical_prefix,
    nicknames_of,
    old_spelling,
)

__all__ = [
    "VARIANT_KINDS",
    "Culture",
    "FamilyNames",
    "Generation",
    "VariantKind",
    "generate_family_names",
    "generate_parent_names",
    "generate_person_name",
    "is_single_name",
    "name_variant",
    "nickname",
    "pick_culture",
]

_T = TypeVar("_T")

Generation = Literal["child", "parent"]
VariantKind = Literal[
    "old_spelling",
    "muhammad_abbrev",
    "nur_variant",
    "dropped_prefix",
    "nickname",
    "typo",
    "phonetic",
    "spacing",
    "dropped_family_name",
]
VARIANT_KINDS: Final[tuple[VariantKind, ...]] = get_args(VariantKind)


class Culture(StrEnum):
    """Naming tradition; decides name pools, prefixes and whether a family name is used."""

    JAVANESE = "javanese"
    MALAY = "malay"  # Riau/Jambi/Kepri Malay and Minangkabau; almost all Muslim
    BATAK = "batak"  # Toba (mostly Christian) and Mandailing/Angkola (mostly Muslim)
    NTT = "ntt"  # Timor, Rote, Sabu, Flores, Sumba; mostly Christian


@dataclass(frozen=True, slots=True)
class FamilyNames:
    """A child's name with plausible parents' names from the same naming tradition."""

    child: str
    father: str
    mother: str
    culture: Culture


# --- name pools -------------------------------------------------------------------------
# Pools are tuples so that picking is a cheap index; everything here is invented combinations
# of common given names, never a real person.

_MUSLIM_M: Final = (
    "Rizki", "Rizky", "Fajar", "Ilham", "Hafiz", "Arif", "Fauzan", "Rafi", "Akbar", "Zaki",
    "Hasan", "Husein", "Ridwan", "Syahrul", "Khairul", "Syaiful", "Zulkifli", "Fikri",
    "Hidayat", "Yusuf", "Ibrahim", "Ismail", "Ali", "Umar", "Rasyid", "Alif", "Farhan",
    "Faisal", "Hamzah", "Irfan", "Lukman", "Naufal", "Rahmat", "Ramadhan", "Ikhsan", "Khalid",
    "Abdullah", "Fathurrahman", "Syafiq", "Zidan", "Azka", "Habibi", "Haikal", "Jihad",
)  # fmt: skip
_MUSLIM_F: Final = (
    "Aisyah", "Fatimah", "Khadijah", "Zahra", "Azzahra", "Nabila", "Salsabila", "Syifa",
    "Aulia", "Khairunnisa", "Annisa", "Rahma", "Zainab", "Maryam", "Nadia", "Husna", "Laila",
    "Rizka", "Amalia", "Hafizah", "Sakinah", "Syafira", "Najwa", "Humaira", "Alya", "Zaskia",
    "Syakila", "Nurhaliza", "Hanifah", "Jannah", "Mutiara", "Syahira", "Aqila", "Khansa",
)  # fmt: skip
_MODERN_M: Final = (
    "Aditya", "Dimas", "Bayu", "Galih", "Reza", "Rendi", "Andika", "Arya", "Dafa", "Raka",
    "Satria", "Yoga", "Kevin", "Dio", "Rangga", "Bima", "Fadli", "Gilang", "Rehan", "Alvin",
    "Bagas", "Rafael", "Daffa", "Fahri", "Rio", "Juna", "Ardi", "Candra",
)  # fmt: skip
_MODERN_F: Final = (
    "Putri", "Ayu", "Dewi", "Nayla", "Citra", "Intan", "Anisa", "Tiara", "Aurel", "Cahya",
    "Dinda", "Fitri", "Indah", "Kirana", "Aprilia", "Novita", "Cantika", "Vania", "Jihan",
    "Keisha", "Naura", "Adinda", "Chelsea", "Bunga", "Melati", "Anggun", "Zalfa",
)  # fmt: skip
# Closing tokens that read like surnames but are given names (no family-name tradition).
_TAIL_M: Final = (
    "Pratama", "Saputra", "Ramadhan", "Firmansyah", "Setiawan", "Kurniawan", "Hidayat",
    "Nugroho", "Wibowo", "Santoso", "Prasetyo", "Maulana", "Syahputra", "Hakim", "Akbar",
    "Permana", "Wijaya", "Gunawan", "Hermawan", "Alfarizi",
)  # fmt: skip
_TAIL_F: Final = (
    "Lestari", "Rahmawati", "Safitri", "Wulandari", "Anggraini", "Maharani", "Ramadhani",
    "Puspitasari", "Handayani", "Kusuma", "Pertiwi", "Aprilia", "Oktaviani", "Syahputri",
    "Nurhaliza", "Azzahra", "Agustina", "Febriani", "Septiani", "Khairunnisa",
)  # fmt: skip
_JAVA_OLD_M: Final = (
    "Paiman", "Tukiman", "Sarijo", "Ngadiman", "Paimin", "Suparman", "Sutrisno", "Sugiyono",
    "Sumarno", "Waluyo", "Sukirman", "Slamet", "Darmaji", "Suyatno", "Mulyono", "Jumadi",
    "Kasiman", "Suwarno", "Sunardi", "Supardi", "Sukardi", "Sugeng", "Kuncoro", "Ngatijo",
)  # fmt: skip
_JAVA_OLD_F: Final = (
    "Sukarni", "Ngatini", "Partini", "Tumini", "Sumiati", "Sulastri", "Suwarni", "Painem",
    "Sarinah", "Tukiyem", "Suparmi", "Jumini", "Sutinah", "Kasiyem", "Wagiyem", "Sriyani",
    "Suyati", "Marni", "Tuminah", "Yatmi", "Juwariyah", "Sumarsih", "Ngadinah", "Karsih",
)  # fmt: skip
_JAVA_M: Final = (
    "Budi", "Agus", "Joko", "Bambang", "Eko", "Dwi", "Tri", "Teguh", "Heru", "Wahyu", "Adi",
    "Aji", "Yudha", "Rendra", "Danang", "Wisnu", "Bagus", "Anggoro", "Prasetyo", "Nugroho",
    "Susilo", "Hartono", "Purnomo", "Cahyo", "Yulianto", "Setyo", "Ari",
)  # fmt: skip
_JAVA_F: Final = (
    "Sri", "Wahyuni", "Rahayu", "Lestari", "Endang", "Ratna", "Wulan", "Sekar", "Ningsih",
    "Purwanti", "Setyowati", "Kartika", "Yuliani", "Eka", "Retno", "Puji", "Widya", "Rini",
    "Sari", "Tri", "Dwi", "Suci", "Ayu", "Utami", "Cahyani", "Kusumawati",
)  # fmt: skip
_MALAY_M: Final = (
    "Syahrial", "Efendi", "Yusri", "Zulfikar", "Rusli", "Hendra", "Indra", "Afrizal",
    "Yuhendri", "Asril", "Junaidi", "Amri", "Fadli", "Irwan", "Jasman", "Nasrul", "Zulhendri",
    "Masrul", "Erizal", "Yusnaldi", "Firdaus", "Syamsul", "Khairil", "Azwar",
)  # fmt: skip
_MALAY_F: Final = (
    "Yulia", "Rika", "Rahmi", "Rosmawati", "Nurhayati", "Yusnidar", "Asmah", "Zuraida",
    "Fitria", "Mardiana", "Desi", "Yenni", "Rina", "Syafrida", "Marlina", "Elvira",
    "Gusniar", "Syamsinar", "Nurjanah", "Erni", "Yusmaniar", "Rosnani", "Halimah", "Juliana",
)  # fmt: skip
_BATAK_M: Final = (
    "Lamhot", "Parulian", "Hotman", "Sahat", "Martua", "Tumpal", "Binsar", "Maruli",
    "Torang", "Jhonson", "Poltak", "Mangasi", "Hasudungan", "Togar", "Bonar", "Marihot",
)  # fmt: skip
_BATAK_F: Final = (
    "Tiurma", "Romauli", "Rotua", "Dame", "Tiur", "Sondang", "Rumondang", "Lasma",
    "Hotnida", "Rosmeri", "Nurmaida", "Taruli", "Sinta", "Risma", "Mauli", "Lamria",
)  # fmt: skip
_CHRISTIAN_M: Final = (
    "Daniel", "Yosua", "Samuel", "David", "Jonathan", "Immanuel", "Kristian", "Andreas",
    "Michael", "Gabriel", "Natanael", "Yohanes", "Timotius", "Stefanus", "Paulus", "Yakub",
    "Elia", "Markus", "Lukas", "Matius", "Filipus", "Ricardo", "Josua", "Benyamin",
)  # fmt: skip
_CHRISTIAN_F: Final = (
    "Ruth", "Debora", "Ester", "Maria", "Grace", "Kristina", "Natalia", "Yohana", "Sarah",
    "Agnes", "Elisabeth", "Lidya", "Monika", "Friska", "Yolanda", "Theresia", "Rebeka",
    "Priskila", "Maria Magdalena", "Martha", "Hana", "Tabita", "Kezia", "Gloria",
)  # fmt: skip
_NTT_M: Final = (
    "Yohanes", "Yosef", "Yakobus", "Fransiskus", "Dominggus", "Petrus", "Paulus", "Markus",
    "Melkianus", "Yermias", "Agustinus", "Aloysius", "Kornelis", "Simon", "Stefanus",
    "Benediktus", "Marthen", "Yulius", "Arnoldus", "Gabriel", "Mikael", "Andreas",
    "Kristofel", "Yunus", "Obed", "Oktavianus", "Frengky", "Ferdinand", "Bernabas", "Yeremias",
    "Klemens", "Vinsensius", "Hendrikus", "Godefridus", "Laurensius", "Silvester",
)  # fmt: skip
_NTT_F: Final = (
    "Maria", "Yuliana", "Fransiska", "Agustina", "Yohana", "Margareta", "Katarina",
    "Elisabeth", "Adriana", "Dorkas", "Ester", "Marlin", "Fransina", "Yasinta", "Veronika",
    "Anastasia", "Martha", "Ribka", "Yuliati", "Selfina", "Orpa", "Debora", "Wilhelmina",
    "Paskalia", "Theresia", "Kristina", "Imelda", "Emerensiana", "Skolastika", "Yustina",
)  # fmt: skip
# Second baptismal names that Catholic NTT girls often carry.
_NTT_F_MIDDLE: Final = (
    "Goreti", "Imakulata", "Florida", "Nona", "Kristiani", "Dolorosa", "Fatima", "Lusia",
    "Sabina", "Yuni",
)  # fmt: skip
_MARGA_CHRISTIAN: Final = (
    "Simanjuntak", "Nainggolan", "Sitorus", "Hutapea", "Panjaitan", "Sihombing", "Silalahi",
    "Manurung", "Simatupang", "Pardede", "Situmorang", "Sinaga", "Hutagalung", "Tampubolon",
    "Sianturi", "Pasaribu", "Napitupulu", "Siahaan", "Simbolon", "Gultom", "Sitompul",
    "Marpaung", "Hutabarat", "Purba", "Ginting", "Tarigan", "Sembiring",
)  # fmt: skip
_MARGA_MUSLIM: Final = (
    "Nasution", "Lubis", "Harahap", "Siregar", "Daulay", "Batubara", "Hasibuan", "Pulungan",
    "Rangkuti", "Ritonga", "Dalimunthe", "Tanjung",
)  # fmt: skip
# Includes family names that kept the pre-1972 spelling (Foenay, Oematan, Radja, Toelle).
_NTT_FAMILY: Final = (
    "Ndun", "Tefa", "Bana", "Benu", "Manafe", "Nope", "Tanone", "Amalo", "Kase", "Bria",
    "Seran", "Nahak", "Laka", "Fanggidae", "Pello", "Riwu", "Dethan", "Tallo", "Lay",
    "Haning", "Ratu", "Radja", "da Costa", "Parera", "Fernandez", "da Silva", "Wangge",
    "Bere", "Mau", "Taek", "Neno", "Sanam", "Lomi", "Foenay", "Tamelab", "Boimau", "Oematan",
    "Toelle", "Ataupah", "Sinlae", "Bessie", "Hege", "Leki", "Kolo", "Selan", "Lado",
)  # fmt: skip

_FAMILY_NAMES_LOWER: Final[frozenset[str]] = frozenset(
    n.lower() for n in (*_MARGA_CHRISTIAN, *_MARGA_MUSLIM, *_NTT_FAMILY)
)

# Culture mix per province code; unknown or absent province uses _DEFAULT_MIX.
_CULTURE_MIX: Final[dict[str, tuple[tuple[Culture, float], ...]]] = {
    "13": ((Culture.MALAY, 0.85), (Culture.JAVANESE, 0.10), (Culture.BATAK, 0.05)),
    "14": (
        (Culture.MALAY, 0.46),
        (Culture.JAVANESE, 0.30),
        (Culture.BATAK, 0.21),
        (Culture.NTT, 0.03),
    ),
    "15": (
        (Culture.MALAY, 0.55),
        (Culture.JAVANESE, 0.35),
        (Culture.BATAK, 0.08),
        (Culture.NTT, 0.02),
    ),
    "18": ((Culture.JAVANESE, 0.65), (Culture.MALAY, 0.30), (Culture.BATAK, 0.05)),
    "21": (
        (Culture.MALAY, 0.42),
        (Culture.JAVANESE, 0.25),
        (Culture.BATAK, 0.21),
        (Culture.NTT, 0.12),
    ),
    "31": (
        (Culture.JAVANESE, 0.50),
        (Culture.MALAY, 0.33),
        (Culture.BATAK, 0.12),
        (Culture.NTT, 0.05),
    ),
    "53": ((Culture.NTT, 0.93), (Culture.MALAY, 0.04), (Culture.JAVANESE, 0.03)),
}
_DEFAULT_MIX: Final[tuple[tuple[Culture, float], ...]] = (
    (Culture.JAVANESE, 0.35),
    (Culture.MALAY, 0.33),
    (Culture.BATAK, 0.14),
    (Culture.NTT, 0.18),
)

# Probability that a person carries a single name, by culture and generation. Calibrated so
# that the default mix gives roughly 17 % single names for children (see tests).
_SINGLE_P: Final[dict[tuple[Culture, Generation], float]] = {
    (Culture.JAVANESE, "child"): 0.27,
    (Culture.JAVANESE, "parent"): 0.45,
    (Culture.MALAY, "child"): 0.20,
    (Culture.MALAY, "parent"): 0.28,
    (Culture.BATAK, "child"): 0.04,
    (Culture.BATAK, "parent"): 0.06,
    (Culture.NTT, "child"): 0.06,
    (Culture.NTT, "parent"): 0.10,
}


def _pick(rng: random.Random, seq: Sequence[_T]) -> _T:
    # Much cheaper than rng.choice, and still fully determined by the generator's state.
    return seq[int(rng.random() * len(seq))]


def _check_sex(sex: str) -> bool:
    """True for female; raises for anything but 'F'/'M'."""
    if sex == "F":
        return True
    if sex == "M":
        return False
    raise ValueError("sex must be 'F' or 'M'")


def pick_culture(rng: random.Random, province: str | None = None) -> Culture:
    """A naming tradition drawn with the culture mix of ``province`` (its 2-digit code)."""
    mix = _CULTURE_MIX.get(province[:2], _DEFAULT_MIX) if province else _DEFAULT_MIX
    r = rng.random()
    for culture, p in mix:
        r -= p
        if r < 0:
            return culture
    return mix[-1][0]


def _muslim_prefix(rng: random.Random, female: bool, p_muhammad: float, p_siti: float) -> str:
    r = rng.random()
    if female:
        if r < p_siti:
            return "Siti"
        if r < p_siti + 0.07:
            return "Nur"
        if r < p_siti + 0.12:
            return "Nurul"
        return ""
    if r < p_muhammad:
        return "Muhammad"
    if r < p_muhammad + 0.07:
        return "Ahmad"
    return ""


def _javanese(rng: random.Random, female: bool, generation: Generation) -> list[str]:
    if rng.random() < _SINGLE_P[(Culture.JAVANESE, generation)]:
        if generation == "parent" or rng.random() < 0.4:
            return [_pick(rng, _JAVA_OLD_F if female else _JAVA_OLD_M)]
        return [_pick(rng, _MUSLIM_F if female else _MUSLIM_M)]
    tokens = []
    prefix = _muslim_prefix(rng, female, 0.18, 0.12)
    if prefix:
        tokens.append(prefix)
    if generation == "child":
        pools = (_MODERN_F, _MUSLIM_F, _JAVA_F) if female else (_MODERN_M, _MUSLIM_M, _JAVA_M)
        tokens.append(_pick(rng, _pick(rng, pools)))
        if not prefix or rng.random() < 0.6:
            tokens.append(_pick(rng, _TAIL_F if female else _TAIL_M))
    else:
        tokens.append(_pick(rng, _JAVA_F if female else _JAVA_M))
        tokens.append(_pick(rng, _JAVA_OLD_F if female else _JAVA_OLD_M))
    return tokens


def _malay(rng: random.Random, female: bool, generation: Generation) -> list[str]:
    if rng.random() < _SINGLE_P[(Culture.MALAY, generation)]:
        return [_pick(rng, _MALAY_F if female else _MALAY_M)]
    tokens = []
    prefix = _muslim_prefix(rng, female, 0.30, 0.18)
    if prefix:
        tokens.append(prefix)
    if generation == "child":
        pools = (_MUSLIM_F, _MODERN_F, _MALAY_F) if female else (_MUSLIM_M, _MODERN_M, _MALAY_M)
        tokens.append(_pick(rng, _pick(rng, pools)))
        if not prefix or rng.random() < 0.6:
            tokens.append(_pick(rng, _TAIL_F if female else _TAIL_M))
    else:
        tokens.append(_pick(rng, _MALAY_F if female else _MALAY_M))
        if not prefix:
            tokens.append(_pick(rng, _MUSLIM_F if female else _MUSLIM_M))
    return tokens


def _batak(
    rng: random.Random, female: bool, generation: Generation, family_name: str | None
) -> list[str]:
    muslim = family_name in _MARGA_MUSLIM if family_name else rng.random() < 0.35
    marga = family_name or _pick(rng, _MARGA_MUSLIM if muslim else _MARGA_CHRISTIAN)
    if muslim:
        given = [_pick(rng, _MUSLIM_F if female else _MUSLIM_M)]
        prefix = _muslim_prefix(rng, female, 0.25, 0.10)
        if prefix:
            given.insert(0, prefix)
    else:
        pools = (_BATAK_F, _CHRISTIAN_F) if female else (_BATAK_M, _CHRISTIAN_M)
        given = [_pick(rng, _pick(rng, pools))]
        if rng.random() < 0.35:
            given.append(_pick(rng, _BATAK_F if female else _BATAK_M))
    if rng.random() < _SINGLE_P[(Culture.BATAK, generation)]:
        # Some registrations leave the marga out entirely.
        return given[-1:]
    # A married woman of the parents' generation often writes "br." (boru) before her marga.
    if female and generation == "parent" and rng.random() < 0.3:
        return [*given, "br.", marga]
    return [*given, marga]


def _ntt(
    rng: random.Random, female: bool, generation: Generation, family_name: str | None
) -> list[str]:
    if rng.random() < _SINGLE_P[(Culture.NTT, generation)]:
        return [_pick(rng, _NTT_F if female else _NTT_M)]
    given = [_pick(rng, _NTT_F if female else _NTT_M)]
    if female and rng.random() < 0.3:
        given.append(_pick(rng, _NTT_F_MIDDLE))
    elif rng.random() < 0.15:
        given.append(_pick(rng, _CHRISTIAN_F if female else _CHRISTIAN_M))
    if family_name is None and rng.random() < 0.1:
        # Some NTT names carry no family name; the last baptismal name closes the name.
        return given if len(given) > 1 else [*given, _pick(rng, _MODERN_F if female else _MODERN_M)]
    return [*given, family_name or _pick(rng, _NTT_FAMILY)]


def _compose(
    rng: random.Random,
    culture: Culture,
    female: bool,
    generation: Generation,
    family_name: str | None = None,
) -> str:
    if culture is Culture.JAVANESE:
        tokens = _javanese(rng, female, generation)
    elif culture is Culture.MALAY:
        tokens = _malay(rng, female, generation)
    elif culture is Culture.BATAK:
        tokens = _batak(rng, female, generation, family_name)
    else:
        tokens = _ntt(rng, female, generation, family_name)
    return " ".join(tokens)


def generate_person_name(
    rng: random.Random,
    sex: str,
    *,
    culture: Culture | None = None,
    province: str | None = None,
    generation: Generation = "child",
) -> str:
    """A plausible full name for a person of ``sex`` ('F'/'M').

    Without ``culture`` the tradition is drawn from ``province``'s mix (or a national-ish mix);
    ``generation='parent'`` gives older-style names with more single names.
    """
    female = _check_sex(sex)
    if culture is None:
        culture = pick_culture(rng, province)
    return _compose(rng, culture, female, generation)


def _family_name_of(name: str) -> str | None:
    """The family name (marga or NTT fam) closing ``name``, if it has one."""
    tokens = name.split(" ")
    if len(tokens) >= 3 and f"{tokens[-2]} {tokens[-1]}".lower() in _FAMILY_NAMES_LOWER:
        return f"{tokens[-2]} {tokens[-1]}"
    if len(tokens) >= 2 and tokens[-1].lower() in _FAMILY_NAMES_LOWER:
        return tokens[-1]
    return None


def generate_parent_names(
    rng: random.Random, culture: Culture, *, family_name: str | None = None
) -> tuple[str, str]:
    """(father, mother) names in ``culture``; the father carries ``family_name`` if given."""
    father = _compose(rng, culture, False, "parent", family_name)
    if culture is Culture.BATAK:
        # Marga exogamy: the mother's marga is never the father's.
        own = family_name or _family_name_of(father)
        marga = own
        while marga == own:
            marga = _pick(rng, _MARGA_MUSLIM if own in _MARGA_MUSLIM else _MARGA_CHRISTIAN)
        mother = _compose(rng, culture, True, "parent", marga)
    elif culture is Culture.NTT and family_name and rng.random() < 0.5:
        # About half of married NTT women are registered under the husband's family name.
        mother = _compose(rng, culture, True, "parent", family_name)
    else:
        mother = _compose(rng, culture, True, "parent")
    return father, mother


def generate_family_names(
    rng: random.Random,
    child_sex: str,
    *,
    culture: Culture | None = None,
    province: str | None = None,
) -> FamilyNames:
    """A child's name and parents' names that hang together (shared marga or family name)."""
    female = _check_sex(child_sex)
    if culture is None:
        culture = pick_culture(rng, province)
    family_name: str | None = None
    if culture is Culture.BATAK:
        family_name = _pick(rng, _MARGA_MUSLIM if rng.random() < 0.35 else _MARGA_CHRISTIAN)
    elif culture is Culture.NTT:
        family_name = _pick(rng, _NTT_FAMILY)
    father, mother = generate_parent_names(rng, culture, family_name=family_name)
    child = _compose(rng, culture, female, "child", family_name)
    if culture is Culture.MALAY and " " in child and rng.random() < 0.1:
        # Minang/Malay habit: the father's given name closes the child's name.
        child = f"{child.rsplit(' ', 1)[0]} {father.split(' ')[-1]}"
    return FamilyNames(child=child, father=father, mother=mother, culture=culture)


def is_single_name(name: str) -> bool:
    """True for a one-word name such as 'Sukarni'."""
    return " " not in name.strip()


# --- variants ---------------------------------------------------------------------------

_VOWELS: Final = frozenset("aeiou")
# Spelling alternations that are still current: i/y endings, a dropped final h, aspirated
# consonants, doubled consonants, z/s, v/f, q/k.
_PHONETIC_RULES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(p, re.IGNORECASE), r)
    for p, r in (
        (r"(?<=[a-z])y\b", "i"),
        (r"(?<=[a-z]k)i\b", "y"),
        (r"(?<=[aeiou])h\b", ""),
        (r"dh", "d"),
        (r"th", "t"),
        (r"ph", "f"),
        (r"mm", "m"),
        (r"nn", "n"),
        (r"ll", "l"),
        (r"(?<=[aiu])z(?=k)", "s"),
        (r"v", "f"),
        (r"q", "k"),
        (r"(?<=[a-z])ie\b", "i"),
    )
)


def _given_name_index(tokens: Sequence[str]) -> int:
    """Index of the name a person is called by: the first token past Muhammad/Siti/Nur."""
    for i, token in enumerate(tokens):
        if i == len(tokens) - 1:
            return i
        if canonical_prefix(token) is not None:
            continue
        return i
    return 0


def nickname(rng: random.Random, name: str) -> str:
    """A call name for ``name``, e.g. 'Muhammad Rizki' → 'Iki', 'Siti Aisyah' → 'Ais'."""
    tokens = name.split()
    given = tokens[_given_name_index(tokens)] if tokens else name
    known = nicknames_of(given)
    if known:
        return _pick(rng, known)
    letters = given.lower().strip(".")
    if len(letters) <= 3:
        return given.capitalize()
    if letters[-1] in _VOWELS and letters[-2] not in _VOWELS:
        # Reduplicated last syllable: Dewi → Wiwi, Rina → Nana.
        syllable = letters[-2:]
        return (syllable * 2).capitalize()
    # Closed last syllable: Ridwan → Wan; otherwise the first three letters: Nadia → Nad.
    vowel_positions = [i for i, ch in enumerate(letters) if ch in _VOWELS]
    start = vowel_positions[-1] - 1 if vowel_positions else 0
    if letters[-1] in _VOWELS or start <= 0:
        return letters[:3].capitalize()
    return letters[start:].capitalize()


def _is_all_caps(name: str) -> bool:
    # "M. Rizki" is not all caps although "M." is; a single letter says nothing either way.
    return name.isupper() and sum(ch.isalpha() for ch in name) > 2


def _match_case(name: str, text: str) -> str:
    """``text`` in capitals if the whole name is written in capitals (as on many KTPs)."""
    return text.upper() if _is_all_caps(name) else text


def _typo(rng: random.Random, name: str) -> str:
    positions = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(positions) < 2:
        return name + name[-1:]
    for _ in range(8):
        op = rng.random()
        i = _pick(rng, positions)
        ch = name[i]
        if op < 0.4:
            neighbours = KEYBOARD_NEIGHBOURS.get(ch.lower(), "")
            if not neighbours:
                continue
            new = _pick(rng, neighbours)
            candidate = name[:i] + (new.upper() if ch.isupper() else new) + name[i + 1 :]
        elif op < 0.65 and i > 0:
            candidate = name[:i] + name[i + 1 :]
        elif op < 0.85 and i + 1 < len(name) and name[i + 1].isalpha():
            a, b = name[i], name[i + 1]
            if a.isupper():
                a, b = b.upper(), a.lower()
            else:
                a, b = b, a
            candidate = name[:i] + a + b + name[i + 2 :]
        else:
            doubled = ch if _is_all_caps(name) else ch.lower()
            candidate = name[: i + 1] + doubled + name[i + 1 :]
        if candidate != name and candidate.strip():
            return candidate
    return name + name[-1].lower()


def _variant_old_spelling(rng: random.Random, name: str) -> str | None:
    old = old_spelling(name)
    return old if old != name else None


def _variant_muhammad(rng: random.Random, name: str) -> str | None:
    tokens = name.split(" ")
    for i, token in enumerate(tokens[:-1]):
        if canonical_prefix(token) == "muhammad":
            choices = [f for f in MUHAMMAD_FORMS if f.lower() != token.lower()]
            tokens[i] = _match_case(name, _pick(rng, choices))
            return " ".join(tokens)
    return None


def _variant_nur(rng: random.Random, name: str) -> str | None:
    tokens = name.split(" ")
    for i, token in enumerate(tokens):
        low = token.lower()
        if low == "nur" and i + 1 < len(tokens):
            tokens[i] = _match_case(name, "Nurul")
            return " ".join(tokens)
        if low == "nurul":
            tokens[i] = _match_case(name, "Nur")
            return " ".join(tokens)
    return None


def _variant_dropped_prefix(rng: random.Random, name: str) -> str | None:
    tokens = name.split(" ")
    if len(tokens) >= 2 and canonical_prefix(tokens[0]) is not None:
        return " ".join(tokens[1:])
    return None


def _variant_nickname(rng: random.Random, name: str) -> str | None:
    nick = nickname(rng, name)
    return nick if nick.lower() != name.lower() else None


def _variant_typo(rng: random.Random, name: str) -> str | None:
    return _typo(rng, name) if len(name) >= 3 else None


def _variant_phonetic(rng: random.Random, name: str) -> str | None:
    applicable = [(p, r) for p, r in _PHONETIC_RULES if p.search(name)]
    if not applicable:
        return None
    pattern, repl = _pick(rng, applicable)
    matches = list(pattern.finditer(name))
    m = _pick(rng, matches)
    found = m.group(0)
    new = repl
    if _is_all_caps(name):
        new = repl.upper()
    elif found[:1].isupper() and new:
        new = new[0].upper() + new[1:]
    result = name[: m.start()] + new + name[m.end() :]
    return result if result != name else None


def _variant_spacing(rng: random.Random, name: str) -> str | None:
    tokens = name.split(" ")
    if len(tokens) >= 2:
        i = int(rng.random() * (len(tokens) - 1))
        first, second = tokens[i], tokens[i + 1]
        if first.endswith(".") or second.endswith(".") or not second[:1].isalpha():
            return None
        joined = first + (second if first.isupper() else second.lower())
        return " ".join([*tokens[:i], joined, *tokens[i + 2 :]])
    for prefix in ("Nurul", "Nur", "Abdul", "Syah", "Putri"):
        if name.startswith(prefix) and len(name) > len(prefix) + 2:
            rest = name[len(prefix) :]
            return f"{prefix} {rest[0].upper()}{rest[1:]}"
    return None


def _variant_dropped_family(rng: random.Random, name: str) -> str | None:
    family = _family_name_of(name)
    if family is None:
        return None
    rest = name[: -len(family)].rstrip()
    if rest.lower().endswith(" br.") or rest.lower().endswith(" br"):
        rest = rest.rsplit(" ", 1)[0]
    return rest or None


_VARIANT_MAKERS: Final[dict[VariantKind, Callable[[random.Random, str], str | None]]] = {
    "old_spelling": _variant_old_spelling,
    "muhammad_abbrev": _variant_muhammad,
    "nur_variant": _variant_nur,
    "dropped_prefix": _variant_dropped_prefix,
    "nickname": _variant_nickname,
    "typo": _variant_typo,
    "phonetic": _variant_phonetic,
    "spacing": _variant_spacing,
    "dropped_family_name": _variant_dropped_family,
}


def name_variant(
    rng: random.Random, name: str, kinds: Iterable[VariantKind] | None = None
) -> tuple[str, VariantKind]:
    """A different rendering of ``name`` as another agency might record it, and its kind.

    The kind is drawn uniformly among those that apply to this name (restricted to ``kinds``
    if given); raises ValueError if none applies. The variant always differs from ``name``.
    """
    order = VARIANT_KINDS if kinds is None else tuple(kinds)
    candidates = list(order)
    while candidates:
        kind = candidates.pop(int(rng.random() * len(candidates)))
        variant = _VARIANT_MAKERS[kind](rng, name)
        if variant is not None and variant != name:
            return variant, kind
    raise ValueError("no variant of the requested kinds applies to this name")
