"""Query plan nodes (plain data, discriminated by kind) and their printer, in Apollo's format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from graphql import DocumentNode, SelectionSetNode, print_ast

# One step in a flatten path: a response key, or "@" for every element of a list.
Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FetchNode:
    service: str  # the subgraph's name
    graph: str  # its join__Graph enum value
    operation: str  # the document sent to the subgraph
    operation_kind: Literal["query", "mutation"]
    variable_usages: tuple[str, ...]
    # For entity fetches: `... on T { __typename key requires }`, read off the data to build
    # each representation; None for root fetches.
    requires: SelectionSetNode | None = None
    # The printed selection inside the fetch, for people (the plan printer).
    selection_text: str = ""
    entity_types: frozenset[str] = frozenset()
    # Set when the target resolves the entity as an interface (an @interfaceObject or an
    # entity interface): representations carry the interface's name as `__typename`, and the
    # answer's `__typename`, that same name, never replaces a concrete one already known.
    representation_typename: str | None = None
    # (alias, response key): fields the planner aliased because the subgraph could not merge
    # them with a same-named field (see `selection.alias_conflicts`); renamed back on arrival.
    output_renames: tuple[tuple[str, str], ...] = ()
    kind: Literal["Fetch"] = "Fetch"


@dataclass(frozen=True, slots=True)
class FlattenNode:
    path: Path
    node: FetchNode
    kind: Literal["Flatten"] = "Flatten"


@dataclass(frozen=True, slots=True)
class SequenceNode:
    nodes: tuple[PlanNode, ...]
    kind: Literal["Sequence"] = "Sequence"


@dataclass(frozen=True, slots=True)
class ParallelNode:
    nodes: tuple[PlanNode, ...]
    kind: Literal["Parallel"] = "Parallel"


@dataclass(frozen=True, slots=True)
class ConditionNode:
    """Runs `if_clause` when the Boolean variable `condition` is true, `else_clause` when not:
    the fetches that exist only for a selection under `@include(if: $v)` / `@skip(if: $v)`."""

    condition: str  # the variable's name, without `$`
    if_clause: PlanNode | None
    else_clause: PlanNode | None
    kind: Literal["Condition"] = "Condition"


PlanNode = FetchNode | FlattenNode | SequenceNode | ParallelNode | ConditionNode


@dataclass(frozen=True, slots=True)
class QueryPlan:
    node: PlanNode | None
    # Root fields answered by the gateway itself (introspection, root __typename).
    local_fields: tuple[str, ...] = field(default=())


def _indent(text: str, by: str) -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def print_selection_set(node: SelectionSetNode) -> str:
    return print_ast(node)


def _print_node(node: PlanNode) -> str:
    if isinstance(node, FetchNode):
        body = node.selection_text
        if node.requires is not None:
            body = f"{print_ast(node.requires)} =>\n{body}"
        return f'Fetch(service: "{node.service}") {{\n{_indent(body, "  ")}\n}},'
    if isinstance(node, FlattenNode):
        path = ".".join(node.path)
        return f'Flatten(path: "{path}") {{\n{_indent(_print_node(node.node), "  ")}\n}},'
    if isinstance(node, ConditionNode):
        return _print_condition(node)
    children = "\n".join(_indent(_print_node(child), "  ") for child in node.nodes)
    return f"{node.kind} {{\n{children}\n}},"


def _print_condition(node: ConditionNode) -> str:
    condition = f"if: ${node.condition}"
    if node.else_clause is None:
        body = _print_node(node.if_clause) if node.if_clause is not None else ""
        return f"Include({condition}) {{\n{_indent(body, '  ')}\n}},"
    if node.if_clause is None:
        return f"Skip({condition}) {{\n{_indent(_print_node(node.else_clause), '  ')}\n}},"
    then = _indent(_print_node(node.if_clause), "    ")
    otherwise = _indent(_print_node(node.else_clause), "    ")
    return f"Condition({condition}) {{\n  Then {{\n{then}\n  }} Else {{\n{otherwise}\n  }},\n}},"


def print_plan(plan: QueryPlan) -> str:
    if plan.node is None:
        return "QueryPlan {\n}"
    return f"QueryPlan {{\n{_indent(_print_node(plan.node), '  ')}\n}}"


def document_text(document: DocumentNode) -> str:
    return print_ast(document)
