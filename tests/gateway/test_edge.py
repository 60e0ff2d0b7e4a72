"""The gateway's HTTP edge, through the real ASGI app (and, where the server matters, a real
uvicorn): rate limits per client address before anything costly and per principal after
authentication (429, `Retry-After`, `RATE_LIMITED`), bounded tables of buckets, X-Forwarded-For
believed only from trusted proxies, CSRF prevention, the persisted-operation safelist, and no
query plan in a production answer. What is recorded in the access log is read from a real HTTP
access log endpoint (an aiohttp server in the test's loop)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from aiohttp import web

from auth.dev_issuer import DevIssuer
from auth.errors import InvalidToken
from auth.principal import Principal
from auth.sample_users import sample_user
from gateway.audit.config import AuditConfig
from gateway.config import ConfigError, GatewayConfig
from gateway.edge import EdgeConfig
from gateway.engine import Gateway
from gateway.http import create_gateway_app
from gateway.http.ratelimit import TokenBuckets, retry_after
from satu_anak.cli import gateway_server_config
from satu_anak.cli import main as cli_main
from tests.auth.auth_support import free_port, serving_dev_issuer
from tests.conftest import _HARNESS_KEY
from tests.gateway.gateway_support import FakeSubgraphs, supergraph

pytestmark = pytest.mark.anyio

QUERY = "{ products { upc name } }"
BODY = {"query": QUERY}
PRODUCTS = {"data": {"products": [{"upc": "1", "name": "Sepatu"}]}}
PREFLIGHT = {"apollo-require-preflight": "true"}


def _fakes() -> FakeSubgraphs:
    return FakeSubgraphs({"products": lambda _d, _v: PRODUCTS})


def _config(**edge: Any) -> GatewayConfig:
    return GatewayConfig(edge=EdgeConfig(**edge))


@asynccontextmanager
async def _client(
    app: Any, client: tuple[str, int] = ("127.0.0.1", 123)
) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=client), base_url="http://gateway"
        ) as http,
    ):
        yield http


def _codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


class CountingAuthenticator:
    """Refuses every token, counting how many it was asked to verify."""

    def __init__(self) -> None:
        self.calls = 0

    async def authenticate(self, token: str, requested_role: str | None = None) -> Principal:
        self.calls += 1
        raise InvalidToken("bad token")


# --- rate limits ---------------------------------------------------------------------------


async def test_a_bad_token_flood_is_refused_per_address_before_any_token_is_verified() -> None:
    counting = CountingAuthenticator()
    fakes = _fakes()
    config = _config(address_rate=0.5, address_burst=3)
    app = create_gateway_app(
        Gateway(supergraph("shop.graphql"), config, client=fakes), authenticator=counting
    )
    async with _client(app) as http:
        answers = [
            await http.post("/graphql", json=BODY, headers={"authorization": f"Bearer bad{i}"})
            for i in range(20)
        ]
    assert [a.status_code for a in answers] == [401] * 3 + [429] * 17
    assert counting.calls == 3  # the other 17 cost no token verification
    limited = answers[-1]
    assert _codes(limited) == ["RATE_LIMITED"]
    assert "data" not in limited.json()
    # 0.5 tokens a second: the next one in (at most) 2 s; whole seconds (RFC 9110).
    assert limited.headers["retry-after"] in ("1", "2")
    assert fakes.sent == []


async def test_addresses_have_buckets_of_their_own_and_health_is_not_limited() -> None:
    app = create_gateway_app(
        Gateway(
            supergraph("shop.graphql"), _config(address_burst=1, address_rate=0.01), client=_fakes()
        )
    )
    async with _client(app, ("192.0.2.1", 1)) as first, _client(app, ("192.0.2.2", 1)) as second:
        assert (await first.post("/graphql", json=BODY)).status_code == 200
        assert (await first.post("/graphql", json=BODY)).status_code == 429
        assert (await second.post("/graphql", json=BODY)).status_code == 200
        assert [(await first.get("/health")).status_code for _ in range(5)] == [200] * 5


async def test_the_table_of_buckets_is_bounded_against_a_spray_of_addresses() -> None:
    app = create_gateway_app(
        Gateway(supergraph("shop.graphql"), _config(rate_limit_buckets=50), client=_fakes())
    )
    async with app.router.lifespan_context(app):
        for i in range(600):
            transport = httpx.ASGITransport(app=app, client=(f"10.{i // 250}.{i % 250}.1", 1))
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
                assert (await http.post("/graphql", json=BODY)).status_code == 200
    buckets: TokenBuckets = app.state.rate_limits["address"]
    assert len(buckets) == 50
    assert buckets.evicted == 550


async def test_an_ipv6_client_is_counted_per_slash_64() -> None:
    app = create_gateway_app(
        Gateway(
            supergraph("shop.graphql"), _config(address_burst=1, address_rate=0.01), client=_fakes()
        )
    )
    async with (
        _client(app, ("2001:db8::1", 1)) as one,
        _client(app, ("2001:db8::ffff:2", 1)) as two,
    ):
        assert (await one.post("/graphql", json=BODY)).status_code == 200
        assert (await two.post("/graphql", json=BODY)).status_code == 429


def test_token_buckets_refill_at_their_rate_and_say_when() -> None:
    now = [100.0]
    buckets = TokenBuckets(rate=2.0, burst=2, capacity=10, clock=lambda: now[0])
    assert buckets.take("a") == 0.0 and buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] += 0.5
    assert buckets.take("a") == 0.0
    now[0] += 60  # refilled up to the burst, no further
    assert [buckets.take("a") for _ in range(3)][2] > 0
    assert retry_after(0.01) == 1 and retry_after(1.0) == 1 and retry_after(1.2) == 2


async def test_x_forwarded_for_is_never_believed_by_default() -> None:
    app = create_gateway_app(
        Gateway(
            supergraph("shop.graphql"), _config(address_burst=1, address_rate=0.01), client=_fakes()
        )
    )
    async with _client(app, ("10.0.0.5", 1)) as http:
        first = await http.post("/graphql", json=BODY, headers={"x-forwarded-for": "203.0.113.1"})
        second = await http.post("/graphql", json=BODY, headers={"x-forwarded-for": "203.0.113.2"})
    assert (first.status_code, second.status_code) == (200, 429)


async def test_x_forwarded_for_from_a_trusted_proxy_names_the_client() -> None:
    config = _config(address_burst=1, address_rate=0.01, trusted_proxies=("10.0.0.0/8",))
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), config, client=_fakes()))
    async with (
        _client(app, ("10.0.0.5", 1)) as ingress,
        _client(app, ("198.51.100.9", 1)) as direct,
    ):

        async def via_ingress(forwarded: str) -> int:
            response = await ingress.post(
                "/graphql", json=BODY, headers={"x-forwarded-for": forwarded}
            )
            return response.status_code

        assert await via_ingress("203.0.113.1") == 200
        assert await via_ingress("203.0.113.2") == 200  # another client behind the ingress
        assert await via_ingress("203.0.113.1") == 429  # the first one again
        # What the client wrote itself (left of its address) changes nothing.
        assert await via_ingress("192.0.2.77, 203.0.113.1") == 429
        # A chain of trusted proxies is walked from the right.
        assert await via_ingress("203.0.113.3, 10.1.2.3") == 200
        assert await via_ingress("203.0.113.3, 10.9.9.9") == 429
        # A peer that is no trusted proxy is counted as itself, whatever it sends.
        answers = [
            (
                await direct.post(
                    "/graphql", json=BODY, headers={"x-forwarded-for": f"203.0.113.{100 + i}"}
                )
            ).status_code
            for i in range(3)
        ]
        assert answers == [200, 429, 429]


async def test_the_served_gateway_does_not_let_uvicorn_believe_x_forwarded_for() -> None:
    # uvicorn, left to its defaults, takes X-Forwarded-For from 127.0.0.1 as the client address:
    # a local process could then choose a new bucket for every request.
    port = free_port()
    config = replace(_config(address_burst=1, address_rate=0.01), port=port)
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), config, client=_fakes()))
    server = uvicorn.Server(gateway_server_config(app, config))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            statuses = [
                (
                    await http.post(
                        "/graphql", json=BODY, headers={"x-forwarded-for": f"203.0.113.{i}"}
                    )
                ).status_code
                for i in range(1, 4)
            ]
    finally:
        server.should_exit = True
        await task
    assert statuses == [200, 429, 429]


async def test_rate_limits_can_be_switched_off() -> None:
    config = _config(rate_limit=False, address_burst=1, address_rate=0.01)
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), config, client=_fakes()))
    async with _client(app) as http:
        statuses = {(await http.post("/graphql", json=BODY)).status_code for _ in range(20)}
    assert statuses == {200}
    assert app.state.rate_limits == {}


# --- the access log: per-principal refusals recorded, per-address ones not ------------------


class AccessLog:
    """An access log endpoint that takes every append (the grant is checked elsewhere)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        records = orjson.loads(await request.read())["records"]
        first = len(self.records) + 1
        self.records.extend(records)
        return web.json_response({"first": first, "last": len(self.records)})


@asynccontextmanager
async def _audited_gateway(
    folder: Path, **edge: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, DevIssuer, AccessLog, FakeSubgraphs]]:
    log = AccessLog()
    server = web.Application()
    server.router.add_post("/audit/append", log.handle)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    key = folder / "grant-key.pem"
    key.write_bytes(_HARNESS_KEY.as_pem(private=True))
    fakes = _fakes()
    try:
        async with serving_dev_issuer(folder) as issuer:
            config = GatewayConfig(
                auth_issuer=issuer.url,
                grant_key=str(key),
                audit=AuditConfig(f"http://127.0.0.1:{port}/audit/append"),
                edge=EdgeConfig(**edge),
            )
            app = create_gateway_app(Gateway(supergraph("shop.graphql"), config, client=fakes))
            async with _client(app) as http:
                yield http, issuer, log, fakes
    finally:
        await runner.cleanup()


def _as(issuer: DevIssuer, role: str, user: str | None = None, purpose: str = "") -> dict[str, str]:
    return {
        "authorization": f"Bearer {issuer.issue(sample_user(role, user))}",
        "x-satu-anak-purpose": purpose,
    }


async def test_the_limit_per_principal_applies_after_authentication_and_is_recorded(
    tmp_path: Path,
) -> None:
    async with _audited_gateway(tmp_path, principal_burst=2, principal_rate=0.01) as (
        http,
        issuer,
        log,
        fakes,
    ):
        officer = _as(issuer, "dinsos_officer", purpose="child.protection")
        other = _as(issuer, "pkh_facilitator", purpose="pkh.verification")
        answers = [await http.post("/graphql", json=BODY, headers=officer) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert _codes(answers[2]) == ["RATE_LIMITED"]
        assert int(answers[2].headers["retry-after"]) >= 1
        # Another principal from the same address has a bucket of its own.
        assert (await http.post("/graphql", json=BODY, headers=other)).status_code == 200
    assert len(fakes.sent) == 3
    assert [r["status"] for r in log.records] == [200, 200, 429, 200]
    refused = log.records[2]
    assert refused["outcome"] == "refused" and refused["refusal"] == "RATE_LIMITED"
    assert refused["principal"]["role"] == "dinsos_officer"
    assert refused["purpose"] == "child.protection"


async def test_a_flood_refused_per_address_leaves_the_access_log_alone(tmp_path: Path) -> None:
    async with _audited_gateway(tmp_path, address_burst=3, address_rate=0.01) as (
        http,
        _issuer,
        log,
        _fakes,
    ):
        statuses = [
            (
                await http.post("/graphql", json=BODY, headers={"authorization": "Bearer x"})
            ).status_code
            for _ in range(30)
        ]
    assert statuses == [401] * 3 + [429] * 27
    assert len(log.records) == 3
    assert {r["refusal"] for r in log.records} == {"UNAUTHENTICATED"}


async def test_a_csrf_refusal_is_recorded_without_verifying_the_token(tmp_path: Path) -> None:
    async with _audited_gateway(tmp_path) as (http, issuer, log, fakes):
        token = issuer.issue(sample_user("dinsos_officer"))
        response = await http.get(
            "/graphql", params={"query": QUERY}, headers={"authorization": f"Bearer {token}"}
        )
    assert response.status_code == 400 and _codes(response) == ["CSRF_ERROR"]
    assert fakes.sent == []
    (record,) = log.records
    assert record["refusal"] == "CSRF_ERROR" and record["status"] == 400
    assert record["principal"] is None  # refused before the token was read


# --- CSRF prevention -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "headers", "content"),
    [
        ("GET", {}, None),
        ("GET", {"apollo-require-preflight": ""}, None),
        ("GET", {"x-apollo-operation-name": "  "}, None),
        ("POST", {"content-type": "text/plain"}, json.dumps(BODY)),
        ("POST", {"content-type": "text/plain; charset=utf-8"}, json.dumps(BODY)),
        ("POST", {"content-type": "application/x-www-form-urlencoded"}, "query=x"),
        ("POST", {"content-type": "multipart/form-data; boundary=x"}, "--x--"),
        ("POST", {"content-type": "TEXT/PLAIN"}, json.dumps(BODY)),
    ],
)
async def test_a_request_a_browser_sends_without_preflight_needs_a_header(
    method: str, headers: dict[str, str], content: str | None
) -> None:
    counting = CountingAuthenticator()
    fakes = _fakes()
    app = create_gateway_app(
        Gateway(supergraph("shop.graphql"), GatewayConfig(), client=fakes), authenticator=counting
    )
    async with _client(app) as http:
        response = await http.request(
            method,
            "/graphql",
            params={"query": QUERY} if method == "GET" else None,
            headers=headers,
            content=content,
        )
    assert response.status_code == 400
    assert _codes(response) == ["CSRF_ERROR"]
    assert "x-apollo-operation-name" in response.json()["errors"][0]["message"]
    assert counting.calls == 0 and fakes.sent == []


async def test_a_post_without_content_type_needs_a_header() -> None:
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), GatewayConfig(), client=_fakes()))
    async with _client(app) as http:
        # httpx sends no content type for raw bytes.
        response = await http.post("/graphql", content=json.dumps(BODY).encode())
        assert "content-type" not in response.request.headers
        assert _codes(response) == ["CSRF_ERROR"]
        assert (await http.post("/graphql", content=b"{}", headers=PREFLIGHT)).status_code == 415


@pytest.mark.parametrize(
    "headers",
    [
        {"apollo-require-preflight": "true"},
        {"x-apollo-operation-name": "Products"},
        {"x-satu-anak-purpose": "child.protection"},
        {"Apollo-Require-Preflight": "1"},
    ],
)
async def test_a_get_with_a_preflight_header_runs(headers: dict[str, str]) -> None:
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), GatewayConfig(), client=_fakes()))
    async with _client(app) as http:
        response = await http.get("/graphql", params={"query": QUERY}, headers=headers)
    assert response.status_code == 200 and response.json() == PRODUCTS


async def test_json_posts_pass_and_a_simple_type_with_a_header_gets_415() -> None:
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), GatewayConfig(), client=_fakes()))
    async with _client(app) as http:
        assert (await http.post("/graphql", json=BODY)).json() == PRODUCTS
        graphql_json = await http.post(
            "/graphql",
            content=json.dumps(BODY),
            headers={"content-type": "application/graphql-response+json"},
        )
        assert graphql_json.status_code == 200
        # Past CSRF prevention (it carries the header), the app's own answer: not JSON, 415.
        plain = await http.post(
            "/graphql",
            content=json.dumps(BODY),
            headers={"content-type": "text/plain", **PREFLIGHT},
        )
        assert plain.status_code == 415


async def test_csrf_headers_are_configurable_and_prevention_can_be_switched_off() -> None:
    config = _config(csrf_required_headers=("x-our-client",))
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), config, client=_fakes()))
    async with _client(app) as http:
        assert (
            await http.get("/graphql", params={"query": QUERY}, headers=PREFLIGHT)
        ).status_code == 400
        ours = await http.get("/graphql", params={"query": QUERY}, headers={"x-our-client": "1"})
        assert ours.status_code == 200
    off = create_gateway_app(
        Gateway(supergraph("shop.graphql"), _config(csrf_prevention=False), client=_fakes())
    )
    async with _client(off) as http:
        assert (await http.get("/graphql", params={"query": QUERY})).status_code == 200


async def test_the_development_console_page_is_still_served() -> None:
    app = create_gateway_app(
        Gateway(supergraph("shop.graphql"), GatewayConfig(), client=_fakes()), development=True
    )
    async with _client(app) as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "<html" in page.text


# --- the persisted-operation safelist ---------------------------------------------------------

LISTED = "query Products { products { upc name } }"
LISTED_ID = hashlib.sha256(LISTED.encode()).hexdigest()


def _manifest(folder: Path) -> Path:
    path = folder / "manifest.json"
    path.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": LISTED_ID, "name": "Products", "type": "query", "body": LISTED}
                ],
            }
        )
    )
    return path


def _apq(sha: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def test_safelist_mode_runs_listed_operations_by_id(tmp_path: Path) -> None:
    fakes = _fakes()
    config = _config(persisted_operations=str(_manifest(tmp_path)))
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), config, client=fakes))
    async with _client(app) as http:
        by_apollo = await http.post("/graphql", json={"extensions": _apq(LISTED_ID)})
        by_document_id = await http.post("/graphql", json={"documentId": f"sha256:{LISTED_ID}"})
        by_bare_id = await http.post("/graphql", json={"documentId": LISTED_ID})
        by_get = await http.get(
            "/graphql",
            params={"extensions": json.dumps(_apq(LISTED_ID)), "operationName": "Products"},
            headers={"x-apollo-operation-name": "Products"},
        )
    for answer in (by_apollo, by_document_id, by_bare_id, by_get):
        assert answer.status_code == 200 and answer.json() == PRODUCTS
    assert len(fakes.sent) == 4


async def test_safelist_mode_refuses_unknown_ids_free_text_and_registration(
    tmp_path: Path,
) -> None:
    fakes = _fakes()
    config = _config(persisted_operations=str(_manifest(tmp_path)))
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), config, client=fakes))
    unknown = hashlib.sha256(b"{ products { upc } }").hexdigest()
    async with _client(app) as http:
        answers = {
            "unknown id": await http.post("/graphql", json={"extensions": _apq(unknown)}),
            "unknown documentId": await http.post("/graphql", json={"documentId": "sha256:00"}),
            "free text": await http.post("/graphql", json={"query": "{ products { upc } }"}),
            "listed text": await http.post("/graphql", json={"query": LISTED}),
            "registration": await http.post(
                "/graphql",
                json={"query": "{ products { upc } }", "extensions": _apq(unknown)},
            ),
            "bad extension": await http.post(
                "/graphql", json={"extensions": {"persistedQuery": {"sha256Hash": 1}}}
            ),
        }
    codes = {name: (a.status_code, _codes(a)) for name, a in answers.items()}
    assert codes == {
        "unknown id": (400, ["PERSISTED_QUERY_NOT_FOUND"]),
        "unknown documentId": (400, ["PERSISTED_QUERY_NOT_FOUND"]),
        "free text": (400, ["PERSISTED_QUERY_NOT_IN_LIST"]),
        "listed text": (400, ["PERSISTED_QUERY_NOT_IN_LIST"]),
        "registration": (400, ["PERSISTED_QUERY_NOT_SUPPORTED"]),
        "bad extension": (400, ["BAD_REQUEST"]),
    }
    assert fakes.sent == []
    # Nothing was registered: the id sent with text is still unknown.
    async with _client(app) as http:
        again = await http.post("/graphql", json={"extensions": _apq(unknown)})
    assert _codes(again) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_safelist_without_require_id_runs_listed_text_only(tmp_path: Path) -> None:
    config = _config(persisted_operations=str(_manifest(tmp_path)), persisted_require_id=False)
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), config, client=_fakes()))
    async with _client(app) as http:
        listed = await http.post("/graphql", json={"query": LISTED})
        other = await http.post("/graphql", json={"query": LISTED + " "})
    assert listed.json() == PRODUCTS
    assert _codes(other) == ["PERSISTED_QUERY_NOT_IN_LIST"]


async def test_without_a_manifest_an_id_alone_is_not_supported_and_text_runs() -> None:
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), GatewayConfig(), client=_fakes()))
    async with _client(app) as http:
        by_id = await http.post("/graphql", json={"extensions": _apq(LISTED_ID)})
        with_text = await http.post(
            "/graphql", json={"query": LISTED, "extensions": _apq(LISTED_ID)}
        )
    assert by_id.status_code == 400 and _codes(by_id) == ["PERSISTED_QUERY_NOT_SUPPORTED"]
    assert with_text.json() == PRODUCTS


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"format": "something-else", "version": 1, "operations": []}),
        json.dumps({"format": "apollo-persisted-query-manifest", "version": 2, "operations": []}),
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "a", "name": "A", "type": "query"}],
            }
        ),
    ],
)
def test_a_bad_manifest_stops_the_gateway_from_starting(tmp_path: Path, content: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)
    with pytest.raises(ConfigError):
        create_gateway_app(
            Gateway(supergraph("shop.graphql"), _config(persisted_operations=str(path)))
        )


async def test_a_persisted_request_is_recorded_with_its_operations_hash(tmp_path: Path) -> None:
    async with _audited_gateway(tmp_path, persisted_operations=str(_manifest(tmp_path))) as (
        http,
        issuer,
        log,
        _fakes,
    ):
        headers = _as(issuer, "dinsos_officer", purpose="child.protection")
        ran = await http.post("/graphql", json={"documentId": LISTED_ID}, headers=headers)
        refused = await http.post("/graphql", json={"query": LISTED}, headers=headers)
    assert ran.json() == PRODUCTS
    assert _codes(refused) == ["PERSISTED_QUERY_NOT_IN_LIST"]
    first, second = log.records
    assert first["operation"]["sha256"] == LISTED_ID and first["outcome"] == "answered"
    assert first["operation"]["name"] == "Products"
    assert second["refusal"] == "PERSISTED_QUERY_NOT_IN_LIST" and second["outcome"] == "refused"


# --- production mode -------------------------------------------------------------------------


@pytest.mark.parametrize("development", [False, True])
async def test_the_query_plan_is_shown_in_development_only(development: bool) -> None:
    app = create_gateway_app(
        Gateway(supergraph("shop.graphql"), GatewayConfig(), client=_fakes()),
        development=development,
    )
    async with _client(app) as http:
        answer = await http.post("/graphql", json=BODY, headers={"x-satu-anak-plan": "1"})
    assert answer.status_code == 200
    if development:
        assert "queryPlan" in answer.json()["extensions"]
    else:
        assert answer.json() == PRODUCTS  # no `extensions` at all: no plan, no timing


# --- settings --------------------------------------------------------------------------------


def test_edge_settings_from_the_file_then_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(
        "[edge]\naddress_rate = 5\naddress_burst = 10\n"
        'trusted_proxies = ["10.0.0.0/8"]\ncsrf_required_headers = ["X-Our-Client"]\n'
    )
    config = GatewayConfig.load(path, {})
    assert config.edge.address_rate == 5 and config.edge.address_burst == 10
    assert config.edge.trusted_proxies == ("10.0.0.0/8",)
    assert config.edge.csrf_required_headers == ("x-our-client",)
    assert config.edge.rate_limit and config.edge.persisted_operations is None
    environ = {
        "SATU_ANAK_RATE_LIMIT": "off",
        "SATU_ANAK_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8",
        "SATU_ANAK_PERSISTED_OPERATIONS": "/etc/satu-anak/manifest.json",
        "SATU_ANAK_PRINCIPAL_RATE": "3",
    }
    changed = GatewayConfig.load(path, environ).edge
    assert not changed.rate_limit and changed.trusted_proxies == ("10.0.0.0/8", "fd00::/8")
    assert changed.persisted_operations == "/etc/satu-anak/manifest.json"
    assert changed.principal_rate == 3 and changed.address_burst == 10


@pytest.mark.parametrize(
    "edge",
    [
        'trusted_proxies = ["not an address"]',
        "address_rate = 0",
        "principal_burst = 0",
        "rate_limit_buckets = 0",
        "no_such_setting = 1",
        'trusted_proxies = "10.0.0.0/8"',
    ],
)
def test_bad_edge_settings_are_refused(tmp_path: Path, edge: str) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(f"[edge]\n{edge}\n")
    with pytest.raises(ConfigError):
        GatewayConfig.load(path, {})


def test_a_bad_rate_limit_switch_in_the_environment_is_refused() -> None:
    with pytest.raises(ConfigError):
        GatewayConfig.load(None, {"SATU_ANAK_RATE_LIMIT": "sometimes"})


async def test_a_manifest_built_from_graphql_files_serves_its_operations(tmp_path: Path) -> None:
    (tmp_path / "products.graphql").write_text(
        "query Products { products { ...Names } }\nfragment Names on Product { upc name }\n"
        "fragment Unused on Product { upc }\n"
    )
    (tmp_path / "upcs.graphql").write_text("query Upcs { products { upc } }")
    out = tmp_path / "manifest.json"
    code = cli_main(
        [
            "persisted",
            "build",
            str(tmp_path / "products.graphql"),
            str(tmp_path / "upcs.graphql"),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    manifest = json.loads(out.read_text())
    assert manifest["format"] == "apollo-persisted-query-manifest" and manifest["version"] == 1
    operations = {op["name"]: op for op in manifest["operations"]}
    assert set(operations) == {"Products", "Upcs"}
    products = operations["Products"]
    assert products["type"] == "query" and "fragment Names" in products["body"]
    assert "Unused" not in products["body"]
    assert products["id"] == hashlib.sha256(products["body"].encode()).hexdigest()
    app = create_gateway_app(
        Gateway(supergraph("shop.graphql"), _config(persisted_operations=str(out)), client=_fakes())
    )
    async with _client(app) as http:
        answer = await http.post("/graphql", json={"documentId": f"sha256:{products['id']}"})
    assert answer.json() == PRODUCTS


@pytest.mark.parametrize(
    "text", ["{ products { upc } }", "query A { products { ...Missing } }", "query A {"]
)
def test_building_a_manifest_refuses_anonymous_or_broken_operations(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "op.graphql"
    source.write_text(text)
    assert cli_main(["persisted", "build", str(source)]) == 2
    assert "op.graphql" in capsys.readouterr().err


def test_the_gateway_command_stops_with_one_line_on_a_bad_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.json"
    monkeypatch.setenv("SATU_ANAK_PERSISTED_OPERATIONS", str(missing))
    for variable in ("SATU_ANAK_AUTH_ISSUER", "SATU_ANAK_GRANT_KEY", "SATU_ANAK_AUDIT_URL"):
        monkeypatch.delenv(variable, raising=False)
    shop = Path(__file__).parent / "fixtures" / "shop.graphql"
    assert cli_main(["gateway", "--supergraph", str(shop), "--port", str(free_port())]) == 2
    error = capsys.readouterr().err
    assert str(missing) in error and "Traceback" not in error


def _json_post_scope() -> dict[str, Any]:
    """The ASGI scope of a JSON POST to /graphql, for tests that feed the body themselves."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 123),
        "server": ("gateway", 80),
    }


async def test_a_body_sent_a_byte_at_a_time_is_read_in_linear_time() -> None:
    """A client chooses how its body is cut into chunks. Read as `bytes += chunk`, a ~1 MB body
    sent a byte at a time cost seconds of the event loop's CPU (every chunk copied the body so
    far): one request stalled every other. Read in place, it takes a fraction of a second."""

    app = create_gateway_app(Gateway(supergraph("shop.graphql"), GatewayConfig(), client=_fakes()))

    async def post_bytewise(padding: int) -> float:
        """CPU seconds to answer a body of ``padding`` spaces more, sent a byte at a time."""
        body = orjson.dumps({"query": QUERY + " " * padding})
        chunks = iter(body[i : i + 1] for i in range(len(body)))

        async def receive() -> dict[str, Any]:
            chunk = next(chunks, None)
            return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        started = time.process_time()
        await app(_json_post_scope(), receive, send)
        took = time.process_time() - started
        assert sent[0]["status"] == 200
        expected = {"data": {"products": [{"upc": "1", "name": "Sepatu"}]}}
        assert orjson.loads(sent[1]["body"]) == expected
        return took

    # Linear: four times the body, about four times the time (copying the body so far at each
    # chunk would make it sixteen). A ratio of two runs, in this process's CPU time, not a
    # wall-clock limit: a shared machine once took 3.2 s for what a quiet one does in 2.
    async with app.router.lifespan_context(app):
        quarter = await post_bytewise(240_000)
        whole = await post_bytewise(990_000)
    assert whole < 8 * quarter + 0.5, f"{whole:.2f} s for 1 MB against {quarter:.2f} s for 250 kB"


async def test_a_flood_of_health_checks_probes_the_agencies_once_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # /health needs no token and is not rate-limited: its probes must not follow the flood.
    fakes = _fakes()
    probes = 0
    probe = fakes.ready

    async def counted() -> dict[str, bool]:
        nonlocal probes
        probes += 1
        return await probe()

    monkeypatch.setattr(fakes, "ready", counted)
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), GatewayConfig(), client=fakes))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http,
    ):
        answers = list(await asyncio.gather(*(http.get("/health") for _ in range(50))))
        answers += [await http.get("/health") for _ in range(50)]
        assert probes == 1
        assert all(
            a.status_code == 200 and a.json() == {"status": "ok", "subgraphs": {"products": True}}
            for a in answers
        )
        later = time.monotonic() + 1.5
        monkeypatch.setattr("gateway.http.health.time.monotonic", lambda: later)
        assert (await http.get("/health")).status_code == 200
        assert probes == 2


async def test_a_body_that_stops_arriving_is_refused_with_408() -> None:
    # uvicorn has no limit on how long a body may take: a client that sends a little and then
    # nothing would hold its connection and buffer for ever.
    config = GatewayConfig(body_timeout=0.3)
    app = create_gateway_app(Gateway(supergraph("shop.graphql"), config, client=_fakes()))
    first = True

    async def receive() -> dict[str, Any]:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b'{"query": "{ pro', "more_body": True}
        await asyncio.sleep(3600)  # the rest never comes
        raise AssertionError("unreachable")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app(_json_post_scope(), receive, send), 10)
    assert sent[0]["status"] == 408
    assert orjson.loads(sent[1]["body"]) == {
        "errors": [{"message": "request body not received within 0.3 s"}]
    }
