"""The planner's last stage: a fetch graph written as plan nodes (parallel where it can be, in
sequence where not, under Condition nodes where @include/@skip decide), each fetch with its
structured selection."""

from __future__ import annotations

from typing import Literal

from graphql import OperationType, SelectionSetNode, VariableNode, is_composite_type, visit
from graphql.language import Visitor

from gateway.conditions import Condition
from gateway.errors import PlanningError
from gateway.operation import Operation
from gateway.planner.fetch_graph import FetchGraph, FetchGroup
from gateway.planner.plan import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
)
from gateway.planner.selection import alias_conflicts, to_fetch_selections
from gateway.planner.subgraph_map import SubgraphMap


def write_plan(subgraphs: SubgraphMap, operation: Operation, graph: FetchGraph) -> QueryPlan:
    """The fetch graph as a query plan: each step's groups as one node, steps in sequence."""
    writer = PlanWriter(subgraphs, operation, graph.root_type)
    steps = [node for step in graph.steps if (node := writer.node(step)) is not None]
    if not steps:
        return QueryPlan(None, graph.local_fields)
    return QueryPlan(
        steps[0] if len(steps) == 1 else SequenceNode(tuple(steps)), graph.local_fields
    )


class PlanWriter:
    """Turns one operation's fetch groups into plan nodes."""

    def __init__(self, subgraphs: SubgraphMap, operation: Operation, root_type: str) -> None:
        self.map = subgraphs
        self.schema = subgraphs.schema
        self.operation = operation
        self.root_type = root_type
        self.variable_types = {d.variable.name.value: d for d in operation.variable_definitions}

    def _name(self, graph: str) -> str:
        return self.map.name_of(graph)

    def node(self, groups: list[FetchGroup]) -> PlanNode | None:
        """The groups in dependency order: parallel where they can be, in sequence where not;
        those fetched only under @include/@skip conditions inside Condition nodes."""
        return self._node([g for g in groups if g.selections.items], frozenset())

    def _node(self, groups: list[FetchGroup], settled: frozenset[Condition]) -> PlanNode | None:
        """`groups` as one node, where the conditions in `settled` are known to hold."""
        if not groups:
            return None
        steps = self._layers(self._units(groups, settled), settled)
        if steps is None:
            # Conditional groups could not be kept together without a cycle (an unconditional
            # fetch between two of them): each gets a Condition node of its own.
            steps = self._layers(
                [([g], min((g.conditions or frozenset()) - settled, default=None)) for g in groups],
                settled,
            )
        if steps is None:
            raise PlanningError("cyclic fetch dependencies")
        return steps[0] if len(steps) == 1 else SequenceNode(tuple(steps))

    def _units(
        self, groups: list[FetchGroup], settled: frozenset[Condition]
    ) -> list[tuple[list[FetchGroup], Condition | None]]:
        """Groups with no condition left stand alone; the others are gathered by a condition
        they share (the most shared first), to be planned together under it."""
        units: list[tuple[list[FetchGroup], Condition | None]] = []
        waiting: list[FetchGroup] = []
        for group in groups:
            if (group.conditions or frozenset()) - settled:
                waiting.append(group)
            else:
                units.append(([group], None))
        while waiting:
            counts: dict[Condition, int] = {}
            for group in waiting:
                for condition in (group.conditions or frozenset()) - settled:
                    counts[condition] = counts.get(condition, 0) + 1
            chosen = max(sorted(counts), key=lambda c: counts[c])
            units.append(([g for g in waiting if chosen in (g.conditions or ())], chosen))
            waiting = [g for g in waiting if chosen not in (g.conditions or ())]
        units.sort(key=lambda unit: min(g.id for g in unit[0]))
        return units

    def _layers(
        self,
        units: list[tuple[list[FetchGroup], Condition | None]],
        settled: frozenset[Condition],
    ) -> list[PlanNode] | None:
        """Units in dependency order, as steps of a sequence; None if they depend on each
        other in a cycle."""
        unit_of = {g.id: index for index, (members, _) in enumerate(units) for g in members}
        remaining = {
            index: {unit_of[d] for g in members for d in g.depends_on if d in unit_of} - {index}
            for index, (members, _) in enumerate(units)
        }
        steps: list[PlanNode] = []
        done: set[int] = set()
        while remaining:
            ready = sorted(i for i, deps in remaining.items() if deps <= done)
            if not ready:
                return None
            done |= set(ready)
            for i in ready:
                del remaining[i]
            nodes = tuple(self._unit_node(*units[i], settled) for i in ready)
            steps.append(nodes[0] if len(nodes) == 1 else ParallelNode(nodes))
        return steps

    def _unit_node(
        self, members: list[FetchGroup], condition: Condition | None, settled: frozenset[Condition]
    ) -> PlanNode:
        if condition is None:
            return self._fetch_node(members[0])
        inner = self._node(members, settled | {condition})
        variable, value = condition
        if value:
            return ConditionNode(variable, inner, None)
        return ConditionNode(variable, None, inner)

    def _fetch_node(self, group: FetchGroup) -> PlanNode:
        renames = alias_conflicts(
            group.selections,
            group.entity_type or self.root_type,
            lambda parent, name: self._field_shape(group.graph, parent, name),
        )
        usages = _variables_in(group.selections.to_ast())
        kind: Literal["query", "mutation"] = (
            "mutation"
            if group.entity_type is None and self.operation.kind == OperationType.MUTATION
            else "query"
        )

        def facts(parent: str, name: str) -> tuple[str, str | None, str | None]:
            return self._field_facts(group.graph, parent, name)

        fetch = FetchNode(
            service=self._name(group.graph),
            graph=group.graph,
            operation_kind=kind,
            selections=to_fetch_selections(
                group.selections, group.entity_type or self.root_type, facts
            ),
            variable_definitions=tuple(
                self.variable_types[name] for name in usages if name in self.variable_types
            ),
            operation_name=self._operation_name(group) if self.operation.name else None,
            entity_type=group.entity_type,
            requires=(
                to_fetch_selections(group.inputs, group.entity_type, facts)
                if group.entity_type
                else None
            ),
            entity_types=frozenset(self._entity_types(group)),
            representation_typename=self._representation_typename(group),
            output_renames=renames,
        )
        return FlattenNode(group.merge_at, fetch) if group.merge_at else fetch

    def _field_facts(
        self, graph: str, parent: str, field_name: str
    ) -> tuple[str, str | None, str | None]:
        """A field's named type in `graph` (for the fields below it), the subgraph serving it
        there, and its data category."""
        if field_name == "__typename":
            return "", None, None
        _shape, named = self._field_shape(graph, parent, field_name)
        join = self.map.join_in(graph, parent, field_name)
        owner = join.graph if join is not None else graph
        return named, owner, self.map.category(parent, field_name)

    def _entity_types(self, group: FetchGroup) -> set[str]:
        if group.entity_type is None:
            return set()
        return {group.entity_type} | {t.name for t in self.map.possible_types(group.entity_type)}

    def _field_shape(self, graph: str, parent: str, field_name: str) -> tuple[str, str]:
        """The field's type in `graph` (see `alias_conflicts`)."""
        field_def = self.map.field_def(parent, field_name)
        if field_def is None:
            return "", parent
        join = self.map.join_in(graph, parent, field_name)
        printed = join.type if join is not None and join.type else str(field_def.type)
        named = printed.strip("[]!")
        if is_composite_type(self.schema.get_type(named)):
            return printed.replace(named, "*"), named
        return printed, named

    def _representation_typename(self, group: FetchGroup) -> str | None:
        if group.entity_type is None or not self.map.is_abstract(group.entity_type):
            return None
        return group.entity_type

    def _operation_name(self, group: FetchGroup) -> str:
        return f"{self.operation.name}__{self._name(group.graph)}__{group.id}"


def _variables_in(node: SelectionSetNode) -> list[str]:
    names: list[str] = []

    class Collect(Visitor):
        def enter_variable(self, variable: VariableNode, *_args: object) -> None:
            if variable.name.value not in names:
                names.append(variable.name.value)

    visit(node, Collect())
    return names
