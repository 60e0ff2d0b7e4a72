"""Query plan nodes (plain data, discriminated by kind) and their printer, in Apollo's format.

A fetch node carries what it selects as structured data — each field with its parent type and
its metadata from the supergraph (the serving subgraph, the `@policy` data category) — so a
later stage can narrow it without re-parsing text. The text sent to the subgraph and the text a
person reads are printed from that structure on demand (once per node: plans are cached)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    parse_type,
    print_ast,
)

from gateway.types import Path


@dataclass(frozen=True, slots=True)
class FetchField:
    """One field a fetch selects, where it sits, and what the supergraph says of it."""

    response_key: str
    name: str
    parent_type: str  # the type the field is selected on, in the subgraph asked
    arguments: tuple[ArgumentNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    # None for a leaf; the selections below a composite field otherwise.
    selections: tuple[FetchSelection, ...] | None = None
    owner: str | None = None  # the join__Graph value of the subgraph that serves it here
    category: str | None = None  # its data category (`@policy`), if it has one

    def to_ast(self) -> FieldNode:
        return FieldNode(
            alias=NameNode(value=self.response_key) if self.response_key != self.name else None,
            name=NameNode(value=self.name),
            arguments=self.arguments,
            directives=self.directives,
            selection_set=None if self.selections is None else selection_set(self.selections),
        )


@dataclass(frozen=True, slots=True)
class FetchFragment:
    """An inline fragment in a fetch's selection (never empty)."""

    type_condition: str | None
    selections: tuple[FetchSelection, ...]
    directives: tuple[DirectiveNode, ...] = ()

    def to_ast(self) -> InlineFragmentNode:
        condition = self.type_condition
        return InlineFragmentNode(
            type_condition=NamedTypeNode(name=NameNode(value=condition)) if condition else None,
            directives=self.directives,
            selection_set=selection_set(self.selections),
        )


FetchSelection = FetchField | FetchFragment


def selection_set(selections: tuple[FetchSelection, ...]) -> SelectionSetNode:
    return SelectionSetNode(selections=tuple(s.to_ast() for s in selections))


def walk_fields(selections: tuple[FetchSelection, ...]) -> list[FetchField]:
    """Every field in a fetch selection, depth first, in document order."""
    found: list[FetchField] = []
    stack = list(reversed(selections))
    while stack:
        current = stack.pop()
        if isinstance(current, FetchField):
            found.append(current)
            stack.extend(reversed(current.selections or ()))
        else:
            stack.extend(reversed(current.selections))
    return found


@dataclass(frozen=True, eq=False)
class FetchNode:
    """One request to one subgraph. Compared by identity: a plan's nodes are its own."""

    service: str  # the subgraph's name
    graph: str  # its join__Graph enum value
    operation_kind: Literal["query", "mutation"]
    selections: tuple[FetchSelection, ...]
    # The client operation's variable definitions this fetch uses, in order of use.
    variable_definitions: tuple[VariableDefinitionNode, ...] = ()
    operation_name: str | None = None
    # For entity fetches: the entity type fetched, and `... on T { __typename key requires }`,
    # read off the data to build each representation. None for root fetches.
    entity_type: str | None = None
    requires: tuple[FetchSelection, ...] | None = None
    entity_types: frozenset[str] = frozenset()
    # Set when the target resolves the entity as an interface (an @interfaceObject or an
    # entity interface): representations carry the interface's name as `__typename`, and the
    # answer's `__typename`, that same name, never replaces a concrete one already known.
    representation_typename: str | None = None
    # (alias, response key): fields the planner aliased because the subgraph could not merge
    # them with a same-named field (see `selection.alias_conflicts`); renamed back on arrival.
    output_renames: tuple[tuple[str, str], ...] = ()
    # Never shared with another request's identical fetch (the consent stage's facts: a
    # revocation must show in the very next request).
    private: bool = False
    # Categories the fetch reads besides its fields' (a lookup or filter by a categorized
    # attribute, added by the consent stage): they go into its grant.
    reads: frozenset[str] = frozenset()
    kind: Literal["Fetch"] = "Fetch"

    @cached_property
    def answer_shape(self) -> dict[str, Any]:
        """The response keys this fetch asks for, nested (see `executor.merge.strip_unasked`)."""
        from gateway.executor.merge import answer_shape

        return answer_shape(self.selections)

    @cached_property
    def answer_shape_with_typename(self) -> dict[str, Any]:
        return {**self.answer_shape, "__typename": None}

    @cached_property
    def variable_usages(self) -> tuple[str, ...]:
        return tuple(d.variable.name.value for d in self.variable_definitions)

    @cached_property
    def categories(self) -> frozenset[str]:
        """The data categories (`@policy`) of every field this fetch selects, nested included,
        and those it reads by its arguments (`reads`)."""
        return self.reads | frozenset(
            f.category for f in walk_fields(self.selections) if f.category
        )

    @cached_property
    def operation(self) -> str:
        """The document sent to the subgraph."""
        return print_ast(self.document())

    @cached_property
    def selection_text(self) -> str:
        """The printed selection inside the fetch, for people (the plan printer)."""
        return print_ast(selection_set(self.selections))

    def document(self) -> DocumentNode:
        selections = selection_set(self.selections)
        definitions = self.variable_definitions
        if self.entity_type is not None:
            definitions = (REPRESENTATIONS_DEFINITION, *definitions)
            selections = SelectionSetNode(
                selections=(
                    FieldNode(
                        name=NameNode(value="_entities"),
                        arguments=(REPRESENTATIONS_ARGUMENT,),
                        directives=(),
                        selection_set=selections,
                    ),
                )
            )
        operation = OperationDefinitionNode(
            operation=(
                OperationType.MUTATION if self.operation_kind == "mutation" else OperationType.QUERY
            ),
            name=NameNode(value=self.operation_name) if self.operation_name else None,
            variable_definitions=definitions,
            directives=(),
            selection_set=selections,
        )
        return DocumentNode(definitions=(operation,))


# `$representations: [_Any!]!` and `_entities(representations: $representations)`: every
# entity fetch's (and the consent stage's facts fetches').
REPRESENTATIONS_DEFINITION = VariableDefinitionNode(
    variable=VariableNode(name=NameNode(value="representations")),
    type=parse_type("[_Any!]!"),
    directives=(),
)
REPRESENTATIONS_ARGUMENT = ArgumentNode(
    name=NameNode(value="representations"),
    value=VariableNode(name=NameNode(value="representations")),
)


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


@dataclass(frozen=True, slots=True)
class RecordLink:
    """Records decided through their subject: the entities at a Decision node's path are of
    `type`, named by their `key` field, and their subject is the object at their `link` field."""

    type: str
    key: str
    link: str
    link_category: str | None = None  # the link field's own category, if it has one


@dataclass(frozen=True, slots=True)
class WriteSubject:
    """A root field of a mutation fetch whose argument names subjects by key: `path` is the
    argument, then the input-object fields below it that hold the key (or a list of keys)."""

    field: FetchField
    path: tuple[str, ...]

    def __str__(self) -> str:
        alias = self.field.response_key
        named = ".".join((self.field.name, *self.path))
        return named if alias == self.field.name else f"{alias}: {named}"


@dataclass(frozen=True, eq=False)
class DecisionNode:
    """A decision about the entities at `path` before anything more of them is fetched: their
    facts (`facts`, fetched once per request for every entity in the step), one batched
    decision, then `node` — the entity fetch — once per group of entities with the same
    outcome, each narrowed to what that group may see (entities that may see nothing are not
    sent). `node` is None where only the decision is needed (the entities' keys are all the
    operation selects of them here). With `record`, the entities at `path` are records (a
    case found by a root lookup) decided through their subject: the subjects' facts are read,
    and each record gets its own decision. With `write`, `node` is a mutation fetch whose
    fields' arguments name subjects: they are decided about before it is sent, and a field
    naming one that may not be seen is not sent at all (a query fetch too, with `read_subjects`). Added by the consent stage
    (gateway/consent)."""

    subject: str  # the entity type decided about
    path: Path
    facts: tuple[FetchNode, ...]  # for the printed plan: what the decision reads
    node: FetchNode | None
    record: RecordLink | None = None
    write: tuple[WriteSubject, ...] = ()
    # Narrowed copies of `node`, per set of allowed categories (plans are cached: so are these).
    narrowed: dict[frozenset[str], FetchNode | None] = field(
        default_factory=dict, compare=False, repr=False
    )
    kind: Literal["Decision"] = "Decision"


PlanNode = FetchNode | FlattenNode | SequenceNode | ParallelNode | ConditionNode | DecisionNode


@dataclass(frozen=True, slots=True)
class QueryPlan:
    node: PlanNode | None
    # Root fields answered by the gateway itself (introspection, root __typename).
    local_fields: tuple[str, ...] = field(default=())


def fetch_nodes(node: PlanNode | None) -> list[FetchNode]:
    """Every fetch in a plan, in printed order."""
    found: list[FetchNode] = []
    stack: list[PlanNode | None] = [node]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        if isinstance(current, FetchNode):
            found.append(current)
        elif isinstance(current, FlattenNode):
            found.append(current.node)
        elif isinstance(current, DecisionNode):
            if current.node is not None:
                found.append(current.node)
        elif isinstance(current, ConditionNode):
            stack.extend((current.else_clause, current.if_clause))
        else:
            stack.extend(reversed(current.nodes))
    return found


# --- printing -------------------------------------------------------------------------------


def _indent(text: str, by: str) -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


def _print_node(node: PlanNode) -> str:
    if isinstance(node, FetchNode):
        body = node.selection_text
        if node.requires is not None:
            body = f"{print_ast(selection_set(node.requires))} =>\n{body}"
        return f'Fetch(service: "{node.service}") {{\n{_indent(body, "  ")}\n}},'
    if isinstance(node, FlattenNode):
        path = ".".join(node.path)
        return f'Flatten(path: "{path}") {{\n{_indent(_print_node(node.node), "  ")}\n}},'
    if isinstance(node, ConditionNode):
        return _print_condition(node)
    if isinstance(node, DecisionNode):
        return _print_decision(node)
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


def _print_decision(node: DecisionNode) -> str:
    path = ".".join(node.path)
    facts = "\n".join(_indent(_print_node(f), "    ") for f in node.facts)
    about = f'subject: "{node.subject}"'
    if node.record is not None:
        about = f'record: "{node.record.type}", {about} at "{node.record.link}"'
    where = f'path: "{path}"'
    if node.write:
        kind = "write" if node.node is None or node.node.operation_kind == "mutation" else "read"
        where = f'{kind}: "{", ".join(map(str, node.write))}"'
    text = f"Decide({about}, {where}) {{\n  Facts {{\n{facts}\n  }},\n"
    if node.node is not None:
        text += _indent(_print_node(node.node), "  ") + "\n"
    return text + "},"


def print_plan(plan: QueryPlan) -> str:
    if plan.node is None:
        return "QueryPlan {\n}"
    return f"QueryPlan {{\n{_indent(_print_node(plan.node), '  ')}\n}}"
