"""`satu-anak identity import-registry` and `identity match` on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import drop_postgres_database, postgres_available, recreate_postgres_database
from sqlalchemy import text

from resolution.batch import read_records
from resolution.blocking import registry_keys
from resolution.bulk import RegistryFileError, Reject, import_registry
from resolution.names import normalize_name
from satu_anak.cli import main
from subgraphs.common.database import create_engine
from subgraphs.common.identifiers import make_kk, make_nik

ROOT = Path(__file__).resolve().parents[2]
HEADER = "nik,full_name,sex,birth_date,birth_place,region_code,kk_number,mother_name,father_name"
TODAY = date(2026, 11, 1)
KK = make_kk("14.71.06", date(2015, 3, 9), 1)
KK2 = make_kk("13.71.01", date(2019, 7, 1), 2)


def nik(birth: date, sex: str, serial: int = 1, kecamatan: str = "14.71.06") -> str:
    return make_nik(kecamatan, birth, sex, serial)


FATHER = nik(date(1980, 5, 17), "M")
MOTHER = nik(date(1984, 2, 29), "F")
CHILD = nik(date(2016, 8, 3), "M")


def family_rows() -> list[str]:
    """A father (HEAD), a mother and a child of one KK, with old spelling in the names."""
    return [
        f"{FATHER},Djoko Santoso,L,1980-05-17,Pekanbaru,14.71.06.1003,{KK},Sitti Aminah,",
        f'{MOTHER},"Siti Nurhaliza",P,1984-02-29,Padang,14.71.06.1003,{KK},Rosmah,Ahmad',
        f"{CHILD},Muhammad Rizki,L,2016-08-03,Pekanbaru,14.71.06.1003,{KK},Siti Nurhaliza,Djoko Santoso",
    ]


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty Disdukcapil database (the import migrates it)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'disdukcapil.db'}"
        return
    # A test parametrized on "postgres" alone does not run the backend fixture's check.
    if not postgres_available():
        pytest.skip("PostgreSQL not reachable (set SATU_ANAK_TEST_POSTGRES_URL)")
    name = f"satu_anak_test_bulk_{os.getpid()}"
    yield asyncio.run(recreate_postgres_database(name))
    asyncio.run(drop_postgres_database(name))


def fetch(url: str, sql: str) -> list[tuple[Any, ...]]:
    async def run() -> list[tuple[Any, ...]]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return [tuple(r) for r in (await conn.execute(text(sql))).all()]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def execute(url: str, sql: str) -> None:
    async def run() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run())


def write(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def load(path: Path, url: str, **options: Any) -> Any:
    return asyncio.run(import_registry(path, url, today=TODAY, **options))


def test_a_good_file_loads_with_names_keys_and_families(database_url: str, tmp_path: Path) -> None:
    # Columns in another order, an unknown column (agama) ignored, relationship read.
    header = "agama,full_name,nik,sex,birth_date,birth_place,region_code,kk_number,mother_name,father_name,relationship"
    lines = []
    for line, relationship in zip(family_rows(), ("HEAD", "SPOUSE", "CHILD"), strict=True):
        fields = next(csv.reader([line]))
        lines.append(",".join(["Islam", fields[1], fields[0], *fields[2:], relationship.lower()]))
    report = load(write(tmp_path / "registry.csv", lines, header), database_url)

    assert (report.rows_read, report.loaded, report.rejects) == (3, 3, [])
    assert report.families_created == 1
    rows = fetch(
        database_url,
        "SELECT nik, full_name, normalized_name, sex, birth_date, relationship, region_code, "
        "kk_number, mother_name, father_name, name_key, name_key2, mother_key, birth_year "
        "FROM person ORDER BY id",
    )
    assert [r[0] for r in rows] == [FATHER, MOTHER, CHILD]
    for row in rows:
        keys = registry_keys(row[1], row[8], date.fromisoformat(str(row[4])))
        assert row[2] == normalize_name(row[1])
        assert tuple(row[10:]) == tuple(keys)
    assert rows[0][3] == "M" and rows[1][3] == "F"
    assert [r[5] for r in rows] == ["HEAD", "SPOUSE", "CHILD"]
    assert rows[0][9] is None  # a blank father's name is unknown, not ""
    families = fetch(
        database_url, "SELECT kk_number, head_name, region_code, issued_on FROM family"
    )
    assert [(f[0], f[1], f[2], str(f[3])) for f in families] == [
        (KK, "Djoko Santoso", "14.71.06.1003", "2015-03-09")
    ]


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_an_import_leaves_postgresql_able_to_answer_from_the_indexes_alone(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    # Retrieval reads the covering key indexes alone only on pages the visibility map marks
    # all-visible; a COPY leaves none marked until a VACUUM. The rebuilt indexes keep INCLUDE.
    # PostgreSQL only (SQLite has no visibility map): no SQLite case to skip.
    load(write(tmp_path / "registry.csv", family_rows()), database_url)
    [(pages, visible)] = fetch(
        database_url, "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'person'"
    )
    assert pages > 0 and visible == pages
    [(definition,)] = fetch(
        database_url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_person_name_key_year'"
    )
    assert definition.endswith("(name_key, birth_year, region_code, sex, held) INCLUDE (id)")


def test_an_imported_person_whose_nik_a_child_holds_is_marked_held(
    database_url: str, tmp_path: Path
) -> None:
    # The triggers on child mark a person when a child gains its NIK; a person imported after
    # the child already held its NIK is the import's to mark (retrieval cuts held persons first
    # for the other index children).
    rows = family_rows()
    load(write(tmp_path / "first.csv", rows[:1]), database_url)
    execute(
        database_url,
        "INSERT INTO child (id, nik, full_name, normalized_name, sex, region_code, "
        "birth_date_approximate, kia_status, registered_by, registered_at) VALUES "
        f"('ANK000000001', '{CHILD}', 'Rizki', 'rizki', 'M', '14.71.06.1003', FALSE, 'NONE', "
        "'PKH', '2026-01-01 00:00:00+00')",
    )
    report = load(write(tmp_path / "rest.csv", rows[1:]), database_url)
    assert (report.loaded, report.held) == (2, 1)
    assert "1 loaded people's NIKs are held by index children already" in report.summary()
    held = fetch(database_url, "SELECT nik, held FROM person ORDER BY nik")
    assert {n: bool(h) for n, h in held} == {FATHER: False, MOTHER: False, CHILD: True}


def test_without_relationship_the_oldest_member_heads_the_new_family(
    database_url: str, tmp_path: Path
) -> None:
    rows = family_rows()
    load(write(tmp_path / "registry.csv", [rows[2], rows[1], rows[0]]), database_url)
    assert fetch(database_url, "SELECT head_name FROM family") == [("Djoko Santoso",)]
    assert {r[0] for r in fetch(database_url, "SELECT relationship FROM person")} == {"UNKNOWN"}


BAD_ROWS: list[tuple[str, str, str]] = [
    # (row, field, words of the reason)
    (f"{CHILD},Short Row,L,2016-08-03,Pekanbaru", "csv", "5 fields, the header has 9"),
    (f'{CHILD},"Bad "quote,L,2016-08-03,X,14.71.06.1003,{KK},,', "csv", "malformed CSV row"),
    (f"99{CHILD[2:]},Nik Province,L,2016-08-03,X,14.71.06.1003,{KK},,", "nik", "province"),
    (f"{CHILD[:-1]},Nik Short,L,2016-08-03,X,14.71.06.1003,{KK},,", "nik", "16 digits"),
    (f"{CHILD},Nik Date,L,2016-08-04,X,14.71.06.1003,{KK},,", "nik", "disagrees with birth_date"),
    (f"{CHILD},Nik Sex,P,2016-08-03,X,14.71.06.1003,{KK},,", "nik", "disagrees with sex"),
    (f"{CHILD},Sex,X,2016-08-03,X,14.71.06.1003,{KK},,", "sex", "L or P"),
    (f"{CHILD},Feb,L,2023-02-30,X,14.71.06.1003,{KK},,", "birth_date", "not a real date"),
    (f"{CHILD},Format,L,03-08-2016,X,14.71.06.1003,{KK},,", "birth_date", "YYYY-MM-DD"),
    (f"{CHILD},Future,L,2027-08-03,X,14.71.06.1003,{KK},,", "birth_date", "in the future"),
    (f"{CHILD},Region,L,2016-08-03,X,99.71.06.1003,{KK},,", "region_code", "province"),
    (f"{CHILD},Kabupaten,L,2016-08-03,X,14.71,{KK},,", "region_code", "desa code"),
    (f"{CHILD},Garbled,L,2016-08-03,X,14.7x.06.1003,{KK},,", "region_code", "PP.KK.CC.DDDD"),
    (f"{CHILD},KK,L,2016-08-03,X,14.71.06.1003,{KK[:15]},,", "kk_number", "16 digits"),
    (f"{CHILD}, ,L,2016-08-03,X,14.71.06.1003,{KK},,", "full_name", "blank"),
    (f"{CHILD},{'N' * 121},L,2016-08-03,X,14.71.06.1003,{KK},,", "full_name", "longer than 120"),
]


def test_each_kind_of_bad_row_is_reported_by_its_line_and_skipped(
    database_url: str, tmp_path: Path
) -> None:
    good = family_rows()
    lines = [good[0], *(row for row, _, _ in BAD_ROWS), good[1], good[2], good[2]]
    report = load(write(tmp_path / "registry.csv", lines), database_url)

    expected = [(3 + i, f, words) for i, (_, f, words) in enumerate(BAD_ROWS)]
    expected.append((len(lines) + 1, "duplicate", "repeats"))  # the child's second line
    assert [(r.line, r.field) for r in report.rejects] == [(n, f) for n, f, _ in expected]
    for reject, (_, _, words) in zip(report.rejects, expected, strict=True):
        assert words in reject.reason, reject
    assert (report.rows_read, report.loaded) == (len(lines), 3)
    assert report.rejected["csv"] == 2
    assert sorted(r[0] for r in fetch(database_url, "SELECT nik FROM person")) == sorted(
        [FATHER, MOTHER, CHILD]
    )


def test_lines_that_are_not_text_are_reported_and_the_rest_loads(
    database_url: str, tmp_path: Path
) -> None:
    rows = family_rows()
    path = tmp_path / "registry.csv"
    path.write_bytes(
        b"\n".join([
            HEADER.encode(), rows[0].encode(), rows[1].encode("utf-8").replace(b"Siti", b"S\xffti"),
            rows[2].replace("Pekanbaru", "Pekan\x00baru").encode(), b"", b"\r",
        ]) + b"\r\n"
    )  # fmt: skip
    report = load(path, database_url)
    assert [(r.line, r.field) for r in report.rejects] == [(3, "csv"), (4, "csv")]
    assert all("not UTF-8 text" in r.reason for r in report.rejects)
    assert (report.rows_read, report.loaded) == (3, 1)


def test_a_nik_already_in_the_registry_is_rejected_and_its_kk_reused(
    database_url: str, tmp_path: Path
) -> None:
    rows = family_rows()
    load(write(tmp_path / "first.csv", rows[:2]), database_url)
    sibling = nik(date(2019, 1, 12), "F")
    second = [
        rows[1],
        f"{sibling},Nur Aisyah,P,2019-01-12,Pekanbaru,14.71.06.1003,{KK},Siti Nurhaliza,Djoko",
    ]
    report = load(write(tmp_path / "second.csv", second), database_url)
    assert report.rejects == [Reject(2, "duplicate", "NIK already in the registry")]
    assert (report.loaded, report.families_created) == (1, 0)
    assert fetch(database_url, "SELECT count(*) FROM family") == [(1,)]
    assert fetch(database_url, "SELECT count(*) FROM person") == [(3,)]


def test_a_file_without_the_required_columns_is_refused_whole(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "registry.csv", family_rows(), HEADER.replace(",kk_number", ",kk"))
    with pytest.raises(RegistryFileError, match="lacks kk_number"):
        load(path, database_url)
    code = main(["identity", "import-registry", str(path), "--database-url", database_url])
    assert code == 2
    assert "the header lacks kk_number" in capsys.readouterr().err


def test_a_failure_midway_leaves_the_registry_as_it_was(database_url: str, tmp_path: Path) -> None:
    rows = family_rows()
    load(write(tmp_path / "first.csv", rows[:1]), database_url)
    many = tmp_path / "many.csv"
    _generated_registry(many, 40_000)

    def fail(_written: int) -> None:
        raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="disk is full"):
        load(many, database_url, progress=fail, workers=2)
    assert fetch(database_url, "SELECT count(*) FROM person") == [(1,)]
    assert fetch(database_url, "SELECT count(*) FROM family") == [(1,)]
    # ... and the indexes dropped for the load are back.
    assert load(write(tmp_path / "again.csv", rows[1:]), database_url).loaded == 2
    assert _person_indexes(database_url) >= 8


@pytest.mark.slow
def test_a_killed_import_leaves_the_registry_as_it_was(database_url: str, tmp_path: Path) -> None:
    load(write(tmp_path / "first.csv", family_rows()), database_url)
    many = tmp_path / "many.csv"
    _generated_registry(many, 250_000)
    process = subprocess.Popen(
        [sys.executable, "-m", "satu_anak.cli", "identity", "import-registry", str(many),
         "--database-url", database_url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stderr is not None
    for line in process.stderr:  # the first rows are in the transaction: kill it there
        if "rows written" in line:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    time.sleep(0.2)  # PostgreSQL notices the dropped connection and aborts the transaction
    assert fetch(database_url, "SELECT count(*) FROM person") == [(3,)]
    assert fetch(database_url, "SELECT count(*) FROM family") == [(1,)]
    assert _person_indexes(database_url) >= 8


def _generated_registry(path: Path, people: int) -> None:
    subprocess.run(
        [sys.executable, "-m", "bench.identity.make_registry", "--people", str(people),
         "--out", str(path), "--workers", "1"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True,
    )  # fmt: skip


def _person_indexes(url: str) -> int:
    if url.startswith("sqlite"):
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'person'"
    else:
        sql = "SELECT count(*) FROM pg_indexes WHERE tablename = 'person'"
    count: int = fetch(url, sql)[0][0]
    return count


def test_the_command_reports_rejects_on_stderr_and_in_a_file(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = family_rows()
    path = write(tmp_path / "registry.csv", [rows[0], BAD_ROWS[6][0], rows[1]])
    rejects = tmp_path / "rejects.csv"
    code = main(
        ["identity", "import-registry", str(path), "--database-url", database_url,
         "--rejects", str(rejects)]
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0
    assert "line 3: sex: sex must be L or P" in out.err
    assert "read 3 rows, loaded 2, rejected 1" in out.out
    assert list(csv.reader(rejects.open())) == [
        ["line", "field", "reason"],
        ["3", "sex", "sex must be L or P"],
    ]


# --- identity match ----------------------------------------------------------------------


RECORD_HEADER = "record_id,name,nickname,sex,birth_date,age_estimate,birth_place,region_code,mother_name,father_name"


def test_match_writes_ranked_candidates_and_reports_bad_rows(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    load(write(tmp_path / "registry.csv", family_rows()), database_url)
    records = write(
        tmp_path / "records.csv",
        [
            "R1,Muhammad Rizki,Iki,L,2016-08-03,,Pekanbaru,14.71.06.1003,Siti Nurhaliza,Djoko",
            "R2,Muhammad Rizki,,,,,,,,",  # blank fields: matched on what there is
            "R3,Muhammad Rizki,,M,2016,,,14.71,,",  # a year and a kabupaten
            "R4,Muhammad Rizki,,X,,,,,,",  # bad sex
            "R5,Muhammad Rizki,,L,2016-02-30,,,,,",  # impossible date
            "R6,Muhammad Rizki,,L,,,,99.01,,",  # no such province
            "R7,Muhammad Rizki,,L,,many,,,,",  # age not a number
            "R8,too,few",  # malformed row
            ",Muhammad Rizki,,L,,,,,,",  # no record id
            "R9,Muhammad Rizki,,L,,9,,,,",  # an age estimate at --as-of
        ],
        RECORD_HEADER,
    )
    out = tmp_path / "candidates.csv"
    code = main(
        ["identity", "match", "--in", str(records), "--out", str(out), "--top", "3",
         "--as-of", "2026-11-01", "--database-url", database_url]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0
    for line, field in ((5, "sex"), (6, "birth_date"), (7, "region_code"), (8, "age_estimate"),
                        (9, "csv"), (10, "record_id")):  # fmt: skip
        assert f"line {line}: {field}:" in err
    rows = list(csv.DictReader(out.open()))
    assert set(rows[0]) == {"record_id", "rank", "nik", "score", "band"}
    assert {r["record_id"] for r in rows} <= {"R1", "R2", "R3", "R9"}
    best = {r["record_id"]: r["nik"] for r in rows if r["rank"] == "1"}
    assert best["R1"] == CHILD
    for row in rows:
        assert 0.0 <= float(row["score"]) <= 1.0
        assert row["band"] in {"AUTO_SUGGEST", "REVIEW", "UNLIKELY"}
        assert 1 <= int(row["rank"]) <= 3


def test_match_reads_whether_a_birth_date_is_approximate(tmp_path: Path) -> None:
    path = write(
        tmp_path / "records.csv",
        [
            "A,Rizki,,L,2016-08-03,,,,,,1",
            "B,Rizki,,L,2016-08-03,,,,,,",  # blank: the date as written
            "C,Rizki,,L,2016-08-03,,,,,,False",
            "D,Rizki,,L,2016,,,,,,yes",  # a year alone is no date to approximate
            "E,Rizki,,L,2016-08-03,,,,,,maybe",
        ],
        RECORD_HEADER + ",birth_date_approximate",
    )
    records, rejects = read_records(path, date(2026, 11, 1))
    exact = {r.record_id: r.birth_date_exact for _, r in records}
    assert exact == {"A": False, "B": True, "C": True}
    assert [(r.line, r.field) for r in rejects] == [
        (5, "birth_date_approximate"),
        (6, "birth_date_approximate"),
    ]
    # Without the column every date is as written.
    plain = write(tmp_path / "plain.csv", ["A,Rizki,,L,2016-08-03,,,,,"], RECORD_HEADER)
    assert [r.birth_date_exact for _, r in read_records(plain, date(2026, 11, 1))[0]] == [True]


def test_match_reads_the_familys_address_when_given(tmp_path: Path) -> None:
    path = write(
        tmp_path / "records.csv",
        ['A,Rizki,,L,2016,,,,,,"Jl. Sudirman No. 12, RT 003/RW 002"', "B,Rizki,,L,2016,,,,,,"],
        RECORD_HEADER + ",address",
    )
    records, rejects = read_records(path, date(2026, 11, 1))
    assert rejects == []
    assert {r.record_id: r.addresses for _, r in records} == {
        "A": ("Jl. Sudirman No. 12, RT 003/RW 002",),
        "B": (),
    }
    too_long = write(
        tmp_path / "long.csv", ["A,Rizki,,,,,,,,," + "x" * 201], RECORD_HEADER + ",address"
    )
    assert [(r.line, r.field) for r in read_records(too_long, date(2026, 11, 1))[1]] == [
        (2, "address")
    ]


def test_match_splits_a_large_batch_over_processes_in_input_order(
    database_url: str, tmp_path: Path
) -> None:
    load(write(tmp_path / "registry.csv", family_rows()), database_url)
    lines = [
        f"R{i:03d},Muhammad Rizki,,L,2016-08-03,,,14.71.06.1003,Siti Nurhaliza," for i in range(150)
    ]
    records = write(tmp_path / "records.csv", lines, RECORD_HEADER)
    out = tmp_path / "candidates.csv"
    code = main(
        ["identity", "match", "--in", str(records), "--out", str(out), "--workers", "2",
         "--database-url", database_url]
    )  # fmt: skip
    assert code == 0
    firsts = [r for r in csv.DictReader(out.open()) if r["rank"] == "1"]
    assert [r["record_id"] for r in firsts] == [f"R{i:03d}" for i in range(150)]
    assert {r["nik"] for r in firsts} == {CHILD}


def test_match_refuses_a_file_without_record_ids(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = write(tmp_path / "records.csv", ["Muhammad Rizki"], "name")
    code = main(
        ["identity", "match", "--in", str(records), "--out", str(tmp_path / "c.csv"),
         "--database-url", database_url]
    )  # fmt: skip
    assert code == 2
    assert "lacks record_id" in capsys.readouterr().err


# --- identity train ----------------------------------------------------------------------


def test_train_passes_its_arguments_to_the_matchers_training(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import types

    received: list[list[str]] = []
    fake = types.ModuleType("resolution.train")
    fake.main = lambda argv: received.append(argv) or 3  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "resolution.train", fake)
    assert main(["identity", "train", "--children", "500", "--out", "w.json"]) == 3
    assert received == [["--children", "500", "--out", "w.json"]]
