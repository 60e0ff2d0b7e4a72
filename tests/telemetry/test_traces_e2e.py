"""Traces, end to end: the gateway over real subgraph servers on real HTTP with seeded SQLite
data, spans kept by the SDK's in-memory exporter — the span tree and its names, the parentage
across the HTTP hop, a span per SQL statement, and no child data in any span."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.engine import Gateway, GatewayConfig
from gateway.http import create_gateway_app
from gateway.supergraph import parse_supergraph
from satu_anak.synthetic.loader import seed
from subgraphs import SUBGRAPH_NAMES, load_spec
from subgraphs.common.service import create_app
from subgraphs.common.settings import SubgraphSettings
from tests.ports import free_port
from tests.telemetry.spans import recording_spans

pytestmark = pytest.mark.anyio

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"
CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
CLIENT_SPAN = "b7ad6b7169203331"
TRACEPARENT = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"

BY_NIK = """
query ByNik($nik: String!) {
  childByNik(nik: $nik) { id name pkh { family { status } } welfare { decile } }
}
"""


def _nobody(_request: Any) -> None:
    return None


@dataclass
class Stack:
    client: httpx.AsyncClient
    urls: dict[str, str]
    exporter: InMemorySpanExporter
    nik: str


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    with recording_spans() as memory:
        yield memory


async def _serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    return server, task


@pytest.fixture(scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory, exporter: InMemorySpanExporter
) -> AsyncIterator[Stack]:
    folder = tmp_path_factory.mktemp("traced")
    settings = {
        name: SubgraphSettings(name, f"sqlite+aiosqlite:///{folder / f'{name}.db'}")
        for name in SUBGRAPH_NAMES
    }
    await seed(40, 42, settings, ground_truth_dir=folder)
    servers, tasks, urls = [], [], {}
    for name in SUBGRAPH_NAMES:
        port = free_port()
        server, task = await _serve(
            create_app(load_spec(name), settings[name], identify=_nobody), port
        )
        servers.append(server)
        tasks.append(task)
        urls[name] = f"http://127.0.0.1:{port}/graphql"
    gateway = Gateway(
        parse_supergraph(SUPERGRAPH.read_text()),
        GatewayConfig(subgraph_urls=urls, subgraph_timeout=5),
    )
    app = create_gateway_app(gateway)
    await gateway.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    async with httpx.AsyncClient() as direct:
        answer = await direct.post(
            urls["disdukcapil"], json={"query": '{ child(id: "ANK000000001") { nik } }'}
        )
    nik = answer.json()["data"]["child"]["nik"]
    assert nik and len(nik) == 16
    try:
        yield Stack(client, urls, exporter, nik)
    finally:
        await client.aclose()
        await gateway.close()
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks)


def _hex(value: int, width: int) -> str:
    return f"{value:0{width}x}"


def _trace(stack: Stack, trace_id: str) -> list[ReadableSpan]:
    return [
        s
        for s in stack.exporter.get_finished_spans()
        if s.context is not None and _hex(s.context.trace_id, 32) == trace_id
    ]


def _one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, (name, [s.name for s in spans])
    return found[0]


def _parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def _span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


async def _ask(stack: Stack, query: str, variables: dict[str, Any] | None = None) -> Any:
    stack.exporter.clear()
    response = await stack.client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"traceparent": TRACEPARENT},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    # The subgraph servers end their spans as they answer; let the last ones finish.
    await asyncio.sleep(0.05)
    return body


async def test_the_gateway_s_spans_are_named_and_nested_as_the_router_s(stack: Stack) -> None:
    await _ask(stack, BY_NIK, {"nik": stack.nik})
    spans = _trace(stack, CLIENT_TRACE)  # the client's trace: its trace id is kept
    router = _one(spans, "router")
    assert _parent_id(router) == int(CLIENT_SPAN, 16)  # below the client's span
    supergraph = _one(spans, "supergraph")
    assert _parent_id(supergraph) == _span_id(router)
    for name in ("query_planning", "execution"):
        assert _parent_id(_one(spans, name)) == _span_id(supergraph), name
    assert supergraph.attributes is not None
    assert supergraph.attributes["graphql.operation.type"] == "query"
    assert supergraph.attributes["graphql.operation.name"] == "ByNik"
    assert len(str(supergraph.attributes["graphql.document.sha256"])) == 64
    execution = _one(spans, "execution")
    fetches = [s for s in spans if s.name == "fetch"]
    # disdukcapil, then pkh and dinsos for the child found.
    assert len(fetches) == 3, [s.name for s in spans]
    assert {s.attributes["subgraph.name"] for s in fetches if s.attributes} == {
        "disdukcapil",
        "pkh",
        "dinsos",
    }
    for fetch in fetches:
        assert _parent_id(fetch) == _span_id(execution)
        subgraph = [s for s in spans if s.name == "subgraph" and _parent_id(s) == _span_id(fetch)]
        assert len(subgraph) == 1
        request = [
            s
            for s in spans
            if s.name == "subgraph_request" and _parent_id(s) == _span_id(subgraph[0])
        ]
        assert len(request) == 1


async def test_each_subgraph_s_server_span_is_a_child_of_the_gateway_s_subgraph_request(
    stack: Stack,
) -> None:
    await _ask(stack, BY_NIK, {"nik": stack.nik})
    spans = _trace(stack, CLIENT_TRACE)
    requests = {_span_id(s): s for s in spans if s.name == "subgraph_request"}
    servers = [s for s in spans if s.name == "POST /graphql"]
    assert len(servers) == 3
    for server in servers:
        # Across the HTTP hop: the subgraph's span's parent is the gateway's span for that call.
        parent = requests.get(_parent_id(server) or 0)
        assert parent is not None, "the subgraph's parent is not a gateway subgraph_request span"
        assert server.attributes is not None and parent.attributes is not None
        assert parent.attributes["server.port"] == int(
            stack.urls[str(server.attributes["subgraph.name"])].split(":")[2].split("/")[0]
        )


async def test_every_sql_statement_is_a_span_below_its_subgraph_request_without_values(
    stack: Stack,
) -> None:
    await _ask(stack, BY_NIK, {"nik": stack.nik})
    spans = _trace(stack, CLIENT_TRACE)
    servers = {_span_id(s): s for s in spans if s.name == "POST /graphql"}
    sql = [s for s in spans if s.attributes and "db.query.text" in s.attributes]
    assert sql, [s.name for s in spans]
    by_nik = [
        s
        for s in sql
        if s.attributes is not None
        and s.attributes["db.namespace"] == "disdukcapil.db"
        and "nik" in str(s.attributes["db.query.text"]).lower()
    ]
    assert by_nik, "no span for the statement that looks the child up by NIK"
    for span in by_nik:
        assert span.attributes is not None
        text = str(span.attributes["db.query.text"])
        assert "?" in text, text  # the placeholder, not the value
        assert stack.nik not in text
    for span in sql:
        # Each statement below the server span of the request that ran it.
        assert _parent_id(span) in servers, span.name


@pytest.mark.parametrize("inline", [False, True], ids=["variable", "argument"])
async def test_no_span_carries_the_nik_the_document_or_the_variables(
    stack: Stack, inline: bool
) -> None:
    if inline:
        await _ask(stack, BY_NIK.replace("($nik: String!)", "").replace("$nik", f'"{stack.nik}"'))
    else:
        await _ask(stack, BY_NIK, {"nik": stack.nik})
    spans = _trace(stack, CLIENT_TRACE)
    assert len(spans) > 10
    for span in spans:
        texts = [span.name, str(span.status.description or "")]
        texts += [f"{k}={v}" for k, v in (span.attributes or {}).items()]
        for event in span.events:
            texts += [event.name, *(f"{k}={v}" for k, v in (event.attributes or {}).items())]
        for text in texts:
            assert stack.nik not in text, (span.name, text)
            assert "childByNik" not in text, (span.name, text)  # no document, not even in part


async def test_fetches_and_subgraph_requests_are_counted_per_subgraph(stack: Stack) -> None:
    from observability.metrics import REGISTRY

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    fetches = ("satu_anak_gateway_subgraph_fetches_total", {"subgraph": "pkh", "outcome": "ok"})
    latency = ("satu_anak_gateway_subgraph_fetch_duration_seconds_count", {"subgraph": "pkh"})
    served = (
        "satu_anak_subgraph_requests_total",
        {"subgraph": "pkh", "route": "/graphql", "status": "200"},
    )
    before = [sample(name, **labels) for name, labels in (fetches, latency, served)]
    await _ask(stack, BY_NIK, {"nik": stack.nik})
    after = [sample(name, **labels) for name, labels in (fetches, latency, served)]
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]


def test_the_otel_variables_turn_tracing_on_and_off() -> None:
    import subprocess
    import sys

    from observability.setup import tracing_wanted

    assert not tracing_wanted({})  # nothing configured: off (the embedded start's default)
    assert tracing_wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert not tracing_wanted(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}
    )
    assert not tracing_wanted({"OTEL_TRACES_EXPORTER": "none"})
    # A process configured as a server is: its spans go to the exporter the variables name.
    script = (
        "from observability.setup import configure_tracing\n"
        "from observability.tracing import tracer\n"
        "provider = configure_tracing('satu-anak-pkh')\n"
        "tracer('t').start_span('hello').end()\n"
        "provider.shutdown()\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "OTEL_TRACES_EXPORTER": "console"},
        check=True,
    )
    assert '"name": "hello"' in result.stdout
    assert '"service.name": "satu-anak-pkh"' in result.stdout
