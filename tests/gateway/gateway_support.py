"""Helpers for gateway tests: plan over a fixture supergraph, run a plan over fake subgraphs."""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from graphql import parse, validate

from gateway.client import SubgraphResponse
from gateway.context import RequestContext
from gateway.engine import Gateway
from gateway.operation import normalize
from gateway.planner import QueryPlanner, SubgraphMap, print_plan
from gateway.planner.plan import FetchNode
from gateway.supergraph import Supergraph, parse_supergraph

FIXTURES = Path(__file__).parent / "fixtures"

# A fake subgraph: (document, variables) -> the JSON body it answers.
Handler = Callable[[str, dict[str, Any]], dict[str, Any]]


@cache
def supergraph(fixture: str) -> Supergraph:
    return parse_supergraph((FIXTURES / fixture).read_text())


def plan_text(fixture: str, query: str) -> str:
    schema = supergraph(fixture)
    document = parse(query)
    assert validate(schema.api_schema, document) == []
    return print_plan(QueryPlanner(SubgraphMap(schema)).plan(normalize(document)))


def expect(text: str) -> str:
    return textwrap.dedent(text).strip()


@dataclass
class FakeSubgraphs:
    """A subgraph client that answers fetches from per-subgraph handlers, and records what the
    gateway sent (passed to the gateway like the real one: `Gateway(..., client=fakes)`)."""

    handlers: Mapping[str, Handler]
    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    contexts: list[RequestContext] = field(default_factory=list)
    categories: list[frozenset[str]] = field(default_factory=list)
    records: list[Mapping[str, frozenset[str]] | None] = field(default_factory=list)

    async def fetch(
        self,
        node: FetchNode,
        variables: dict[str, Any],
        context: RequestContext,
        categories: frozenset[str] = frozenset(),
        records: Mapping[str, frozenset[str]] | None = None,
    ) -> SubgraphResponse:
        self.sent.append((node.service, node.operation, json.loads(json.dumps(variables))))
        self.contexts.append(context)
        self.categories.append(categories)
        self.records.append(records)
        body = self.handlers[node.service](node.operation, variables)
        return SubgraphResponse(body.get("data"), list(body.get("errors") or []))

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ready(self) -> dict[str, bool]:
        return {name: True for name in self.handlers}

    def representations(self, service: str) -> list[list[dict[str, Any]]]:
        return [
            v["representations"] for s, _, v in self.sent if s == service and "representations" in v
        ]


def execute(
    fixture: str,
    query: str,
    subgraphs: FakeSubgraphs,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    gateway = Gateway(supergraph(fixture), client=subgraphs)
    prepared = gateway.prepare(query, None)
    return asyncio.run(gateway.execute(prepared, variables))
