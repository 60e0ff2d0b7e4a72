"""Tracing: the tracers our code uses, W3C trace context, and the per-request ids logs read.

Our code only uses the OpenTelemetry API. Until a process configures the SDK
(`observability.setup.configure_tracing`, called where servers start), every tracer is the
API's no-op one: spans cost a context switch and nothing is recorded. A client's `traceparent`
still flows through the no-op span, so the trace id the audit and the logs see stays the
client's when tracing is off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from contextvars import ContextVar

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import Message, Send

# W3C trace context only (not OTEL_PROPAGATORS' default baggage: nothing a client put in
# baggage is passed on to the agencies).
PROPAGATOR = TraceContextTextMapPropagator()

# The request id of the request being served (the gateway's, or the one the gateway sent a
# subgraph): every log line written while serving it carries it.
REQUEST_ID: ContextVar[str | None] = ContextVar("satu_anak_request_id", default=None)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

_provider: trace.TracerProvider | None = None
_tracers: dict[str, trace.Tracer] = {}


def tracer(name: str) -> trace.Tracer:
    """The tracer `name` of the configured provider (the global one, or a test's)."""
    found = _tracers.get(name)
    if found is None:
        provider = _provider if _provider is not None else trace.get_tracer_provider()
        found = _tracers[name] = provider.get_tracer(name)
    return found


def use_provider(provider: trace.TracerProvider | None) -> None:
    """Send spans to `provider` (tests: an SDK provider with an in-memory exporter) instead of
    the global one; None goes back to the global provider."""
    global _provider
    _provider = provider
    _tracers.clear()


def extract(headers: Mapping[str, str]) -> Context:
    """The caller's trace context from its (lower-case) headers."""
    return PROPAGATOR.extract(headers)


def inject(headers: MutableMapping[str, str]) -> None:
    """Puts the current span's `traceparent` (and `tracestate`) into `headers`, replacing any;
    leaves them as they are when there is no current span."""
    if not trace.get_current_span().get_span_context().is_valid:
        return
    headers.pop("traceparent", None)
    headers.pop("tracestate", None)
    PROPAGATOR.inject(headers)


def in_trace() -> bool:
    """Whether work in progress belongs to a trace (a span, recorded or not, is current)."""
    return trace.get_current_span().get_span_context().is_valid


def traceparent(span: trace.Span) -> str | None:
    """The span's W3C `traceparent`, or None for an invalid span (no trace at all)."""
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def plain_request_id(value: str | None) -> str | None:
    """`value` when it is a plain token fit for logs, else None."""
    return value if value is not None and _REQUEST_ID.match(value) else None


def current_ids() -> tuple[str | None, str | None, str | None]:
    """(trace id, span id, request id) of the work in progress, each None when there is none."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        return f"{context.trace_id:032x}", f"{context.span_id:016x}", REQUEST_ID.get()
    return None, None, REQUEST_ID.get()


class ResponseStatus:
    """An ASGI `send` that notes the status of the response it starts (500 until one starts:
    an app that fails before answering is a server error) — for spans and metrics."""

    __slots__ = ("send", "status")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status = 500

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        await self.send(message)
