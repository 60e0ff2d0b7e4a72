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

from gateway.engine import Gateway
from gateway.executor import PlanExecutor, SubgraphResponse
from gateway.operation import normalize
from gateway.plan import print_plan
from gateway.planner import QueryPlanner
from gateway.subgraphs import SubgraphMap
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
    """Answers fetches from per-subgraph handlers, and records what the gateway sent."""

    handlers: Mapping[str, Handler]
    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def __call__(
        self,
        graph: str,
        service: str,
        document: str,
        variables: dict[str, Any],
        headers: Mapping[str, str],
    ) -> SubgraphResponse:
        self.sent.append((service, document, json.loads(json.dumps(variables))))
        body = self.handlers[service](document, variables)
        return SubgraphResponse(body.get("data"), list(body.get("errors") or []))

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
    gateway = Gateway(supergraph(fixture))
    gateway.executor = PlanExecutor(subgraphs)
    prepared = gateway.prepare(query, None)
    return asyncio.run(gateway.execute(prepared, variables))
