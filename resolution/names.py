"""Name knowledge: the one place that knows how Indonesian names are written and miswritten.

Initial version (interfaces first): H1 completes it. Public functions keep these signatures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# Ejaan Soewandi -> EYD (1972). Old spellings live on in older documents and in habits.
OLD_TO_NEW: Final[tuple[tuple[str, str], ...]] = (
    ("oe", "u"), ("dj", "j"), ("tj", "c"), ("sj", "sy"), ("ch", "kh"), ("nj", "ny"),
)  # fmt: skip
_NOT_LETTER: Final = re.compile(r"[^a-z ]+")
_SPACES: Final = re.compile(r"\s+")
_OLD_RE: Final = re.compile("|".join(old for old, _ in OLD_TO_NEW))
_OLD: Final = dict(OLD_TO_NEW)


def fold(text: str) -> str:
    """Lowercase letters and single spaces: punctuation and digits become spaces."""
    return _SPACES.sub(" ", _NOT_LETTER.sub(" ", text.lower())).strip()


def normalize_name(name: str) -> str:
    """The comparison form of a name: folded, pre-1972 spellings written as today."""
    return _OLD_RE.sub(lambda m: _OLD[m.group(0)], fold(name))


def phonetic_key(token: str) -> str:
    """A key that spelling variants of one name token share ('Djoko', 'Joko', 'Yoko'…)."""
    return normalize_name(token).replace(" ", "")


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name taken apart: what the person is called, the rest, and what the name says of kin."""

    tokens: tuple[str, ...]  # normalized meaningful tokens, titles and prefixes removed
    given: str | None  # the token the person is called by (past Muhammad/Siti/Nur…)
    prefix: str | None  # muhammad / siti / nur … (canonical), if any
    father: str | None  # from "bin"/"binti X"
    mother: str | None  # from "By. Ny. X" (baby of Mrs X): then the name is the mother's
    baby: bool  # "By." / "Bayi": the child had no name of its own yet


def parse_name(name: str) -> ParsedName:
    tokens = tuple(normalize_name(name).split())
    return ParsedName(tokens, tokens[0] if tokens else None, None, None, None, False)


def formal_names(token: str) -> frozenset[str]:
    """The formal given names a nickname (panggilan) may stand for ('iki' → rizki, rizky…)."""
    return frozenset()
