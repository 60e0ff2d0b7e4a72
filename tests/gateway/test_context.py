"""The request context made at the HTTP edge, and that it reaches every fetch."""

from __future__ import annotations

import asyncio

from gateway.context import RequestContext
from gateway.engine import Gateway
from tests.gateway.gateway_support import FakeSubgraphs, supergraph

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_context_keeps_a_plain_request_id_and_the_trace_context() -> None:
    context = RequestContext.from_headers(
        {"X-Request-Id": "abc-123", "traceparent": TRACEPARENT, "tracestate": "k=v"}
    )
    assert context.request_id == "abc-123"
    assert context.trace is not None
    assert context.trace.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert context.trace.tracestate == "k=v"
    assert context.headers["x-request-id"] == "abc-123"  # names lower-cased
    assert context.principal is None and context.purpose is None and context.decisions == []


def test_a_hostile_request_id_or_traceparent_is_not_kept() -> None:
    context = RequestContext.from_headers(
        {"x-request-id": "evil\nlog line " + "x" * 200, "traceparent": "00-zz-yy-01"}
    )
    assert context.request_id != "" and "\n" not in context.request_id
    assert len(context.request_id) == 32  # a fresh id instead
    assert context.trace is None


def test_every_fetch_receives_the_requests_context() -> None:
    fakes = FakeSubgraphs(
        {
            "products": lambda _d, _v: {
                "data": {
                    "products": [{"__typename": "Product", "upc": "1", "price": 10, "weight": 2}]
                }
            },
            "inventory": lambda _d, _v: {"data": {"_entities": [{"shippingEstimate": 5}]}},
        }
    )
    gateway = Gateway(supergraph("shop.graphql"), client=fakes)
    context = RequestContext.from_headers({"x-request-id": "r-42"})
    prepared = gateway.prepare("{ products { upc shippingEstimate } }", None, context)
    body = asyncio.run(gateway.execute(prepared, None, context))
    assert body == {"data": {"products": [{"upc": "1", "shippingEstimate": 5}]}}
    assert [service for service, _d, _v in fakes.sent] == ["products", "inventory"]
    assert all(c is context for c in fakes.contexts)
