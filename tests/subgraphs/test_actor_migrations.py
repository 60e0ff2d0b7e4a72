"""Revision 0002 of Balai and Dinsos on a database holding data: recorded names become staff ids
where the records allow it, and the downgrade gives the names back."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from conftest import drop_postgres_database, recreate_postgres_database
from sqlalchemy import text

from subgraphs.balai.service import SPEC as BALAI
from subgraphs.common.database import Database
from subgraphs.common.migrations import alembic_config, upgrade
from subgraphs.common.service import SubgraphSpec
from subgraphs.dinsos.service import SPEC as DINSOS

pytestmark = pytest.mark.anyio

AT = datetime(2025, 3, 1, 8, tzinfo=UTC)


@contextlib.asynccontextmanager
async def _at_0001(spec: SubgraphSpec, backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A database of its own at revision 0001; on PostgreSQL dropped again when the test ends
    (each run used to leave two databases behind)."""
    name = f"satu_anak_test_0002_{spec.name}_{os.getpid()}"
    if backend == "postgres":
        url = await recreate_postgres_database(name)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / f'{spec.name}.db'}"
    db = Database(url)
    try:
        await upgrade(spec.package, db.engine, "0001")
        yield db
    finally:
        await db.dispose()
        if backend == "postgres":
            await drop_postgres_database(name)


async def _downgrade(spec: SubgraphSpec, db: Database, revision: str) -> None:
    def run(connection: Any) -> None:
        command.downgrade(alembic_config(spec.package, db.url, connection), revision)

    async with db.transaction() as conn:
        await conn.run_sync(run)


async def _rows(db: Database, sql: str) -> list[tuple[Any, ...]]:
    async with db.connect() as conn:
        return [tuple(row) for row in await conn.execute(text(sql))]


async def test_balai_names_become_caseworker_ids(backend: str, tmp_path: Path) -> None:
    async with _at_0001(BALAI, backend, tmp_path) as db:
        async with db.transaction() as conn:
            await conn.execute(
                text(
                    "INSERT INTO balai (code, name, city, region_code, provinces_served, phone) "
                    "VALUES ('RUMBAI', 'Rumbai', 'Pekanbaru', '14.71', '14', '0761'), "
                    "('ALYATAMA', 'Alyatama', 'Jambi', '15.71', '15', '0741')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO caseworker (id, name, balai_code, is_supervisor) VALUES "
                    "(1, 'Rina Marlina', 'RUMBAI', false), (2, 'Sari Dewi', 'RUMBAI', true), "
                    "(3, 'Sari Dewi', 'ALYATAMA', false)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO atensi_case (id, case_number, child_id, balai_code, caseworker_id,"
                    " ampk_category, stage, opened_on) VALUES (1, 'RUMBAI/2025/000001',"
                    " 'ANK000000001', 'RUMBAI', 1, 'EMERGENCY', 'ASSESSMENT', :on)"
                ),
                {"on": date(2025, 3, 1)},
            )
            await conn.execute(
                text(
                    'INSERT INTO stage_event (id, case_id, stage, entered_at, "by") VALUES '
                    "(1, 1, 'INTAKE', :at, 'Sari Dewi'), (2, 1, 'ASSESSMENT', :at, 'Someone')"
                ),
                {"at": AT},
            )
            await conn.execute(
                text(
                    "INSERT INTO assessment (id, case_id, assessed_on, assessor, risk_level,"
                    " summary) VALUES (1, 1, :on, 'Rina Marlina', 'LOW', 'S')"
                ),
                {"on": date(2025, 3, 2)},
            )
        await upgrade(BALAI.package, db.engine)
        # Sari Dewi of RUMBAI (not her namesake at ALYATAMA); an unknown name: the assignee.
        assert await _rows(db, "SELECT id, by_id FROM stage_event ORDER BY id") == [(1, 2), (2, 1)]
        assert await _rows(db, "SELECT assessor_id FROM assessment") == [(1,)]
        await _downgrade(BALAI, db, "0001")
        assert await _rows(db, 'SELECT "by" FROM stage_event ORDER BY id') == [
            ("Sari Dewi",),
            ("Rina Marlina",),
        ]
        assert await _rows(db, "SELECT assessor FROM assessment") == [("Rina Marlina",)]


async def test_dinsos_responses_keep_what_they_recorded(backend: str, tmp_path: Path) -> None:
    async with _at_0001(DINSOS, backend, tmp_path) as db:
        async with db.transaction() as conn:
            await conn.execute(
                text(
                    "INSERT INTO complaint (id, child_id, channel, received_at, region_code,"
                    " problem_category, summary, status) VALUES (1, 'ANK000000001', 'PKSAI', :at,"
                    " '14.71.02.1001', 'EMERGENCY', 'S', 'IN_RESPONSE')"
                ),
                {"at": AT},
            )
            await conn.execute(
                text(
                    "INSERT INTO case_response (id, complaint_id, social_worker, responded_at,"
                    " action) VALUES (1, 1, 'Rahmat Hidayat', :at, 'HOME_VISIT')"
                ),
                {"at": AT},
            )
        await upgrade(DINSOS.package, db.engine)
        assert await _rows(db, "SELECT social_worker_id FROM case_response") == [
            ("Rahmat Hidayat",)
        ]
        await _downgrade(DINSOS, db, "0001")
        assert await _rows(db, "SELECT social_worker FROM case_response") == [("Rahmat Hidayat",)]
