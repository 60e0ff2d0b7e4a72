"""The officers' decisions as calibration labels (`satu-anak identity export-labels`).

``identity_decision`` (Disdukcapil's database) holds what the officers decided about a child's
registry candidates: LINK (this person is the child) and NOT_THIS_PERSON (it is not) are labels
about one (child, person) pair; NEW_REGISTRATION (the child is not in the registry) names no
person and is not one. This module turns them into the label file ``resolution/calibration.py``
fits its map on (``model_version, raw_score, decision``, plus ``decision_id, decided_at`` so that
a label can be traced back and a fit validated on later decisions than it was made from):

- only decisions in force: a supervisor's undo sets ``undone_at`` on the row (rows are never
  deleted), and an undone decision is no label;
- one label per (child, person): the latest decision in force (the highest id) — the officers'
  last word on the pair; older ones still in force (which the workflow does not make, but a
  database may hold) are counted, and those that said otherwise are counted apart;
- the raw score: a decision keeps the score the officer saw, calibrated when the model had a
  calibration map, and its explanation (``identity_resolution.explanation_json``): the match
  weight (the calibrated log2 odds) and the evidence lines, the last of which, under a map, is
  the ``calibration`` line whose weight is the map's correction (``model._candidate``). The raw
  posterior is the match weight less that correction; it is checked against the rest of the
  explanation (the other lines add up to it) and the stored score (the match weight's
  probability). A model without a map has no such line, and its score is the raw one;
- the raw model version: a calibrated version is ``<raw version>-cal-<digest>``
  (``calibration.calibrate``); decisions under every calibration of one raw model are labels of
  that model, and only one model's labels are written (``--model-version``, default the shipped
  weights' raw version): ``calibrate`` refuses any other;
- a decision whose raw score cannot be recovered (none recorded: the person was not scored; an
  explanation that does not add up) is counted, with the reason and its id, never dropped
  silently.

The file is written to a temporary file beside ``--out`` and renamed: never half-written.
"""

from __future__ import annotations

import asyncio
import csv
import json
import math
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from resolution.calibration import CALIBRATED, COLUMNS, probability
from subgraphs.disdukcapil import tables as t

LABEL_KINDS: Final = ("LINK", "NOT_THIS_PERSON")
OUTPUT_COLUMNS: Final = (*COLUMNS, "decision_id", "decided_at")
# The stored score is the match weight's probability, and the explanation's lines add up to the
# match weight (both as the model computed them, kept as JSON numbers: exact); the tolerances
# only absorb the order of a float sum.
_SCORE_TOLERANCE: Final = 1e-9
_WEIGHT_TOLERANCE: Final = 1e-6  # bits
_IDS_SHOWN: Final = 20  # unrecoverable decisions' ids listed, at most

_d = t.identity_decision


class ExportError(Exception):
    """The export cannot run: a bad argument, an unreadable database, an unwritable file."""


class Unrecoverable(ValueError):
    """A decision's raw score cannot be recovered: the message says why."""


@dataclass(frozen=True)
class Label:
    decision_id: int
    model_version: str  # the raw model's
    raw_score: float
    decision: str  # LINK / NOT_THIS_PERSON
    decided_at: datetime

    def row(self) -> tuple[str, str, str, str, str]:
        # repr: the shortest text that reads back as the same float (no precision lost)
        return (
            self.model_version,
            repr(self.raw_score),
            self.decision,
            str(self.decision_id),
            self.decided_at.astimezone(UTC).isoformat(),
        )


@dataclass
class ExportReport:
    model_version: str
    since: date | None = None
    labels: list[Label] = field(default_factory=list)
    undone: int = 0  # LINK / NOT_THIS_PERSON decisions a supervisor undid
    superseded: int = 0  # in force, but an older decision about the same pair than its label
    contradicted: int = 0  # of those, the ones that said otherwise than the latest
    before_since: int = 0
    other_kinds: Counter[str] = field(default_factory=Counter)  # NEW_REGISTRATION, ...
    other_versions: Counter[str] = field(default_factory=Counter)  # raw version -> decisions
    unrecoverable: Counter[str] = field(default_factory=Counter)  # reason -> decisions
    unrecoverable_ids: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        positives = sum(1 for label in self.labels if label.decision == "LINK")
        return {
            "model_version": self.model_version,
            "since": self.since.isoformat() if self.since else None,
            "labels": len(self.labels),
            "LINK": positives,
            "NOT_THIS_PERSON": len(self.labels) - positives,
            "not_exported": {
                "undone": self.undone,
                "superseded_by_a_later_decision": self.superseded,
                "of_which_contradicting_it": self.contradicted,
                "decided_before_since": self.before_since,
                "other_model_versions": dict(sorted(self.other_versions.items())),
                "not_about_a_candidate": dict(sorted(self.other_kinds.items())),
                "unrecoverable": dict(sorted(self.unrecoverable.items())),
            },
        }

    def warnings(self) -> list[str]:
        """What a statistician must know about the labels left out (for stderr)."""
        lines = []
        if self.unrecoverable:
            total = sum(self.unrecoverable.values())
            reasons = "; ".join(f"{n}: {why}" for why, n in sorted(self.unrecoverable.items()))
            ids = ", ".join(map(str, self.unrecoverable_ids[:_IDS_SHOWN]))
            more = " …" if total > _IDS_SHOWN else ""
            lines.append(
                f"{total} decision(s) in force whose raw score cannot be recovered, not exported "
                f"({reasons}); decision ids: {ids}{more}"
            )
        if self.contradicted:
            lines.append(
                f"{self.contradicted} older decision(s) in force contradict a later one about the "
                "same child and person: only the latest is exported"
            )
        if self.other_versions:
            versions = ", ".join(f"{v} ({n})" for v, n in sorted(self.other_versions.items()))
            lines.append(
                f"decisions under other model versions, not exported: {versions} "
                "(--model-version; calibrate fits one raw model's labels only)"
            )
        if len(self.labels) == 0:
            lines.append(f"no labels for model {self.model_version}: the file has its header only")
        return lines


def raw_version_of(model_version: str) -> str:
    """The raw model's version of a (possibly calibrated) version."""
    if CALIBRATED in model_version:
        return model_version.rsplit(CALIBRATED, 1)[0]
    return model_version


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Unrecoverable(f"{what} is not a finite number")
    return float(value)


def recover(score: float | None, explanation: str | None, model_version: str) -> float:
    """The raw (uncalibrated) posterior of a LINK / NOT_THIS_PERSON decision made under
    `model_version`; Unrecoverable saying why not."""
    calibrated = CALIBRATED in model_version
    if score is None:
        raise Unrecoverable("no score recorded (the person was not scored)")
    stored = _number(score, "the stored score")
    if not 0.0 <= stored <= 1.0:
        raise Unrecoverable("the stored score is not in [0, 1]")
    if explanation is None:
        if calibrated:
            raise Unrecoverable("a calibrated score without its explanation")
        return stored  # a model without calibration: its score is the raw posterior
    try:
        kept = json.loads(explanation)
        match_weight = _number(kept["matchWeight"], "matchWeight")
        lines = [
            (e["attribute"], e["level"], _number(e["weight"], "a weight")) for e in kept["evidence"]
        ]
    except (ValueError, KeyError, TypeError):  # JSONDecodeError is a ValueError
        raise Unrecoverable("an explanation that cannot be read") from None
    corrections = [
        w for attribute, level, w in lines if (attribute, level) == ("calibration", "CALIBRATION")
    ]
    if len(corrections) > 1 or bool(corrections) != calibrated:
        raise Unrecoverable("the explanation's calibration line does not fit its model version")
    raw = match_weight - (corrections[0] if corrections else 0.0)
    others = math.fsum(w for attribute, level, w in lines if attribute != "calibration")
    if abs(others - raw) > _WEIGHT_TOLERANCE * max(1.0, abs(raw)):
        raise Unrecoverable("an explanation whose lines do not add up to its match weight")
    if abs(probability(match_weight) - stored) > _SCORE_TOLERANCE:
        raise Unrecoverable("a stored score that is not its explanation's match weight")
    return probability(raw)


async def collect(
    conn: AsyncConnection, model_version: str, since: date | None = None
) -> ExportReport:
    """The labels of raw model `model_version` from the decisions (decided on or after `since`,
    UTC, when given), and what was left out and why."""
    report = ExportReport(model_version, since)
    start = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None
    recent = _d.c.decided_at >= start if start is not None else None

    def where(*conditions: Any) -> Any:
        return and_(*conditions, *((recent,) if recent is not None else ()))

    for kind, n in await conn.execute(
        select(_d.c.kind, func.count())
        .where(where(_d.c.kind.not_in(LABEL_KINDS)))
        .group_by(_d.c.kind)
    ):
        report.other_kinds[kind] = int(n)
    report.undone = int(
        (
            await conn.execute(
                select(func.count()).where(
                    where(_d.c.kind.in_(LABEL_KINDS), _d.c.undone_at.is_not(None))
                )
            )
        ).scalar_one()
    )
    # Every decision in force, a pair's latest first: its label; the pair's older ones after it.
    query = (
        select(
            _d.c.id,
            _d.c.child_id,
            _d.c.nik,
            _d.c.kind,
            _d.c.score,
            _d.c.explanation,
            _d.c.model_version,
            _d.c.decided_at,
        )
        .where(and_(_d.c.kind.in_(LABEL_KINDS), _d.c.undone_at.is_(None)))
        .order_by(_d.c.child_id, _d.c.nik, _d.c.id.desc())
    )
    latest: tuple[str, str] | None = None
    latest_kind = ""
    result = await conn.stream(query)
    async for row in result:
        if row.nik is not None and (row.child_id, row.nik) == latest:
            # An older decision about the pair, still in force: superseded by the latest (which
            # was counted wherever it went: since, version, recovery).
            if start is None or row.decided_at >= start:
                report.superseded += 1
                report.contradicted += row.kind != latest_kind
            continue
        latest, latest_kind = (row.child_id, row.nik), row.kind
        if start is not None and row.decided_at < start:
            report.before_since += 1
            continue
        _label(report, row)
    report.labels.sort(key=lambda label: label.decision_id)
    return report


def _label(report: ExportReport, row: Any) -> None:
    def unrecoverable(reason: str) -> None:
        report.unrecoverable[reason] += 1
        report.unrecoverable_ids.append(int(row.id))

    if not row.model_version:
        return unrecoverable("no model version recorded")
    version = raw_version_of(row.model_version)
    if version != report.model_version:
        report.other_versions[version] += 1
        return None
    if row.nik is None:
        return unrecoverable("no person recorded")
    try:
        raw = recover(row.score, row.explanation, row.model_version)
    except Unrecoverable as why:
        return unrecoverable(str(why))
    report.labels.append(Label(int(row.id), version, raw, row.kind, row.decided_at))
    return None


def write_labels(path: Path, labels: Sequence[Label]) -> None:
    """The label file, written beside `path` and renamed onto it: whole or not at all."""
    folder = path.parent
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, renamed or removed)
            "w", dir=folder, prefix=f".{path.name}.", suffix=".partial", delete=False,
            newline="", encoding="utf-8",
        )  # fmt: skip
    except OSError as error:
        raise ExportError(f"--out: cannot write in {folder}: {error.strerror}") from None
    try:
        with handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(OUTPUT_COLUMNS)
            writer.writerows(label.row() for label in labels)
        os.chmod(handle.name, 0o644 & ~_umask())
        os.replace(handle.name, path)
    except OSError as error:
        Path(handle.name).unlink(missing_ok=True)
        raise ExportError(f"--out: cannot write {path}: {error.strerror}") from None
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def parse_since(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ExportError(f"--since: {text!r} is not a date (YYYY-MM-DD)") from None


def _shown(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an URL that does not parse is reported as one
        return "the database URL"


def _engine(database_url: str) -> AsyncEngine:
    from sqlalchemy.engine import make_url

    from subgraphs.common.database import create_engine

    shown = _shown(database_url)
    try:
        parsed = make_url(database_url)
        if parsed.get_backend_name() == "sqlite":
            # create_engine would make an empty database (and its folder) where there is none
            if not parsed.database or parsed.database == ":memory:":
                raise ExportError(f"--database-url: {shown} is no database file")
            if not Path(parsed.database).is_file():
                raise ExportError(f"--database-url: no database at {parsed.database}")
        return create_engine(database_url)
    except ExportError:
        raise
    except Exception as error:  # a URL SQLAlchemy cannot use (its scheme, its driver)
        raise ExportError(f"--database-url: {shown} cannot be used: {error}") from None


async def _read(engine: AsyncEngine, model_version: str, since: date | None) -> ExportReport:
    try:
        async with engine.connect() as conn:
            return await collect(conn, model_version, since)
    except Exception as error:  # unreachable, refused, not migrated (no identity_decision)
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        shown = engine.url.render_as_string(hide_password=True)
        raise ExportError(f"cannot read the decisions from {shown}: {detail}") from None
    finally:
        await engine.dispose()


def export(
    out: Path, database_url: str, model_version: str | None = None, since: str | None = None
) -> ExportReport:
    """Read the decisions and write the label file; ExportError on bad input."""
    from resolution.model import shipped

    day = parse_since(since)
    if out.is_dir():
        raise ExportError(f"--out: {out} is a folder")
    if not out.parent.is_dir():
        raise ExportError(f"--out: no folder {out.parent}")
    version = raw_version_of(model_version.strip()) if model_version else shipped().raw_version
    if not version:
        raise ExportError("--model-version: blank")
    report = asyncio.run(_read(_engine(database_url), version, day))
    write_labels(out, report.labels)
    return report


def run_export(
    out: Path, database_url: str, model_version: str | None = None, since: str | None = None
) -> int:
    """The command: the label file written to `out`, its summary on stdout, what was left out
    and why on stderr; exit status 2 (a message, no file) on bad input."""
    try:
        report = export(out, database_url, model_version, since)
    except ExportError as error:
        print(f"export-labels: {error}", file=sys.stderr)
        return 2
    for line in report.warnings():
        print(f"export-labels: {line}", file=sys.stderr)
    print(json.dumps({**report.summary(), "written_to": str(out)}, indent=1))
    return 0
