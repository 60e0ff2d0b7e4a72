"""Shared fixtures: a real database per subgraph (SQLite always, PostgreSQL when reachable) and clients."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import OKPKey
from sqlalchemy import text
from starlette.types import ASGIApp, Receive, Scope, Send

from auth.grant import (
    GRANT_ALGORITHM,
    GRANT_HEADER,
    Grantee,
    GrantSigner,
    GrantVerifier,
    record_claims,
)
from subgraphs.common.database import Database
from subgraphs.common.grants import GrantMiddleware, identity_from_scope
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


async def drop_postgres_database(name: str) -> None:
    """Drop `name` (made by `recreate_postgres_database`) through the admin database."""
    import asyncpg

    admin = await asyncpg.connect(POSTGRES_URL.replace("+asyncpg", ""))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


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


# The harness's gateway key pair: made once per test session, like a deployment's. Clients sign
# real grants with it; the apps verify them with the real GrantVerifier.
_HARNESS_KEY = OKPKey.generate_key(GRANT_ALGORITHM, private=True)
HARNESS_SIGNER = GrantSigner(_HARNESS_KEY)
HARNESS_PUBLIC_KEY = OKPKey.import_key(_HARNESS_KEY.as_dict(private=False))


def harness_public_key_file(folder: Path) -> Path:
    """The harness's public key as a PEM file in `folder` (for SubgraphSettings)."""
    path = folder / "gateway-grant.pub.pem"
    path.write_bytes(HARNESS_PUBLIC_KEY.as_pem(private=False))
    return path


def grantee_of(identity: Identity) -> Grantee:
    records, record_types = record_claims(identity.records, identity.record_types)
    return Grantee(
        subject=identity.subject,
        role=identity.role,
        agency=identity.agency,
        unit=identity.unit,
        regions=identity.regions,
        purpose=identity.purpose,
        categories=identity.categories,
        name=identity.name,
        staff_id=identity.staff_id,
        records=records,
        record_types=record_types,
    )


def identity_headers(identity: Identity | None, *, audience: str, body: bytes) -> dict[str, str]:
    """The headers that make a request with exactly `body` to subgraph `audience` come from
    `identity`: a grant signed as the gateway signs it (none for None: nobody asks)."""
    if identity is None:
        return {}
    return {GRANT_HEADER: HARNESS_SIGNER.sign(audience, grantee_of(identity), body)}


class HarnessGate:
    """The tests' gate in front of a subgraph app: a request with a grant goes through the real
    GrantMiddleware (and its verifier); one without reaches the app as nobody (identity None), so
    tests written before grants keep reading everything. Served subgraphs have no such door: there,
    no grant is 401 (tests/subgraphs/test_grants.py)."""

    def __init__(self, app: ASGIApp, verifier: GrantVerifier) -> None:
        self.app = app
        self.gated = GrantMiddleware(app, verifier)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = scope.get("headers", ()) if scope["type"] == "http" else ()
        if any(name.lower() == GRANT_HEADER.encode() for name, _ in headers):
            await self.gated(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def changes_of(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    """What a subgraph's answer reports its mutations changed (`extensions.changes`), as
    (entity, id, action); [] when it reports nothing."""
    reported = body.get("extensions", {}).get("changes", [])
    return [(c["entity"], c["id"], c["action"]) for c in reported]


class GraphQLClient:
    """A client for one subgraph app, in process (ASGI), as the gateway would call it."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        db: Database,
        identity: Identity | None = None,
        *,
        subgraph: str,
    ) -> None:
        self.http = http
        self.db = db
        self.identity = identity
        self.subgraph = subgraph

    def acting(self, identity: Identity | None) -> GraphQLClient:
        """The same subgraph and database, asked by `identity` through a signed grant (None: by
        nobody — no grant, which only the harness's gate lets through)."""
        return GraphQLClient(self.http, self.db, identity, subgraph=self.subgraph)

    async def execute(self, query: str, **variables: Any) -> dict[str, Any]:
        request = json.dumps({"query": query, "variables": variables}).encode()
        response = await self.http.post(
            "/graphql",
            content=request,
            headers={
                "content-type": "application/json",
                **identity_headers(self.identity, audience=self.subgraph, body=request),
            },
        )
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """Execute and insist on no errors: for the happy paths."""
        body = await self.execute(query, **variables)
        assert "errors" not in body, body.get("errors")
        data: dict[str, Any] = body["data"]
        return data

    async def written(
        self, query: str, **variables: Any
    ) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
        """Execute a mutation and insist on no errors: its data, and what its answer reports it
        changed (see changes_of)."""
        body = await self.execute(query, **variables)
        assert "errors" not in body, body.get("errors")
        data: dict[str, Any] = body["data"]
        return data, changes_of(body)

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
        app = create_app(spec, SubgraphSettings(spec.name, db.url), db, identity_from_scope)
        gate = HarnessGate(app, GrantVerifier([HARNESS_PUBLIC_KEY], spec.name))
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=gate), base_url="http://test")
        clients.append(http)
        return GraphQLClient(http, db, subgraph=spec.name)

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
