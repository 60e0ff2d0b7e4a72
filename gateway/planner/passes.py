"""The planner's two extension points, and the pipeline that runs them.

    operation ──operation passes──▶ operation ──build──▶ fetch graph ──fetch-graph passes──▶
    fetch graph ──write──▶ query plan

1. An **operation pass** runs before planning and may remove (never add) selections: the place
   for the static policy, which drops the fields a role can never see for a purpose, so that
   nothing is planned for them. Its output is planned as is; the response is still shaped from
   the client's own operation, so a removed field answers null.
2. A **fetch-graph pass** runs after the fetch groups are built and before they are written as
   plan nodes. It may add groups, move selections between them and add dependencies — for
   instance cut a fetch where it enters an entity type and continue with an entity fetch at that
   path, so that a step (facts, a decision) can come between the two.

Passes are given when the gateway is built (`Gateway(..., passes=PlannerPasses(...))`) and run
in the order given. Today's passes are fixed when the gateway is built, so a plan depends on the
document alone; a pass whose output will depend on the request (a role, a purpose) must say so in
`cache_key`, which then joins the plan cache's key (see `prepare.Preparer`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol

from gateway.operation import Operation
from gateway.planner.fetch_graph import FetchGraph
from gateway.planner.subgraph_map import SubgraphMap


class OperationPass(Protocol):
    """Narrows the normalized operation before planning."""

    @property
    def name(self) -> str: ...

    def __call__(self, operation: Operation, subgraphs: SubgraphMap) -> Operation: ...


class FetchGraphPass(Protocol):
    """Rewrites the fetch graph before it is written as a plan."""

    @property
    def name(self) -> str: ...

    def __call__(self, graph: FetchGraph, subgraphs: SubgraphMap) -> FetchGraph: ...


@dataclass(frozen=True)
class PlannerPasses:
    operation: tuple[OperationPass, ...] = ()
    fetch_graph: tuple[FetchGraphPass, ...] = ()

    @property
    def cache_key(self) -> Hashable:
        """What the plans depend on besides the document: the passes, by name."""
        return (
            tuple(p.name for p in self.operation),
            tuple(p.name for p in self.fetch_graph),
        )
