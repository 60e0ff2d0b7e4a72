"""Address knowledge: an Indonesian address read into its parts, and written as people write it.

SIAK writes a family's address as "Jl. Sudirman No. 12, RT 003/RW 002, <kelurahan>" in a town
and "Dusun II, RT 003/RW 001, Desa <desa>" in a village: the street, gang (alley) or dusun
(hamlet), the house number, the RT (rukun tetangga, a neighbourhood of a few dozen households)
and the RW (rukun warga, a few RTs). Agencies write the same address many ways — Jalan / Jl. /
Jln., RT 3 RW 2 / RT.03/RW.02 / RT/RW 003/002, Dusun 2 / Dsn. II — and often leave parts out, so
the matcher compares the parts, never the strings. The synthetic generator writes its agencies'
addresses with ``write_address``, so the two cannot drift.

Hostile text is read, never trusted: anything that is not a part is ignored, numbers are
bounded, and a text with no part reads as an empty ``Address`` (nothing to compare).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from resolution.names import fold

_TOKENS: Final = re.compile(r"[a-z]+|\d+")
# The words that open a way (street, gang, lorong, dusun), each with its one spelling.
_WAY_WORDS: Final = {
    "jl": "jalan", "jln": "jalan", "jalan": "jalan", "gg": "gang", "gang": "gang",
    "lr": "lorong", "lorong": "lorong", "dusun": "dusun", "dsn": "dusun", "dukuh": "dusun",
}  # fmt: skip
_NUMBER_WORDS: Final = frozenset({"no", "nomor", "nmr", "nomer"})
# Words that end a way's name: the next part, or the place the address closes with.
_STOP: Final = frozenset({
    "rt", "rw", *_NUMBER_WORDS, "kel", "kelurahan", "desa", "ds", "kec", "kecamatan", "kab",
    "kabupaten", "kota", "blok", "blk",
})  # fmt: skip
_ROMAN: Final = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8,
                 "ix": 9, "x": 10}  # fmt: skip
_LARGEST: Final = 9999  # an RT, RW or house number beyond it is a slip, not a number
_MOST_TOKENS: Final = 64  # an address longer than this is read no further
_LONGEST: Final = 400  # characters; the rest of a longer text is ignored


@dataclass(frozen=True, slots=True)
class Address:
    """The parts of an address any agency wrote; None where it did not write one."""

    way: str | None = None  # "jalan sudirman", "gang mawar", "dusun 2"
    number: str | None = None  # the house number as written: "12", "12a"
    rt: int | None = None
    rw: int | None = None

    def __bool__(self) -> bool:
        return any(part is not None for part in (self.way, self.number, self.rt, self.rw))


@lru_cache(maxsize=1 << 14)
def parse_address(text: str) -> Address:
    """The parts of ``text`` (see the module's doc); an empty Address when none is there."""
    tokens = _TOKENS.findall(fold_digits(text[:_LONGEST]))[:_MOST_TOKENS]
    way: str | None = None
    number: str | None = None
    rt: int | None = None
    rw: int | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token == "rt" and following == "rw":
            # "RT/RW 003/002": the two numbers follow both words.
            rt, rw = _number(tokens, i + 2), _number(tokens, i + 3)
            i += 4
            continue
        if token in ("rt", "rw"):
            value = _number(tokens, i + 1)
            if token == "rt":
                rt = value
            else:
                rw = value
            i += 2
            continue
        if token in _NUMBER_WORDS:
            if following.isdigit():
                number = _house(tokens, i + 1)
            i += 2
            continue
        if token in _WAY_WORDS and way is None:
            name, i = _way_name(tokens, i + 1, _WAY_WORDS[token])
            if name:
                way = f"{_WAY_WORDS[token]} {name}"
                if i < len(tokens) and tokens[i].isdigit() and number is None:
                    number = _house(tokens, i)  # "Jl. Sudirman 12": the number without "No."
                    i += 1
            continue
        i += 1
    return Address(way, number, rt, rw)


def fold_digits(text: str) -> str:
    """``fold`` keeping the digits (house, RT and RW numbers): letters and digits apart."""
    return " ".join(fold(part) or part for part in re.split(r"(\d+)", text) if part.strip())


def _number(tokens: list[str], at: int) -> int | None:
    if at < len(tokens) and tokens[at].isdigit() and len(tokens[at]) <= 4:
        value = int(tokens[at])
        return value if 0 < value <= _LARGEST else None
    return None


def _house(tokens: list[str], at: int) -> str | None:
    value = _number(tokens, at)
    if value is None:
        return None
    letter = tokens[at + 1] if at + 1 < len(tokens) else ""
    # "12A", "12 a": one letter after the number is the house's.
    return f"{value}{letter}" if len(letter) == 1 and letter not in _ROMAN else str(value)


def _way_name(tokens: list[str], at: int, kind: str) -> tuple[str, int]:
    """The way's name from ``at`` (its words until the next part), and where it ends."""
    words: list[str] = []
    i = at
    while i < len(tokens) and tokens[i] not in _STOP and len(words) < 4:
        token = tokens[i]
        if token.isdigit():
            if kind == "dusun" and not words:
                words.append(str(int(token)) if len(token) <= 4 else token)  # "Dusun 2"
                i += 1
            break  # a street's number, or the dusun's name is complete
        if kind == "dusun" and not words and token in _ROMAN:
            words.append(str(_ROMAN[token]))  # "Dusun II" is "Dusun 2"
            i += 1
            break
        words.append(token)
        i += 1
    return " ".join(words), i


# --- writing, for the synthetic generator ---------------------------------------------------

_KINDS: Final = {
    "jalan": ("Jl.", "Jalan", "Jln.", "JL."),
    "gang": ("Gg.", "Gang", "GG"),
    "lorong": ("Lr.", "Lorong"),
    "dusun": ("Dusun", "Dsn.", "DUSUN"),
}
_TO_ROMAN: Final = {v: k.upper() for k, v in _ROMAN.items()}


def write_address(address: Address, place: str | None, rng: random.Random) -> str:
    """``address`` written the way some clerk would: its parts in one of the common forms, the
    desa or kelurahan after them or not. Parts that are None are left out."""
    pick = rng.choice
    parts: list[str] = []
    if address.way:
        kind, _, name = address.way.partition(" ")
        label = pick(_KINDS.get(kind, (kind.title(),)))
        if kind == "dusun" and name.isdigit():
            n = int(name)
            shown = pick((_TO_ROMAN.get(n, name), name))
        else:
            shown = name.title()
        way = f"{label} {shown}"
        if address.number:
            way += pick((f" No. {address.number}", f" No.{address.number}", f" {address.number}",
                         f" Nomor {address.number}"))  # fmt: skip
        parts.append(way)
    if address.rt is not None or address.rw is not None:
        rt, rw = address.rt, address.rw
        if rt is not None and rw is not None:
            parts.append(pick((
                f"RT {rt:03d}/RW {rw:03d}", f"RT {rt}/RW {rw}", f"RT.{rt:02d}/RW.{rw:02d}",
                f"RT/RW {rt:03d}/{rw:03d}", f"Rt {rt} Rw {rw}", f"RT {rt:02d} RW {rw:02d}",
            )))  # fmt: skip
        else:
            parts.append(f"RT {rt:03d}" if rt is not None else f"RW {rw:03d}")
    if place and rng.random() < 0.5:
        parts.append(pick((place, f"Desa {place}", f"Kel. {place}")))
    text = ", ".join(parts)
    return text.upper() if rng.random() < 0.15 else text
