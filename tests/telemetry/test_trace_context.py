"""The W3C trace context the gateway sends a subgraph and the trace id its audit record keeps,
with tracing on (the SDK, spans in memory) and off (the API's no-op tracer): on, the subgraph's
parent is the gateway's own `subgraph_request` span in the client's trace (or a new one); off,
the client's `traceparent` goes on exactly as received, and the record keeps its trace id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.audit.record import build_record
from gateway.client import SubgraphResponse
from gateway.client.http import HttpSubgraphClient
from gateway.context import RequestContext
from gateway.engine import Gateway, GatewayConfig
from gateway.http import create_gateway_app
from gateway.planner.plan import FetchNode
from gateway.supergraph import parse_supergraph
from gateway.types import JsonObject
from observability.tracing import use_provider
from tests.ports import free_port
from tests.telemetry.spans import recording_spans

pytestmark = pytest.mark.anyio

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"
CLIENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"


class SeeingClient(HttpSubgraphClient):
    """The real HTTP client, keeping the request context of each fetch (for its audit record)."""

    contexts: list[RequestContext]

    async def fetch(
        self,
        node: FetchNode,
        variables: JsonObject,
        context: RequestContext,
        categories: frozenset[str] = frozenset(),
        records: Mapping[str, frozenset[str]] | None = None,
    ) -> SubgraphResponse:
        self.contexts.append(context)
        return await super().fetch(node, variables, context, categories, records)


@dataclass
class Upstream:
    url: str
    seen: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture(scope="module")
async def upstream() -> AsyncIterator[Upstream]:
    """A subgraph that records the headers it receives and finds no child."""
    port = free_port()
    found = Upstream(f"http://127.0.0.1:{port}/graphql")

    async def recording(request: Request) -> JSONResponse:
        found.seen.append(dict(request.headers))
        return JSONResponse({"data": {"child": None}})

    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/graphql", recording, methods=["POST"])]),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield found
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    with recording_spans() as memory:
        yield memory


@pytest.fixture
def tracing_off() -> Iterator[None]:
    use_provider(trace.NoOpTracerProvider())
    try:
        yield
    finally:
        use_provider(None)


async def _ask(upstream: Upstream, headers: dict[str, str]) -> tuple[dict[str, str], Any]:
    """One request through the gateway's HTTP app: the headers the subgraph received, and the
    audit record of the request."""
    supergraph = parse_supergraph(SUPERGRAPH.read_text())
    config = GatewayConfig(subgraph_urls={"disdukcapil": upstream.url}, subgraph_timeout=5)
    client = SeeingClient(supergraph, config)
    client.contexts = []
    gateway = Gateway(supergraph, config, client=client)
    app = create_gateway_app(gateway)
    upstream.seen.clear()
    await gateway.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        ) as http:
            response = await http.post(
                "/graphql", json={"query": '{ child(id: "ANK000000001") { id } }'}, headers=headers
            )
    finally:
        await gateway.close()
    assert response.json() == {"data": {"child": None}}
    (sent,) = upstream.seen
    (context,) = client.contexts
    return sent, build_record(context, 200)


def _parts(traceparent: str) -> tuple[str, str]:
    _version, trace_id, span_id, _flags = traceparent.split("-")
    return trace_id, span_id


async def test_on_the_subgraph_s_parent_is_the_gateway_s_span_in_the_client_s_trace(
    upstream: Upstream, exporter: InMemorySpanExporter
) -> None:
    sent, record = await _ask(upstream, {"traceparent": CLIENT})
    trace_id, parent = _parts(sent["traceparent"])
    assert trace_id == CLIENT_TRACE  # the client's trace goes on
    requests = {
        f"{s.context.span_id:016x}": s
        for s in exporter.get_finished_spans()
        if s.name == "subgraph_request" and s.context is not None
    }
    assert parent in requests  # not the client's span: the gateway's own, for this call
    assert record["traceId"] == CLIENT_TRACE


async def test_on_without_a_client_trace_the_gateway_starts_one_and_the_audit_keeps_it(
    upstream: Upstream, exporter: InMemorySpanExporter
) -> None:
    sent, record = await _ask(upstream, {})
    trace_id, _parent = _parts(sent["traceparent"])
    (router,) = [s for s in exporter.get_finished_spans() if s.name == "router"]
    assert router.context is not None and router.parent is None
    assert trace_id == f"{router.context.trace_id:032x}"
    assert record["traceId"] == trace_id


async def test_off_the_client_s_trace_context_goes_on_as_received(
    upstream: Upstream, tracing_off: None
) -> None:
    sent, record = await _ask(upstream, {"traceparent": CLIENT, "tracestate": "vendor=1"})
    assert sent["traceparent"] == CLIENT
    assert sent["tracestate"] == "vendor=1"
    assert record["traceId"] == CLIENT_TRACE


async def test_off_without_a_client_trace_there_is_none(
    upstream: Upstream, tracing_off: None
) -> None:
    sent, record = await _ask(upstream, {})
    assert "traceparent" not in sent
    assert record["traceId"] is None
