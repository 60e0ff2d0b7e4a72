"""Every subgraph's migrations build, from an empty database, exactly the schema its tables declare."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata, render_python_code
from alembic.migration import MigrationContext
from alembic.operations import ops
from sqlalchemy import Column, inspect

from subgraphs import SUBGRAPH_NAMES, load_spec
from subgraphs.common.migrations import render_item
from subgraphs.common.tables import UtcDateTime

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
async def test_migrations_from_empty_match_the_tables(make_database: Any, name: str) -> None:
    spec = load_spec(name)
    db = await make_database(spec)

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, spec.metadata))

    def table_names(connection: Any) -> set[str]:
        return set(inspect(connection).get_table_names())

    async with db.connect() as conn:
        assert await conn.run_sync(differences) == []
        tables = await conn.run_sync(table_names)
    assert {t.name for t in spec.metadata.sorted_tables} <= tables


def test_autogenerate_writes_utc_timestamps_as_plain_sqlalchemy_types() -> None:
    # A migration must not import application code: UtcDateTime is written as what it stores.
    upgrade = ops.UpgradeOps(ops=[ops.AddColumnOp("complaint", Column("seen_at", UtcDateTime()))])
    code = render_python_code(upgrade, render_item=render_item)
    assert "sa.DateTime(timezone=True)" in code
    assert "UtcDateTime" not in code and "subgraphs" not in code


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
async def test_health_reports_the_database(make_client: Any, name: str) -> None:
    client = await make_client(load_spec(name))
    response = await client.http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "subgraph": name}


async def test_health_is_503_when_the_database_is_unreachable(tmp_path: Any) -> None:
    import httpx

    from subgraphs.common.database import Database
    from subgraphs.common.service import create_app
    from subgraphs.common.settings import SubgraphSettings

    spec = load_spec("disdukcapil")
    # Port 1 on loopback refuses connections: the database is down.
    db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_app(spec, SubgraphSettings(spec.name, db.url), db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        response = await http.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    await db.dispose()
