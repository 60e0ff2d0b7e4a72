"""A monotone map from the model's posterior to a calibrated probability, fitted on labels.

The model's posterior (Fellegi–Sunter with the family level and competition) ranks well but is
over-confident in its middle range: on seed 1, candidates it scores 0.70–0.97 are right less
often than it says (bench/identity/RESULTS.md). The reason is structural and label-free fixes
were not found in the time (see the README); so, like Splink's and most record-linkage
deployments, the posterior is corrected by a map fitted on labelled pairs: the officers'
decisions in production (``identity_decision``: LINK = this person was the child,
NOT_THIS_PERSON = was not; ``satu-anak identity export-labels``, ``resolution/labels.py``, writes
them as a label file), the seeder's ground truth for the benchmark.

The map is isotonic regression (pool-adjacent-violators, ~20 lines of numpy: scikit-learn is
not a dependency) on the raw log2 odds, stored as knots (raw log2 odds → calibrated log2 odds)
and applied by linear interpolation between them; beyond the outer knots the correction of the
nearest knot is kept (slope 1). The map is non-decreasing, so it never changes which candidate
ranks first, only what its score says. Each knot's probability is smoothed (Laplace, +1/+2), so
no score becomes exactly 0 or 1.

Label file (CSV, a header row): ``model_version, raw_score, decision`` — the raw (uncalibrated)
posterior the model ``model_version`` gave the pair, and LINK or NOT_THIS_PERSON (1 / 0 accepted
too). Every row's model_version must be the raw model's: a map fitted on another model's scores
would correct the wrong thing.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

# Knots hold at least this many labels: a pool of three pairs says little about a probability.
MIN_PER_KNOT: Final = 20
MIN_LABELS: Final = 50  # fewer labels than this: no map (an error, not a guess)
_CLIP: Final = 40.0  # log2 odds beyond ±40 (a probability within 1e-12 of 0 or 1) are clipped
POSITIVE: Final = frozenset({"LINK", "1", "TRUE"})
NEGATIVE: Final = frozenset({"NOT_THIS_PERSON", "0", "FALSE"})
COLUMNS: Final = ("model_version", "raw_score", "decision")
# A calibrated model's version: <raw version>-cal-<the map's digest> (``calibrate``).
CALIBRATED: Final = "-cal-"


class LabelError(ValueError):
    """A label file that cannot be used: the message names the line and the column."""


@dataclass(frozen=True)
class Calibration:
    """Knots of a non-decreasing map on log2 odds: raw ``x`` → calibrated ``y``."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    raw_version: str  # the model whose posteriors it corrects
    labels: int  # how many labelled pairs it was fitted on
    positives: int

    def log2_odds(self, raw: float) -> float:
        """The calibrated log2 odds of a raw log2 odds."""
        r = min(max(raw, -_CLIP), _CLIP)
        if r <= self.x[0]:
            return raw + (self.y[0] - self.x[0])
        if r >= self.x[-1]:
            return raw + (self.y[-1] - self.x[-1])
        return float(np.interp(r, self.x, self.y))

    def digest(self) -> str:
        return hashlib.sha256(json.dumps([self.x, self.y, self.raw_version]).encode()).hexdigest()[
            :8
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "method": "isotonic (pool-adjacent-violators) on log2 odds, Laplace-smoothed knots",
            "raw_version": self.raw_version,
            "labels": self.labels,
            "positives": self.positives,
            "x": [round(v, 6) for v in self.x],
            "y": [round(v, 6) for v in self.y],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        x, y = tuple(map(float, data["x"])), tuple(map(float, data["y"]))
        if not x or len(x) != len(y) or list(x) != sorted(x) or list(y) != sorted(y):
            raise ValueError("calibration: knots must be non-empty, paired and non-decreasing")
        return cls(x, y, str(data["raw_version"]), int(data["labels"]), int(data["positives"]))


def log2_odds(p: float) -> float:
    p = min(max(p, 2.0**-_CLIP), 1.0 - 2.0**-_CLIP)
    return math.log2(p / (1.0 - p))


def probability(log2_odds: float) -> float:
    """The probability of log2 odds (``log2_odds``' inverse, unclipped)."""
    if log2_odds >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -log2_odds))
    odds = math.pow(2.0, log2_odds)  # a tiny probability underflows to 0, never overflows
    return odds / (1.0 + odds)


def fit(scores: Sequence[float], labels: Sequence[bool], raw_version: str) -> Calibration:
    """Isotonic regression of the labels on the raw scores' log2 odds, as knots."""
    if len(scores) != len(labels):
        raise LabelError("as many scores as labels are needed")
    if len(scores) < MIN_LABELS:
        raise LabelError(f"{len(scores)} labelled pairs: at least {MIN_LABELS} are needed")
    positives = int(sum(labels))
    if positives == 0 or positives == len(labels):
        raise LabelError("the labels need both decisions (LINK and NOT_THIS_PERSON)")
    x = np.array([log2_odds(s) for s in scores])
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], np.asarray(labels, dtype=float)[order]
    # Pool adjacent violators over blocks [sum_x, sum_y, n]; a block is also pooled with the
    # previous one while it is smaller than MIN_PER_KNOT.
    blocks: list[list[float]] = []
    for xi, yi in zip(xs, ys, strict=True):
        blocks.append([xi, yi, 1.0])
        while len(blocks) > 1 and (
            blocks[-1][1] / blocks[-1][2] <= blocks[-2][1] / blocks[-2][2]
            or blocks[-2][2] < MIN_PER_KNOT
        ):
            sx, sy, n = blocks.pop()
            blocks[-1][0] += sx
            blocks[-1][1] += sy
            blocks[-1][2] += n
    if len(blocks) > 1 and blocks[-1][2] < MIN_PER_KNOT:  # the last block too
        sx, sy, n = blocks.pop()
        blocks[-1] = [blocks[-1][0] + sx, blocks[-1][1] + sy, blocks[-1][2] + n]
    knots_x = [sx / n for sx, _, n in blocks]
    knots_y = list(np.maximum.accumulate([log2_odds((sy + 1) / (n + 2)) for _, sy, n in blocks]))
    return Calibration(
        tuple(float(v) for v in knots_x),
        tuple(float(v) for v in knots_y),
        raw_version,
        len(labels),
        positives,
    )


def read_labels(path: Path, raw_version: str) -> tuple[list[float], list[bool]]:
    """Scores and decisions from a label file (see the module's docstring), checked by line."""
    try:
        f = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise LabelError(f"{path}: cannot be read ({exc.strerror})") from exc
    scores: list[float] = []
    labels: list[bool] = []
    with f:
        try:
            reader = csv.DictReader(f)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise LabelError(f"{path}: missing column(s) {', '.join(missing)}")
            for row in reader:
                line = reader.line_num
                version = (row["model_version"] or "").strip()
                if version != raw_version:
                    raise LabelError(
                        f"{path}, line {line}: model_version {version!r} is not the model "
                        f"being calibrated ({raw_version}); score the pairs with it first"
                    )
                try:
                    score = float(row["raw_score"] or "")
                except ValueError:
                    raise LabelError(
                        f"{path}, line {line}: raw_score {row['raw_score']!r} is not a number"
                    ) from None
                if not 0.0 <= score <= 1.0:
                    raise LabelError(f"{path}, line {line}: raw_score {score} is not in [0, 1]")
                decision = (row["decision"] or "").strip().upper()
                if decision not in POSITIVE | NEGATIVE:
                    raise LabelError(
                        f"{path}, line {line}: decision {row['decision']!r} is not LINK or "
                        "NOT_THIS_PERSON"
                    )
                scores.append(score)
                labels.append(decision in POSITIVE)
        except UnicodeDecodeError as exc:
            raise LabelError(f"{path}: not UTF-8 ({exc.reason})") from exc
        except csv.Error as exc:
            raise LabelError(f"{path}: not a CSV file ({exc})") from exc
    return scores, labels


def calibrate(weights_path: Path, labels_path: Path, out: Path | None = None) -> dict[str, Any]:
    """Fit the map on a label file and write it into weights.json (a new version); the summary."""
    from resolution.model import Model  # the model imports this module

    data: dict[str, Any] = json.loads(weights_path.read_text(encoding="utf-8"))
    Model.from_json(data)  # ValueError: not weights this matcher can use
    previous = data.get("calibration")
    raw_version = str(previous["raw_version"]) if previous else str(data["version"])
    scores, labels = read_labels(labels_path, raw_version)
    calibration = fit(scores, labels, raw_version)
    data["calibration"] = calibration.to_json()
    data["version"] = f"{raw_version}{CALIBRATED}{calibration.digest()}"
    target = out or weights_path
    partial = target.with_suffix(".json.partial")
    partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    partial.replace(target)  # the reviewed artifact is never half-written
    return {
        "version": data["version"],
        "raw_version": raw_version,
        "labels": calibration.labels,
        "positives": calibration.positives,
        "knots": len(calibration.x),
        "written_to": str(target),
    }


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from resolution.model import WEIGHTS_FILE

    parser = argparse.ArgumentParser(
        prog="satu-anak identity calibrate",
        description="Fit the monotone map from the matcher's posterior to a calibrated "
        "probability on labelled pairs (CSV: model_version, raw_score, decision = LINK or "
        "NOT_THIS_PERSON) and write it into the weights (a new version).",
    )
    parser.add_argument("--labels", type=Path, required=True, help="the label file (CSV)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS_FILE, help="weights.json to read")
    parser.add_argument("--out", type=Path, help="where to write (default: --weights itself)")
    args = parser.parse_args(argv)
    try:
        summary = calibrate(args.weights, args.labels, args.out)
    except LabelError as exc:
        parser.error(f"--labels: {exc}")
    except (OSError, ValueError, KeyError) as exc:
        parser.error(f"--weights: not a weights file ({exc})")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
