"""The gateway's `router` and `supergraph` spans and its request metrics, as pure ASGI
middleware (see gateway/telemetry.py)."""

from __future__ import annotations

import time

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import telemetry
from gateway.context import TraceContext
from gateway.http.middleware import request_context, route_path
from observability.tracing import REQUEST_ID, ResponseStatus, extract, traceparent, tracer

_ROUTES = frozenset({"/graphql", "/health"})


class TracingMiddleware:
    """The `router` span of every HTTP request (its parent: the client's `traceparent`, so the
    trace stays the client's) and, for GraphQL requests, the `supergraph` span below it; the
    request's trace context becomes the gateway's own (the audit record's trace id); request and
    error metrics (those of other routes too, which are not traced). Placed right inside RequestContextMiddleware: authentication, the audit and
    the app run within the spans."""

    def __init__(self, app: ASGIApp, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        route = path if path in _ROUTES else "other"
        if route != self.path:
            # Probes and strays: counted, not traced (a readiness probe every few seconds would
            # fill the traces with its subgraph calls).
            await self._counted(scope, receive, send, route)
            return
        context = request_context(scope)
        method = str(scope.get("method", ""))
        sending = ResponseStatus(send)
        started = time.perf_counter()

        request_id = REQUEST_ID.set(context.request_id)
        router = tracer(telemetry.TRACER).start_span(
            "router", context=extract(context.headers), kind=SpanKind.SERVER
        )
        try:
            with trace.use_span(
                router, end_on_exit=False, record_exception=False, set_status_on_exception=False
            ):
                # From here on the request's trace context is the gateway's span (with tracing
                # off: the client's, unchanged); the audit record takes its trace id from it.
                parent = traceparent(router)
                if parent is not None:
                    context.trace = TraceContext(parent, context.headers.get("tracestate"))
                if router.is_recording():
                    router.set_attributes(
                        {"http.request.method": method, "http.route": route, "url.path": route}
                    )
                with telemetry.span("supergraph"):
                    await self.app(scope, receive, sending)
        except BaseException as error:
            telemetry.failed(router, type(error).__name__)
            raise
        finally:
            REQUEST_ID.reset(request_id)
            if router.is_recording():
                router.set_attribute("http.response.status_code", sending.status)
                if sending.status >= 500:
                    router.set_status(Status(StatusCode.ERROR))
            router.end()
            telemetry.answered(route, sending.status, time.perf_counter() - started)
            telemetry.count_answer(context)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, route: str) -> None:
        sending = ResponseStatus(send)
        started = time.perf_counter()

        try:
            await self.app(scope, receive, sending)
        finally:
            telemetry.answered(route, sending.status, time.perf_counter() - started)
