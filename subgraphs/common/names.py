"""Name normalization used for search and matching: case, punctuation and pre-1972 spelling folded."""

from __future__ import annotations

import re

# Ejaan Soewandi -> EYD (1972): old spellings still appear on older documents and in people's habits.
_OLD_SPELLING = (("oe", "u"), ("dj", "j"), ("tj", "c"), ("sj", "sy"), ("ch", "kh"), ("nj", "ny"))
_NOT_LETTER = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    folded = _NOT_LETTER.sub(" ", name.lower())
    for old, new in _OLD_SPELLING:
        folded = folded.replace(old, new)
    return _SPACES.sub(" ", folded).strip()
