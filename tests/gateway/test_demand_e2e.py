"""Demand control end to end: the gateway on real HTTP over our real subgraphs (seeded SQLite),
each subgraph behind a counter of the requests it received. An operation over the budget is
refused with Apollo's code, its estimate and the limit, and no subgraph hears of it; development
mode reports the estimated and actual cost, production mode never does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from gateway.engine import Gateway, GatewayConfig
from gateway.http import create_gateway_app
from gateway.supergraph import parse_supergraph
from satu_anak.synthetic.loader import seed
from subgraphs import SUBGRAPH_NAMES, load_spec
from subgraphs.common.service import create_app
from subgraphs.common.settings import SubgraphSettings
from tests.ports import free_port

pytestmark = pytest.mark.anyio

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"
BUDGET = 50
# searchChildren: its @cost 10 + first × Child (1): 10 + 100 over the budget, 10 + 5 within.
SEARCH = (
    'query Search($n: Int!) { searchChildren(regionCode: "14", first: $n) { nodes { id name } } }'
)


def _nobody(_request: Any) -> None:
    return None


class Counted:
    """An ASGI app that counts the HTTP requests reaching the app it wraps."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


@dataclass
class Stack:
    development: str  # the gateway's URL, development mode
    production: str  # the same budget, production mode
    counters: dict[str, Counted]

    @property
    def subgraph_requests(self) -> int:
        return sum(c.requests for c in self.counters.values())


async def _serve(app: Any) -> tuple[str, uvicorn.Server, asyncio.Task[None]]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # poll for up to 10 s: uvicorn has no start-up event
        if server.started:
            break
        await asyncio.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, task


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    folder = tmp_path_factory.mktemp("demand")
    settings = {
        name: SubgraphSettings(name, f"sqlite+aiosqlite:///{folder / f'{name}.db'}")
        for name in SUBGRAPH_NAMES
    }
    await seed(40, 7, settings, ground_truth_dir=folder)
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    counters: dict[str, Counted] = {}
    urls: dict[str, str] = {}
    for name in SUBGRAPH_NAMES:
        counters[name] = Counted(create_app(load_spec(name), settings[name], identify=_nobody))
        url, server, task = await _serve(counters[name])
        urls[name] = f"{url}/graphql"
        servers.append((server, task))
    gateways = []
    bases = []
    for development in (True, False):
        config = GatewayConfig(
            subgraph_urls=urls, subgraph_timeout=5, max_cost=BUDGET, development=development
        )
        gateway = Gateway(parse_supergraph(SUPERGRAPH.read_text()), config)
        await gateway.start()
        gateways.append(gateway)
        base, server, task = await _serve(create_gateway_app(gateway, development=development))
        bases.append(base)
        servers.append((server, task))
    try:
        yield Stack(bases[0], bases[1], counters)
    finally:
        for gateway in gateways:
            await gateway.close()
        for server, _task in servers:
            server.should_exit = True
        await asyncio.gather(*(task for _server, task in servers))


async def _post(base: str, n: int, accept: str = "application/json") -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(
            f"{base}/graphql",
            json={"query": SEARCH, "variables": {"n": n}},
            headers={"accept": accept},
        )


async def test_over_the_budget_is_refused_before_any_fetch(stack: Stack) -> None:
    before = stack.subgraph_requests
    response = await _post(stack.development, 100)
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"] == {
        "code": "COST_ESTIMATED_TOO_EXPENSIVE",
        "cost.estimated": 110.0,
        "cost.max": float(BUDGET),
    }
    # GraphQL-over-HTTP's own media type: a request error is a 4xx.
    strict = await _post(stack.production, 100, "application/graphql-response+json")
    assert strict.status_code == 400
    assert strict.json()["errors"][0]["extensions"]["code"] == "COST_ESTIMATED_TOO_EXPENSIVE"
    assert stack.subgraph_requests == before  # nothing was fetched


async def test_development_mode_reports_the_estimated_and_actual_cost(stack: Stack) -> None:
    before = stack.subgraph_requests
    response = await _post(stack.development, 5)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    nodes = body["data"]["searchChildren"]["nodes"]
    assert 0 < len(nodes) <= 5
    assert body["extensions"]["cost"] == {
        "estimated": 10 + 5 * 1.0,
        "actual": 10 + len(nodes) * 1.0,
        "max": float(BUDGET),
    }
    assert stack.subgraph_requests > before


async def test_production_mode_never_reports_the_cost(stack: Stack) -> None:
    response = await _post(stack.production, 5)
    body = response.json()
    assert body["data"]["searchChildren"]["nodes"]
    assert "cost" not in body.get("extensions", {})
