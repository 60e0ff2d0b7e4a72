"""The subgraph client the gateway uses by default: subgraphs over HTTP, as the supergraph and
the configuration name them — URLs, timeouts, the connection pool, sharing identical in-flight
queries, and which of the client's headers are forwarded."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING

import orjson

from gateway import telemetry
from gateway.client.breaker import State
from gateway.client.response import SubgraphResponse, no_principal
from gateway.client.transport import Sign, SubgraphTransport, TransportSettings
from gateway.config import ALWAYS_FORWARDED, GatewayConfig
from gateway.context import RequestContext
from gateway.planner.plan import FetchNode
from gateway.supergraph import Supergraph
from gateway.types import JsonObject
from observability.tracing import in_trace

if TYPE_CHECKING:
    from gateway.client.grants import GrantMaker

log = logging.getLogger("satu_anak.gateway.client")

# What a withheld subgraph error may quote of a child, cut out of each of its strings before it is
# logged: numbers of 10 digits or more (NIK and KK numbers are 16, phone numbers 10-13), the
# values graphql-core quotes in its variable and coercion errors, and SQLAlchemy's echo of a
# statement's parameters. The rest (exception classes, stack frames, hosts) stays: it is what the
# log is for.
_QUOTED_OR_RUN = r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^;\n]*)"""
_REDACTED = (
    (
        re.compile(
            r"(invalid value|non-[a-z]+ value:?|cannot represent[^:]*:)\s*" + _QUOTED_OR_RUN, re.I
        ),
        r"\1 <value>",
    ),
    (re.compile(r"\[parameters: [^\n]*"), "[parameters: <redacted>]"),
    (re.compile(r"\d{10,}"), "<number>"),
)


def redact(value: object, depth: int = 0) -> object:
    """`value` (a subgraph's error, as parsed) with every string cleared of what _REDACTED
    lists."""
    if isinstance(value, str):
        for pattern, replacement in _REDACTED:
            value = pattern.sub(replacement, value)
        return value
    if depth > 20:
        return "<nested>"
    if isinstance(value, dict):
        return {str(k): redact(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, depth + 1) for v in value]
    return value


# Headers only the gateway sets (the grant, the deadline, role, purpose...): never forwarded from
# a client, whatever `forward_headers` lists.
INTERNAL_PREFIX = "x-satu-anak-"
_READY_QUERY = orjson.dumps({"query": "{ __typename }"})
_READY_TIMEOUT = 2.0


class HttpSubgraphClient:
    """Sends fetch nodes to subgraphs over pooled HTTP; never raises: failures come back as a
    response with errors and no data."""

    def __init__(self, supergraph: Supergraph, config: GatewayConfig) -> None:
        self.config = config
        self._names = {g.enum_value: g.name for g in supergraph.graphs.values()}
        self._urls = {
            graph.enum_value: config.subgraph_urls.get(graph.name, graph.url)
            for graph in supergraph.graphs.values()
        }
        self._timeouts = {
            graph.enum_value: config.subgraph_timeouts[graph.name]
            for graph in supergraph.graphs.values()
            if graph.name in config.subgraph_timeouts
        }
        self.transport = SubgraphTransport(
            settings=TransportSettings(
                timeout=config.subgraph_timeout,
                max_connections=config.subgraph_max_connections,
                max_response_bytes=config.max_subgraph_response_bytes,
                connections=config.subgraph_connections,
                response_limits=config.subgraph_response_limits,
                breaker_failures=config.breaker_failures,
                breaker_cooldown=config.breaker_cooldown,
                retries=config.subgraph_retries,
                retry_backoff=config.retry_backoff,
            )
        )
        # The W3C trace context is not forwarded as received: the transport puts the gateway's
        # own `subgraph_request` span there (the subgraph's parent), within the client's trace.
        self._forwarded = frozenset(
            h
            for h in config.forward_headers
            if not h.startswith(INTERNAL_PREFIX) and h not in ALWAYS_FORWARDED
        )
        # With a grant key every request carries a grant signed for it; without, none does.
        self.grants: GrantMaker | None = None
        if config.grant_key:
            from gateway.client.grants import GrantMaker

            # The types decided per record: what a grant's per-record restriction applies to.
            record_types = frozenset(config.consent.records) if config.consent else frozenset()
            self.grants = GrantMaker.from_file(config.grant_key, record_types)

    async def start(self) -> None:
        await self.transport.start()

    async def close(self) -> None:
        await self.transport.close()

    def urls(self) -> dict[str, str]:
        """Where each subgraph is reached, by name."""
        return {self._names[graph]: url for graph, url in self._urls.items()}

    async def fetch(
        self,
        node: FetchNode,
        variables: JsonObject,
        context: RequestContext,
        categories: frozenset[str] = frozenset(),
        records: Mapping[str, frozenset[str]] | None = None,
    ) -> SubgraphResponse:
        body: JsonObject = {"query": node.operation}
        if variables:
            body["variables"] = variables
        allowed = self._forwarded
        headers = {k: v for k, v in context.headers.items() if k in allowed}
        if context.trace is not None and not in_trace():
            # Run outside the HTTP edge (no span): the context's trace goes on as it came.
            headers["traceparent"] = context.trace.traceparent
            if context.trace.tracestate:
                headers["tracestate"] = context.trace.tracestate
        with telemetry.span("fetch") as span:
            if span.is_recording():
                span.set_attributes(
                    {"subgraph.name": node.service, "graphql.operation.type": node.operation_kind}
                )
            sign = None
            grant_key: Hashable = None
            if self.grants is not None:
                grantee = self.grants.grantee(context, categories, records)
                if grantee is None:
                    return no_principal(node.service)
                sign = self.grants.signing(node.service, grantee)
                grant_key = (node.service, grantee)
            started = time.perf_counter()
            response = await self._post(node, body, headers, sign, grant_key)
            telemetry.fetched(
                node.service,
                time.perf_counter() - started,
                response.data is not None,
                bool(response.errors),
            )
        if response.withheld:
            # What the client does not see of the subgraph's errors, for whoever reads the log.
            log.warning(
                "subgraph %s errors withheld from the client (request %s, trace %s): %s",
                node.service,
                context.request_id,
                context.trace.trace_id if context.trace is not None else "-",
                orjson.dumps(redact(response.withheld), default=str).decode()[:4000],
                extra={"subgraph": node.service, "request_id": context.request_id},
            )
        # For the audit record: every subgraph asked (an answer shared with another request's
        # identical query included), and what each mutation reports it changed.
        context.subgraphs.add(node.service)
        if node.operation_kind == "mutation":
            context.changes.extend({"subgraph": node.service, **c} for c in response.changes)
        return response

    async def _post(
        self,
        node: FetchNode,
        body: JsonObject,
        headers: dict[str, str],
        sign: Sign | None,
        grant_key: Hashable,
    ) -> SubgraphResponse:
        with telemetry.span("subgraph") as span:
            if span.is_recording():
                span.set_attributes(
                    {"subgraph.name": node.service, "graphql.operation.type": node.operation_kind}
                )
            return await self.transport.post(
                self._urls[node.graph],
                orjson.dumps(body),
                headers,
                service=node.service,
                timeout=self._timeouts.get(node.graph),
                # A mutation runs once per request that asked for it: never shared.
                shareable=(
                    self.config.deduplicate and node.operation_kind == "query" and not node.private
                ),
                # A query may be sent again; a mutation the subgraph may have run, never.
                retryable=node.operation_kind == "query",
                sign=sign,
                grant_key=grant_key,
            )

    async def ready(self) -> dict[str, bool]:
        """Whether each subgraph answers a trivial query (the /health probe), asked of all at
        once: a hanging one costs its timeout, not the sum of every timeout."""
        graphs = list(self._urls)
        answers = await asyncio.gather(*(self._probe(graph) for graph in graphs))
        return {self._names[graph]: ok for graph, ok in zip(graphs, answers, strict=True)}

    async def _probe(self, graph: str) -> bool:
        # The probe has no principal: a service grant, accepted only for `{ __typename }`.
        service = self._names[graph]
        sign = None if self.grants is None else self.grants.signing(service, None)
        response = await self.transport.post(
            self._urls[graph],
            _READY_QUERY,
            {},
            service=service,
            timeout=_READY_TIMEOUT,
            shareable=self.config.deduplicate,
            retryable=False,
            sign=sign,
            grant_key="service",
        )
        return response.errors == [] and response.data is not None

    def breaker_states(self) -> dict[str, State]:
        """Each subgraph's circuit breaker state, by name, as traffic has left it (no request
        is sent): "closed", "open" or "half_open"."""
        return {name: self.transport.breaker(name).state for name in sorted(self._names.values())}
