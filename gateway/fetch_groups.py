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
from gateway.plan import FetchNode, FlattenNode, ParallelNode, Path, PlanNode, SequenceNode
from gateway.selection import SelectionBuilder, alias_conflicts
from gateway.subgraphs import SubgraphMap


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
        """The groups in dependency order: parallel where they can be, in sequence where not."""
        live = [g for g in groups if g.selections.items]
        ids = {g.id for g in live}
        remaining = {g.id: {d for d in g.depends_on if d in ids} for g in live}
        by_id = {g.id: g for g in live}
        layers: list[list[FetchGroup]] = []
        done: set[int] = set()
        while remaining:
            ready = sorted(i for i, deps in remaining.items() if deps <= done)
            if not ready:
                raise PlanningError("cyclic fetch dependencies")
            layers.append([by_id[i] for i in ready])
            done |= set(ready)
            for i in ready:
                del remaining[i]
        steps: list[PlanNode] = []
        for layer in layers:
            nodes = tuple(self._fetch_node(g) for g in layer)
            steps.append(nodes[0] if len(nodes) == 1 else ParallelNode(nodes))
        if not steps:
            return None
        return steps[0] if len(steps) == 1 else SequenceNode(tuple(steps))

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
