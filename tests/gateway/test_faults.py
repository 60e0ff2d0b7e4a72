"""Fault isolation between agencies, over real HTTP to hand-written subgraph servers
(tests/gateway/raw_http.py): a pool per subgraph, a circuit breaker per subgraph, retries of
queries only, answers cut off while streaming, subgraph errors sanitized, and the probes."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import orjson
import pytest
import uvicorn

from gateway import telemetry
from gateway.client.transport import SubgraphTransport, TransportSettings
from gateway.config import GatewayConfig
from gateway.engine import Gateway
from gateway.http import create_gateway_app
from tests.gateway.gateway_support import supergraph
from tests.gateway.raw_http import Exchange, answering, hang, raw_server
from tests.ports import free_port

pytestmark = pytest.mark.anyio

QUERY = orjson.dumps({"query": "{ __typename }"})
OK = {"data": {"__typename": "Query"}}
PRODUCTS = "{ products { upc } }"
PRODUCTS_OK = {"data": {"products": [{"upc": "1"}]}}
ADD_REVIEW = 'mutation { addReview(upc: "1", body: "good") { id } }'


def _gateway(**settings: Any) -> Gateway:
    return Gateway(supergraph("shop.graphql"), GatewayConfig(**settings))


async def _run(gateway: Gateway, query: str) -> dict[str, Any]:
    try:
        return await gateway.execute(gateway.prepare(query, None), None)
    finally:
        await gateway.close()


# --- one pool per subgraph ---------------------------------------------------------------------


async def test_a_hanging_subgraph_does_not_take_the_connections_of_a_healthy_one() -> None:
    """More requests hang on subgraph A than the old shared pool had connections (256): B's
    requests, made meanwhile, are all answered, and A never holds more than its own pool."""
    async with raw_server(hang) as a, raw_server(answering(OK)) as b:
        transport = SubgraphTransport(5.0)  # the defaults: a pool of 64 per subgraph
        try:
            stuck = [
                asyncio.create_task(
                    # Each different (a header): identical queries in flight would be sent once.
                    transport.post(a.url, QUERY, {"x-n": str(n)}, service="a", timeout=3.0)
                )
                for n in range(300)
            ]
            for _ in range(200):  # until A's pool is full (or the old shared one, 256)
                if a.connections >= 64:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)
            healthy = await asyncio.gather(
                *(
                    transport.post(b.url, QUERY, {"x-n": str(n)}, service="b", timeout=1.5)
                    for n in range(50)
                )
            )
            assert [r.errors for r in healthy] == [[]] * 50
            assert a.connections == 64  # never more than its pool, though 300 were asked
            answers = await asyncio.gather(*stuck)
            assert {r.errors[0]["extensions"]["code"] for r in answers} == {"SUBGRAPH_UNAVAILABLE"}
        finally:
            await transport.close()


def test_pool_sizes_are_configurable_per_subgraph(tmp_path: Any) -> None:
    config_file = tmp_path / "gateway.toml"
    config_file.write_text(
        "subgraph_max_connections = 16\nmax_subgraph_response_bytes = 1000\n"
        "[subgraphs.balai]\nmax_connections = 4\nmax_response_bytes = 500\n"
    )
    config = GatewayConfig.load(config_file, {"SATU_ANAK_BREAKER_FAILURES": "3"})
    assert config.subgraph_max_connections == 16
    assert config.subgraph_connections == {"balai": 4}
    assert config.subgraph_response_limits == {"balai": 500}
    assert config.breaker_failures == 3
    transport = SubgraphTransport(
        settings=TransportSettings(
            max_connections=16, connections={"balai": 4}, response_limits={"balai": 500}
        )
    )
    assert (transport.max_connections("balai"), transport.max_connections("pkh")) == (4, 16)
    assert transport.max_response_bytes("balai") == 500
    config_file.write_text("[subgraphs.balai]\nmax_connections = 0\n")
    with pytest.raises(ValueError, match="max_connections"):
        GatewayConfig.load(config_file, {})


# --- circuit breaker ---------------------------------------------------------------------------


def _gauge(subgraph: str) -> float | None:
    return telemetry.REGISTRY.get_sample_value(
        "satu_anak_gateway_circuit_breaker_state", {"subgraph": subgraph}
    )


async def test_the_breaker_opens_fails_fast_probes_and_closes() -> None:
    healthy = False

    async def flaky(exchange: Exchange) -> None:
        if healthy:
            await exchange.answer(200, PRODUCTS_OK)
        else:
            await exchange.answer(500, {"errors": [{"message": "down"}]})

    async with raw_server(flaky) as products:
        gateway = _gateway(
            subgraph_urls={"products": products.url},
            breaker_failures=3,
            breaker_cooldown=0.5,
            subgraph_retries=0,
        )
        client = gateway.client
        try:
            for _ in range(3):
                await gateway.execute(gateway.prepare(PRODUCTS, None), None)
            assert len(products.requests) == 3
            assert gateway.subgraph_states()["products"] == "open"
            assert _gauge("products") == 2  # the metric: 0 closed, 1 half-open, 2 open
            started = time.perf_counter()
            body = await gateway.execute(gateway.prepare(PRODUCTS, None), None)
            assert time.perf_counter() - started < 0.5  # within the cooldown: nothing was sent
            assert len(products.requests) == 3
            (error,) = [e for e in body["errors"] if "serviceName" in e.get("extensions", {})]
            assert error["extensions"] == {
                "code": "SUBGRAPH_UNAVAILABLE",
                "serviceName": "products",
            }
            assert "127.0.0.1" not in error["message"]
            await asyncio.sleep(0.6)
            assert gateway.subgraph_states()["products"] == "half_open"
            healthy = True
            body = await gateway.execute(gateway.prepare(PRODUCTS, None), None)
            assert body == {"data": {"products": [{"upc": "1"}]}}
            assert len(products.requests) == 4  # the one probe
            assert gateway.subgraph_states()["products"] == "closed"
            assert _gauge("products") == 0
            assert client.transport.breaker("products").opened == 1  # type: ignore[attr-defined]
        finally:
            await gateway.close()


async def test_a_failed_probe_opens_the_breaker_again() -> None:
    async with raw_server(answering({"errors": [{"message": "down"}]}, 503)) as products:
        gateway = _gateway(
            subgraph_urls={"products": products.url},
            breaker_failures=1,
            breaker_cooldown=0.3,
            subgraph_retries=0,
        )
        try:
            await gateway.execute(gateway.prepare(PRODUCTS, None), None)
            await asyncio.sleep(0.35)
            await asyncio.gather(
                *(gateway.execute(gateway.prepare(PRODUCTS, None), None) for _ in range(5))
            )
            assert len(products.requests) == 2  # the first failure, then one probe of five
            assert gateway.subgraph_states()["products"] == "open"
        finally:
            await gateway.close()


async def test_graphql_errors_in_a_200_do_not_open_the_breaker() -> None:
    answer = {"data": {"products": None}, "errors": [{"message": "no", "path": ["products"]}]}
    async with raw_server(answering(answer)) as products:
        gateway = _gateway(subgraph_urls={"products": products.url}, breaker_failures=2)
        try:
            for _ in range(5):
                await gateway.execute(gateway.prepare(PRODUCTS, None), None)
            assert len(products.requests) == 5
            assert gateway.subgraph_states()["products"] == "closed"
        finally:
            await gateway.close()


# --- retries -----------------------------------------------------------------------------------


def _busy_once(retry_after: str) -> Any:
    async def handler(exchange: Exchange) -> None:
        if len([e for e in exchange_log if e]) == 0:
            exchange_log.append(exchange)
            await exchange.answer(503, b"busy", {"retry-after": retry_after})
        else:
            await exchange.answer(200, PRODUCTS_OK)

    exchange_log: list[Exchange] = []
    return handler


async def test_a_query_is_retried_after_503_honouring_retry_after() -> None:
    async with raw_server(_busy_once("1")) as products:
        body = await _run(
            _gateway(subgraph_urls={"products": products.url}, subgraph_timeout=5), PRODUCTS
        )
    assert body == {"data": {"products": [{"upc": "1"}]}}
    first, second = products.requests
    assert second.at - first.at >= 0.95  # waited as the subgraph asked
    # Each attempt carries what is left of the timeout as the subgraph's deadline.
    assert 4000 < int(first.headers["x-satu-anak-deadline-ms"]) <= 5000
    assert int(second.headers["x-satu-anak-deadline-ms"]) < 4100


async def test_a_retry_after_beyond_the_timeout_is_not_waited_for() -> None:
    async with raw_server(_busy_once("30")) as products:
        started = time.perf_counter()
        body = await _run(
            _gateway(subgraph_urls={"products": products.url}, subgraph_timeout=2), PRODUCTS
        )
    assert time.perf_counter() - started < 1.5
    assert len(products.requests) == 1
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["serviceName"] == "products"


async def test_a_mutation_is_never_retried() -> None:
    async with raw_server(_busy_once("0")) as reviews:
        body = await _run(_gateway(subgraph_urls={"reviews": reviews.url}), ADD_REVIEW)
    assert len(reviews.requests) == 1
    assert body["data"] == {"addReview": None}
    assert body["errors"][0]["extensions"]["serviceName"] == "reviews"


def _drops_first_connection() -> Any:
    """Reads the first request, then closes the connection without a word (the subgraph may
    or may not have run it); answers every later one."""
    seen: list[int] = []

    async def handler(exchange: Exchange) -> None:
        seen.append(1)
        if len(seen) == 1:
            exchange.writer.close()
            return
        await exchange.answer(200, {"data": {"products": [{"upc": "1"}], "addReview": None}})

    return handler


async def test_a_query_is_retried_after_a_dropped_connection_a_mutation_is_not() -> None:
    async with raw_server(_drops_first_connection()) as products:
        body = await _run(_gateway(subgraph_urls={"products": products.url}), PRODUCTS)
    assert body == {"data": {"products": [{"upc": "1"}]}}
    assert len(products.requests) == 2
    async with raw_server(_drops_first_connection()) as reviews:
        body = await _run(_gateway(subgraph_urls={"reviews": reviews.url}), ADD_REVIEW)
    assert len(reviews.requests) == 1
    assert body["errors"][0]["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"


# --- size limit --------------------------------------------------------------------------------


async def test_an_answer_over_the_size_limit_is_cut_off_while_it_streams() -> None:
    total = 40_000_000
    item = b'{"upc":"' + b"x" * 1000 + b'"},'
    finished: list[bool] = []

    async def endless(exchange: Exchange) -> None:
        # Chunked, with no length announced: only reading tells how large it is.
        ok = await exchange.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        chunk = b'{"data":{"products":[' + item * 64
        while ok and exchange.sent < total:
            ok = await exchange.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            chunk = item * 64
            await asyncio.sleep(0)
        if ok:
            await exchange.write(b'b\r\n{"upc":"1"}\r\n4\r\n]}}\n\r\n0\r\n\r\n')
        finished.append(ok)

    async with raw_server(endless) as products:
        body = await _run(
            # The default limit, 8 MB.
            _gateway(subgraph_urls={"products": products.url}, subgraph_timeout=20),
            PRODUCTS,
        )
        for _ in range(200):
            if finished:
                break
            await asyncio.sleep(0.05)
    assert finished == [False]  # the server saw the connection closed before it was done
    assert products.exchanges[0].sent < total / 2
    (error,) = [e for e in body["errors"] if "serviceName" in e.get("extensions", {})]
    assert error["extensions"] == {
        "code": "SUBGRAPH_RESPONSE_TOO_LARGE",
        "serviceName": "products",
    }
    assert body["data"] is None


async def test_an_announced_length_over_the_limit_is_refused_before_reading() -> None:
    async def large(exchange: Exchange) -> None:
        await exchange.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 50000000\r\n\r\n"
        )
        for _ in range(50_000_000 // 65536):
            if not await exchange.write(b" " * 65536):
                return

    async with raw_server(large) as products:
        body = await _run(
            _gateway(subgraph_urls={"products": products.url}),
            PRODUCTS,
        )
    assert body["errors"][0]["extensions"]["code"] == "SUBGRAPH_RESPONSE_TOO_LARGE"
    assert products.exchanges[0].sent < 10_000_000  # not read to its end: the connection closed


# --- sanitized errors --------------------------------------------------------------------------

LEAKY = {
    "data": {"products": None},
    "errors": [
        {
            "message": (
                'Traceback (most recent call last):\n  File "/srv/products/app/resolvers.py", '
                "line 12\npsycopg.OperationalError: connection to db-products.internal:5432 "
                "refused"
            ),
            "path": ["products"],
            "locations": [{"line": 1, "column": 3}],
            "extensions": {
                "code": "INTERNAL_SERVER_ERROR",
                "exception": {"stacktrace": ["at /srv/products/app/db.py:40"]},
                "host": "10.2.3.4",
            },
        },
        {
            "message": (
                "sqlalchemy.exc.IntegrityError: (sqlite3.IntegrityError) [SQL: SELECT 1] "
                "[parameters: ('Siti Aminah', 7)] at NIK 3201234567890123"
            ),
            "path": ["products", 0, "upc"],
            "extensions": {"code": "BAD_USER_INPUT", "field": "upc", "sql": "SELECT 1"},
        },
        {
            "message": "no product has this code",
            "path": ["products"],
            "extensions": {"code": "BAD_USER_INPUT", "field": "upc", "trace": "/srv/x.py"},
        },
        {"message": "KeyError: 'upc' at http://10.2.3.4:8000/graphql"},
    ],
}


async def test_subgraph_errors_reach_the_client_without_traces_hosts_or_sql(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with raw_server(answering(LEAKY)) as products:
        gateway = _gateway(subgraph_urls={"products": products.url})
        app = create_gateway_app(gateway)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        ) as http:
            with caplog.at_level(logging.WARNING, logger="satu_anak.gateway.client"):
                response = await http.post(
                    "/graphql", json={"query": PRODUCTS}, headers={"x-request-id": "req-42"}
                )
        await gateway.close()
    text = response.text
    for leak in (
        "Traceback",
        "/srv",
        "OperationalError",
        "IntegrityError",
        "KeyError",
        "5432",
        "10.2.3.4",
        "internal",
        "SELECT",
        "stacktrace",
        "exception",
        "host",
        "sql",
        "trace",
    ):
        assert leak not in text, leak
    errors = [e for e in response.json()["errors"] if "serviceName" in e.get("extensions", {})]
    generic = "Subgraph products could not answer this field."
    assert errors == [
        {
            "message": generic,
            "path": ["products"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "serviceName": "products"},
        },
        {
            "message": generic,
            "path": ["products", 0, "upc"],
            "extensions": {"code": "BAD_USER_INPUT", "field": "upc", "serviceName": "products"},
        },
        {
            "message": "no product has this code",
            "path": ["products"],
            "extensions": {"code": "BAD_USER_INPUT", "field": "upc", "serviceName": "products"},
        },
        {
            "message": generic,
            "extensions": {"code": "DOWNSTREAM_SERVICE_ERROR", "serviceName": "products"},
        },
    ]
    # The originals are in the log, with the request id.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "req-42" in logged and "OperationalError" in logged and "IntegrityError" in logged
    # ... but not what they quote of a child: a statement's parameters, long numbers (NIKs).
    assert "Siti" not in logged and "3201234567890123" not in logged


# --- probes ------------------------------------------------------------------------------------


async def test_live_and_ready_stay_up_with_one_agency_down_and_call_no_subgraph() -> None:
    async with raw_server(answering(PRODUCTS_OK)) as products:
        dead = f"http://127.0.0.1:{free_port()}/graphql"
        gateway = _gateway(
            subgraph_urls={"products": products.url, "reviews": dead, "inventory": dead},
            breaker_failures=1,
            subgraph_retries=0,
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_gateway_app(gateway),
                host="127.0.0.1",
                port=port,
                log_config=None,
                lifespan="on",
            )
        )
        task = asyncio.create_task(server.serve())
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                for _ in range(500):
                    if server.started:
                        break
                    await asyncio.sleep(0.02)
                # A request that needs the dead agency opens its breaker.
                await http.post(
                    "/graphql",
                    json={"query": 'mutation { addReview(upc: "1", body: "b") { id } }'},
                )
                live = await http.get("/live")
                ready = await http.get("/ready")
                health = await http.get("/health")
        finally:
            server.should_exit = True
            await task
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "subgraphs": {"inventory": "closed", "products": "closed", "reviews": "open"},
    }
    assert len(products.requests) == 1  # /health's probe alone: /live and /ready ask nobody
    assert health.status_code == 503  # the older probe still says not every agency answers


async def test_ready_is_not_ready_before_the_gateway_has_started() -> None:
    gateway = _gateway()
    app = create_gateway_app(gateway)  # no lifespan run: the gateway never started
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as http:
        ready = await http.get("/ready")
        live = await http.get("/live")
    assert ready.status_code == 503 and ready.json()["status"] == "starting"
    assert live.status_code == 200


async def test_ready_needs_the_access_log_when_audit_is_configured(tmp_path: Any) -> None:
    from auth.grant import generate_key_pair
    from gateway.audit.config import AuditConfig

    generate_key_pair(tmp_path / "grant.pem", tmp_path / "grant.pub.pem")

    async def consent_ready(exchange: Exchange) -> None:
        assert exchange.request.path == "/audit/ready"  # the access log's own readiness
        await exchange.answer(200, {"status": "ok"})

    async def readiness(audit_url: str) -> httpx.Response:
        gateway = _gateway(grant_key=str(tmp_path / "grant.pem"), audit=AuditConfig(audit_url))
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_gateway_app(gateway), host="127.0.0.1", port=port, log_config=None
            )
        )
        task = asyncio.create_task(server.serve())
        try:
            for _ in range(500):
                if server.started:
                    break
                await asyncio.sleep(0.02)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                return await http.get("/ready")
        finally:
            server.should_exit = True
            await task

    async with raw_server(consent_ready) as consent:
        reachable = await readiness(consent.url.replace("/graphql", "/audit/append"))
    unreachable = await readiness(f"http://127.0.0.1:{free_port()}/audit/append")
    assert reachable.status_code == 200
    assert reachable.json()["accessLog"] == "ok"
    assert unreachable.status_code == 503
    assert unreachable.json()["status"] == "unavailable"
    assert unreachable.json()["accessLog"] == "unreachable"


async def test_the_consent_agencys_own_database_down_leaves_the_gateway_ready(
    tmp_path: Any,
) -> None:
    """The real consent service, its own database (the consent agency's data) hanging and its
    access log working, behind its grant gate: one agency down. The access log answers its own
    readiness without a grant, and every gateway stays ready; the consent service's /ready says
    it cannot serve its agency's data."""
    import socket

    from auth.grant import generate_key_pair
    from gateway.audit.config import AuditConfig
    from subgraphs import load_spec
    from subgraphs.common.service import create_app
    from subgraphs.common.settings import SubgraphSettings
    from subgraphs.consent.audit.service import APPEND_PATH, AuditService, AuditSettings

    generate_key_pair(tmp_path / "grant.pem", tmp_path / "grant.pub.pem")
    # The agency's database hangs: connections are accepted (the listen backlog) and never
    # answered, so asking it costs the consent service's whole check timeout.
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(16)
    nowhere = f"postgresql+asyncpg://satu@127.0.0.1:{hanging.getsockname()[1]}/nothing"
    audit = AuditService(AuditSettings(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}", None))
    consent_app = create_app(
        load_spec("consent"),
        SubgraphSettings("consent", nowhere, (str(tmp_path / "grant.pub.pem"),)),
        attachments=(audit,),
    )
    consent_port = free_port()
    consent = uvicorn.Server(
        uvicorn.Config(consent_app, host="127.0.0.1", port=consent_port, log_config=None)
    )
    consent_task = asyncio.create_task(consent.serve())
    try:
        for _ in range(500):
            if consent.started:
                break
            await asyncio.sleep(0.02)
        base = f"http://127.0.0.1:{consent_port}"
        gateway = _gateway(
            grant_key=str(tmp_path / "grant.pem"), audit=AuditConfig(base + APPEND_PATH)
        )
        app = create_gateway_app(gateway)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway"
            ) as http,
            httpx.AsyncClient(base_url=base) as direct,
        ):
            ready = await http.get("/ready")
            consent_ready = await direct.get("/ready")
    finally:
        consent.should_exit = True
        await consent_task
        hanging.close()
    assert consent_ready.status_code == 503  # the agency's own data cannot be served
    assert consent_ready.json()["checks"] == {"database": "unavailable", "audit": "ok"}
    assert ready.status_code == 200, ready.json()
    assert ready.json()["accessLog"] == "ok"


async def test_a_flood_of_readiness_probes_asks_the_access_log_once(tmp_path: Any) -> None:
    """/ready needs no token and has no rate limit. While one check of the access log was in
    flight (up to its 1 s timeout), every other /ready made a connection of its own to the
    consent service: a flood of probes became a flood on the access log's service. One check
    at a time; the others read its answer."""
    from auth.grant import generate_key_pair
    from gateway.audit.config import AuditConfig

    generate_key_pair(tmp_path / "grant.pem", tmp_path / "grant.pub.pem")
    asked: list[str] = []

    async def slow_ready(exchange: Exchange) -> None:
        asked.append(exchange.request.path)
        await asyncio.sleep(0.3)
        await exchange.answer(200, {"status": "ok"})

    async with raw_server(slow_ready) as consent:
        gateway = _gateway(
            grant_key=str(tmp_path / "grant.pem"),
            audit=AuditConfig(consent.url.replace("/graphql", "/audit/append")),
        )
        app = create_gateway_app(gateway)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway"
            ) as http,
        ):
            answers = await asyncio.gather(*(http.get("/ready") for _ in range(40)))
    assert [a.status_code for a in answers] == [200] * 40
    assert len(asked) == 1, f"{len(asked)} checks of the access log for 40 probes"
