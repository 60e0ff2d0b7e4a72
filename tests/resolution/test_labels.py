"""`satu-anak identity export-labels`: the officers' decisions in force as the label file
`identity calibrate` reads — through the real service (GraphQL decisions, a supervisor's undo)
and real SQL on SQLite and PostgreSQL; the raw score checked against the raw model's own, the
file against `calibration.read_labels`, `fit` and the `calibrate` command."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, update

from resolution import calibration, labels, store
from resolution.explain import Candidate
from resolution.model import WEIGHTS_FILE, Model, shipped
from resolution.records import ChildRecord
from satu_anak.cli import main as cli
from subgraphs.common.database import Database
from subgraphs.common.migrations import upgrade
from subgraphs.disdukcapil import access, decisions, identity_resolution
from subgraphs.disdukcapil import tables as t
from subgraphs.disdukcapil.domain import Decider, DecisionKind, NewDecision
from subgraphs.disdukcapil.service import SPEC
from tests.resolution.test_calibration import over_confident
from tests.resolution.test_model import JOKO as JOKO_RECORD
from tests.resolution.test_model import REGISTRY, STORY
from tests.subgraphs.test_identity_resolution import (
    JOKO,
    LINK,
    NAMESAKE,
    OFFICER,
    REGISTER,
    REJECT,
    SISTER,
    SUPERVISOR,
    T0,
    UNDO,
    _child,
    _client,
)

pytestmark = pytest.mark.anyio

RAW = shipped().raw_version


def _calibrated() -> Model:
    """The shipped weights' raw model with a calibration map of its own (fitted here: the
    tests do not depend on whether the shipped weights carry one)."""
    raw = shipped().uncalibrated()
    fitted = calibration.fit(*over_confident(), raw.version)
    return dataclasses.replace(
        raw, version=f"{raw.version}-cal-{fitted.digest()}", calibration=fitted
    )


CALIBRATED = _calibrated()
OFFICER_DECIDER = Decider("disdukcapil-batam", "Hendra Gunawan", "disdukcapil_officer")


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


async def export(*arguments: str) -> int:
    """The command, as a program runs it (its own event loop: in a thread of its own)."""
    code: int = await asyncio.to_thread(cli, ["identity", "export-labels", *arguments])
    return code


@contextlib.contextmanager
def raw_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The service's scoring with the shipped weights' raw model (no calibration map)."""
    with monkeypatch.context() as patched:
        patched.setattr(store, "shipped", lambda: shipped().uncalibrated())
        yield


async def raw_score_of(db: Any, child_id: str, nik: str, monkeypatch: pytest.MonkeyPatch) -> float:
    """What the raw model says of the pair, scored as a decision scores it (the child's ranked
    candidates, else the pair alone), now: the label's raw_score must be this."""
    with raw_model(monkeypatch):
        async with db.connect() as conn:
            found, _ = await identity_resolution.scored(
                conn, child_id, nik, access.jurisdiction(OFFICER), linking=True
            )
    assert found is not None
    return found.score


# --- through the service -------------------------------------------------------------------------


async def test_decisions_in_force_are_exported_with_the_raw_score_and_undone_ones_are_not(
    make_client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Any
) -> None:
    # The service scores with a calibrated model, as in production.
    monkeypatch.setattr(store, "shipped", lambda: CALIBRATED)
    monkeypatch.setattr(store, "MODEL_VERSION", CALIBRATED.version)
    client = await _client(make_client)
    supervisor = client.acting(SUPERVISOR)
    expected: dict[tuple[str, str], float] = {}

    async def decide(query: str, child_id: str, nik: str, key: str) -> str:
        expected[(child_id, nik)] = await raw_score_of(client.db, child_id, nik, monkeypatch)
        data, _ = await client.written(query, id=child_id, nik=nik, reason="checked")
        return str(data[key]["id"]) if key != "linkNik" else ""

    # Not this person: the sister (one label); the namesake, undone by a supervisor (none).
    await decide(REJECT, "ANK000000002", SISTER, "rejectIdentityCandidate")
    namesake = await decide(REJECT, "ANK000000002", NAMESAKE, "rejectIdentityCandidate")
    await supervisor.written(UNDO, id=namesake, reason="misread")
    # A link, undone, and made again: one label, the second link's.
    await decide(LINK, "ANK000000002", JOKO, "linkNik")
    history = (
        await client.data('query { identityDecisions(childId: "ANK000000002") { id kind } }')
    )["identityDecisions"]
    first_link = next(d["id"] for d in history if d["kind"] == "LINK")
    await supervisor.written(UNDO, id=first_link, reason="the LKSA had two Jokos")
    await decide(LINK, "ANK000000002", JOKO, "linkNik")
    # Another region's person the matcher did not list for Agus Salim: rejected unscored.
    await client.written(REJECT, id="ANK000000005", nik=NAMESAKE, reason="another family")
    # A new registration names no person: no label.
    await client.written(REGISTER, id="ANK000000005", reason="never registered")

    out = tmp_path / "labels.csv"
    assert await export("--out", str(out), "--database-url", client.db.url) == 0
    captured = capsys.readouterr()
    rows = read_rows(out)
    async with client.db.connect() as conn:
        kept = {d.id: d for d in await decisions.decisions_of(conn, ["ANK000000002"])}
    assert [(r["model_version"], r["decision"]) for r in rows] == [
        (RAW, "NOT_THIS_PERSON"),
        (RAW, "LINK"),
    ]
    sister, link = (kept[int(r["decision_id"])] for r in rows)
    assert (sister.nik, sister.kind, sister.active) == (SISTER, DecisionKind.NOT_THIS_PERSON, True)
    assert (link.nik, link.kind, link.active) == (JOKO, DecisionKind.LINK, True)
    assert link.id > int(first_link)
    assert sister.model_version == link.model_version == CALIBRATED.version  # scored with a map
    for row, decision in ((rows[0], sister), (rows[1], link)):
        raw = float(row["raw_score"])
        assert raw == pytest.approx(
            expected[(decision.child_id, str(decision.nik))], rel=1e-12, abs=0
        )
        assert decision.score is not None and raw != pytest.approx(decision.score, rel=1e-6, abs=0)
    summary = json.loads(captured.out)
    assert summary["labels"] == 2 and (summary["LINK"], summary["NOT_THIS_PERSON"]) == (1, 1)
    assert summary["not_exported"]["undone"] == 2
    assert summary["not_exported"]["not_about_a_candidate"] == {"NEW_REGISTRATION": 1}
    assert summary["not_exported"]["unrecoverable"] == {
        "no score recorded (the person was not scored)": 1
    }
    assert "1 decision(s) in force whose raw score cannot be recovered" in captured.err
    scores, decided = calibration.read_labels(out, RAW)
    assert decided == [False, True] and scores == [float(r["raw_score"]) for r in rows]


# --- real SQL: every case, and the calibration round trip --------------------------------------


def _variants() -> list[ChildRecord]:
    """The story child with less and less known: scores across the range."""
    fields = ("mother_names", "birth_places", "region_codes", "birth_date", "sex")
    found = []
    for mask in range(1 << len(fields)):
        changes: dict[str, Any] = {}
        for i, name in enumerate(fields):
            if mask >> i & 1:
                changes[name] = None if name in ("birth_date", "sex") else ()
        found.append(dataclasses.replace(STORY, **changes))
    return found


async def _record(
    conn: Any, child_id: str, kind: str, candidate: Candidate | None, **kw: Any
) -> int:
    new = NewDecision(
        child_id=child_id,
        kind=DecisionKind(kind),
        reason="labelled",
        decider=OFFICER_DECIDER,
        nik=kw.pop("nik", candidate.person.nik if candidate else None),
        score=kw.pop("score", candidate.score if candidate else None),
        band=candidate.band.value if candidate else None,
        explanation=kw.pop(
            "explanation", identity_resolution.explanation_json(candidate) if candidate else None
        ),
        model_version=kw.pop("model_version", None),
    )
    assert not kw
    return await decisions.record_decision(conn, new)


async def test_every_decision_is_one_label_or_counted_and_calibrate_accepts_the_file(
    make_database: Any, tmp_path: Path, capsys: Any
) -> None:
    db: Database = await make_database(SPEC)
    calibrated = CALIBRATED
    raw = calibrated.uncalibrated()
    variants = _variants()
    children = [f"ANK{i:09d}" for i in range(1, len(variants) * 2 + 20)]
    async with db.transaction() as conn:
        await conn.execute(insert(t.child), [_child(c, "Anak", "LKSA", T0) for c in children])
    expected: dict[int, tuple[str, float]] = {}  # decision id -> (decision, raw score)
    left_out: dict[str, list[int]] = {"undone": [], "superseded": [], "unrecoverable": []}
    async with db.transaction() as conn:
        ids = iter(children)
        for n, record in enumerate(variants):
            # The calibrated model's decisions (as served), then the raw model's (before a map).
            for model in (calibrated, raw):
                child = next(ids)
                found = model.rank(record, REGISTRY, 5).candidates
                truth = raw.rank(record, REGISTRY, 5).candidates
                pick = n % len(found)
                candidate = found[pick]
                kind = "LINK" if candidate.person == JOKO_RECORD else "NOT_THIS_PERSON"
                # A model without calibration: its score is the raw one, explanation or not.
                explanation: str | None = identity_resolution.explanation_json(candidate)
                if model is raw and n % 4 == 0:
                    explanation = None
                key = await _record(
                    conn, child, kind, candidate, model_version=model.version,
                    explanation=explanation,
                )  # fmt: skip
                expected[key] = (kind, truth[pick].score)
                if model is calibrated:
                    assert candidate.score != pytest.approx(truth[pick].score, rel=1e-6, abs=0)
        best = calibrated.rank(STORY, REGISTRY, 5).candidates[0]
        best_raw = raw.rank(STORY, REGISTRY, 5).candidates[0].score
        # One pair, two decisions in force (the workflow forbids it; a database may hold it):
        # the latest is the label, the older one counted as superseded and contradicting it.
        pair = next(ids)
        older = await _record(conn, pair, "NOT_THIS_PERSON", best, model_version=calibrated.version)
        latest = await _record(conn, pair, "LINK", best, model_version=calibrated.version)
        expected[latest] = ("LINK", best_raw)
        left_out["superseded"].append(older)
        # Undone by a supervisor: no label.
        for _ in range(3):
            key = await _record(conn, next(ids), "LINK", best, model_version=calibrated.version)
            assert await decisions.mark_undone(conn, key, OFFICER_DECIDER, "wrong child")
            left_out["undone"].append(key)
        # New registrations: no person, no label.
        for _ in range(2):
            await _record(
                conn, next(ids), "NEW_REGISTRATION", None, model_version=calibrated.version
            )
        # Another raw model's decisions: not this model's labels.
        await _record(conn, next(ids), "LINK", best, model_version="fs0-older-cal-0123abcd")
        # Decisions whose raw score cannot be recovered.
        tampered = json.loads(identity_resolution.explanation_json(best))
        tampered["matchWeight"] += 3.0
        for broken in (
            {"score": None, "explanation": None},  # the person was not scored
            {"explanation": None},  # calibrated, without the explanation that undoes the map
            {"explanation": "{not json"},
            {"explanation": json.dumps(tampered)},  # the lines no longer add up
            {"score": 0.01},  # a stored score that is not the explanation's
            {"model_version": RAW},  # a calibration line under an uncalibrated version
        ):
            key = await _record(
                conn, next(ids), "LINK", best, **{"model_version": calibrated.version, **broken}
            )
            left_out["unrecoverable"].append(key)

    out = tmp_path / "labels.csv"
    assert await export("--out", str(out), "--database-url", db.url) == 0
    captured = capsys.readouterr()
    rows = read_rows(out)
    assert len(rows) == len(expected) >= calibration.MIN_LABELS
    got = {int(r["decision_id"]): r for r in rows}
    assert set(got) == set(expected)
    for key, (kind, score) in expected.items():
        assert got[key]["model_version"] == RAW
        assert got[key]["decision"] == kind
        assert float(got[key]["raw_score"]) == pytest.approx(score, rel=1e-9, abs=0)
    assert [int(r["decision_id"]) for r in rows] == sorted(got)  # in the order decided
    summary = json.loads(captured.out)["not_exported"]
    assert summary["undone"] == 3
    assert (summary["superseded_by_a_later_decision"], summary["of_which_contradicting_it"]) == (
        1,
        1,
    )
    assert summary["not_about_a_candidate"] == {"NEW_REGISTRATION": 2}
    assert summary["other_model_versions"] == {"fs0-older": 1}
    assert sum(summary["unrecoverable"].values()) == 6 and len(summary["unrecoverable"]) == 6
    assert ", ".join(map(str, left_out["unrecoverable"])) in captured.err

    # The round trip: read, fitted, and the command writes a new calibrated version.
    scores, decided = calibration.read_labels(out, RAW)
    assert len(scores) == len(rows) and sum(decided) == sum(
        k == "LINK" for k, _ in expected.values()
    )
    fitted = calibration.fit(scores, decided, RAW)
    assert fitted.labels == len(rows)
    weights = tmp_path / "weights.json"
    weights.write_text(WEIGHTS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    code = await asyncio.to_thread(
        cli, ["identity", "calibrate", "--labels", str(out), "--weights", str(weights)]
    )
    assert code == 0
    assert Model.load(weights).version.startswith(f"{RAW}-cal-")
    assert json.loads(capsys.readouterr().out)["labels"] == len(rows)

    # --since: only the decisions of that day on; older ones counted.
    async with db.transaction() as conn:
        await conn.execute(
            update(t.identity_decision)
            .where(t.identity_decision.c.id.in_(sorted(expected)[:5]))
            .values(decided_at=datetime(2020, 5, 1, tzinfo=UTC))
        )
    recent = tmp_path / "recent.csv"
    assert (
        await export("--out", str(recent), "--database-url", db.url, "--since", "2021-01-01") == 0
    )
    assert json.loads(capsys.readouterr().out)["not_exported"]["decided_before_since"] == 5
    assert {int(r["decision_id"]) for r in read_rows(recent)} == set(sorted(expected)[5:])
    # --model-version: the other model's label alone (a calibrated version names its raw model).
    other = tmp_path / "other.csv"
    assert (
        await export(
            "--out",
            str(other),
            "--database-url",
            db.url,
            "--model-version",
            "fs0-older-cal-ffffffff",
        )
        == 0
    )
    assert [r["model_version"] for r in read_rows(other)] == ["fs0-older"]


# --- bad input -----------------------------------------------------------------------------------


@pytest.fixture
def migrated(tmp_path: Path) -> str:
    """An empty, migrated SQLite database of Disdukcapil."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'disdukcapil.db'}"

    async def run() -> None:
        db = Database(url)
        try:
            await upgrade(SPEC.package, db.engine)
        finally:
            await db.dispose()

    asyncio.run(run())
    return url


def test_an_empty_database_gives_a_header_and_says_so(
    migrated: str, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "labels.csv"
    assert cli(["identity", "export-labels", "--out", str(out), "--database-url", migrated]) == 0
    assert out.read_text(encoding="utf-8") == ",".join(labels.OUTPUT_COLUMNS) + "\n"
    assert "no labels for model" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--since", "2026-02-30"], "--since"),
        (["--since", "yesterday"], "--since"),
        (["--database-url", "sqlite+aiosqlite:///{tmp}/nowhere/disdukcapil.db"], "no database"),
        (["--database-url", "postgresql://postgres:secret@127.0.0.1:1/none"], "cannot read"),
        (["--database-url", "nosuchdriver://x/y"], "--database-url"),
        (["--database-url", "sqlite:///{tmp}/empty.db"], "cannot read"),  # not migrated
        (["--out", "{tmp}/no-folder/labels.csv"], "--out"),
        (["--out", "{tmp}"], "--out"),
        (["--model-version", " "], "--model-version"),
    ],
)
def test_bad_input_is_a_message_and_exit_2_with_no_file_written(
    migrated: str, tmp_path: Path, capsys: Any, arguments: list[str], message: str
) -> None:
    (tmp_path / "empty.db").write_bytes(b"")
    out = tmp_path / "labels.csv"
    out.write_text("the previous export\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    given = {"--out": str(out), "--database-url": migrated}
    for flag, value in zip(arguments[::2], arguments[1::2], strict=True):
        given[flag] = value.format(tmp=tmp_path)
    argv = [part for pair in given.items() for part in pair]
    assert cli(["identity", "export-labels", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "secret" not in err
    assert out.read_text(encoding="utf-8") == "the previous export\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing made: no partial file


def test_the_raw_version_of_a_calibrated_one() -> None:
    assert (
        labels.raw_version_of("fs2-2026-12-04-3d30d7b1-cal-6dd7ccbe") == "fs2-2026-12-04-3d30d7b1"
    )
    assert labels.raw_version_of("fs2-2026-12-04-3d30d7b1") == "fs2-2026-12-04-3d30d7b1"
    assert labels.raw_version_of(shipped().version) == RAW


def test_a_score_under_no_map_is_its_own_raw_score_and_extremes_stay_in_range() -> None:
    assert labels.recover(0.25, None, "fs0") == 0.25
    raw = shipped().uncalibrated()
    far = raw.rank(STORY, REGISTRY, 5).candidates[-1]  # a stranger: a tiny score
    assert labels.recover(far.score, identity_resolution.explanation_json(far), raw.version) == (
        pytest.approx(far.score, rel=1e-12, abs=0)
    )
    with pytest.raises(labels.Unrecoverable):
        labels.recover(1.5, None, "fs0")
