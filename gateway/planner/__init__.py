"""The query planner: operation -> query plan, as a chain of stages with typed inputs and
outputs (see `passes` for the pipeline and its extension points)."""

from __future__ import annotations

from gateway.errors import PlanningError
from gateway.operation import Operation
from gateway.planner.builder import build_fetch_graph
from gateway.planner.passes import FetchGraphPass, OperationPass, PlannerPasses
from gateway.planner.plan import QueryPlan, print_plan
from gateway.planner.subgraph_map import SubgraphMap
from gateway.planner.writer import write_plan

__all__ = [
    "FetchGraphPass",
    "OperationPass",
    "PlannerPasses",
    "PlanningError",
    "QueryPlan",
    "QueryPlanner",
    "SubgraphMap",
    "print_plan",
]


class QueryPlanner:
    """Plans operations against one supergraph (and one set of active override labels)."""

    def __init__(self, subgraphs: SubgraphMap, passes: PlannerPasses | None = None) -> None:
        self.map = subgraphs
        self.passes = passes or PlannerPasses()

    def plan(self, operation: Operation, extra: PlannerPasses | None = None) -> QueryPlan:
        """Plan `operation`; `extra` passes (for this request's kind of caller) run after the
        planner's own."""
        passes = self.passes
        operation_passes = passes.operation + (extra.operation if extra else ())
        graph_passes = passes.fetch_graph + (extra.fetch_graph if extra else ())
        for operation_pass in operation_passes:
            operation = operation_pass(operation, self.map)
        graph = build_fetch_graph(self.map, operation)
        for graph_pass in graph_passes:
            graph = graph_pass(graph, self.map)
        return write_plan(self.map, operation, graph)
