"""Seeding: rows land in every subgraph's database, a seeded database is left alone, ids run on."""

from __future__ import annotations

import csv
import sqlite3
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from conftest import POSTGRES_URL, postgres_available
from sqlalchemy import insert, select

from satu_anak.synthetic.loader import (
    GROUND_TRUTH_COLUMNS,
    GROUND_TRUTH_FILE,
    SUBGRAPHS,
    _migrate,
    seed,
)
from satu_anak.synthetic.stories import STORIES
from satu_anak.synthetic.undocumented import NEGATIVE_KINDS, VARIATION_KINDS
from satu_anak.synthetic.world import COLUMNS
from subgraphs.common.database import Database
from subgraphs.common.migrations import alembic_config
from subgraphs.common.settings import SubgraphSettings, normalize_database_url
from subgraphs.dinsos import tables as dinsos
from subgraphs.pkh import tables as pkh

CHILDREN = 2_000


def sqlite_settings(folder: Path) -> dict[str, SubgraphSettings]:
    return {
        name: SubgraphSettings(name, f"sqlite+aiosqlite:///{folder / f'{name}.db'}")
        for name in SUBGRAPHS
    }


def sqlite_counts(folder: Path) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for name in SUBGRAPHS:
        with sqlite3.connect(folder / f"{name}.db") as conn:
            counts[name] = {
                table: conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                for table in COLUMNS[name]
            }
        conn.close()
    return counts


def sqlite_indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        names = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    conn.close()
    return names


@pytest.mark.anyio
async def test_seed_sqlite_loads_every_table_and_then_leaves_it_alone(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path)
    report = await seed(CHILDREN, 11, settings, ground_truth_dir=tmp_path, chunk_size=700)

    assert not report.skipped and report.seconds > 0
    assert sqlite_counts(tmp_path) == report.counts
    assert report.counts["disdukcapil"]["child"] == CHILDREN
    assert all(n > 0 for tables in report.counts.values() for n in tables.values())
    assert report.total_rows == sum(sum(t.values()) for t in report.counts.values())

    with sqlite3.connect(tmp_path / "disdukcapil.db") as conn:
        ids = {row[0] for row in conn.execute("SELECT id FROM child WHERE id <= 'ANK000000006'")}
        undocumented = {row[0] for row in conn.execute("SELECT id FROM child WHERE nik IS NULL")}
        # Built by the subgraph's migrations (what `up` and the services upgrade from), so the
        # triggers on child marked every person a documented child holds as it loaded.
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        held = {r[0] for r in conn.execute("SELECT nik FROM person WHERE held")}
        holding = {
            r[0] for r in conn.execute("SELECT p.nik FROM person p JOIN child c USING (nik)")
        }
    conn.close()
    assert (
        revision
        == ScriptDirectory.from_config(
            alembic_config("subgraphs.disdukcapil", "sqlite://")
        ).get_current_head()
    )
    assert held == holding and len(held) > CHILDREN / 3
    assert ids == {story.child_id for story in STORIES}
    summary = report.summary()
    assert all(f"{story.child_id}: {story.description}" in summary for story in STORIES)
    assert report.ground_truth_path == tmp_path / GROUND_TRUTH_FILE
    with report.ground_truth_path.open(newline="") as file:
        truth = list(csv.DictReader(file))
    assert {row["child_id"] for row in truth} == undocumented
    assert list(truth[0]) == list(GROUND_TRUTH_COLUMNS)
    assert sum(bool(row["person_id"]) for row in truth) >= 0.6 * len(truth)
    for row in truth:
        kinds = row["variations"].split(";") if row["variations"] else []
        assert set(kinds) <= set(VARIATION_KINDS)
        if row["person_id"]:
            assert (row["negative"], row["confuser_person_id"]) == ("", "")
        else:
            assert row["negative"] in NEGATIVE_KINDS
            assert bool(row["confuser_person_id"]) == (row["negative"] != "unregistered")

    # The secondary indexes dropped for the load are back.
    fresh = tmp_path / "fresh"
    for name in SUBGRAPHS:
        await _migrate(name, f"sqlite+aiosqlite:///{fresh / f'{name}.db'}")
        assert sqlite_indexes(fresh / f"{name}.db") <= sqlite_indexes(tmp_path / f"{name}.db")

    # What the application reads back through SQLAlchemy has the column types it expects.
    db = Database(settings["pkh"].database_url)
    try:
        async with db.transaction() as session:
            verification = (await session.execute(select(pkh.verification).limit(1))).one()
            assert isinstance(verification.recorded_at, datetime)
            assert isinstance(verification.school_attendance_pct, Decimal)
            payment = (await session.execute(select(pkh.payment).limit(1))).one()
            assert isinstance(payment.amount, Decimal) and payment.amount > 0
    finally:
        await db.dispose()

    again = await seed(CHILDREN, 12, settings, ground_truth_dir=tmp_path)
    assert again.skipped and "child index" in again.message and again.total_rows == 0
    assert again.existing_children == report.counts["disdukcapil"]["child"]
    assert sqlite_counts(tmp_path) == report.counts


@pytest.mark.anyio
async def test_seed_without_only_if_empty_replaces_the_data(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path)
    await seed(500, 1, settings, ground_truth_dir=tmp_path)
    with sqlite3.connect(tmp_path / "disdukcapil.db") as conn:
        before = conn.execute("SELECT full_name FROM child WHERE id = 'ANK000000100'").fetchone()
    conn.close()
    report = await seed(500, 2, settings, only_if_empty=False, ground_truth_dir=tmp_path)
    assert not report.skipped
    assert sqlite_counts(tmp_path) == report.counts
    with sqlite3.connect(tmp_path / "disdukcapil.db") as conn:
        after = conn.execute("SELECT full_name FROM child WHERE id = 'ANK000000100'").fetchone()
    conn.close()
    assert before != after


@pytest.mark.postgres
@pytest.mark.anyio
async def test_seed_postgres_copies_rows_and_moves_sequences_on(tmp_path: Path) -> None:
    if not postgres_available():
        pytest.skip("PostgreSQL not reachable (set SATU_ANAK_TEST_POSTGRES_URL)")
    import asyncpg

    assert POSTGRES_URL is not None
    admin_dsn = POSTGRES_URL.replace("+asyncpg", "")
    base = admin_dsn.rsplit("/", 1)[0]
    databases = {name: f"satu_anak_seedtest_{name}" for name in SUBGRAPHS}
    admin = await asyncpg.connect(admin_dsn)
    try:
        for database in databases.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{database}"')
        settings = {
            name: SubgraphSettings(name, normalize_database_url(f"{base}/{database}"))
            for name, database in databases.items()
        }
        report = await seed(CHILDREN, 11, settings, ground_truth_dir=tmp_path, chunk_size=700)
        assert not report.skipped
        assert report.counts["disdukcapil"]["child"] == CHILDREN

        for name, database in databases.items():
            conn = await asyncpg.connect(f"{base}/{database}")
            try:
                for table, expected in report.counts[name].items():
                    assert await conn.fetchval(f'SELECT COUNT(*) FROM "{table}"') == expected
                foreign_keys = await conn.fetchval(
                    "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f'"
                )
                assert foreign_keys > 0
            finally:
                await conn.close()
        conn = await asyncpg.connect(f"{base}/{databases['disdukcapil']}")
        try:
            indexes = {r["indexname"] for r in await conn.fetch("SELECT indexname FROM pg_indexes")}
            assert {"ix_child_normalized_name", "ix_person_kk_number"} <= indexes
            # The triggers on child (migration 0009) marked the persons documented children hold.
            held = {r["nik"] for r in await conn.fetch("SELECT nik FROM person WHERE held")}
            holding = await conn.fetch("SELECT p.nik FROM person p JOIN child c USING (nik)")
            assert held == {r["nik"] for r in holding} and len(held) > CHILDREN / 3
        finally:
            await conn.close()

        # Rows inserted by the application after the seed get fresh ids, not the seeded ones.
        db = Database(settings["dinsos"].database_url)
        try:
            async with db.transaction() as session:
                new_id = (
                    await session.execute(
                        insert(dinsos.lksa)
                        .values(name="LKSA Uji", region_code="14.71", capacity=10)
                        .returning(dinsos.lksa.c.id)
                    )
                ).scalar_one()
        finally:
            await db.dispose()
        assert new_id == report.counts["dinsos"]["lksa"] + 1

        again = await seed(CHILDREN, 12, settings, ground_truth_dir=tmp_path)
        assert again.skipped
    finally:
        for database in databases.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
