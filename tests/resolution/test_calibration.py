"""The calibration map: monotone, explained, round-tripped through weights.json, fitted by a
command on a label file, and clear about bad label files."""

from __future__ import annotations

import csv
import itertools
import json
import random
from pathlib import Path

import pytest

from resolution import calibration
from resolution.calibration import Calibration, LabelError, fit, read_labels
from resolution.model import WEIGHTS_FILE, Model
from satu_anak.cli import main as cli
from tests.resolution.test_model import JOKO, NAMESAKE, REGISTRY, SISTER, STORY, TWIN


def over_confident(n: int = 2000, seed: int = 1) -> tuple[list[float], list[bool]]:
    """Raw scores whose truth is the score squared: over-confident in the middle."""
    rng = random.Random(seed)
    scores = [rng.random() for _ in range(n)]
    return scores, [rng.random() < s * s for s in scores]


def write_labels(path: Path, version: str, scores: list[float], labels: list[bool]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["model_version", "raw_score", "decision"])
        for s, ok in zip(scores, labels, strict=True):
            out.writerow([version, s, "LINK" if ok else "NOT_THIS_PERSON"])
    return path


@pytest.fixture(scope="module")
def raw() -> Model:
    return Model.load().uncalibrated()


@pytest.fixture(scope="module")
def calibrated(raw: Model, tmp_path_factory: pytest.TempPathFactory) -> Model:
    folder = tmp_path_factory.mktemp("cal")
    weights = folder / "weights.json"
    weights.write_text(WEIGHTS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    data = json.loads(weights.read_text(encoding="utf-8"))
    data.pop("calibration", None)
    data["version"] = raw.version
    weights.write_text(json.dumps(data), encoding="utf-8")
    labels = write_labels(folder / "labels.csv", raw.version, *over_confident())
    assert calibration.main(["--labels", str(labels), "--weights", str(weights)]) == 0
    return Model.load(weights)


def test_the_map_is_monotone_and_corrects_an_over_confident_middle() -> None:
    cal = fit(*over_confident(), raw_version="v")
    xs = [x / 10 for x in range(-400, 401)]
    ys = [cal.log2_odds(x) for x in xs]
    assert all(b >= a for a, b in itertools.pairwise(ys))
    # a raw 0.8 is right about 0.64 of the time: the map says so (within the sample's noise)
    p = 1 / (1 + 2 ** -cal.log2_odds(2.0))  # raw log2 odds 2 = 0.8
    assert 0.55 < p < 0.73


def test_the_ranking_does_not_change(raw: Model, calibrated: Model) -> None:
    for people in (REGISTRY, (JOKO, TWIN, SISTER, NAMESAKE)):
        before = raw.rank(STORY, people, 5).candidates
        after = calibrated.rank(STORY, people, 5).candidates
        assert [c.person.nik for c in after] == [c.person.nik for c in before]
        assert [c.score for c in after] == sorted((c.score for c in after), reverse=True)
        assert any(a.score != b.score for a, b in zip(after, before, strict=True))


def test_the_explanation_still_adds_up_with_a_calibration_line(
    raw: Model, calibrated: Model
) -> None:
    for c, r in zip(
        calibrated.rank(STORY, REGISTRY, 5).candidates,
        raw.rank(STORY, REGISTRY, 5).candidates,
        strict=True,
    ):
        assert sum(e.weight for e in c.explanation) == pytest.approx(c.match_weight)
        assert c.score == pytest.approx(1 / (1 + 2 ** (-c.match_weight)))
        line = c.explanation[-1]
        assert line.attribute == "calibration" and line.level == "CALIBRATION"
        # the raw evidence is unchanged; the correction is the one line added
        assert [e.weight for e in c.explanation[:-1]] == pytest.approx(
            [e.weight for e in r.explanation]
        )
        assert line.weight == pytest.approx(c.match_weight - r.match_weight)
        assert f"{r.score:.4f}" in line.description
    assert "calibration" not in {e.attribute for e in raw.score(STORY, JOKO).explanation}


def test_the_map_round_trips_through_weights_json(raw: Model, calibrated: Model) -> None:
    assert calibrated.calibration is not None
    assert calibrated.raw_version == raw.version
    assert calibrated.version.startswith(f"{raw.version}-cal-")  # the version changes
    again = Calibration.from_json(json.loads(json.dumps(calibrated.calibration.to_json())))
    for x in (-30.0, -5.0, -1.0, 0.0, 1.5, 4.0, 12.0):
        assert again.log2_odds(x) == pytest.approx(calibrated.calibration.log2_odds(x), abs=1e-5)
    assert calibrated.uncalibrated().version == raw.version
    # with_registry_size keeps the map
    assert calibrated.with_registry_size(10).calibration == calibrated.calibration


def test_recalibrating_fits_on_the_raw_model_and_keeps_its_version(
    raw: Model, tmp_path: Path
) -> None:
    weights = tmp_path / "w.json"
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    data.pop("calibration", None)
    data["version"] = raw.version
    weights.write_text(json.dumps(data), encoding="utf-8")
    labels = write_labels(tmp_path / "l.csv", raw.version, *over_confident())
    assert cli(["identity", "calibrate", "--labels", str(labels), "--weights", str(weights)]) == 0
    first = json.loads(weights.read_text(encoding="utf-8"))["version"]
    # labels are still the raw model's: a second fit replaces the map, not stacks on it
    other = write_labels(tmp_path / "l2.csv", raw.version, *over_confident(seed=2))
    assert calibration.main(["--labels", str(other), "--weights", str(weights)]) == 0
    second = json.loads(weights.read_text(encoding="utf-8"))
    assert second["calibration"]["raw_version"] == raw.version
    assert second["version"].startswith(f"{raw.version}-cal-") and second["version"] != first


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("model_version,raw_score\nV,0.5\n", "missing column(s) decision"),
        ("model_version,raw_score,decision\nV,high,LINK\n", "line 2: raw_score 'high'"),
        ("model_version,raw_score,decision\nV,1.5,LINK\n", "line 2: raw_score 1.5 is not in"),
        ("model_version,raw_score,decision\nV,0.5,MAYBE\n", "line 2: decision 'MAYBE'"),
        ("model_version,raw_score,decision\nV,0.5,LINK\nold,0.5,LINK\n", "line 3: model_version"),
        ("model_version,raw_score,decision\nV,0.5\n", "line 2: decision None"),
        ("model_version,raw_score,decision\n" + "V,0.5,LINK\n" * 60, "both decisions"),
        ("model_version,raw_score,decision\n" + "V,0.5,LINK\n" * 3, "at least 50"),
    ],
    ids=[
        "no-decision-column",
        "not-a-number",
        "out-of-range",
        "unknown-decision",
        "another-model",
        "short-row",
        "one-decision-only",
        "too-few",
    ],
)
def test_bad_label_files_are_named_by_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LabelError, match=None) as failure:
        fit(*read_labels(path, "V"), raw_version="V")
    assert message in str(failure.value)


def test_the_command_reports_bad_labels_and_leaves_the_weights_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weights = tmp_path / "w.json"
    weights.write_text(WEIGHTS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    before = weights.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"model_version,raw_score,decision\n\xff\xfe,0.5,LINK\n")
    for labels in (bad, tmp_path / "nowhere.csv"):
        with pytest.raises(SystemExit) as stop:
            calibration.main(["--labels", str(labels), "--weights", str(weights)])
        assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "cannot be read" in err
    assert weights.read_bytes() == before
    assert not list(tmp_path.glob("*.partial"))


def test_weights_of_another_matcher_version_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Weights trained before the approximate-date levels: one level list shorter. Read as they
    # are, every date after the sixth level would be scored by another level's probabilities.
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    date = data["attributes"]["birth_date"]
    keep = [i for i, level in enumerate(date["levels"]) if not level.startswith("APPROX_")]
    for key in ("levels", "m", "u", "u_sibling"):
        date[key] = [date[key][i] for i in keep]
    with pytest.raises(ValueError, match="birth_date's levels are not this matcher's"):
        Model.from_json(data)
    date.pop("levels")  # no level names at all: the lengths still tell
    with pytest.raises(ValueError, match=r"birth_date\.m needs 17 probabilities"):
        Model.from_json(data)
    weights = tmp_path / "old.json"
    weights.write_text(json.dumps(data), encoding="utf-8")
    labels = tmp_path / "labels.csv"
    labels.write_text("model_version,raw_score,decision\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        calibration.main(["--labels", str(labels), "--weights", str(weights)])
    assert stop.value.code == 2
    assert "--weights: not a weights file" in capsys.readouterr().err
    assert json.loads(weights.read_text(encoding="utf-8")) == data
    missing = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    del missing["attributes"]["kk"]
    with pytest.raises(ValueError, match="attributes must be exactly"):
        Model.from_json(missing)
    for broken in ("m", [0.5] * 16 + ["x"], [0.0] * 17, [2.0] * 17):
        bad = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
        bad["attributes"]["birth_date"]["m"] = broken
        with pytest.raises(ValueError, match=r"birth_date\.m needs 17 probabilities"):
            Model.from_json(bad)
