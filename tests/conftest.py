"""Shared fixtures: a real database per subgraph (SQLite always, PostgreSQL when reachable) and clients."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.requests import Request

from subgraphs.common.database import Database
from subgraphs.common.identity import Identity
from subgraphs.common.migrations import upgrade
from subgraphs.common.service import SubgraphSpec, create_app
from subgraphs.common.settings import SubgraphSettings

POSTGRES_URL = os.environ.get(
    "SATU_ANAK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
# CI sets this so an unreachable PostgreSQL fails the run instead of skipping its tests.
REQUIRE_POSTGRES = os.environ.get("SATU_ANAK_REQUIRE_POSTGRES") == "1"


def _postgres_reachable() -> bool:
    async def probe() -> bool:
        import asyncpg

        try:
            conn = await asyncpg.connect(POSTGRES_URL.replace("+asyncpg", ""), timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    # In a thread of its own: callers may already be inside an event loop (async tests).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(probe())).result()


_reachable: bool | None = None


def postgres_available() -> bool:
    global _reachable
    if _reachable is None:
        _reachable = _postgres_reachable()
        if REQUIRE_POSTGRES and not _reachable:
            pytest.exit(f"PostgreSQL required but unreachable at {POSTGRES_URL}", returncode=3)
    return _reachable


def postgres_database_url(name: str) -> str:
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}"


async def recreate_postgres_database(name: str) -> str:
    """Drop and create `name` through the admin database; returns its URL."""
    import asyncpg

    admin = await asyncpg.connect(POSTGRES_URL.replace("+asyncpg", ""))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return postgres_database_url(name)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres" and not postgres_available():
        pytest.skip("PostgreSQL not reachable (set SATU_ANAK_TEST_POSTGRES_URL)")
    return str(request.param)


# PostgreSQL databases are created and migrated once per session, then truncated per test.
_migrated_postgres: dict[str, str] = {}


async def _fresh_postgres(spec: SubgraphSpec, worker: str) -> Database:
    # The process id keeps concurrent test runs on one server out of each other's databases.
    name = f"satu_anak_test_{spec.name}_{os.getpid()}{worker}"
    if name not in _migrated_postgres:
        url = await recreate_postgres_database(name)
        db = Database(url)
        await upgrade(spec.package, db.engine)
        _migrated_postgres[name] = url
        return db
    db = Database(_migrated_postgres[name])
    tables = ", ".join(f'"{t.name}"' for t in spec.metadata.sorted_tables)
    async with db.transaction() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return db


MakeDatabase = Callable[[SubgraphSpec], Awaitable[Database]]


@pytest.fixture
async def make_database(backend: str, tmp_path: Any) -> AsyncIterator[MakeDatabase]:
    """Factory: an empty, migrated database for a subgraph on the test's backend."""
    created: list[Database] = []

    async def make(spec: SubgraphSpec) -> Database:
        if backend == "postgres":
            db = await _fresh_postgres(spec, "")
        else:
            db = Database(f"sqlite+aiosqlite:///{tmp_path / f'{spec.name}.db'}")
            await upgrade(spec.package, db.engine)
        created.append(db)
        return db

    yield make
    for db in created:
        await db.dispose()


# How the in-process test client tells a subgraph who asks: the identity as JSON in a header that
# only the test harness's `identify` hook reads (services never read it). One place to change when
# the harness signs real gateway grants instead.
TEST_IDENTITY_HEADER = "x-test-identity"


def identity_from_test_header(request: Request) -> Identity | None:
    raw = request.headers.get(TEST_IDENTITY_HEADER)
    if raw is None:
        return None
    fields = json.loads(raw)
    fields["regions"] = tuple(fields["regions"])
    fields["categories"] = frozenset(fields["categories"])
    return Identity(**fields)


def identity_headers(identity: Identity | None) -> dict[str, str]:
    if identity is None:
        return {}
    fields = dataclasses.asdict(identity)
    fields["regions"] = list(identity.regions)
    fields["categories"] = sorted(identity.categories)
    return {TEST_IDENTITY_HEADER: json.dumps(fields)}


class GraphQLClient:
    """A client for one subgraph app, in process (ASGI), as the gateway would call it."""

    def __init__(
        self, http: httpx.AsyncClient, db: Database, identity: Identity | None = None
    ) -> None:
        self.http = http
        self.db = db
        self.identity = identity

    def acting(self, identity: Identity | None) -> GraphQLClient:
        """The same subgraph and database, asked by `identity` (None: by nobody)."""
        return GraphQLClient(self.http, self.db, identity)

    async def execute(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=identity_headers(self.identity),
        )
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """Execute and insist on no errors: for the happy paths."""
        body = await self.execute(query, **variables)
        assert "errors" not in body, body.get("errors")
        data: dict[str, Any] = body["data"]
        return data

    async def error_codes(self, query: str, **variables: Any) -> list[str]:
        body = await self.execute(query, **variables)
        return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


MakeClient = Callable[[SubgraphSpec], Awaitable[GraphQLClient]]


@pytest.fixture
async def make_client(make_database: MakeDatabase) -> AsyncIterator[MakeClient]:
    """Factory: a client for a subgraph over a fresh database (see make_database)."""
    clients: list[httpx.AsyncClient] = []

    async def make(spec: SubgraphSpec) -> GraphQLClient:
        db = await make_database(spec)
        app = create_app(spec, SubgraphSettings(spec.name, db.url), db, identity_from_test_header)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        clients.append(http)
        return GraphQLClient(http, db)

    yield make
    for http in clients:
        await http.aclose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the per-process PostgreSQL test databases this run created."""
    if not _migrated_postgres:
        return

    async def drop() -> None:
        import asyncpg

        admin = await asyncpg.connect(POSTGRES_URL.replace("+asyncpg", ""))
        try:
            for name in _migrated_postgres:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(drop())
