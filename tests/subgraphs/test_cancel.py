"""A subgraph stops working on a request the gateway gave up on, and its probes: served by real
uvicorn with the common ASGI stack (create_app), a test schema with a slow resolver (the
production schemas have none), and the gateway's own transport."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import strawberry
import uvicorn
from sqlalchemy import MetaData

from gateway.client.transport import SubgraphTransport
from subgraphs import load_spec
from subgraphs.common.context import Info
from subgraphs.common.database import Database
from subgraphs.common.service import SubgraphSpec, create_app
from subgraphs.common.settings import SubgraphSettings
from subgraphs.consent.audit.service import AuditService, AuditSettings
from tests.ports import free_port

pytestmark = pytest.mark.anyio


@dataclass
class Work:
    """What the slow resolver did: ticks counted while it runs, and how it ended."""

    ticks: int = 0
    started: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    finished: bool = False


WORK = Work()

# A tree that fans out like Balai <-> Caseworker: every node has as many children as the request's
# DataLoader says, loaded once and then from its cache, as the production resolvers load the same
# Balai and its caseworkers again and again at every level. A cached load does not suspend: the
# resolvers run without I/O, and asyncio completes a whole level of the tree in one turn of its
# loop, its timers unseen meanwhile.
FANOUT = 5


@dataclass
class Fanout:
    """The `children` resolvers that ran to their end: how many, and when the last did."""

    done: int = 0
    last: float = 0.0


FANOUT_WORK = Fanout()


async def _width(_db: Database, keys: list[str]) -> list[int]:
    return [FANOUT for _ in keys]


@strawberry.type
class Node:
    id: int

    @strawberry.field
    async def children(self, info: Info) -> list[Node]:
        width = await info.context.loader("width", _width).load("tree")
        FANOUT_WORK.done += 1
        FANOUT_WORK.last = time.monotonic()
        # Numbered as in a heap: unique ids, level by level.
        return [Node(id=self.id * width + i + 1) for i in range(width)]


def _tree_query(depth: int) -> str:
    return "{ tree { " + "children { " * depth + "id" + " }" * depth + " } }"


def _tree_size(depth: int) -> int:
    """How many `children` resolvers a query of `depth` runs when nothing stops it."""
    return sum(FANOUT**level for level in range(depth))


@strawberry.type
class Query:
    @strawberry.field
    def tree(self) -> Node:
        return Node(id=0)

    @strawberry.field
    async def slow(self, seconds: float) -> int:
        WORK.started.set()
        try:
            for _ in range(int(seconds * 20)):
                await asyncio.sleep(0.05)
                WORK.ticks += 1
        except asyncio.CancelledError:
            WORK.cancelled.set()
            raise
        WORK.finished = True
        return WORK.ticks


SPEC = SubgraphSpec(
    name="slow",
    package="tests.subgraphs",
    build_schema=lambda: strawberry.federation.Schema(query=Query),
    metadata=MetaData(),
)


def _nobody(_request: Any) -> None:
    return None


# A PostgreSQL server where nobody listens: every connection is refused at once.
_NO_DATABASE = f"postgresql+asyncpg://satu@127.0.0.1:{free_port()}/nothing"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, Any]]:
    global WORK
    WORK = Work()
    app = create_app(
        SPEC,
        SubgraphSettings("slow", f"sqlite+aiosqlite:///{tmp_path / 'slow.db'}"),
        identify=_nobody,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        await task


async def _ticks_stop() -> bool:
    """Whether the resolver's ticks stop counting (it was cancelled) within 2 s."""
    try:
        await asyncio.wait_for(WORK.cancelled.wait(), 2)
    except TimeoutError:
        return False
    before = WORK.ticks
    await asyncio.sleep(0.3)
    return WORK.ticks == before


async def test_work_stops_when_the_gateway_gives_up(served: tuple[str, Any]) -> None:
    base, app = served
    transport = SubgraphTransport(30)
    try:
        answer = await transport.post(
            f"{base}/graphql",
            orjson.dumps({"query": "{ slow(seconds: 10) }"}),
            {},
            service="slow",
            timeout=0.5,
        )
    finally:
        await transport.close()
    assert answer.errors[0]["message"] == "Subgraph slow timed out."
    assert WORK.started.is_set()
    assert await _ticks_stop()
    assert not WORK.finished
    assert WORK.ticks < 30
    assert app.state.cancelled.disconnected + app.state.cancelled.past_deadline == 1


async def test_work_stops_when_the_client_disconnects_without_a_deadline(
    served: tuple[str, Any],
) -> None:
    base, app = served
    async with httpx.AsyncClient(timeout=0.5) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post(f"{base}/graphql", json={"query": "{ slow(seconds: 10) }"})
    assert await _ticks_stop()
    assert not WORK.finished
    assert (app.state.cancelled.disconnected, app.state.cancelled.past_deadline) == (1, 0)


async def test_the_deadline_the_gateway_sends_is_enforced(served: tuple[str, Any]) -> None:
    base, app = served
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{base}/graphql",
            json={"query": "{ slow(seconds: 10) }"},
            headers={"x-satu-anak-deadline-ms": "300"},
        )
    assert response.status_code == 504
    assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert await _ticks_stop()
    assert app.state.cancelled.past_deadline == 1


async def test_a_fanning_out_query_stops_at_its_deadline_not_after_the_loop_turn(
    served: tuple[str, Any],
) -> None:
    # Depth 7: 19,531 resolvers, seconds of CPU on a shared core, most of it in the last two
    # levels, each completed in one turn of the loop. The deadline's timer alone fired only once
    # the tree was all but built (the 504 came after every resolver had run).
    global FANOUT_WORK
    FANOUT_WORK = Fanout()
    base, app = served
    async with httpx.AsyncClient(timeout=30) as http:
        sent = time.monotonic()
        response = await http.post(
            f"{base}/graphql",
            json={"query": _tree_query(7)},
            headers={"x-satu-anak-deadline-ms": "100"},
        )
    assert response.status_code == 504
    assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert app.state.cancelled.past_deadline == 1
    done = FANOUT_WORK.done
    assert done < _tree_size(7)
    # Nothing was resolved once the deadline had passed (a generous margin for a loaded
    # machine: without the check, resolvers went on for seconds).
    assert FANOUT_WORK.last - sent < 0.1 + 0.25, (
        f"{done} resolvers, the last at {FANOUT_WORK.last - sent:.2f} s"
    )
    await asyncio.sleep(0.5)
    assert FANOUT_WORK.done == done  # and none after the answer


async def test_a_fanning_out_query_within_its_deadline_is_answered(
    served: tuple[str, Any],
) -> None:
    global FANOUT_WORK
    FANOUT_WORK = Fanout()
    base, _app = served
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{base}/graphql",
            json={"query": _tree_query(3)},
            headers={"x-satu-anak-deadline-ms": "20000"},
        )
    tree = response.json()["data"]["tree"]
    leaves = [
        leaf["id"] for c in tree["children"] for cc in c["children"] for leaf in cc["children"]
    ]
    assert leaves == list(range(31, 156))
    assert FANOUT_WORK.done == _tree_size(3)


async def test_a_request_within_its_deadline_is_answered(served: tuple[str, Any]) -> None:
    base, _app = served
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{base}/graphql",
            json={"query": "{ slow(seconds: 0.2) }"},
            headers={"x-satu-anak-deadline-ms": "5000"},
        )
    assert response.json() == {"data": {"slow": 4}}


async def test_live_answers_without_the_database_ready_does_not() -> None:
    app = create_app(load_spec("pkh"), SubgraphSettings("pkh", _NO_DATABASE), identify=_nobody)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://pkh"
    ) as http:
        live, ready = await http.get("/live"), await http.get("/ready")
    await app.state.db.dispose()
    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "unavailable"}


async def test_the_consent_services_health_includes_its_access_log(tmp_path: Path) -> None:
    audit = AuditService(AuditSettings(_NO_DATABASE, None))
    app = create_app(
        load_spec("consent"),
        SubgraphSettings("consent", f"sqlite+aiosqlite:///{tmp_path / 'consent.db'}"),
        identify=_nobody,
        attachments=(audit,),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://consent"
    ) as http:
        ready, health = await http.get("/ready"), await http.get("/health")
    await app.state.db.dispose()
    await audit.db.dispose()
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "ok", "audit": "unavailable"}
    assert health.status_code == 503
