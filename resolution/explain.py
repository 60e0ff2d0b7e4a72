"""What a score is made of: the matcher's answer for one candidate, attribute by attribute."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from resolution.records import RegistryRecord


class Band(StrEnum):
    """What the officer is offered: AUTO_SUGGEST (≥ 99 % precise), REVIEW, UNLIKELY."""

    AUTO_SUGGEST = "AUTO_SUGGEST"
    REVIEW = "REVIEW"
    UNLIKELY = "UNLIKELY"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One attribute's comparison: what matched how, and the weight it added (+) or took (−).

    ``attribute``: name, other_names, birth_date, sex, birth_place, region, mother, father (and
    model-level terms such as ``prior`` and ``competition``). ``level``: the comparison level
    (EXACT, OLD_SPELLING, NICKNAME, PHONETIC, SIMILAR, DIFFERENT, MISSING, …). ``weight``: log2
    Bayes factor (0 for MISSING). ``record_value``/``registry_value``: the values compared.
    """

    attribute: str
    level: str
    weight: float
    description: str
    record_value: str | None = None
    registry_value: str | None = None


class Warning_(StrEnum):
    """Hard-negative patterns the officer must see (the classic false links)."""

    SAME_MOTHER_AND_BIRTH_DATE_OTHER_NAME = "SAME_MOTHER_AND_BIRTH_DATE_OTHER_NAME"  # a twin?
    SAME_FAMILY_OTHER_NAME = "SAME_FAMILY_OTHER_NAME"  # a sibling?
    SAME_NAME_OTHER_MOTHER = "SAME_NAME_OTHER_MOTHER"  # a namesake?
    SEVERAL_CLOSE_CANDIDATES = "SEVERAL_CLOSE_CANDIDATES"
    # Another index child holds this person's NIK: a person is one child, so this is a sibling,
    # a namesake or a twin already known — or the same child recorded twice (then the two index
    # records are one, which a link cannot make: linkNik refuses a NIK another child holds).
    HELD_BY_ANOTHER_CHILD = "HELD_BY_ANOTHER_CHILD"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A registry person who may be the child: calibrated probability, band, explanation."""

    person: RegistryRecord
    score: float  # calibrated probability that this person is the child
    band: Band
    match_weight: float  # sum of the evidence weights (log2 odds)
    explanation: tuple[Evidence, ...]
    warnings: tuple[Warning_, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidates:
    """The ranked answer for one child record."""

    candidates: tuple[Candidate, ...]  # best first
    no_match_probability: float  # that the child is none of them (not in the registry)
    model_version: str
    blocks_searched: int = 0
    pairs_scored: int = 0
