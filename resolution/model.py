"""The learned model: weights (weights.json), scoring, competition, calibration, explanation.

Fellegi–Sunter with one difference that matters for children: the alternative to "this person
is the child" is not only "a stranger" (the u-probabilities) but also "a sibling of the child"
(same mother, father, KK and desa — those agree as they would for the child itself; name, birth
date and sex compared as they differ between siblings, u estimated among siblings in the
registry). So a family's agreement counts once, as "this family", and the person attributes
decide which child of the family: an unregistered sibling no longer adds mother + father + KK +
desa + family name up to a confident wrong match. The alternative holds a third hypothesis,
"an unregistered twin of this person": everything agrees as it would for the child (family, birth
day and place, family name) but the given name (another name, compared as twins' names are) and
the sex (as siblings' sexes are); its prior and the twin's name levels are learned by EM.

Then competition: a child is at most one registry person. The candidates of one record and "none
of them" (the child is unregistered or was not retrieved) share one posterior, so two near-equal
candidates (twins) split it and neither is auto-suggested.

Weights are log2 Bayes factors; every candidate's explanation adds up to its match weight, the
log2 odds of its score.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np

from resolution.calibration import Calibration, probability
from resolution.compare import (
    ATTRIBUTES,
    FAMILY_ATTRIBUTES,
    LEVELS,
    MISSING,
    Side,
    compare,
    person_side,
    record_side,
)
from resolution.explain import Band, Candidate, Candidates, Evidence, Warning_
from resolution.records import ChildRecord, RegistryRecord

WEIGHTS_FILE: Final = Path(__file__).with_name("weights.json")
# Given-name levels at which the name's frequency replaces the level's u (Splink's term-frequency
# adjustment): agreeing on a rare name is stronger evidence than agreeing on 'Putri'.
TF_LEVELS: Final = frozenset({"EXACT", "OLD_SPELLING", "PHONETIC"})
# Attributes neighbours share more often than strangers: where the region agrees on the desa,
# their u is the one among persons of one desa (not of one KK), learned from the registry.
DESA_U: Final = ("birth_place", "other_names", "address")
# Attributes in which a twin differs from the child (everything else a twin shares with it):
# their u_twin is learned by EM, the twin being a class of its own.
TWIN_ATTRIBUTES: Final = ("given_name", "sex")
_GOOD_NAME: Final = frozenset(
    {"EXACT", "OLD_SPELLING", "NICKNAME", "PHONETIC", "KEYSTROKE", "NICKNAME_SLIP", "SIMILAR"}
)
_NOT_THE_SAME_NAME: Final = frozenset({"SIMILAR", "ALIKE", "TOKEN_SHARED", "DIFFERENT"})
_GOOD_PARENT: Final = frozenset({"EXACT", "OLD_SPELLING", "CALLED_NAME", "SIMILAR"})
_CLOSE_DATE: Final = frozenset({"EXACT", "SWAPPED", "WITHIN_MONTH", "APPROX_WITHIN_MONTH"})
# The date levels that do not set a twin apart from the child (all but a date that disagrees,
# which points to an older or younger sibling instead).
_TWIN_CANNOT_BE_TOLD: Final = frozenset(LEVELS["birth_date"]) - {
    "WITHIN_3_YEARS", "APPROX_WITHIN_3_YEARS", "YEAR_ONLY_WITHIN_3_YEARS", "DIFFERENT"
}  # fmt: skip
HARD_NEGATIVES: Final = frozenset({
    Warning_.SAME_MOTHER_AND_BIRTH_DATE_OTHER_NAME,
    Warning_.SAME_FAMILY_OTHER_NAME,
    Warning_.SAME_NAME_OTHER_MOTHER,
})  # fmt: skip
# The warnings that keep a candidate out of AUTO_SUGGEST whatever its score. A sibling is a
# hypothesis of the model (the alternative to "this person is the child" includes "a sibling of
# the child"), so its warning is shown, not gating: on seeds 1 and 3 no top candidate with it scored
# 0.5 or more. A twin is a hypothesis too (learned prior and names): a twin with a name of its
# own now scores low, but a pair the record cannot tell from a twin (By. Ny., a rhyming name)
# scores up to ~0.93 and is right far less than 99 % of the time: still gating, or 2.6 % of
# seed 1's no-match records would be auto-suggested (bench/identity/RESULTS.md). A namesake of
# another family has no hypothesis of its own.
# A person another index child holds gates too: auto-suggesting a link ``linkNik`` refuses
# would offer the officer a step that cannot be taken (the queue leaves such persons out before
# ranking: work_queue.suggestions_for).
GATING: Final = frozenset({
    Warning_.SAME_MOTHER_AND_BIRTH_DATE_OTHER_NAME, Warning_.SAME_NAME_OTHER_MOTHER,
    Warning_.HELD_BY_ANOTHER_CHILD,
})  # fmt: skip


@dataclass(frozen=True)
class AttributeWeights:
    """One attribute's probabilities per level (``LEVELS[attribute]`` order; MISSING is 1)."""

    m: tuple[float, ...]
    u: tuple[float, ...]
    u_sibling: tuple[float, ...] | None  # person attributes only: how siblings compare
    u_desa: tuple[float, ...] | None = None  # DESA_U attributes: how neighbours compare
    u_twin: tuple[float, ...] | None = None  # TWIN_ATTRIBUTES: how a twin compares (learned)


@dataclass(frozen=True)
class Priors:
    registry_size: int  # persons in the registry the weights were trained on
    siblings_per_child: float  # registry children sharing a child's KK, on average
    no_match: float  # prior that an undocumented child is not in the registry at all
    # Registry persons who are an undocumented child's twin, per child (learned by EM: the
    # twin class's share of the blocked pairs). 0: no twin hypothesis (weights before it).
    twins_per_child: float = 0.0


@dataclass(frozen=True)
class Bands:
    auto_suggest: float
    review: float


@dataclass(frozen=True)
class Model:
    version: str
    attributes: dict[str, AttributeWeights]
    priors: Priors
    bands: Bands
    name_frequencies: dict[str, float] = field(default_factory=dict)
    family_level: bool = True  # False: plain Fellegi–Sunter (the ablation in bench/identity)
    competition: bool = True
    hard_negative_gate: bool = True  # a GATING warning keeps a pair out of AUTO (see held_by)
    held_by: frozenset[Warning_] = GATING  # the warnings that gate (with the above)
    # The monotone map from the posterior to a calibrated probability, fitted on labelled pairs
    # (resolution/calibration.py); None: the posterior is the score.
    calibration: Calibration | None = None
    # (levels, tf) -> the pair's weights: the level combinations met in practice are few, and
    # the weights depend on nothing else (filled by ``pair``; per model, so never stale).
    _weights_memo: dict[tuple[tuple[str, ...], float | None], _PairWeights] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def load(cls, path: Path | None = None) -> Model:
        """The reviewed weights artifact shipped in the package (resolution/weights.json)."""
        return cls.from_json(json.loads((path or WEIGHTS_FILE).read_text(encoding="utf-8")))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        """The weights artifact read; ValueError for one whose attributes or levels are not this
        matcher's (weights trained before a level was added would score by the wrong column)."""
        _check_levels(data.get("attributes"))
        attributes = {
            name: AttributeWeights(
                tuple(a["m"]),
                tuple(a["u"]),
                tuple(a["u_sibling"]) if a.get("u_sibling") else None,
                tuple(a["u_desa"]) if a.get("u_desa") else None,
                tuple(a["u_twin"]) if a.get("u_twin") else None,
            )
            for name, a in data["attributes"].items()
        }
        return cls(
            version=data["version"],
            attributes=attributes,
            priors=Priors(**data["priors"]),
            bands=Bands(**data["bands"]),
            name_frequencies=dict(data.get("name_frequencies", {})),
            calibration=(
                Calibration.from_json(data["calibration"]) if data.get("calibration") else None
            ),
        )

    @property
    def raw_version(self) -> str:
        """The version of the learned weights, without the calibration map."""
        return self.calibration.raw_version if self.calibration else self.version

    def uncalibrated(self) -> Model:
        """The same model with its posterior as the score (for fitting a calibration)."""
        return dataclasses.replace(self, version=self.raw_version, calibration=None)

    def ablated(self) -> Model:
        """Plain independent Fellegi–Sunter: no family level, no competition (for the bench);
        no calibration either (the map belongs to the full model's posterior)."""
        return Model(
            f"{self.raw_version}-plain", self.attributes, self.priors, self.bands,
            self.name_frequencies, family_level=False, competition=False,
            hard_negative_gate=False,
        )  # fmt: skip

    def with_registry_size(self, size: int) -> Model:
        """The same weights for a registry of another size (the priors scale with it)."""
        priors = dataclasses.replace(self.priors, registry_size=size)
        return Model(
            self.version, self.attributes, priors, self.bands, self.name_frequencies,
            self.family_level, self.competition, self.hard_negative_gate, self.held_by,
            self.calibration,
        )  # fmt: skip

    # --- scoring --------------------------------------------------------------------------

    def score(self, record: ChildRecord, person: RegistryRecord) -> Candidate:
        """One pair, on its own (no competition with other candidates)."""
        return self.rank(record, (person,), 1).candidates[0]

    def rank(self, record: ChildRecord, people: Sequence[RegistryRecord], top: int) -> Candidates:
        """Every retrieved person scored, calibrated against each other, best ``top`` first.

        A person another index child holds is flagged and never AUTO_SUGGEST: a person is one
        child, and ``linkNik`` refuses a NIK another index child holds. For an index child
        (``record.indexed``) such persons — a sibling, twin or namesake the index knows, or this
        child recorded twice — are listed after the persons it could be linked to, where the
        list has room: listed by score, they pushed the child out of its own top five (seeds 1,
        3, 5, 7: 24 of 4,335 children, half of them that way). A record typed in may be an index
        child itself: its list stays in score order. The scores and the competition are the
        same either way.
        """
        side = record_side(record)
        people = [p for p in people if p.nik not in record.excluded_niks]
        sides = [person_side(p) for p in people]
        pairs = [self.pair(side, other) for other in sides]
        prior = self.log2_prior()
        weights = np.array([prior + pair.log2_bayes_factor for pair in pairs])
        # log2(1 + Σ_j 2^w_j): "none of them" has weight 0, each candidate its prior odds + BF.
        total = float(np.logaddexp2.reduce(np.append(weights, 0.0)))  # log2 of the normaliser
        order = [int(i) for i in np.argsort(-weights, kind="stable")]
        held = [p.held_by not in (None, record.record_id) for p in people]
        shown = side.values()

        def candidate(i: int) -> Candidate:
            values = (shown, sides[i].values())
            return self._candidate(people[i], pairs[i], prior, weights, i, values, held=held[i])

        first, after = order[:top], []
        if record.indexed:
            first = list(itertools.islice((i for i in order if not held[i]), top))
            after = list(itertools.islice((i for i in order if held[i]), top - len(first)))
        ranked = (*_flag_close(tuple(map(candidate, first))), *map(candidate, after))
        no_match = 2.0 ** (-total)
        return Candidates(ranked, no_match, self.version, pairs_scored=len(pairs))

    def log2_prior(self) -> float:
        """Prior log2 odds that one given registry person is the child."""
        p = self.priors
        return math.log2((1.0 - p.no_match) / max(p.registry_size, 1))

    def pair(self, record: Side, person: Side) -> Pair:
        levels = compare(record, person)
        tf = self._tf(person)
        key = (tuple(map(levels.__getitem__, ATTRIBUTES)), tf)
        weights = self._weights_memo.get(key)
        if weights is None:
            if len(self._weights_memo) >= _WEIGHTS_MEMO_SIZE:
                self._weights_memo.clear()
            weights = self._weights_memo[key] = self._weights(levels, tf)
        return Pair(levels, *weights)

    def pair_from_levels(self, levels: dict[str, str], tf: float | None) -> Pair:
        return Pair(levels, *self._weights(levels, tf))

    def _weights(self, levels: dict[str, str], tf: float | None) -> _PairWeights:
        """(evidence, log2 Bayes factor, family term) of a pair's levels."""
        log_m = log_u = log_s = log_t = 0.0
        evidence: list[tuple[str, str, float]] = []
        same_desa = levels["region"] == "DESA"
        for attribute in ATTRIBUTES:
            level = levels[attribute]
            if level == MISSING:
                evidence.append((attribute, level, 0.0))
                continue
            w = self.attributes[attribute]
            i = LEVELS[attribute].index(level)
            m, u = w.m[i], w.u[i]
            if same_desa and w.u_desa is not None:
                u = w.u_desa[i]
            if attribute == "given_name" and tf is not None and level in TF_LEVELS:
                u = tf
            log_m += math.log2(m)
            log_u += math.log2(u)
            sib = m if attribute in FAMILY_ATTRIBUTES or w.u_sibling is None else w.u_sibling[i]
            log_s += math.log2(sib)
            # A twin shares everything with the child (family, birth day and place, family
            # name) but its given name and, often, its sex.
            log_t += math.log2(w.u_twin[i] if w.u_twin is not None else m)
            evidence.append((attribute, level, math.log2(m / u)))
        independent = log_m - log_u
        if not self.family_level:
            return tuple(evidence), independent, 0.0
        # Not the child: a stranger, a sibling of the child (π_s) or its twin (π_t).
        n = max(self.priors.registry_size, 1)
        pi_s = min(0.5, max(self.priors.siblings_per_child / n, 1e-12))
        pi_t = min(0.25, self.priors.twins_per_child / n)
        terms = [math.log2(pi_s) + log_s, math.log2(1 - pi_s - pi_t) + log_u]
        if pi_t > 0:
            terms.append(math.log2(pi_t) + log_t)
        log_alt = float(np.logaddexp2.reduce(terms))
        bayes = log_m - log_alt
        return tuple(evidence), bayes, bayes - independent

    def _tf(self, person: Side) -> float | None:
        if not person.names or not self.name_frequencies:
            return None
        key = person.names[0].given_key
        floor = 1.0 / max(self.priors.registry_size, 1)
        return max(self.name_frequencies.get(key or "", floor), floor)

    def band(self, score: float, warnings: tuple[Warning_, ...] = ()) -> Band:
        """AUTO_SUGGEST needs the score and no gating warning (``GATING``): a possible twin or a
        namesake of another family is for the officer to decide, however high the score. (A
        possible sibling is weighed by the score itself: see ``_weights``.)"""
        if score >= self.bands.auto_suggest and not (
            self.hard_negative_gate and self.held_by.intersection(warnings)
        ):
            return Band.AUTO_SUGGEST
        return Band.REVIEW if score >= self.bands.review else Band.UNLIKELY

    def _candidate(
        self,
        person: RegistryRecord,
        pair: Pair,
        prior: float,
        weights: np.ndarray,
        index: int,
        values: tuple[dict[str, str | None], dict[str, str | None]],
        held: bool = False,
    ) -> Candidate:
        own = float(weights[index])
        if self.competition:
            # log2 odds of the posterior: own weight against "none" and every other candidate.
            others = float(np.logaddexp2.reduce(np.append(np.delete(weights, index), 0.0)))
            competition = -others
        else:
            competition = 0.0
        posterior = own + competition
        # The calibration map (monotone: the ranking stays the posterior's) corrects what the
        # posterior says; its correction is an explanation line of its own.
        correction = self.calibration.log2_odds(posterior) - posterior if self.calibration else 0.0
        final = posterior + correction
        score = probability(final)
        explanation = (
            Evidence("prior", "PRIOR", prior, _PRIOR_TEXT.format(n=self.priors.registry_size)),
            *pair.evidence_rows(*values),
            *(
                (Evidence("sibling_alternative", "FAMILY", pair.family_term, _FAMILY_TEXT),)
                if self.family_level
                else ()
            ),
            *(
                (Evidence("competition", "COMPETITION", competition, _COMPETITION_TEXT),)
                if self.competition
                else ()
            ),
            *(
                (
                    Evidence(
                        "calibration",
                        "CALIBRATION",
                        correction,
                        _CALIBRATION_TEXT.format(
                            raw=probability(posterior),
                            score=score,
                            n=self.calibration.labels,
                        ),
                    ),
                )
                if self.calibration
                else ()
            ),
        )
        warnings = (*pair.warnings(), *((Warning_.HELD_BY_ANOTHER_CHILD,) if held else ()))
        return Candidate(person, score, self.band(score, warnings), final, explanation, warnings)


def _check_levels(attributes: Any) -> None:
    if not isinstance(attributes, dict) or set(attributes) != set(ATTRIBUTES):
        raise ValueError(f"weights: attributes must be exactly {', '.join(ATTRIBUTES)}")
    for name, weights in attributes.items():
        levels = LEVELS[name]
        if not isinstance(weights, dict):
            raise ValueError(f"weights: {name} is not an object of probabilities")
        if weights.get("levels") is not None and weights["levels"] != list(levels):
            raise ValueError(
                f"weights: {name}'s levels are not this matcher's ({', '.join(levels)}): "
                "weights trained by another version; retrain (satu-anak identity train)"
            )
        for key in ("m", "u", "u_sibling", "u_desa", "u_twin"):
            values = weights.get(key)
            if key not in ("m", "u") and not values:
                continue  # an optional u this attribute does not have
            if not (
                isinstance(values, list)
                and len(values) == len(levels)
                and all(isinstance(v, int | float) and 0 < v <= 1 for v in values)
            ):
                raise ValueError(f"weights: {name}.{key} needs {len(levels)} probabilities")


# (evidence rows, log2 Bayes factor, family term): a Pair without its levels.
_PairWeights = tuple[tuple[tuple[str, str, float], ...], float, float]
_WEIGHTS_MEMO_SIZE: Final = 1 << 16  # bounded: cleared when full (a few thousand in practice)


@lru_cache(maxsize=1)
def shipped() -> Model:
    """The shipped weights, read once per process (one entry: the artifact does not change)."""
    return Model.load()


_PRIOR_TEXT: Final = "one registry person among {n} is this child, before any evidence"
_FAMILY_TEXT: Final = (
    "what agrees for the whole family (mother, father, KK, desa) would agree for a sibling too, "
    "and everything but the given name and sex for a twin: the family counts once, and the "
    "child's own attributes decide which child it is"
)
_COMPETITION_TEXT: Final = (
    "the child is at most one person: the other candidates and 'not in the registry' share "
    "the probability"
)

_CALIBRATION_TEXT: Final = (
    "the model's own probability was {raw:.4f}; in {n} labelled decisions, scores like it were "
    "right about {score:.4f} of the time (a monotone correction: no ranking changes)"
)


@dataclass(frozen=True)
class Pair:
    """One record–person comparison: levels, per-attribute weights, the Bayes factor."""

    levels: dict[str, str]
    evidence: tuple[tuple[str, str, float], ...]  # (attribute, level, log2 m/u)
    log2_bayes_factor: float
    family_term: float  # the sibling alternative's correction to the independent sum

    def evidence_rows(
        self, record: dict[str, str | None], registry: dict[str, str | None]
    ) -> tuple[Evidence, ...]:
        return tuple(
            Evidence(
                attribute,
                level,
                weight,
                _describe(attribute, level, weight),
                record.get(attribute),
                registry.get(attribute),
            )
            for attribute, level, weight in self.evidence
        )

    def warnings(self) -> tuple[Warning_, ...]:
        lv = self.levels
        given = lv["given_name"]
        name_agrees = given in _GOOD_NAME
        name_differs = given in {"DIFFERENT", "TOKEN_SHARED"}
        family = (
            lv["mother"] in _GOOD_PARENT
            or lv["father"] in _GOOD_PARENT
            or lv["kk"] == "SAME"
            # no parent recorded, but the family name and the desa agree: a family all the same
            or (lv["other_names"] == "EXACT" and lv["region"] == "DESA")
        )
        found: list[Warning_] = []
        # Twins: same parents and birth day; the names may differ or only rhyme (Alya / Alyi).
        # A name that only rhymes, or no name of its own ("By. Ny. <mother>"), agrees with a twin
        # as well as with the child, and so does any date the record gives that does not set the
        # two apart (twins share it: an approximate or year-only date cannot tell them apart).
        twin_dates = _CLOSE_DATE if name_differs else _TWIN_CANNOT_BE_TOLD
        if family and lv["birth_date"] in twin_dates and given in _NOT_THE_SAME_NAME | {MISSING}:
            found.append(Warning_.SAME_MOTHER_AND_BIRTH_DATE_OTHER_NAME)
        elif family and name_differs:
            found.append(Warning_.SAME_FAMILY_OTHER_NAME)
        if name_agrees and (lv["mother"] == "DIFFERENT" or lv["father"] == "DIFFERENT"):
            found.append(Warning_.SAME_NAME_OTHER_MOTHER)
        return tuple(found)


# Levels whose name alone would not tell an officer what was seen.
_LEVEL_WORDS: Final = {
    "KEYSTROKE": "one typing slip apart",
    "NICKNAME_SLIP": "a call name, one typing slip apart",
    "CALL_SYLLABLE": "a call name made of the last syllable",
    "APPROX_WITHIN_MONTH": "approximate, within a month",
    "APPROX_SAME_YEAR": "approximate, the same year",
    "APPROX_YEAR_OFF": "approximate, the same day a year apart",
    "APPROX_WITHIN_1_YEAR": "approximate, within a year",
    "APPROX_WITHIN_3_YEARS": "approximate, within three years",
    "YEAR_ONLY_WITHIN_3_YEARS": "the year only, two or three years apart",
}


def _describe(attribute: str, level: str, weight: float) -> str:
    label = attribute.replace("_", " ")
    if level == MISSING:
        return f"{label}: not known on one side, weighs nothing"
    verb = "adds" if weight >= 0 else "takes away"
    words = _LEVEL_WORDS.get(level) or level.lower().replace("_", " ")
    return f"{label} {words}: {verb} {abs(weight):.1f} bits"


def _flag_close(ranked: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """Two candidates that both hold a real share of the probability: the officer must choose."""
    if len(ranked) < 2 or ranked[1].score < 0.1 or ranked[1].score < ranked[0].score / 4:
        return ranked
    flagged = []
    for c in ranked:
        if c.score >= 0.1:
            c = Candidate(
                c.person, c.score, c.band, c.match_weight, c.explanation,
                (*c.warnings, Warning_.SEVERAL_CLOSE_CANDIDATES),
            )  # fmt: skip
        flagged.append(c)
    return tuple(flagged)
