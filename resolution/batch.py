"""Batch matching: registry candidates for every record of a CSV file (`satu-anak identity match`).

Each row becomes a ``ChildRecord`` (blank fields stay unknown: the matcher scores with what it
has) and goes through ``resolution.store.candidates``, the same retrieval and scoring the
officer's screens use. Rows that cannot be read are reported by line and skipped; a record the
matcher fails on is reported and the batch goes on. Large batches are split over worker
processes, each with its own database connection.
"""

from __future__ import annotations

import asyncio
import csv
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from resolution.bulk import Reject, RowError, checked_day, split_line
from resolution.records import ChildRecord
from subgraphs.common.identifiers import InvalidIdentifier, validate_region_code

__all__ = ["RECORD_COLUMNS", "MatchReport", "match_file", "read_records", "run_match"]

RECORD_COLUMNS: Final = (
    "record_id", "name", "nickname", "sex", "birth_date", "age_estimate", "birth_place",
    "region_code", "mother_name", "father_name",
    # optional: the birth_date is an approximation (1/0, true/false, yes/no; blank: as written)
    "birth_date_approximate",
    # optional: the family's address as written ("Jl. Sudirman No. 12, RT 003/RW 002")
    "address",
)  # fmt: skip
_TRUE: Final = frozenset({"1", "true", "yes", "y"})
_FALSE: Final = frozenset({"", "0", "false", "no", "n"})
OUTPUT_COLUMNS: Final = ("record_id", "rank", "nik", "score", "band")
_SEX: Final = {"L": "M", "M": "M", "P": "F", "F": "F"}
_PARALLEL_FROM: Final = 100  # records; fewer are matched in this process
_MAX_TEXT: Final = 200

Candidate = tuple[str, int, str, float, str]  # an output row


class RecordFileError(Exception):
    """The input cannot be matched at all (unreadable, no header, no record_id column)."""


@dataclass
class MatchReport:
    records: int = 0
    matched: int = 0  # records with at least one candidate
    candidates: int = 0
    rejects: list[Reject] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.records} records read, {len(self.rejects)} skipped; "
            f"{self.candidates} candidates for {self.matched} records in {self.seconds:.1f} s"
        )


# --- Reading ---------------------------------------------------------------------------------


def read_records(path: Path, as_of: date) -> tuple[list[tuple[int, ChildRecord]], list[Reject]]:
    """(line, record) for each readable row, and the rejects."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise RecordFileError(f"{path}: not UTF-8 text ({error.reason})") from None
    lines = text.splitlines()
    if not lines:
        raise RecordFileError(f"{path}: empty (a header row is required)")
    try:
        names = [n.strip().lower() for n in split_line(lines[0])]
    except csv.Error as error:
        raise RecordFileError(f"line 1: the header cannot be read: {error}") from None
    if "record_id" not in names:
        raise RecordFileError("line 1: the header lacks record_id")
    index: dict[str, int] = {c: names.index(c) for c in RECORD_COLUMNS if c in names}
    records: list[tuple[int, ChildRecord]] = []
    rejects: list[Reject] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            records.append((number, _record(line, index, len(names), as_of)))
        except RowError as bad:
            rejects.append(Reject(number, bad.field, bad.reason))
    return records, rejects


def _record(line: str, index: dict[str, int], width: int, as_of: date) -> ChildRecord:
    try:
        fields = split_line(line)
    except csv.Error as error:
        raise RowError("csv", f"malformed CSV row: {error}") from None
    if len(fields) != width:
        raise RowError("csv", f"malformed CSV row: {len(fields)} fields, the header has {width}")

    def value(column: str) -> str:
        text = fields[index[column]].strip() if column in index else ""
        if len(text) > _MAX_TEXT:
            raise RowError(column, f"{column} is longer than {_MAX_TEXT} characters")
        return text

    record_id = value("record_id")
    if not record_id:
        raise RowError("record_id", "record_id is blank")
    birth, year = _birth(value("birth_date"), as_of)
    approximate = _approximate(value("birth_date_approximate"), birth)
    return ChildRecord(
        names=tuple(n for n in (value("name"), value("nickname")) if n),
        sex=_sex(value("sex")),
        birth_date=birth,
        birth_date_exact=not approximate,
        birth_year=year,
        age_estimate=_age(value("age_estimate")),
        as_of=as_of,
        birth_places=_some(value("birth_place")),
        region_codes=_some(_region(value("region_code"))),
        mother_names=_some(value("mother_name")),
        father_names=_some(value("father_name")),
        addresses=_some(value("address")),
        record_id=record_id,
    )


def _some(text: str) -> tuple[str, ...]:
    return (text,) if text else ()


def _sex(text: str) -> str | None:
    if not text:
        return None
    sex = _SEX.get(text.upper())
    if sex is None:
        raise RowError("sex", "sex must be L/P, M/F or blank")
    return sex


def _birth(text: str, as_of: date) -> tuple[date | None, int | None]:
    """(date, year): a full date, a year alone, or neither."""
    if not text:
        return None, None
    if len(text) == 4 and text.isascii() and text.isdigit():
        year = int(text)
        if not 1900 <= year <= as_of.year:
            raise RowError("birth_date", f"birth_date year must be between 1900 and {as_of.year}")
        return None, year
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise RowError("birth_date", "birth_date must be YYYY-MM-DD, YYYY or blank")
    birth = checked_day(text, "birth_date", as_of, "birth_date is after --as-of")
    return birth, birth.year


def _approximate(text: str, birth: date | None) -> bool:
    """Whether the row's birth_date is an approximation: the matcher weighs a gap from an
    approximate date as approximations go, from a date written as known as a namesake's."""
    flag = text.lower()
    if flag not in _TRUE | _FALSE:
        raise RowError(
            "birth_date_approximate",
            "birth_date_approximate must be 1/0, true/false, yes/no or blank",
        )
    if flag in _TRUE and birth is None:
        raise RowError(
            "birth_date_approximate", "birth_date_approximate needs a birth_date (YYYY-MM-DD)"
        )
    return flag in _TRUE


def _age(text: str) -> float | None:
    if not text:
        return None
    try:
        age = float(text)
    except ValueError:
        raise RowError("age_estimate", "age_estimate must be a number of years") from None
    if not 0 <= age <= 120:
        raise RowError("age_estimate", "age_estimate must be between 0 and 120")
    return age


def _region(text: str) -> str:
    if not text:
        return ""
    try:
        return validate_region_code(text, "region_code")
    except InvalidIdentifier as error:
        raise RowError("region_code", error.message) from None


# --- Matching --------------------------------------------------------------------------------


async def _match_slice(
    database_url: str, records: Sequence[tuple[int, ChildRecord]], top: int
) -> tuple[list[Candidate], list[Reject]]:
    from resolution.store import candidates
    from subgraphs.common.database import create_engine

    rows: list[Candidate] = []
    failures: list[Reject] = []
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            for line, record in records:
                try:
                    found = await candidates(conn, record, top=top)
                except Exception as error:  # one record's failure must not end the batch
                    failures.append(Reject(line, "matcher", f"{type(error).__name__}: {error}"))
                    await conn.rollback()
                    continue
                assert record.record_id is not None
                rows += [
                    (record.record_id, rank, c.person.nik, c.score, c.band.value)
                    for rank, c in enumerate(found.candidates, start=1)
                ]
    finally:
        await engine.dispose()
    return rows, failures


def _match_in_process(
    job: tuple[str, Sequence[tuple[int, ChildRecord]], int],
) -> tuple[list[Candidate], list[Reject]]:
    return asyncio.run(_match_slice(*job))


def match_records(
    database_url: str, records: Sequence[tuple[int, ChildRecord]], top: int, workers: int
) -> tuple[list[Candidate], list[Reject]]:
    """Candidates for every record, in input order, over ``workers`` processes."""
    if workers <= 1 or len(records) < _PARALLEL_FROM:
        return _match_in_process((database_url, records, top))
    size = -(-len(records) // workers)
    jobs = [(database_url, records[i : i + size], top) for i in range(0, len(records), size)]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        results = pool.map(_match_in_process, jobs)
    rows = [row for part, _ in results for row in part]
    failures = [f for _, part in results for f in part]
    return rows, failures


def match_file(
    source: Path,
    target: Path,
    database_url: str,
    *,
    top: int = 5,
    as_of: date | None = None,
    workers: int | None = None,
) -> MatchReport:
    from subgraphs.common.settings import normalize_database_url

    started = time.perf_counter()
    database_url = normalize_database_url(database_url)
    report = MatchReport()
    records, report.rejects = read_records(source, as_of or date.today())
    report.records = len(records) + len(report.rejects)
    rows, failures = match_records(
        database_url, records, top, workers if workers is not None else min(2, os.cpu_count() or 1)
    )
    report.rejects = sorted(report.rejects + failures)
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(OUTPUT_COLUMNS)
        writer.writerows(
            (rid, rank, nik, f"{score:.4f}", band) for rid, rank, nik, score, band in rows
        )
    report.candidates = len(rows)
    report.matched = len({row[0] for row in rows})
    report.seconds = time.perf_counter() - started
    return report


def run_match(
    source: Path,
    target: Path,
    database_url: str,
    *,
    top: int = 5,
    as_of: str | None = None,
    workers: int | None = None,
) -> int:
    """The command: candidates written to ``target``; bad rows on stderr; exit status."""
    if top < 1:
        print("match: --top must be at least 1", file=sys.stderr)
        return 2
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        print("match: --as-of must be YYYY-MM-DD", file=sys.stderr)
        return 2
    try:
        report = match_file(source, target, database_url, top=top, as_of=day, workers=workers)
    except (RecordFileError, OSError) as error:
        print(f"match: {error}", file=sys.stderr)
        return 2
    for reject in report.rejects:
        print(f"line {reject.line}: {reject.field}: {reject.reason}", file=sys.stderr)
    print(report.summary())
    return 0
