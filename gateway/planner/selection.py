"""A fetch's selection set while it is planned: merged as it grows, printed to an AST, and its
fields aliased where the subgraph could not merge them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionSetNode,
    print_ast,
)

from gateway.operation import InlineFragment, Selection
from gateway.planner.plan import FetchField, FetchFragment, FetchSelection


@dataclass(eq=False, slots=True)
class FieldSelection:
    response_key: str
    name: str
    arguments: tuple[ArgumentNode, ...]
    directives: tuple[DirectiveNode, ...]
    children: SelectionBuilder | None


@dataclass(eq=False, slots=True)
class FragmentSelection:
    type_condition: str | None
    directives: tuple[DirectiveNode, ...]
    children: SelectionBuilder


@dataclass(eq=False, slots=True)
class SelectionBuilder:
    """A mutable, ordered selection set that merges what is added twice."""

    items: dict[tuple[str, ...], FieldSelection | FragmentSelection] = field(default_factory=dict)

    def field(
        self,
        response_key: str,
        name: str,
        arguments: tuple[ArgumentNode, ...] = (),
        directives: tuple[DirectiveNode, ...] = (),
        composite: bool = False,
    ) -> FieldSelection:
        key = ("field", response_key, _directives_key(directives))
        existing = self.items.get(key)
        if isinstance(existing, FieldSelection):
            return existing
        selection = FieldSelection(
            response_key, name, arguments, directives, SelectionBuilder() if composite else None
        )
        self.items[key] = selection
        return selection

    def typename(self) -> None:
        self.field("__typename", "__typename")

    def fragment(
        self, type_condition: str | None, directives: tuple[DirectiveNode, ...] = ()
    ) -> SelectionBuilder:
        key = ("fragment", type_condition or "", _directives_key(directives))
        existing = self.items.get(key)
        if isinstance(existing, FragmentSelection):
            return existing.children
        selection = FragmentSelection(type_condition, directives, SelectionBuilder())
        self.items[key] = selection
        return selection.children

    def to_ast(self) -> SelectionSetNode:
        nodes: list[FieldNode | InlineFragmentNode] = []
        for item in self.items.values():
            if isinstance(item, FieldSelection):
                alias = (
                    NameNode(value=item.response_key) if item.response_key != item.name else None
                )
                nodes.append(
                    FieldNode(
                        alias=alias,
                        name=NameNode(value=item.name),
                        arguments=item.arguments,
                        directives=item.directives,
                        selection_set=item.children.to_ast() if item.children else None,
                    )
                )
            else:
                if not item.children.items:
                    continue
                nodes.append(
                    InlineFragmentNode(
                        type_condition=NamedTypeNode(name=NameNode(value=item.type_condition))
                        if item.type_condition
                        else None,
                        directives=item.directives,
                        selection_set=item.children.to_ast(),
                    )
                )
        return SelectionSetNode(selections=tuple(nodes))


# (parent type, field name) -> (the field's named type, or "" for a leaf; the subgraph serving it
# here; its data category): what a fetch's structured selection records of each field.
FieldFacts = Callable[[str, str], tuple[str, str | None, str | None]]


def to_fetch_selections(
    builder: SelectionBuilder, type_name: str, facts: FieldFacts
) -> tuple[FetchSelection, ...]:
    """The finished selection as plain data, each field with its parent type and metadata
    (prints exactly as `builder.to_ast()`)."""
    result: list[FetchSelection] = []
    for item in builder.items.values():
        if isinstance(item, FieldSelection):
            child_type, owner, category = facts(type_name, item.name)
            result.append(
                FetchField(
                    response_key=item.response_key,
                    name=item.name,
                    parent_type=type_name,
                    arguments=item.arguments,
                    directives=item.directives,
                    selections=(
                        None
                        if item.children is None
                        else to_fetch_selections(item.children, child_type or type_name, facts)
                    ),
                    owner=owner,
                    category=category,
                )
            )
        elif item.children.items:
            condition = item.type_condition
            result.append(
                FetchFragment(
                    condition,
                    to_fetch_selections(item.children, condition or type_name, facts),
                    item.directives,
                )
            )
    return tuple(result)


def _directives_key(directives: tuple[DirectiveNode, ...]) -> str:
    return " ".join(print_ast(d) for d in directives)


def print_selections(selections: Sequence[Selection]) -> str:
    builder = SelectionBuilder()
    for s in selections:
        _copy(builder, s)
    return print_ast(builder.to_ast())


def _copy(node: SelectionBuilder, s: Selection) -> None:
    if isinstance(s, InlineFragment):
        child = node.fragment(s.type_condition, s.directives)
        for c in s.selections:
            _copy(child, c)
        return
    chosen = node.field(s.response_key, s.name, s.arguments, s.directives, bool(s.selections))
    if chosen.children is not None:
        for c in s.selections:
            _copy(chosen.children, c)


# (parent type, field name) -> (the field's type shape in the subgraph, its named type). Leaf
# types print whole (`ID!`); composite ones only their list/non-null wrappers (`[*]!`).
FieldShape = Callable[[str, str], tuple[str, str]]


def alias_conflicts(
    builder: SelectionBuilder, type_name: str, shape_of: FieldShape
) -> tuple[tuple[str, str], ...]:
    """Alias fields that share a response key with an earlier field at the same level (across
    type conditions) but are another field or have another shape in the subgraph, as for
    `id: ID!` on one member of a union and `id: ID` on another: the subgraph would reject the
    operation. Returns (alias, response key) pairs to rename in the subgraph's answer."""
    renames: list[tuple[str, str]] = []
    levels: list[list[tuple[SelectionBuilder, str]]] = [[(builder, type_name)]]
    while levels:
        level = levels.pop()
        seen: dict[str, tuple[str, str]] = {}
        below: dict[str, list[tuple[SelectionBuilder, str]]] = {}
        for item, parent in _fields_in_level(level):
            if item.name == "__typename":
                signature, child_type = ("__typename", ""), ""
            else:
                shape, child_type = shape_of(parent, item.name)
                signature = (item.name, shape)
            previous = seen.setdefault(item.response_key, signature)
            if previous != signature:
                alias = f"{item.response_key}__alias_{len(renames)}"
                renames.append((alias, item.response_key))
                item.response_key = alias
            if item.children is not None:
                below.setdefault(item.response_key, []).append((item.children, child_type))
        levels.extend(below.values())
    return tuple(renames)


def _fields_in_level(
    level: list[tuple[SelectionBuilder, str]],
) -> Iterator[tuple[FieldSelection, str]]:
    """The fields one response object gets from these selection sets, type conditions
    followed, in document order, each with its parent type."""
    stack = [(iter(builder.items.values()), parent) for builder, parent in reversed(level)]
    while stack:
        items, parent = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
        elif isinstance(item, FieldSelection):
            yield item, parent
        else:
            stack.append((iter(item.children.items.values()), item.type_condition or parent))
