"""A subgraph's server span and request metrics (docs/observability.md).

Each HTTP request gets a server span whose parent is the `traceparent` the gateway sent (its
`subgraph_request` span); every SQL statement run while serving it is a child span
(observability/sql.py). The request id the gateway sent (`x-request-id`) is the one the logs
carry. No attribute carries the request's body, variables or arguments.
"""

from __future__ import annotations

import time
import uuid

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Receive, Scope, Send

from observability.metrics import LATENCY_BUCKETS, REGISTRY
from observability.tracing import REQUEST_ID, ResponseStatus, extract, plain_request_id, tracer

REQUESTS = Counter(
    "satu_anak_subgraph_requests",
    "HTTP requests answered by a subgraph, by subgraph, route and status code.",
    ("subgraph", "route", "status"),
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "satu_anak_subgraph_request_duration_seconds",
    "Time from a request's arrival to its answer, by subgraph and route.",
    ("subgraph", "route"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)


class TelemetryMiddleware:
    """Outermost: the grant check, the GraphQL execution and its SQL run within the span."""

    def __init__(self, app: ASGIApp, subgraph: str, routes: frozenset[str]) -> None:
        self.app = app
        self.subgraph = subgraph
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        route = path if path in self.routes else "other"
        method = str(scope.get("method", ""))
        sending = ResponseStatus(send)
        started = time.perf_counter()

        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())
        }
        request_id = REQUEST_ID.set(
            plain_request_id(headers.get("x-request-id")) or uuid.uuid4().hex
        )
        try:
            if route == "/health":
                await self.app(scope, receive, sending)  # probes: counted, not traced
                return
            span = tracer("satu_anak.subgraph").start_span(
                f"{method} {route}", context=extract(headers), kind=SpanKind.SERVER
            )
            # No exception events or messages (a driver's may quote a statement's parameters).
            with trace.use_span(
                span, end_on_exit=True, record_exception=False, set_status_on_exception=False
            ):
                if span.is_recording():
                    span.set_attributes(
                        {
                            "http.request.method": method,
                            "http.route": route,
                            "url.path": route,
                            "subgraph.name": self.subgraph,
                        }
                    )
                try:
                    await self.app(scope, receive, sending)
                except BaseException as error:
                    if span.is_recording():
                        span.set_status(Status(StatusCode.ERROR))
                        span.set_attribute("error.type", type(error).__name__)
                    raise
                if span.is_recording():
                    span.set_attribute("http.response.status_code", sending.status)
                    if sending.status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
        finally:
            REQUEST_ID.reset(request_id)
            REQUESTS.labels(self.subgraph, route, str(sending.status)).inc()
            REQUEST_SECONDS.labels(self.subgraph, route).observe(time.perf_counter() - started)
