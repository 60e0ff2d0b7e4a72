"""How the gateway reaches subgraphs: the client interface the executor calls, and its
default HTTP implementation (tests pass their own through `Gateway(..., client=...)`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from gateway.client.response import SubgraphResponse
from gateway.context import RequestContext
from gateway.planner.plan import FetchNode
from gateway.types import JsonObject

__all__ = ["SubgraphClient", "SubgraphResponse"]


class SubgraphClient(Protocol):
    """Sends one fetch node, with its variables, on behalf of one request. Never raises:
    transport failures come back as a response with errors and no data.

    `categories` are the data categories this fetch may return (the consent step's decision for
    the fetch's group of children, "policy.facts" for a facts fetch): the subgraph grant carries
    them, and a subgraph answers no categorized field outside them.

    `records` narrows some of those categories per record: for each category it names, only the
    records (of the consent configuration's record types, by key) listed may be returned — the
    decision step's per-case outcomes for the fetch's children. None: no per-record restriction
    (every fetch but the decision step's narrowed entity fetches)."""

    async def fetch(
        self,
        node: FetchNode,
        variables: JsonObject,
        context: RequestContext,
        categories: frozenset[str] = frozenset(),
        records: Mapping[str, frozenset[str]] | None = None,
    ) -> SubgraphResponse: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def ready(self) -> dict[str, bool]: ...
