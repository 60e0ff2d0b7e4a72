"""End to end: the gateway over our four real subgraphs, on real HTTP, with seeded data."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from gateway.context import RequestContext
from gateway.engine import Gateway, GatewayConfig
from gateway.http import create_gateway_app
from gateway.supergraph import parse_supergraph
from satu_anak.synthetic.loader import seed
from subgraphs import SUBGRAPH_NAMES, load_spec
from subgraphs.common.service import create_app
from subgraphs.common.settings import SubgraphSettings
from tests.ports import free_port

pytestmark = pytest.mark.anyio

GRAPHQL_RESPONSE = "application/graphql-response+json"
SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"

CHILD_PICTURE = """
query Picture($id: ID!) {
  child(id: $id) {
    id name kabupatenCode documentStatus
    pkh { family { status } compliance { consecutiveNonCompliantPeriods latestCompliant } }
    welfare { decile }
    complaints { channel status }
    cases { caseNumber stage status balai { name } }
    protectionFlag { contacts { balaiName } }
  }
}
"""


def _nobody(_request: Any) -> None:
    return None


@dataclass
class Stack:
    client: httpx.AsyncClient
    gateway: Gateway
    urls: dict[str, str]
    servers: dict[str, uvicorn.Server]


async def _serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # uvicorn offers no start-up event to wait on; poll for up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.02)
    return server, task


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    folder = tmp_path_factory.mktemp("stack")
    settings = {
        name: SubgraphSettings(name, f"sqlite+aiosqlite:///{folder / f'{name}.db'}")
        for name in SUBGRAPH_NAMES
    }
    await seed(300, 42, settings, ground_truth_dir=folder)
    servers: dict[str, uvicorn.Server] = {}
    tasks = []
    urls = {}
    for name in SUBGRAPH_NAMES:
        port = free_port()
        # This stack's gateway signs no grants (tests/gateway/test_grants_e2e.py has one that
        # does): its subgraphs are built, as only tests may, to let unsigned requests in.
        app = create_app(load_spec(name), settings[name], identify=_nobody)
        server, task = await _serve(app, port)
        servers[name], urls[name] = server, f"http://127.0.0.1:{port}/graphql"
        tasks.append(task)
    gateway = Gateway(
        parse_supergraph(SUPERGRAPH.read_text()),
        # Introspection enabled explicitly: outside development mode it is refused by default
        # (test_production_mode_refuses_introspection_and_suggestions).
        GatewayConfig(subgraph_urls=urls, subgraph_timeout=5, introspection=True),
    )
    app = create_gateway_app(gateway, development=True)
    await gateway.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    try:
        yield Stack(client, gateway, urls, servers)
    finally:
        await client.aclose()
        await gateway.close()
        for server in servers.values():
            server.should_exit = True
        await asyncio.gather(*tasks)


async def _post(stack: Stack, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await stack.client.post("/graphql", json=body, headers=headers)


async def _direct(url: str, query: str, **variables: Any) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.post(url, json={"query": query, "variables": variables})
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_one_childs_picture_across_four_agencies(stack: Stack) -> None:
    response = await _post(stack, {"query": CHILD_PICTURE, "variables": {"id": "ANK000000001"}})
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    child = body["data"]["child"]
    # Each part equals what its own agency says when asked directly.
    direct = await _direct(stack.urls["disdukcapil"], '{ child(id: "ANK000000001") { name } }')
    assert child["name"] == direct["child"]["name"]
    pkh = await _direct(
        stack.urls["pkh"],
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Child { pkh { compliance { consecutiveNonCompliantPeriods } } } } }",
        r=[{"__typename": "Child", "id": "ANK000000001"}],
    )
    assert child["pkh"]["compliance"] == pkh["_entities"][0]["pkh"]["compliance"] | {
        "latestCompliant": False
    }
    assert child["pkh"]["compliance"]["consecutiveNonCompliantPeriods"] >= 2  # the planted dropout
    assert [c["status"] for c in child["cases"]] == ["OPEN"]
    assert child["protectionFlag"]["contacts"][0]["balaiName"] == child["cases"][0]["balai"]["name"]
    assert list(child) == [
        "id",
        "name",
        "kabupatenCode",
        "documentStatus",
        "pkh",
        "welfare",
        "complaints",
        "cases",
        "protectionFlag",
    ]


async def test_unknown_child_is_null(stack: Stack) -> None:
    response = await _post(stack, {"query": CHILD_PICTURE, "variables": {"id": "ANK999999999"}})
    assert response.json() == {"data": {"child": None}}


async def test_plan_header_in_development_mode(stack: Stack) -> None:
    response = await _post(
        stack,
        {"query": CHILD_PICTURE, "variables": {"id": "ANK000000001"}},
        **{"x-satu-anak-plan": "1"},
    )
    plan = response.json()["extensions"]["queryPlan"]
    assert plan.startswith("QueryPlan {")
    for service in ("disdukcapil", "pkh", "dinsos", "balai"):
        assert f'Fetch(service: "{service}")' in plan


async def test_introspection_and_typename_are_answered_by_the_gateway(stack: Stack) -> None:
    body = (
        await _post(
            stack, {"query": '{ __typename __type(name: "Child") { name fields { name } } }'}
        )
    ).json()
    assert body["data"]["__typename"] == "Query"
    fields = {f["name"] for f in body["data"]["__type"]["fields"]}
    assert {"name", "pkh", "welfare", "cases", "protectionFlag"} <= fields
    schema = (await _post(stack, {"query": "{ __schema { types { name } } }"})).json()
    names = {t["name"] for t in schema["data"]["__schema"]["types"]}
    assert "Child" in names and not any(
        n.startswith(("join__", "link__", "_Entity", "_Any")) for n in names
    )


async def test_production_mode_refuses_introspection_and_suggestions(stack: Stack) -> None:
    # The same subgraphs behind a gateway outside development mode (as `satu-anak gateway`
    # runs without --dev, and as the federation audit runs it).
    gateway = Gateway(
        parse_supergraph(SUPERGRAPH.read_text()),
        GatewayConfig(subgraph_urls=stack.urls, subgraph_timeout=5),
    )
    app = create_gateway_app(gateway)
    await gateway.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        ) as client:
            for accept, status in (("application/json", 200), (GRAPHQL_RESPONSE, 400)):
                refused = await client.post(
                    "/graphql",
                    json={"query": '{ __type(name: "Child") { name } }'},
                    headers={"accept": accept},
                )
                assert refused.status_code == status
                body = refused.json()
                assert "data" not in body
                assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
            answered = await client.post(
                "/graphql", json={"query": '{ __typename child(id: "ANK000000001") { name } }'}
            )
            assert answered.json()["data"]["__typename"] == "Query"
            assert answered.json()["data"]["child"]["name"]
            misspelt = await client.post("/graphql", json={"query": '{ chidl(id: "1") { id } }'})
            (error,) = misspelt.json()["errors"]
            assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            assert "Did you mean" not in error["message"]
    finally:
        await gateway.close()


async def test_aliases_fragments_and_skip_include(stack: Stack) -> None:
    query = """query($withCases: Boolean!) {
      first: child(id: "ANK000000001") { ...Who cases @include(if: $withCases) { stage } }
      again: child(id: "ANK000000001") { label: name @skip(if: true) id }
    }
    fragment Who on Child { theName: name }"""
    body = (await _post(stack, {"query": query, "variables": {"withCases": False}})).json()
    assert "errors" not in body
    assert list(body["data"]["first"]) == ["theName"]
    assert body["data"]["again"] == {"id": "ANK000000001"}


async def test_validation_errors_status_per_media_type(stack: Stack) -> None:
    bad = {"query": "{ child(id: 1) { nope } }"}
    as_json = await _post(stack, bad)
    assert as_json.status_code == 200
    assert as_json.json()["errors"][0]["locations"]
    assert "data" not in as_json.json()
    as_graphql = await _post(stack, bad, accept="application/graphql-response+json")
    assert as_graphql.status_code == 400
    assert as_graphql.headers["content-type"].startswith("application/graphql-response+json")
    syntax = await _post(stack, {"query": "{ child(id: "})
    assert "Syntax Error" in syntax.json()["errors"][0]["message"]


async def test_bad_requests_are_4xx_never_500(stack: Stack) -> None:
    client = stack.client
    assert (
        await client.post(
            "/graphql", content=b"{not json", headers={"content-type": "application/json"}
        )
    ).status_code == 400
    assert (
        await client.post(
            "/graphql",
            content=b"query",
            headers={"content-type": "text/plain", "apollo-require-preflight": "true"},
        )
    ).status_code == 415
    assert (await client.post("/graphql", json={"variables": {}})).status_code == 400
    huge = {"query": "{ __typename }", "padding": "x" * 2_000_000}
    assert (await client.post("/graphql", json=huge)).status_code == 413
    mutation = await client.get(
        "/graphql",
        params={
            "query": 'mutation { closeCase(caseId: "1", closedOn: "2026-01-01", reason: WITHDRAWN) { id } }'
        },
        headers={"apollo-require-preflight": "true"},
    )
    assert mutation.status_code == 405
    got = await client.get(
        "/graphql",
        params={"query": '{ child(id: "ANK000000001") { id } }'},
        headers={"apollo-require-preflight": "true"},
    )
    assert got.json() == {"data": {"child": {"id": "ANK000000001"}}}
    unknown_op = await _post(stack, {"query": "query A { __typename }", "operationName": "B"})
    assert "Unknown operation" in unknown_op.json()["errors"][0]["message"]
    wrong_variable = await _post(stack, {"query": CHILD_PICTURE, "variables": {"id": {"x": 1}}})
    assert wrong_variable.json()["errors"] and "data" not in wrong_variable.json()


async def test_deep_and_huge_documents_are_refused_cleanly(stack: Stack) -> None:
    deep = '{ child(id: "x") ' + "{ family " * 200 + "{ kkNumber }" + " }" * 200 + " }"
    body = (await _post(stack, {"query": deep})).json()
    assert body["errors"] and "data" not in body
    wide = "{ " + " ".join(f"a{i}: __typename" for i in range(30_000)) + " }"
    body = (await _post(stack, {"query": wide})).json()
    assert body["errors"] and "data" not in body


@contextlib.asynccontextmanager
async def _gateway_over(stack: Stack, **urls: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for a gateway of its own over the stack's subgraphs, with these URLs
    instead (the shared stack's gateway stays as it is)."""
    gateway = Gateway(
        stack.gateway.supergraph,
        GatewayConfig(subgraph_urls={**stack.urls, **urls}, subgraph_timeout=5),
    )
    app = create_gateway_app(gateway, development=True)
    await gateway.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        ) as client:
            yield client
    finally:
        await gateway.close()


async def test_a_subgraph_down_gives_partial_data_with_its_name(stack: Stack) -> None:
    dead = f"http://127.0.0.1:{free_port()}/graphql"  # nobody listens
    async with _gateway_over(stack, balai=dead) as client:
        body = (
            await client.post(
                "/graphql", json={"query": CHILD_PICTURE, "variables": {"id": "ANK000000001"}}
            )
        ).json()
    child = body["data"]["child"]
    assert child["name"] and child["pkh"] is not None  # the other agencies still answer
    assert child["cases"] is None and child["protectionFlag"] is None
    assert any(e["extensions"]["serviceName"] == "balai" for e in body["errors"])
    health = await stack.client.get("/health")
    assert health.status_code == 200


async def test_health_names_unready_subgraphs(stack: Stack) -> None:
    async with _gateway_over(stack, balai=f"http://127.0.0.1:{free_port()}/graphql") as client:
        health = await client.get("/health")
    assert health.status_code == 503
    assert health.json()["subgraphs"]["balai"] is False


async def test_a_hanging_subgraph_times_out_on_its_own_limit(stack: Stack) -> None:
    # A socket that accepts connections and never answers.
    with socket.socket() as hanging:
        hanging.bind(("127.0.0.1", 0))
        hanging.listen()
        url = f"http://127.0.0.1:{hanging.getsockname()[1]}/graphql"
        gateway = Gateway(
            stack.gateway.supergraph,
            GatewayConfig(
                subgraph_urls={**stack.urls, "balai": url},
                subgraph_timeouts={"balai": 0.5},
                subgraph_timeout=30,
            ),
        )
        try:
            prepared = gateway.prepare(CHILD_PICTURE, None)
            started = asyncio.get_running_loop().time()
            body = await gateway.execute(prepared, {"id": "ANK000000001"})
            elapsed = asyncio.get_running_loop().time() - started
        finally:
            await gateway.close()
    assert elapsed < 5
    assert body["data"]["child"]["name"] and body["data"]["child"]["cases"] is None
    (error,) = [e for e in body["errors"] if e["extensions"].get("serviceName") == "balai"]
    assert "timed out" in error["message"]


def test_config_from_environment() -> None:
    config = GatewayConfig.from_env(
        {
            "SATU_ANAK_BALAI_SUBGRAPH_URL": "http://balai:8000/graphql",
            "SATU_ANAK_BALAI_SUBGRAPH_TIMEOUT": "2.5",
            "SATU_ANAK_SUBGRAPH_TIMEOUT": "10",
            "SATU_ANAK_FORWARD_HEADERS": "X-Request-Id, x-agency",
        }
    )
    assert config.subgraph_urls == {"balai": "http://balai:8000/graphql"}
    assert config.subgraph_timeouts == {"balai": 2.5}
    assert config.subgraph_timeout == 10
    assert config.deduplicate is True
    assert GatewayConfig.from_env({"SATU_ANAK_DEDUPLICATE": "0"}).deduplicate is False
    assert GatewayConfig.from_env({"SATU_ANAK_MAX_BODY_BYTES": "2048"}).max_body_bytes == 2048
    assert {"traceparent", "tracestate", "x-request-id", "x-agency"} == config.forward_headers


async def test_only_allowlisted_headers_reach_subgraphs(stack: Stack) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    seen: list[dict[str, str]] = []

    async def recording(request: Request) -> JSONResponse:
        seen.append(dict(request.headers))
        return JSONResponse({"data": {"child": None}})

    port = free_port()
    server, task = await _serve(
        Starlette(routes=[Route("/graphql", recording, methods=["POST"])]), port
    )
    gateway = Gateway(
        stack.gateway.supergraph,
        GatewayConfig(
            subgraph_urls={**stack.urls, "disdukcapil": f"http://127.0.0.1:{port}/graphql"},
            forward_headers=frozenset({"traceparent", "x-request-id"}),
        ),
    )
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    try:
        prepared = gateway.prepare('{ child(id: "ANK000000001") { id } }', None)
        body = await gateway.execute(
            prepared,
            None,
            RequestContext.from_headers(
                {
                    "traceparent": traceparent,
                    "x-request-id": "r-1",
                    "authorization": "Bearer secret",
                }
            ),
        )
    finally:
        await gateway.close()
        server.should_exit = True
        await task
    assert body == {"data": {"child": None}}
    (headers,) = seen
    assert headers["traceparent"] == traceparent
    assert headers["x-request-id"] == "r-1"
    assert "authorization" not in headers


async def test_identical_queries_in_flight_are_sent_once(stack: Stack) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    calls: list[bytes] = []

    async def slow(request: Request) -> JSONResponse:
        calls.append(await request.body())
        await asyncio.sleep(0.3)  # long enough for the second request to arrive meanwhile
        return JSONResponse({"data": {"child": {"id": "ANK000000001", "name": "Shared"}}})

    port = free_port()
    server, task = await _serve(Starlette(routes=[Route("/graphql", slow, methods=["POST"])]), port)
    gateway = Gateway(
        stack.gateway.supergraph,
        GatewayConfig(
            subgraph_urls={**stack.urls, "disdukcapil": f"http://127.0.0.1:{port}/graphql"}
        ),
    )
    try:
        prepared = gateway.prepare('{ child(id: "ANK000000001") { id name } }', None)
        first, second = await asyncio.gather(
            gateway.execute(prepared, None), gateway.execute(prepared, None)
        )
        other = gateway.prepare('{ child(id: "ANK000000002") { id name } }', None)
        await gateway.execute(other, None)
    finally:
        await gateway.close()
        server.should_exit = True
        await task
    assert first == second == {"data": {"child": {"id": "ANK000000001", "name": "Shared"}}}
    assert first["data"] is not second["data"]  # each response owns its tree
    assert len(calls) == 2  # the two identical queries shared one request; the other had its own


async def test_development_console_is_self_contained(stack: Stack) -> None:
    page = await stack.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "x-satu-anak-plan" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from elsewhere


async def test_body_limit_comes_from_the_configuration(stack: Stack) -> None:
    small = Gateway(stack.gateway.supergraph, GatewayConfig(max_body_bytes=2048))
    app = create_gateway_app(small)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://g"
    ) as http:
        over = await http.post("/graphql", json={"query": "{ __typename }", "pad": "x" * 3000})
        under = await http.post("/graphql", json={"query": "{ __typename }"})
    await small.close()
    assert over.status_code == 413
    assert under.json() == {"data": {"__typename": "Query"}}


def test_config_file_then_environment(tmp_path: Path) -> None:
    from gateway.config import ConfigError

    example = Path(__file__).resolve().parents[2] / "gateway.example.toml"
    config = GatewayConfig.load(
        example,
        {
            "SATU_ANAK_BALAI_SUBGRAPH_TIMEOUT": "9",
            "SATU_ANAK_DEDUPLICATE": "0",
            "SATU_ANAK_AUTH_ISSUER": "https://sso.example.go.id/realms/satu-anak",
        },
    )
    assert config.auth_issuer == "https://sso.example.go.id/realms/satu-anak"  # env wins
    assert config.auth_audience == "satu-anak" and config.auth_jwks_url is None
    assert config.port == 4000 and config.development is False
    assert config.subgraph_urls == {"balai": "http://127.0.0.1:4004/graphql"}
    assert config.subgraph_timeouts == {"balai": 9.0}  # the environment wins over the file
    assert config.deduplicate is False
    assert "x-request-id" in config.forward_headers and "traceparent" in config.forward_headers
    bad = tmp_path / "bad.toml"
    bad.write_text("prot = 4000\n")
    with pytest.raises(ConfigError, match="prot"):
        GatewayConfig.load(bad, {})
    bad.write_text("port = \n")
    with pytest.raises(ConfigError):
        GatewayConfig.load(bad, {})


async def test_shaping_plans_are_shared_only_when_variables_cannot_change_them(
    stack: Stack,
) -> None:
    gateway = stack.gateway
    plain = gateway.prepare('{ child(id: "ANK000000001") { id name } }', None)
    first = await gateway.execute(plain, None)
    assert plain.shape_cache  # filled by the first request, reused by the next
    assert await gateway.execute(plain, None) == first
    conditional = gateway.prepare(
        'query($all: Boolean!) { child(id: "ANK000000001") { id name @include(if: $all) } }', None
    )
    assert conditional.shape_cache is None
    with_name = await gateway.execute(conditional, {"all": True})
    without = await gateway.execute(conditional, {"all": False})
    assert with_name["data"]["child"] == first["data"]["child"]
    assert without["data"]["child"] == {"id": "ANK000000001"}


@pytest.mark.parametrize(
    ("status", "content", "fragment"),
    [
        (200, b"<html>oops</html>", "other than JSON"),
        (502, b"Bad Gateway", "other than JSON"),
        (200, b'{"result": 1}', "malformed"),
        (200, b'{"data": [1, 2]}', "malformed"),
        (200, b'{"data": {"_entities": "nope"}}', "invalid _entities"),
    ],
)
async def test_a_malformed_subgraph_answer_is_an_error_naming_it(
    stack: Stack, status: int, content: bytes, fragment: str
) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def broken(_request: Request) -> Response:
        return Response(content, status_code=status, media_type="application/json")

    port = free_port()
    server, task = await _serve(
        Starlette(routes=[Route("/graphql", broken, methods=["POST"])]), port
    )
    gateway = Gateway(
        stack.gateway.supergraph,
        GatewayConfig(subgraph_urls={**stack.urls, "balai": f"http://127.0.0.1:{port}/graphql"}),
    )
    try:
        body = await gateway.execute(gateway.prepare(CHILD_PICTURE, None), {"id": "ANK000000001"})
    finally:
        await gateway.close()
        server.should_exit = True
        await task
    child = body["data"]["child"]
    assert child["name"] and child["pkh"] is not None and child["cases"] is None
    (error,) = [e for e in body["errors"] if e["extensions"].get("serviceName") == "balai"]
    assert fragment in error["message"]
