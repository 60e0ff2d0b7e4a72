"""The learned model: weights (weights.json), scoring, calibration and explanation.

Initial version (interfaces first): the matcher helper replaces the internals. ``Model.load``,
``Model.rank`` and ``Model.score`` are the contract with ``store`` and the bulk tools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from resolution.explain import Band, Candidate, Candidates, Evidence
from resolution.names import normalize_name
from resolution.records import ChildRecord, RegistryRecord


@dataclass(frozen=True)
class Model:
    version: str

    @classmethod
    def load(cls) -> Model:
        """The reviewed weights artifact shipped in the package (resolution/weights.json)."""
        return cls("stub")

    def score(self, record: ChildRecord, person: RegistryRecord) -> Candidate:
        """One pair, on its own (no competition with other candidates)."""
        same = bool(record.names) and normalize_name(record.names[0]) == normalize_name(
            person.full_name
        )
        weight = 5.0 if same else -5.0
        return Candidate(
            person,
            0.9 if same else 0.1,
            Band.REVIEW,
            weight,
            (Evidence("name", "EXACT" if same else "DIFFERENT", weight, "stub"),),
        )

    def rank(self, record: ChildRecord, people: Sequence[RegistryRecord], top: int) -> Candidates:
        """Every retrieved person scored, calibrated against each other, best ``top`` first."""
        scored = sorted((self.score(record, p) for p in people), key=lambda c: -c.match_weight)
        return Candidates(tuple(scored[:top]), 0.5, self.version, pairs_scored=len(scored))
