"""Operation -> query plan: which subgraph fetches what, in which order, merged where."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLUnionType,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    parse_type,
    print_ast,
    visit,
)
from graphql.language import Visitor

from gateway.operation import Field, InlineFragment, Operation, Selection
from gateway.plan import (
    FetchNode,
    FlattenNode,
    ParallelNode,
    Path,
    PlanNode,
    QueryPlan,
    SequenceNode,
)
from gateway.subgraphs import Key, SubgraphMap

LOCAL_ROOT_FIELDS = frozenset({"__schema", "__type", "__typename"})


class PlanningError(Exception):
    """No plan can satisfy the operation over this supergraph (a supergraph or planner limit)."""


# --- the selection a fetch group is building ------------------------------------------------


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


def _directives_key(directives: tuple[DirectiveNode, ...]) -> str:
    return " ".join(print_ast(d) for d in directives)


# --- fetch groups ---------------------------------------------------------------------------


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


@dataclass(slots=True)
class _Position:
    """Where in a group's selection the planner is, and what it may assume there."""

    group: FetchGroup
    node: SelectionBuilder
    type_name: str
    path: Path
    provided: tuple[Selection, ...] | None  # @provides in force at this position, if any


class QueryPlanner:
    """Plans operations against one supergraph (and one set of active override labels)."""

    def __init__(self, subgraphs: SubgraphMap) -> None:
        self.map = subgraphs
        self.schema = subgraphs.schema

    def plan(self, operation: Operation) -> QueryPlan:
        return _Planning(self, operation).run()


class _Planning:
    def __init__(self, planner: QueryPlanner, operation: Operation) -> None:
        self.map = planner.map
        self.schema = planner.schema
        self.operation = operation
        self.groups: dict[int, FetchGroup] = {}
        self._ids = itertools.count()
        self.variable_types = {d.variable.name.value: d for d in operation.variable_definitions}
        self._planning_inputs: set[tuple[str, str, Path, str]] = set()

    # --- entry --------------------------------------------------------------------------

    def run(self) -> QueryPlan:
        root_type = self._root_type()
        local = tuple(
            s.response_key
            for s in _flatten_root(self.operation.selections)
            if isinstance(s, Field) and s.name in LOCAL_ROOT_FIELDS
        )
        if self.operation.kind == OperationType.MUTATION:
            return QueryPlan(self._plan_mutation(root_type), local)
        roots: list[FetchGroup] = []
        for selection in _flatten_root(self.operation.selections):
            if isinstance(selection, Field) and selection.name in LOCAL_ROOT_FIELDS:
                continue
            group = self._root_group_for(root_type, selection, roots)
            self._plan_selection(_Position(group, group.selections, root_type, (), None), selection)
        return QueryPlan(self._to_node(list(self.groups.values())), local)

    def _root_type(self) -> str:
        kind = self.operation.kind
        root = {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[kind]
        if root is None:
            raise PlanningError(f"the supergraph has no {kind.value} type")
        if kind == OperationType.SUBSCRIPTION:
            raise PlanningError("subscriptions are not supported by this gateway")
        return root.name

    def _root_group_for(
        self, root_type: str, selection: Selection, roots: list[FetchGroup]
    ) -> FetchGroup:
        if isinstance(selection, InlineFragment):  # directives on a root fragment: any source
            first = next(iter(self._fields_of(selection)), None)
            if first is None:
                return roots[0] if roots else self._new_root(self._any_graph(), roots)
            return self._root_group_for(root_type, first, roots)
        sources = self.map.sources(root_type, selection.name)
        if not sources:
            raise PlanningError(f"no subgraph can resolve {root_type}.{selection.name}")
        for group in roots:
            if group.graph in sources:
                return group
        best = max(sources, key=lambda g: self._coverage(g, root_type, selection))
        return self._new_root(best, roots)

    def _new_root(self, graph: str, roots: list[FetchGroup]) -> FetchGroup:
        group = self._new_group(graph, (), None)
        roots.append(group)
        return group

    def _any_graph(self) -> str:
        return next(iter(self.map.supergraph.graphs))

    def _fields_of(self, fragment: InlineFragment) -> Iterable[Field]:
        for s in fragment.selections:
            if isinstance(s, Field):
                yield s
            else:
                yield from self._fields_of(s)

    def _coverage(self, graph: str, type_name: str, selection: Field) -> int:
        """How much of a root field's selection `graph` can serve itself (fewer hops)."""
        field_def = self._field_def(type_name, selection.name)
        if field_def is None or not selection.selections:
            return 0
        child_type = get_named_type(field_def.type).name
        return sum(
            1
            for s in selection.selections
            if isinstance(s, Field) and self.map.can_serve(graph, child_type, s.name)
        )

    def _plan_mutation(self, root_type: str) -> PlanNode | None:
        steps: list[PlanNode] = []
        current: FetchGroup | None = None
        step_groups: list[FetchGroup] = []
        for selection in _flatten_root(self.operation.selections):
            if isinstance(selection, Field) and selection.name in LOCAL_ROOT_FIELDS:
                continue
            first = (
                selection
                if isinstance(selection, Field)
                else next(iter(self._fields_of(selection)))
            )
            sources = self.map.sources(root_type, first.name)
            if not sources:
                raise PlanningError(f"no subgraph can resolve {root_type}.{first.name}")
            # Consecutive fields for one subgraph share a fetch; order across fetches is kept.
            if current is None or current.graph not in sources:
                if step_groups:
                    node = self._to_node(step_groups)
                    if node:
                        steps.append(node)
                self.groups = {}
                current = self._new_group(sources[0], (), None)
            self._plan_selection(
                _Position(current, current.selections, root_type, (), None), selection
            )
            step_groups = list(self.groups.values())
        if step_groups:
            node = self._to_node(step_groups)
            if node:
                steps.append(node)
        if not steps:
            return None
        return steps[0] if len(steps) == 1 else SequenceNode(tuple(steps))

    # --- groups -------------------------------------------------------------------------

    def _new_group(
        self, graph: str, merge_at: Path, entity_type: str | None, requires_key: str = ""
    ) -> FetchGroup:
        group = FetchGroup(next(self._ids), graph, merge_at, entity_type, requires_key)
        self.groups[group.id] = group
        return group

    def _ancestors(self, group: FetchGroup) -> set[int]:
        seen: set[int] = set()
        stack = list(group.depends_on)
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self.groups[current].depends_on)
        return seen

    def _entity_group(
        self, parent: FetchGroup, graph: str, path: Path, type_name: str, requires_key: str
    ) -> FetchGroup:
        """The group fetching `type_name` from `graph` at `path` after `parent`: reused when it can be."""
        wanted = (graph, path, type_name, requires_key)
        parent_ancestors = self._ancestors(parent)
        for group in self.groups.values():
            if (group.graph, group.merge_at, group.entity_type, group.requires_key) != wanted:
                continue
            if group.id == parent.id or group.id in parent_ancestors:
                continue  # it must come after `parent`, and cannot if `parent` waits for it
            group.depends_on.add(parent.id)
            return group
        group = self._new_group(graph, path, type_name, requires_key)
        group.depends_on.add(parent.id)
        return group

    # --- selections -----------------------------------------------------------------------

    def _field_def(self, type_name: str, field_name: str) -> GraphQLField | None:
        named = self.schema.get_type(type_name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            found: GraphQLField | None = named.fields.get(field_name)
            return found
        return None

    def _plan_selections(self, at: _Position, selections: Sequence[Selection]) -> set[int]:
        touched: set[int] = set()
        for selection in selections:
            touched |= self._plan_selection(at, selection)
        return touched

    def _plan_selection(self, at: _Position, selection: Selection) -> set[int]:
        if isinstance(selection, InlineFragment):
            return self._plan_fragment(at, selection)
        return self._plan_field(at, selection)

    def _plan_fragment(self, at: _Position, fragment: InlineFragment) -> set[int]:
        condition = fragment.type_condition or at.type_name
        parent = self.schema.get_type(at.type_name)
        graph = at.group.graph
        if isinstance(parent, GraphQLObjectType):
            if condition != at.type_name and parent not in self.map.possible_types(condition):
                return set()  # can never apply
            node = (
                at.node.fragment(at.type_name, fragment.directives)
                if fragment.directives
                else at.node
            )
            return self._plan_selections(
                _Position(at.group, node, at.type_name, at.path, at.provided), fragment.selections
            )
        # Abstract parent: keep the condition where the subgraph knows the type, else split it
        # into the object types this subgraph can actually return here.
        condition_type = self.schema.get_type(condition)
        if self.map.has_type(graph, condition) and not self.map.is_interface_object(
            graph, condition
        ):
            if isinstance(
                condition_type, GraphQLObjectType
            ) and condition_type not in self.map.possible_types_in_graph(graph, at.type_name):
                return set()
            node = at.node.fragment(condition, fragment.directives)
            return self._plan_selections(
                _Position(at.group, node, condition, at.path, _narrow(at.provided, condition)),
                fragment.selections,
            )
        touched: set[int] = set()
        wanted = set(t.name for t in self.map.possible_types(condition))
        for runtime in self.map.possible_types_in_graph(graph, at.type_name):
            if runtime.name not in wanted:
                continue
            node = at.node.fragment(runtime.name, fragment.directives)
            touched |= self._plan_selections(
                _Position(
                    at.group, node, runtime.name, at.path, _narrow(at.provided, runtime.name)
                ),
                fragment.selections,
            )
        return touched

    def _serves(self, at: _Position, field_name: str) -> bool:
        if self.map.can_serve(at.group.graph, at.type_name, field_name):
            return True
        return at.provided is not None and any(
            isinstance(p, Field) and p.name == field_name for p in at.provided
        )

    def _plan_field(self, at: _Position, selection: Field) -> set[int]:
        graph = at.group.graph
        if selection.name == "__typename":
            at.node.field(selection.response_key, "__typename", (), selection.directives)
            return {at.group.id}
        parent = self.schema.get_type(at.type_name)
        if isinstance(parent, GraphQLInterfaceType | GraphQLUnionType) and not self._serves(
            at, selection.name
        ):
            # The subgraph cannot serve the field on the interface: ask per object type.
            at.node.typename()
            touched: set[int] = set()
            for runtime in self.map.possible_types_in_graph(graph, at.type_name):
                node = at.node.fragment(runtime.name)
                touched |= self._plan_field(
                    _Position(
                        at.group, node, runtime.name, at.path, _narrow(at.provided, runtime.name)
                    ),
                    selection,
                )
            return touched
        if not self._serves(at, selection.name):
            return self._hop(at, selection)
        field_def = self._field_def(at.type_name, selection.name)
        if field_def is None:
            raise PlanningError(f"{at.type_name}.{selection.name} is not in the supergraph")
        field_type: GraphQLOutputType = field_def.type
        named = get_named_type(field_type)
        composite = is_composite_type(named)
        chosen = at.node.field(
            selection.response_key,
            selection.name,
            selection.arguments,
            selection.directives,
            composite,
        )
        touched = {at.group.id}
        if composite and chosen.children is not None:
            provided = self._provided_below(at, selection)
            child_path = at.path + (selection.response_key,) + ("@",) * _list_depth(field_type)
            child = _Position(at.group, chosen.children, named.name, child_path, provided)
            if not isinstance(named, GraphQLObjectType):
                chosen.children.typename()
            touched |= self._plan_selections(child, selection.selections)
        return touched

    def _provided_below(self, at: _Position, selection: Field) -> tuple[Selection, ...] | None:
        """What @provides makes resolvable under this field, in this subgraph."""
        provides = self.map.provides(at.group.graph, at.type_name, selection.name)
        if provides:
            return provides
        if at.provided is None:
            return None
        for p in at.provided:
            if isinstance(p, Field) and p.name == selection.name and p.selections:
                return p.selections
        return None

    # --- entity hops ------------------------------------------------------------------------

    def _hop(self, at: _Position, selection: Field) -> set[int]:
        """Resolve a field the current subgraph cannot, through an `_entities` call elsewhere."""
        type_name = at.type_name
        candidates = [g for g in self.map.sources(type_name, selection.name) if g != at.group.graph]
        if not candidates:
            raise PlanningError(f"no subgraph can resolve {type_name}.{selection.name}")
        choice = self._choose_hop(at, type_name, candidates)
        if choice is None:
            raise PlanningError(
                f"cannot reach {type_name}.{selection.name} from subgraph "
                f"{self._name(at.group.graph)}: no key of {type_name} is available there"
            )
        target, key = choice
        requires = self.map.requires(target, type_name, selection.name)
        requires_key = print_selections(requires) if requires else ""
        marker = (target, type_name, at.path, key.fields + "|" + requires_key)
        if marker in self._planning_inputs:
            raise PlanningError(
                f"circular requirements while planning {type_name}.{selection.name}"
            )
        self._planning_inputs.add(marker)
        try:
            # The representation: __typename, the key, and what @requires asks for.
            at.node.typename()
            suppliers = self._plan_selections(
                _Position(at.group, at.node, type_name, at.path, at.provided), key.selections
            )
            if requires:
                suppliers |= self._plan_selections(
                    _Position(at.group, at.node, type_name, at.path, at.provided), requires
                )
        finally:
            self._planning_inputs.discard(marker)
        group = self._entity_group(at.group, target, at.path, type_name, requires_key)
        group.depends_on |= suppliers - {group.id}
        inputs = group.inputs.fragment(type_name)
        inputs.typename()
        _add_plain(inputs, key.selections, self, type_name)
        if requires:
            _add_plain(inputs, requires, self, type_name)
        return {group.id} | self._plan_field(
            _Position(group, group.root(type_name), type_name, at.path, None), selection
        )

    def _choose_hop(
        self, at: _Position, type_name: str, candidates: list[str]
    ) -> tuple[str, Key] | None:
        # Prefer a subgraph already fetched at this path, then a key the current subgraph can
        # give without further hops; only then a key that needs other subgraphs first.
        existing = {
            g.graph
            for g in self.groups.values()
            if g.merge_at == at.path and g.entity_type == type_name and g.id != at.group.id
        }
        ordered = sorted(candidates, key=lambda g: (g not in existing,))
        fallback: tuple[str, Key] | None = None
        for target in ordered:
            for key in self.map.keys(target, type_name):
                if not key.resolvable:
                    continue
                if self._resolvable_here(at, type_name, key.selections):
                    return target, key
                if fallback is None and self._obtainable(type_name, key.selections, at.group.graph):
                    fallback = (target, key)
        return fallback

    def _resolvable_here(
        self, at: _Position, type_name: str, selections: Sequence[Selection]
    ) -> bool:
        graph = at.group.graph
        for s in selections:
            if isinstance(s, InlineFragment):
                if not self._resolvable_here(at, s.type_condition or type_name, s.selections):
                    return False
                continue
            position = _Position(at.group, at.node, type_name, at.path, at.provided)
            if not self._serves(position, s.name):
                return False
            if s.selections:
                field_def = self._field_def(type_name, s.name)
                if field_def is None:
                    return False
                child = get_named_type(field_def.type).name
                provided = self._provided_below(position, s)
                if not self._resolvable_here(
                    _Position(at.group, at.node, child, at.path, provided), child, s.selections
                ):
                    return False
        del graph
        return True

    def _obtainable(self, type_name: str, selections: Sequence[Selection], avoid: str) -> bool:
        """Whether every field of a key is served by some subgraph (so it can be fetched first)."""
        for s in selections:
            if (
                isinstance(s, Field)
                and s.name != "__typename"
                and not self.map.sources(type_name, s.name)
            ):
                return False
        return True

    def _name(self, graph: str) -> str:
        return self.map.supergraph.graphs[graph].name

    # --- groups -> plan nodes -----------------------------------------------------------------

    def _to_node(self, groups: list[FetchGroup]) -> PlanNode | None:
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
        )
        return FlattenNode(group.merge_at, fetch) if group.merge_at else fetch

    def _entity_types(self, group: FetchGroup) -> set[str]:
        if group.entity_type is None:
            return set()
        return {group.entity_type} | {t.name for t in self.map.possible_types(group.entity_type)}

    def _operation_name(self, group: FetchGroup) -> str:
        return f"{self.operation.name}__{self._name(group.graph)}__{group.id}"


def _flatten_root(selections: Sequence[Selection]) -> Iterable[Selection]:
    for s in selections:
        if isinstance(s, InlineFragment) and not s.directives:
            yield from _flatten_root(s.selections)
        else:
            yield s


def _narrow(provided: tuple[Selection, ...] | None, type_name: str) -> tuple[Selection, ...] | None:
    """@provides selections that apply once the runtime type is known to be `type_name`."""
    if provided is None:
        return None
    result: list[Selection] = []
    for p in provided:
        if isinstance(p, InlineFragment):
            if p.type_condition in (None, type_name):
                result.extend(p.selections)
        else:
            result.append(p)
    return tuple(result)


def _list_depth(field_type: GraphQLOutputType) -> int:
    depth = 0
    current: object = field_type
    while isinstance(current, GraphQLNonNull | GraphQLList):
        if isinstance(current, GraphQLList):
            depth += 1
        current = current.of_type
    return depth


def _add_plain(
    node: SelectionBuilder, selections: Sequence[Selection], planning: _Planning, type_name: str
) -> None:
    """Copy a field set (key or requires) into an inputs selection, as written."""
    for s in selections:
        if isinstance(s, InlineFragment):
            _add_plain(
                node.fragment(s.type_condition),
                s.selections,
                planning,
                s.type_condition or type_name,
            )
            continue
        child_type = None
        if s.selections:
            field_def = planning._field_def(type_name, s.name)
            child_type = get_named_type(field_def.type).name if field_def is not None else None
        chosen = node.field(s.response_key, s.name, s.arguments, (), bool(s.selections))
        if s.selections and chosen.children is not None:
            named = planning.schema.get_type(child_type or "")
            if named is not None and not isinstance(named, GraphQLObjectType):
                chosen.children.typename()
            _add_plain(chosen.children, s.selections, planning, child_type or type_name)


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


def _variables_in(node: SelectionSetNode) -> list[str]:
    names: list[str] = []

    class Collect(Visitor):
        def enter_variable(self, variable: VariableNode, *_args: object) -> None:
            if variable.name.value not in names:
                names.append(variable.name.value)

    visit(node, Collect())
    return names
