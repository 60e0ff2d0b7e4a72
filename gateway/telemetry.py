"""The gateway's traces and metrics (docs/observability.md).

Spans are named as Apollo Router names its own: `router` (the HTTP request), `supergraph` (the
GraphQL operation), `query_planning`, `execution`, `fetch` (a plan's fetch), `subgraph` (that
fetch sent to one subgraph) and `subgraph_request` (the HTTP call, whose context the subgraph
receives as its parent in `traceparent`). No span attribute carries a client's data: no
document, no variables, no argument values — the operation's type, its name (bounded) and the
SHA-256 of its document, as the audit record keeps them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Gauge, Histogram

from gateway.context import RequestContext
from observability.metrics import LATENCY_BUCKETS, REGISTRY
from observability.tracing import tracer

TRACER = "satu_anak.gateway"
_MAX_NAME = 200
# Error codes as labels: ours are upper-case words; anything else a subgraph sent is "OTHER"
# (a label's values must stay few).
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
# Label values are a time series each: codes come partly from subgraphs' answers (a faulty or
# hostile agency could send a new one every time), so only the first MAX_LABEL_VALUES distinct
# ones of each kind get a label of their own; later ones are counted as OTHER / other.
MAX_LABEL_VALUES = 100
_labels: dict[str, set[str]] = {"code": set(), "category": set()}


def _label(kind: str, value: str, pattern: re.Pattern[str], other: str) -> str:
    seen = _labels[kind]
    if value in seen:
        return value
    if not pattern.match(value) or len(seen) >= MAX_LABEL_VALUES:
        return other
    seen.add(value)
    return value


# --- metrics ------------------------------------------------------------------------------------

REQUESTS = Counter(
    "satu_anak_gateway_requests",
    "HTTP requests answered by the gateway, by route and status code.",
    ("route", "status"),
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "satu_anak_gateway_request_duration_seconds",
    "Time from a request's arrival to its answer (audit record included), by route.",
    ("route",),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
ERRORS = Counter(
    "satu_anak_gateway_errors",
    "GraphQL errors by `extensions.code`: refusals before execution, and the codes an answer's "
    "errors carry (each code once per request).",
    ("code",),
    registry=REGISTRY,
)
PLAN_CACHE = Counter(
    "satu_anak_gateway_plan_cache",
    "Prepared-operation (plan) cache look-ups, by result (hit, miss).",
    ("result",),
    registry=REGISTRY,
)
FETCHES = Counter(
    "satu_anak_gateway_subgraph_fetches",
    "Fetches sent to a subgraph, by subgraph and outcome (ok, error: the answer has errors, "
    "failed: no data).",
    ("subgraph", "outcome"),
    registry=REGISTRY,
)
FETCH_SECONDS = Histogram(
    "satu_anak_gateway_subgraph_fetch_duration_seconds",
    "Time of a fetch to a subgraph (grant, HTTP, parsing), by subgraph.",
    ("subgraph",),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
DENIALS = Counter(
    "satu_anak_gateway_policy_denials",
    "Fields withheld by the consent policy, by data category and denial code.",
    ("category", "code"),
    registry=REGISTRY,
)
BREAKER = Gauge(
    "satu_anak_gateway_circuit_breaker_state",
    "Each subgraph's circuit breaker: 0 closed, 1 half-open, 2 open.",
    ("subgraph",),
    registry=REGISTRY,
)
_BREAKER_STATES = {"closed": 0, "half_open": 1, "half-open": 1, "open": 2}


_HIT, _MISS = PLAN_CACHE.labels("hit"), PLAN_CACHE.labels("miss")
# Labelled children, found once (a label look-up takes a lock; these run on every request).
_fetch_counters: dict[tuple[str, str], Counter] = {}
_fetch_timers: dict[str, Histogram] = {}


def plan_cache(hit: bool) -> None:
    (_HIT if hit else _MISS).inc()


def breaker_state(service: str, state: str) -> None:
    """Reports subgraph `service`'s circuit breaker's state: "closed", "half_open", "open"."""
    value = _BREAKER_STATES.get(state.lower())
    if value is None:
        raise ValueError(f"unknown circuit-breaker state {state!r}")
    BREAKER.labels(service).set(value)


_request_counters: dict[tuple[str, int], Counter] = {}
_request_timers: dict[str, Histogram] = {}


def answered(route: str, status: int, seconds: float) -> None:
    """An HTTP request answered (by route: "/graphql", "/health" or "other")."""
    counter = _request_counters.get((route, status))
    if counter is None:
        counter = _request_counters[route, status] = REQUESTS.labels(route, str(status))
    counter.inc()
    timer = _request_timers.get(route)
    if timer is None:
        timer = _request_timers[route] = REQUEST_SECONDS.labels(route)
    timer.observe(seconds)


def fetched(service: str, seconds: float, has_data: bool, has_errors: bool) -> None:
    outcome = "failed" if not has_data else "error" if has_errors else "ok"
    counter = _fetch_counters.get((service, outcome))
    if counter is None:
        counter = _fetch_counters[service, outcome] = FETCHES.labels(service, outcome)
    counter.inc()
    timer = _fetch_timers.get(service)
    if timer is None:
        timer = _fetch_timers[service] = FETCH_SECONDS.labels(service)
    timer.observe(seconds)


def count_answer(context: RequestContext) -> None:
    codes = set(context.error_codes)
    if context.refusal is not None:
        codes.add(context.refusal)
    for code in codes:
        ERRORS.labels(_label("code", code, _CODE, "OTHER")).inc()
    for denial in context.denials:
        extensions = denial.get("extensions") if isinstance(denial, dict) else None
        if not isinstance(extensions, dict):
            continue
        category, denied = extensions.get("category"), extensions.get("code")
        if isinstance(category, str) and isinstance(denied, str):
            DENIALS.labels(
                _label("category", category, _CATEGORY, "other"),
                _label("code", denied, _CODE, "OTHER"),
            ).inc()


# --- spans ----------------------------------------------------------------------------------------


class _Unrecorded:
    """The `span()` of work outside a recording span: the current span stays current."""

    __slots__ = ("current",)

    def __init__(self, current: trace.Span) -> None:
        self.current = current

    def __enter__(self) -> trace.Span:
        return self.current

    def __exit__(self, *_exc: object) -> None:
        return None


def span(name: str, kind: SpanKind = SpanKind.INTERNAL) -> AbstractContextManager[trace.Span]:
    """A child span of the current one, current while the block runs — made only below a
    recording span: with tracing off (or this trace not sampled) nothing is made and the current
    span stays current, at the cost of one look-up."""
    current = trace.get_current_span()
    if not current.is_recording():
        return _Unrecorded(current)
    return _recorded(name, kind)


@contextmanager
def _recorded(name: str, kind: SpanKind) -> Iterator[trace.Span]:
    # No exception events or messages: an exception's message may quote what a client sent
    # (or, from a database driver, the parameters of a statement). Its class only.
    with tracer(TRACER).start_as_current_span(
        name, kind=kind, record_exception=False, set_status_on_exception=False
    ) as made:
        try:
            yield made
        except BaseException as error:
            failed(made, type(error).__name__)
            raise


def note_operation(kind: str, name: str | None, document: str) -> None:
    """The operation's type, its name (bounded) and its document's SHA-256 (as the audit record
    keeps it) on the current span — the `supergraph` span, when called before planning starts.
    Never the document itself."""
    current = trace.get_current_span()
    if not current.is_recording():
        return
    current.set_attribute("graphql.operation.type", kind)
    if name:
        current.set_attribute("graphql.operation.name", name[:_MAX_NAME])
    current.set_attribute("graphql.document.sha256", hashlib.sha256(document.encode()).hexdigest())


def failed(current: trace.Span, error_type: str) -> None:
    if current.is_recording():
        current.set_status(Status(StatusCode.ERROR))
        current.set_attribute("error.type", error_type)
