"""Fetch groups (what one subgraph call selects, and which calls must come first) and their
writing as plan nodes: the subgraph operations, the representations' inputs, the rewrites."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    is_composite_type,
    parse_type,
    print_ast,
    visit,
)
from graphql.language import Visitor

from gateway.operation import Operation
from gateway.plan import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    Path,
    PlanNode,
    SequenceNode,
)
from gateway.selection import SelectionBuilder, alias_conflicts
from gateway.subgraphs import SubgraphMap

# (variable name, the value it must have): `@include(if: $v)` is ("v", True), `@skip(if: $v)`
# is ("v", False).
Condition = tuple[str, bool]


class PlanningError(Exception):
    """No plan can satisfy the operation over this supergraph (a supergraph or planner limit)."""


@dataclass(eq=False)
class FetchGroup:
    id: int
    graph: str
    merge_at: Path
    entity_type: str | None  # None: a root fetch
    requires_key: str = ""  # groups with different @requires inputs never merge
    selections: SelectionBuilder = field(default_factory=SelectionBuilder)
    inputs: SelectionBuilder = field(default_factory=SelectionBuilder)
    depends_on: set[int] = field(default_factory=set)
    # The @include/@skip conditions every selection in the group was planned under, as
    # (variable, value it must have): the group is fetched only when all hold. None: nothing
    # planned into it yet.
    conditions: frozenset[Condition] | None = None

    def add_conditions(self, conditions: frozenset[Condition]) -> None:
        """Something is planned into the group under `conditions`: it is fetched whenever
        they all hold, so it keeps only the conditions it shares with what came before."""
        self.conditions = conditions if self.conditions is None else self.conditions & conditions

    def root(self, type_name: str) -> SelectionBuilder:
        """Where this group's selections for its own entity type go."""
        return self.selections.fragment(type_name) if self.entity_type else self.selections


class PlanWriter:
    """Turns one operation's fetch groups into plan nodes."""

    def __init__(self, subgraphs: SubgraphMap, operation: Operation, root_type: str) -> None:
        self.map = subgraphs
        self.schema = subgraphs.schema
        self.operation = operation
        self.root_type = root_type
        self.variable_types = {d.variable.name.value: d for d in operation.variable_definitions}

    def _name(self, graph: str) -> str:
        return self.map.supergraph.graphs[graph].name

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
        selection_set = group.selections.to_ast()
        usages = _variables_in(selection_set)
        definitions = [self.variable_types[name] for name in usages if name in self.variable_types]
        kind: Literal["query", "mutation"] = (
            "mutation"
            if group.entity_type is None and self.operation.kind == OperationType.MUTATION
            else "query"
        )
        if group.entity_type is None:
            document_selection = selection_set
        else:
            representations = VariableDefinitionNode(
                variable=VariableNode(name=NameNode(value="representations")),
                type=parse_type("[_Any!]!"),
                directives=(),
            )
            definitions = [representations, *definitions]
            document_selection = SelectionSetNode(
                selections=(
                    FieldNode(
                        name=NameNode(value="_entities"),
                        arguments=(
                            ArgumentNode(
                                name=NameNode(value="representations"),
                                value=VariableNode(name=NameNode(value="representations")),
                            ),
                        ),
                        directives=(),
                        selection_set=selection_set,
                    ),
                )
            )
        operation = OperationDefinitionNode(
            operation=OperationType.MUTATION if kind == "mutation" else OperationType.QUERY,
            name=NameNode(value=self._operation_name(group)) if self.operation.name else None,
            variable_definitions=tuple(definitions),
            directives=(),
            selection_set=document_selection,
        )
        fetch = FetchNode(
            service=self._name(group.graph),
            graph=group.graph,
            operation=print_ast(DocumentNode(definitions=(operation,))),
            operation_kind=kind,
            variable_usages=tuple(usages),
            requires=group.inputs.to_ast() if group.entity_type else None,
            selection_text=print_ast(selection_set),
            entity_types=frozenset(self._entity_types(group)),
            representation_typename=self._representation_typename(group),
            output_renames=renames,
        )
        return FlattenNode(group.merge_at, fetch) if group.merge_at else fetch

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
