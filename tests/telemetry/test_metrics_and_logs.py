"""Metrics, exposed on their own port and counting (requests, errors by code, plan cache hits
and misses, policy denials by category, breaker state), and logs that carry the trace and
request ids — through the gateway's HTTP app with the consent stage (a fake policy over the
consent fixture's subgraphs, tests/gateway/consent_support.py)."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest

from auth.principal import Principal
from auth.purposes import Role
from gateway import telemetry
from gateway.engine import Gateway, GatewayConfig
from gateway.http import create_gateway_app
from observability.metrics import serve_metrics
from satu_anak.up import children_env
from subgraphs.common.logs import JsonFormatter, TextFormatter, log_format
from tests.gateway.consent_support import CONFIG, FakePolicy, fake_subgraphs, principal
from tests.gateway.gateway_support import FakeSubgraphs, supergraph
from tests.ports import free_port

pytestmark = pytest.mark.anyio

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
DENIED = '{ child(id: "A") { name cases { category notes } } }'


class Officer:
    """Authenticates any token as a Dinsos officer (token checks are tested elsewhere)."""

    async def authenticate(self, token: str, requested_role: str | None = None) -> Principal:
        return principal(Role.DINSOS_OFFICER)


@pytest.fixture(scope="module")
def metrics_url() -> Iterator[str]:
    port = free_port()
    server, thread = serve_metrics(port)
    try:
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _gateway(fakes: FakeSubgraphs) -> Gateway:
    return Gateway(
        supergraph("consent.graphql"),
        GatewayConfig(consent=CONFIG),
        client=fakes,
        policy=FakePolicy(),
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = create_gateway_app(_gateway(fake_subgraphs()), authenticator=Officer())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        yield client


async def _post(http: httpx.AsyncClient, query: str, **headers: str) -> httpx.Response:
    return await http.post(
        "/graphql",
        json={"query": query},
        headers={
            "authorization": "Bearer t",
            "x-satu-anak-purpose": "child.protection",
            **headers,
        },
    )


async def _scrape(url: str) -> dict[str, float]:
    """The metrics endpoint's samples, by name and labels as written."""
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    samples = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def _delta(before: dict[str, float], after: dict[str, float], name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)


async def test_a_request_and_its_denials_are_counted_on_the_metrics_port(
    metrics_url: str, http: httpx.AsyncClient
) -> None:
    before = await _scrape(metrics_url)
    response = await _post(http, DENIED)
    assert response.status_code == 200
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["FORBIDDEN"] * 2
    after = await _scrape(metrics_url)
    requests = 'satu_anak_gateway_requests_total{route="/graphql",status="200"}'
    assert _delta(before, after, requests) == 1
    denials = (
        'satu_anak_gateway_policy_denials_total{category="protection.detail",code="FORBIDDEN"}'
    )
    assert _delta(before, after, denials) == 2  # one per field withheld
    assert _delta(before, after, 'satu_anak_gateway_errors_total{code="FORBIDDEN"}') == 1


async def test_plan_cache_hits_and_misses_are_counted(
    metrics_url: str, http: httpx.AsyncClient
) -> None:
    query = '{ child(id: "C") { name } }'
    before = await _scrape(metrics_url)
    await _post(http, query)
    middle = await _scrape(metrics_url)
    await _post(http, query)
    after = await _scrape(metrics_url)
    miss = 'satu_anak_gateway_plan_cache_total{result="miss"}'
    hit = 'satu_anak_gateway_plan_cache_total{result="hit"}'
    assert (_delta(before, middle, miss), _delta(before, middle, hit)) == (1, 0)
    assert (_delta(middle, after, miss), _delta(middle, after, hit)) == (0, 1)


async def test_refusals_are_counted_by_code(metrics_url: str, http: httpx.AsyncClient) -> None:
    before = await _scrape(metrics_url)
    response = await _post(http, "{ child(id: 1) { nosuchfield } }")
    assert response.json()["errors"]
    after = await _scrape(metrics_url)
    code = 'satu_anak_gateway_errors_total{code="GRAPHQL_VALIDATION_FAILED"}'
    assert _delta(before, after, code) == 1


async def test_metrics_are_not_served_on_the_public_port(http: httpx.AsyncClient) -> None:
    response = await http.get("/metrics")
    assert response.status_code == 404
    assert "satu_anak_" not in response.text


async def test_the_breaker_state_gauge(metrics_url: str) -> None:
    telemetry.breaker_state("pkh", "open")
    assert (await _scrape(metrics_url))[
        'satu_anak_gateway_circuit_breaker_state{subgraph="pkh"}'
    ] == 2
    telemetry.breaker_state("pkh", "half_open")
    assert (await _scrape(metrics_url))[
        'satu_anak_gateway_circuit_breaker_state{subgraph="pkh"}'
    ] == 1
    telemetry.breaker_state("pkh", "closed")
    assert (await _scrape(metrics_url))[
        'satu_anak_gateway_circuit_breaker_state{subgraph="pkh"}'
    ] == 0
    with pytest.raises(ValueError):
        telemetry.breaker_state("pkh", "ajar")


# --- logs ------------------------------------------------------------------------------------------


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, logging.Handler]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out, handler
    finally:
        root.removeHandler(handler)


def _failing(_document: str, _variables: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("a bug of ours")


async def test_a_log_line_written_while_serving_carries_the_trace_and_request_ids(
    captured: tuple[io.StringIO, logging.Handler],
) -> None:
    out, handler = captured
    handler.setFormatter(JsonFormatter("gateway"))
    fakes = fake_subgraphs()
    fakes.handlers = {name: _failing for name in fakes.handlers}  # the gateway logs its failure
    app = create_gateway_app(_gateway(fakes), authenticator=Officer())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        response = await _post(
            client,
            '{ child(id: "A") { name } }',
            traceparent=TRACEPARENT,
            **{"x-request-id": "r-7"},
        )
    assert response.status_code == 500
    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    failure = [line for line in lines if line["message"].startswith("gateway failure")]
    assert failure, lines
    assert failure[0]["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert re.fullmatch(r"[0-9a-f]{16}", failure[0]["span_id"])
    assert failure[0]["request_id"] == "r-7"


def test_a_log_line_outside_any_request_has_no_ids() -> None:
    record = logging.makeLogRecord({"msg": "started", "levelname": "INFO", "name": "x"})
    line = orjson.loads(JsonFormatter("pkh").format(record))
    assert "trace_id" not in line and "request_id" not in line
    assert line["service"] == "pkh" and line["message"] == "started"


def test_the_text_format_is_for_people_and_up_chooses_it() -> None:
    record = logging.makeLogRecord(
        {"msg": "subgraph starting", "levelname": "INFO", "name": "x", "dialect": "sqlite"}
    )
    text = TextFormatter("pkh").format(record)
    assert re.fullmatch(r"\d\d:\d\d:\d\d INFO +pkh +subgraph starting  dialect=sqlite", text), text
    uvicorn = logging.makeLogRecord(
        {"msg": "Started", "levelname": "INFO", "name": "uvicorn", "color_message": "\x1b[36m"}
    )
    assert "\x1b" not in TextFormatter("gateway").format(uvicorn)
    assert log_format({}) == "json"  # served on its own: JSON lines
    assert children_env({})["SATU_ANAK_LOG_FORMAT"] == "text"  # under `up`: text
    assert children_env({"SATU_ANAK_LOG_FORMAT": "json"})["SATU_ANAK_LOG_FORMAT"] == "json"
    assert "OTEL_SERVICE_NAME" not in children_env({"OTEL_SERVICE_NAME": "one-for-all"})
    with pytest.raises(ValueError):
        log_format({"SATU_ANAK_LOG_FORMAT": "xml"})


def test_error_codes_from_subgraphs_cannot_grow_the_label_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A faulty or hostile agency sending a new code with every answer must not make a new time
    # series each time: past MAX_LABEL_VALUES distinct codes, the rest count as OTHER.
    from gateway.context import RequestContext

    monkeypatch.setattr(telemetry, "_labels", {"code": set(), "category": set()})
    monkeypatch.setattr(telemetry, "MAX_LABEL_VALUES", 3)
    before = telemetry.REGISTRY.get_sample_value(
        "satu_anak_gateway_errors_total", {"code": "OTHER"}
    )
    for n in range(50):
        context = RequestContext.internal()
        context.error_codes.add(f"MADE_UP_{n}")
        telemetry.count_answer(context)
    labelled = {
        sample.labels["code"]
        for metric in telemetry.REGISTRY.collect()
        if metric.name == "satu_anak_gateway_errors"
        for sample in metric.samples
        if sample.labels.get("code", "").startswith("MADE_UP_")
    }
    assert labelled == {"MADE_UP_0", "MADE_UP_1", "MADE_UP_2"}
    after = telemetry.REGISTRY.get_sample_value("satu_anak_gateway_errors_total", {"code": "OTHER"})
    assert after - (before or 0) == 47
