"""Training: level frequencies, sibling-u, EM recovering known m, and a run on a seeded world."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from resolution.compare import ATTRIBUTES, LEVELS
from resolution.model import Model
from resolution.records import ChildRecord
from resolution.train import (
    DATE_CHAINS,
    Evidence,
    approximate_share,
    closer_counts_more,
    expectation_maximisation,
    level_frequencies,
    main,
    read_registry,
    seed_world,
    sibling_pairs,
    sibling_u,
    train,
    twin_names,
)


def test_level_frequencies_are_smoothed_and_missing_weighs_nothing() -> None:
    rows = np.zeros((10, len(ATTRIBUTES)), dtype=np.int64)
    rows[:, ATTRIBUTES.index("sex")] = [0] * 9 + [2]  # nine SAME, one MISSING
    probs = level_frequencies(rows)["sex"]
    assert probs[-1] == 1.0  # MISSING
    assert sum(probs[:-1]) == pytest.approx(1.0)
    assert probs[0] == pytest.approx(10 / 11)  # (9 + 1) / (9 + 2): MISSING is not counted
    assert probs[1] > 0  # never 0: no log of zero


def test_sibling_u_is_never_below_u() -> None:
    u = {"birth_date": [0.1, 0.2, 0.7, 1.0]}
    siblings = {"birth_date": [0.0001, 0.0001, 0.9998, 1.0]}
    floored = sibling_u(siblings, u)["birth_date"]
    assert sum(floored[:-1]) == pytest.approx(1.0)
    assert floored[0] == pytest.approx(0.1 / (0.1 + 0.2 + 0.9998))
    assert floored[-1] == 1.0


def _draw(rng: np.random.Generator, probs: dict[str, list[float]], n: int) -> np.ndarray:
    columns = []
    for attribute in ATTRIBUTES:
        p = np.array(probs[attribute][:-1])
        columns.append(rng.choice(len(p), size=n, p=p / p.sum()))
    return np.array(columns).T


def _blocked_evidence(
    blocks: list[np.ndarray],
    starts: list[int],
    *,
    siblings_per_child: float,
    registry_persons: int,
) -> Evidence:
    """EM's input for drawn blocks of candidates (one block per record), with no random or
    sibling pairs and no term frequencies."""
    levels = np.vstack(blocks)
    return Evidence(
        u_levels=np.zeros((0, len(ATTRIBUTES)), dtype=np.int64),
        sibling_levels=np.zeros((0, len(ATTRIBUTES)), dtype=np.int64),
        siblings_per_child=siblings_per_child,
        blocked_levels=levels,
        log_tf=np.full(len(levels), np.nan),
        record_starts=np.array(starts),
        name_frequencies={},
        registry_persons=registry_persons,
        child_records=len(blocks),
    )


def _spread(strong: bool) -> dict[str, list[float]]:
    result = {}
    for attribute, levels in LEVELS.items():
        k = len(levels) - 1
        raw = [0.7] + [0.3 / (k - 1)] * (k - 1) if strong else [0.02 / (k - 1)] * (k - 1) + [0.98]
        result[attribute] = [*raw, 1.0]
    return result


def test_em_recovers_the_m_probabilities_it_was_given() -> None:
    rng = np.random.default_rng(7)
    m_true, u = _spread(strong=True), _spread(strong=False)
    records, per_record = 400, 30
    blocks, starts = [], []
    for r in range(records):
        starts.append(r * per_record)
        block = _draw(rng, u, per_record)
        if r % 5:  # four in five records have their person among the candidates
            block[0] = _draw(rng, m_true, 1)[0]
        blocks.append(block)
    evidence = _blocked_evidence(blocks, starts, siblings_per_child=0.0, registry_persons=2000)
    em = expectation_maximisation(evidence, u, u, no_match=0.2)
    assert em.expected_matches == pytest.approx(320, rel=0.05)
    for attribute in ATTRIBUTES:
        assert em.m[attribute][0] == pytest.approx(0.7, abs=0.08), attribute  # starts at ~0.5


def test_em_learns_how_often_a_twin_is_there_and_how_its_name_differs() -> None:
    # A fifth of the records are a registered child's twin: every attribute compares as the
    # child's own would (m) but the given name (another name: DIFFERENT) and, half the time, the
    # sex. Three fifths have their own person among the candidates.
    # What tells a twin from the child with an unknown name is the sex: a child's record gets its
    # sex right, a twin is of the other sex half the time (here).
    rng = np.random.default_rng(11)
    m_true, u = _spread(strong=True), _spread(strong=False)
    m_true["sex"], u["sex"] = [0.999, 0.001, 1.0], [0.5, 0.5, 1.0]
    given, sex = ATTRIBUTES.index("given_name"), ATTRIBUTES.index("sex")
    records, per_record = 1000, 20
    blocks, starts = [], []
    for r in range(records):
        starts.append(r * per_record)
        block = _draw(rng, u, per_record)
        if r % 5 == 0:
            block[0] = _draw(rng, m_true, 1)[0]
            block[0, given] = LEVELS["given_name"].index("DIFFERENT")
            block[0, sex] = rng.integers(2)
        elif r % 5 != 1:
            block[0] = _draw(rng, m_true, 1)[0]
        blocks.append(block)
    evidence = _blocked_evidence(blocks, starts, siblings_per_child=1.0, registry_persons=100_000)
    em = expectation_maximisation(evidence, u, u, no_match=0.2)
    # Most of the twins are found (a same-sex twin with another name is also what the child
    # with an unknown name looks like: EM shares those between the two classes).
    assert 0.12 < em.twins_per_child < 0.25
    different = LEVELS["given_name"].index("DIFFERENT")
    assert em.u_twin["given_name"][different] > 0.9
    assert em.u_twin["sex"] == u["sex"]  # as siblings compare: not learned
    assert em.expected_matches == pytest.approx(600, rel=0.1)


def test_a_twin_reaches_the_same_name_levels_only_as_a_sibling_does() -> None:
    levels = LEVELS["given_name"]
    learned = [0.5 if level in ("EXACT", "DIFFERENT") else 0.0 for level in levels[:-1]] + [1.0]
    siblings = [0.01] * (len(levels) - 1) + [1.0]
    twin = twin_names(learned, siblings)
    assert twin[levels.index("EXACT")] == 0.01  # not learned: another child's name
    assert twin[-1] == 1.0 and sum(twin[:-1]) == pytest.approx(1.0)
    free = ("SIMILAR", "ALIKE", "TOKEN_SHARED", "DIFFERENT")
    assert twin[levels.index("DIFFERENT")] == pytest.approx(
        1 - 0.01 * (len(levels) - 1 - len(free))
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_world(4000, 11, tmp_path_factory.mktemp("train-world"))


def test_training_on_a_seeded_world_learns_sensible_weights(world: Path) -> None:
    result = train(world, n_random=20_000)
    model = Model.from_json(json.loads(json.dumps(result.weights)))
    for attribute in ("given_name", "mother", "birth_date", "kk"):
        weights = model.attributes[attribute]
        assert weights.m[0] > weights.u[0], attribute  # agreement is evidence for
    given = model.attributes["given_name"]
    different = LEVELS["given_name"].index("DIFFERENT")
    assert given.m[different] < given.u[different]  # disagreement is evidence against
    # Siblings share a birth place far more often than strangers do.
    place = model.attributes["birth_place"]
    assert place.u_sibling is not None and place.u_sibling[0] > place.u[0]
    assert model.attributes["mother"].u_sibling is None  # a family attribute
    # Neighbours (one desa, not one KK) share a birth place more often than strangers do; only
    # the DESA_U attributes have a neighbours' u.
    assert place.u_desa is not None and place.u_desa[0] > 2 * place.u[0]
    assert model.attributes["given_name"].u_desa is None
    assert result.summary["desa_pairs"] > 0
    assert result.summary["child_records"] > 0
    assert model.priors.registry_size == result.summary["registry_persons"]
    # The twin class: learned for the given name and the sex only, with a learned prior.
    assert {a for a, w in model.attributes.items() if w.u_twin is not None} == {"given_name", "sex"}
    assert model.priors.twins_per_child > 0
    assert result.summary["em_twins_per_child"] == pytest.approx(
        model.priors.twins_per_child, abs=1e-5
    )


def test_siblings_are_compared_with_approximate_dates_as_often_as_records_carry_them(
    world: Path,
) -> None:
    with sqlite3.connect(world) as db:
        registry = read_registry(db)
    column = ATTRIBUTES.index("birth_date")
    approx = {i for i, level in enumerate(LEVELS["birth_date"]) if level.startswith("APPROX_")}
    exact, _ = sibling_pairs(registry)
    assert len(exact) and not approx.intersection(exact[:, column].tolist())
    mixed, per_child = sibling_pairs(registry, 0.4, random.Random(3))
    # Dates years apart are DIFFERENT either way; of the others, the share asked for.
    near = mixed[:, column][mixed[:, column] != LEVELS["birth_date"].index("DIFFERENT")]
    assert 0.35 < np.isin(near, sorted(approx)).mean() < 0.45
    assert per_child == sibling_pairs(registry)[1]


def test_a_nearer_date_never_counts_less_than_a_farther_one() -> None:
    levels = LEVELS["birth_date"]
    m = [0.01] * len(levels)
    u = [0.02] * len(levels)
    near, same_year = levels.index("APPROX_WITHIN_MONTH"), levels.index("APPROX_SAME_YEAR")
    m[near], m[same_year] = 0.006, 0.23  # a world whose approximations are never that close
    u[near], u[same_year] = 0.002, 0.01
    fixed = closer_counts_more(m, u)
    pooled = (0.006 + 0.23) / (0.002 + 0.01)
    assert fixed[near] / u[near] == pytest.approx(pooled)
    assert fixed[same_year] / u[same_year] == pytest.approx(pooled)
    assert fixed[near] + fixed[same_year] == pytest.approx(m[near] + m[same_year])
    # Levels off every chain (slips, DIFFERENT, MISSING) and chains already in order: as they were.
    for level in ("SWAPPED", "YEAR_OFF", "DIFFERENT", "MISSING", "EXACT"):
        assert fixed[levels.index(level)] == m[levels.index(level)]
    assert closer_counts_more(fixed, u) == pytest.approx(fixed)


def test_the_trained_date_weights_fall_with_the_distance(world: Path) -> None:
    weights = train(world, n_random=20_000).weights["attributes"]["birth_date"]  # type: ignore[index]
    factors = np.array(weights["m"]) / np.array(weights["u"])
    ratio = dict(zip(LEVELS["birth_date"], factors, strict=True))
    for chain in DATE_CHAINS:
        along = [ratio[level] for level in chain]
        assert along == sorted(along, reverse=True), chain


def test_the_approximate_share_counts_dated_records_only() -> None:
    records = [
        ChildRecord(birth_date=date(2014, 1, 1), birth_date_exact=False),
        ChildRecord(birth_date=date(2014, 8, 17)),
        ChildRecord(birth_year=2014),
        ChildRecord(),
    ]
    assert approximate_share(records) == 0.5
    assert approximate_share([ChildRecord()]) == 0.0


def test_the_command_writes_a_weights_file(world: Path, tmp_path: Path) -> None:
    out = tmp_path / "weights.json"
    assert main(["--db", str(world), "--random-pairs", "5000", "--out", str(out)]) == 0
    loaded = Model.load(out)
    assert loaded.version.startswith("fs2-")
    assert set(loaded.attributes) == set(ATTRIBUTES)


def test_the_command_rejects_a_missing_database(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(tmp_path / "nowhere.db")])
    assert exit_.value.code == 2


def test_the_command_rejects_a_file_that_is_not_a_disdukcapil_database(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(other), "--out", str(tmp_path / "w.json")])
    assert exit_.value.code == 2
    assert not (tmp_path / "w.json").exists()  # nothing half-written
