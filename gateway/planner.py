"""Operation -> query plan: which subgraph fetches what, in which order, merged where."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLUnionType,
    OperationType,
    VariableNode,
    get_named_type,
    is_composite_type,
    print_ast,
)

from gateway.fetch_groups import Condition, FetchGroup, PlanWriter
from gateway.fetch_groups import PlanningError as PlanningError  # part of this module's API
from gateway.operation import Field, InlineFragment, Operation, Selection
from gateway.plan import (
    Path,
    PlanNode,
    QueryPlan,
    SequenceNode,
)
from gateway.selection import SelectionBuilder, print_selections
from gateway.subgraphs import Key, SubgraphMap

LOCAL_ROOT_FIELDS = frozenset({"__schema", "__type", "__typename"})


@dataclass(slots=True)
class _Position:
    """Where in a group's selection the planner is, and what it may assume there."""

    group: FetchGroup
    node: SelectionBuilder
    type_name: str
    path: Path
    provided: tuple[Selection, ...] | None  # @provides in force at this position, if any
    # How the planner got here: the position above and the field or type condition leading
    # down from it (no step: the same object, reached by an entity hop). Objects without a
    # usable key are reached again along this chain (see `_reenter`).
    parent: _Position | None = None
    step: Selection | None = None
    # The step is the planner's own split of an abstract field per object type: every branch
    # of one field is served along one route, so no branch is fetched again on another.
    split: bool = False
    # The @include/@skip conditions (with variables) everything planned here is under.
    conditions: frozenset[Condition] = frozenset()

    def below(
        self,
        step: Selection,
        node: SelectionBuilder,
        type_name: str,
        path: Path,
        provided: tuple[Selection, ...] | None,
    ) -> _Position:
        """The position one field or type condition further down, in the same group."""
        return _Position(
            self.group,
            node,
            type_name,
            path,
            provided,
            self,
            _route_step(step),
            conditions=self.conditions,
        )

    def moved(
        self,
        node: SelectionBuilder,
        provided: tuple[Selection, ...] | None = None,
        type_name: str | None = None,
    ) -> _Position:
        """The same object, written into another selection node (or seen as another type)."""
        return _Position(
            self.group,
            node,
            type_name or self.type_name,
            self.path,
            provided,
            self.parent,
            self.step,
            conditions=self.conditions,
        )


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
        self._planning_inputs: set[tuple[str, str, Path, str]] = set()
        self._roots: list[FetchGroup] = []  # a query's root fetches, one per subgraph

    # --- entry --------------------------------------------------------------------------

    def run(self) -> QueryPlan:
        root_type = self._root_type()
        self.writer = PlanWriter(self.map, self.operation, root_type)
        local = tuple(
            s.response_key
            for s in _flatten_root(self.operation.selections)
            if isinstance(s, Field) and s.name in LOCAL_ROOT_FIELDS
        )
        if self.operation.kind == OperationType.MUTATION:
            return QueryPlan(self._plan_mutation(root_type), local)
        roots = self._roots
        for selection in _flatten_root(self.operation.selections):
            if isinstance(selection, Field) and selection.name in LOCAL_ROOT_FIELDS:
                continue
            group = self._root_group_for(root_type, selection, roots)
            self._plan_selection(_Position(group, group.selections, root_type, (), None), selection)
        return QueryPlan(self.writer.node(list(self.groups.values())), local)

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
        """How many fields under a root field `graph` can serve itself, @provides and type
        conditions included: the more, the fewer hops."""
        count = 0
        stack: list[tuple[str, Sequence[Selection], tuple[Selection, ...] | None]] = [
            (type_name, (selection,), None)
        ]
        while stack:
            parent, selections, provided = stack.pop()
            for s in selections:
                if isinstance(s, InlineFragment):
                    condition = s.type_condition or parent
                    stack.append((condition, s.selections, _narrow(provided, condition)))
                    continue
                if not (
                    self.map.can_serve(graph, parent, s.name)
                    or any(isinstance(p, Field) and p.name == s.name for p in provided or ())
                ):
                    continue
                count += 1
                field_def = self.map.field_def(parent, s.name)
                if s.selections and field_def is not None:
                    below = self._provided_under(graph, parent, s.name, provided)
                    stack.append((get_named_type(field_def.type).name, s.selections, below))
        return count

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
                    node = self.writer.node(step_groups)
                    if node:
                        steps.append(node)
                self.groups = {}
                current = self._new_group(sources[0], (), None)
            self._plan_selection(
                _Position(current, current.selections, root_type, (), None), selection
            )
            step_groups = list(self.groups.values())
        if step_groups:
            node = self.writer.node(step_groups)
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
        self,
        parent: FetchGroup,
        graph: str,
        path: Path,
        type_name: str,
        requires_key: str,
        suppliers: set[int],
    ) -> FetchGroup:
        """The group fetching `type_name` from `graph` at `path` after `parent` and the
        suppliers of its inputs: reused when it can be. One representation carries the key and
        at most one set of @requires inputs, so groups with different ones stay apart."""
        wanted = (graph, path, type_name)
        before = self._ancestors(parent) | {parent.id}
        for supplier in suppliers:
            before |= self._ancestors(self.groups[supplier]) | {supplier}
        for group in self.groups.values():
            if (group.graph, group.merge_at, group.entity_type) != wanted:
                continue
            if requires_key and group.requires_key not in ("", requires_key):
                continue
            if group.id in before:
                continue  # it must come after them, and cannot if one of them waits for it
            if requires_key:
                group.requires_key = requires_key
            group.depends_on.add(parent.id)
            return group
        group = self._new_group(graph, path, type_name, requires_key)
        group.depends_on.add(parent.id)
        return group

    # --- selections -----------------------------------------------------------------------

    def _plan_selections(self, at: _Position, selections: Sequence[Selection]) -> set[int]:
        touched: set[int] = set()
        for selection in selections:
            touched |= self._plan_selection(at, selection)
        return touched

    def _plan_selection(self, at: _Position, selection: Selection) -> set[int]:
        conditions = _conditions(selection.directives)
        if conditions is None:
            return set()  # `@include(if: false)` or `@skip(if: true)`: never selected
        if not conditions <= at.conditions:
            at = replace(at, conditions=at.conditions | conditions)
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
            return self._plan_selections(at.moved(node, at.provided), fragment.selections)
        if condition == at.type_name:
            node = (
                at.node.fragment(condition, fragment.directives) if fragment.directives else at.node
            )
            return self._plan_selections(at.moved(node, at.provided), fragment.selections)
        if self.map.is_interface_object(graph, at.type_name):
            # This subgraph knows no implementations: an owner of the interface applies the
            # condition.
            return self._hop(at, fragment, self._owner_targets(at))
        # Abstract parent: keep the condition where the subgraph knows the type, else split it
        # into the object types this subgraph can actually return here.
        condition_type = self.schema.get_type(condition)
        if (
            self.map.has_type(graph, condition)
            and not self.map.is_interface_object(graph, condition)
            and self._condition_agrees(at, condition)
        ):
            if isinstance(condition_type, GraphQLObjectType) and (
                condition_type not in self.map.possible_types_in_graph(graph, at.type_name)
                or condition not in self._safe_members(at)
            ):
                return set()
            node = at.node.fragment(condition, fragment.directives)
            return self._plan_selections(
                at.below(fragment, node, condition, at.path, _narrow(at.provided, condition)),
                fragment.selections,
            )
        touched: set[int] = set()
        wanted = set(t.name for t in self.map.possible_types(condition)) & self._safe_members(at)
        for runtime in self.map.possible_types_in_graph(graph, at.type_name):
            if runtime.name not in wanted:
                continue
            node = at.node.fragment(runtime.name, fragment.directives)
            step = InlineFragment(runtime.name, fragment.directives)
            touched |= self._plan_selections(
                at.below(step, node, runtime.name, at.path, _narrow(at.provided, runtime.name)),
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
        interface_object_here = self.map.is_interface_object(graph, at.type_name)
        if selection.name == "__typename":
            if interface_object_here:
                # This subgraph would answer the interface's own name: ask an owner instead.
                return self._hop(at, selection, self._owner_targets(at))
            at.node.field(selection.response_key, "__typename", (), selection.directives)
            at.group.add_conditions(at.conditions)
            return {at.group.id}
        parent = self.schema.get_type(at.type_name)
        if isinstance(
            parent, GraphQLInterfaceType | GraphQLUnionType
        ) and not self._serves_for_every_member(at, selection.name):
            return self._plan_abstract_field(at, selection, interface_object_here)
        if not self._serves(at, selection.name):
            return self._hop(at, selection, self._field_targets(at, selection.name))
        if self._needs_own_requires(at, selection.name):
            # Required inputs reach a subgraph only as a representation: re-enter it.
            return self._hop(at, selection, [(graph, at.type_name)])
        field_def = self.map.field_def(at.type_name, selection.name)
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
        at.group.add_conditions(at.conditions)
        touched = {at.group.id}
        if composite and chosen.children is not None:
            provided = self._provided_below(at, selection)
            child_path = at.path + (selection.response_key,) + ("@",) * _list_depth(field_type)
            child_type = self._type_in_graph(at, selection.name) or named.name
            child = at.below(selection, chosen.children, child_type, child_path, provided)
            if not isinstance(named, GraphQLObjectType):
                chosen.children.typename()  # shaping applies type conditions by it
            touched |= self._plan_selections(child, selection.selections)
        return touched

    def _condition_agrees(self, at: _Position, condition: str) -> bool:
        """Whether the subgraph's own idea of an abstract condition covers every object type
        the supergraph's does here (an object may implement an interface in one subgraph
        only); if not, the condition is spelled out per object type."""
        if not self.map.is_abstract(condition):
            return True
        here = {t.name for t in self.map.possible_types_in_graph(at.group.graph, at.type_name)}
        wanted = {t.name for t in self.map.possible_types(condition)} & here
        known = {t.name for t in self.map.possible_types_in_graph(at.group.graph, condition)}
        return wanted <= known

    def _serves_for_every_member(self, at: _Position, field_name: str) -> bool:
        """Whether the subgraph serves an interface field for each object type it can return
        here: one may have lost the field to an @override, or see it as @external."""
        if not self._serves(at, field_name):
            return False
        return all(
            self._serves(
                at.moved(at.node, _narrow(at.provided, runtime.name), runtime.name), field_name
            )
            for runtime in self.map.possible_types_in_graph(at.group.graph, at.type_name)
        )

    def _plan_abstract_field(
        self, at: _Position, selection: Field, interface_object_here: bool
    ) -> set[int]:
        """A field on an interface or union that the current subgraph cannot serve there."""
        # First choice: another subgraph serves it on the interface itself, through its key.
        targets = [
            (g, at.type_name)
            for g in self.map.sources(at.type_name, selection.name)
            if g != at.group.graph
        ]
        if targets and self._choose_hop(at, targets, selection) is not None:
            return self._hop(at, selection, targets)
        if interface_object_here:
            # No implementations are known here: let an owner of the interface find them.
            return self._hop(at, selection, self._owner_targets(at))
        # Otherwise ask per object type this subgraph can return here.
        runtimes = self.map.possible_types_in_graph(at.group.graph, at.type_name)
        if not runtimes:
            raise PlanningError(
                f"no subgraph can resolve {at.type_name}.{selection.name} from subgraph "
                f"{self._name(at.group.graph)}"
            )
        at.node.typename()
        at.group.add_conditions(at.conditions)
        touched: set[int] = set()
        for runtime in runtimes:
            node = at.node.fragment(runtime.name)
            step = InlineFragment(runtime.name)
            branch = at.below(step, node, runtime.name, at.path, _narrow(at.provided, runtime.name))
            branch.split = True
            touched |= self._plan_field(branch, selection)
        return touched

    def _needs_own_requires(self, at: _Position, field_name: str) -> bool:
        """Whether a field with @requires here is planned outside the fetch built for it."""
        requires = _as_inputs(self.map.requires(at.group.graph, at.type_name, field_name))
        if not requires:
            return False
        group = at.group
        return not (
            group.entity_type == at.type_name
            and group.merge_at == at.path
            and group.requires_key == print_selections(requires)
        )

    def _field_targets(self, at: _Position, field_name: str) -> list[tuple[str, str]]:
        """(subgraph, entity type) pairs an entity hop for the field can go to."""
        direct = [
            (g, at.type_name)
            for g in self.map.sources(at.type_name, field_name)
            if g != at.group.graph
        ]
        if direct:
            return direct
        # A field an object inherits from an @interfaceObject: hop to it as the interface.
        return [
            (g, interface)
            for g, interface in self.map.inherited_sources(at.type_name, field_name)
            if g != at.group.graph
        ]

    def _owner_targets(self, at: _Position) -> list[tuple[str, str]]:
        return [
            (g, at.type_name)
            for g in self.map.interface_owners(at.type_name)
            if g != at.group.graph
        ]

    def _type_in_graph(self, at: _Position, field_name: str) -> str | None:
        """The field's named type in the current subgraph, where it differs from the
        supergraph's (`@join__field(type:)`): a union in one subgraph can be an object in
        another, and fragments are planned against what the subgraph really returns."""
        join = self.map.join_in(at.group.graph, at.type_name, field_name)
        if join is None or join.type is None:
            return None
        name = join.type.strip("[]! ")
        return name if is_composite_type(self.schema.get_type(name)) else None

    def _provided_below(self, at: _Position, selection: Field) -> tuple[Selection, ...] | None:
        return self._provided_under(at.group.graph, at.type_name, selection.name, at.provided)

    def _provided_under(
        self, graph: str, parent: str, field_name: str, provided: tuple[Selection, ...] | None
    ) -> tuple[Selection, ...] | None:
        """What @provides makes resolvable under this field, in this subgraph: the field's own
        @provides, or the part of one in force above that covers it."""
        provides = self.map.provides(graph, parent, field_name)
        if provides:
            return provides
        for p in provided or ():
            if isinstance(p, Field) and p.name == field_name and p.selections:
                return p.selections
        return None

    # --- entity hops ------------------------------------------------------------------------

    def _hop(self, at: _Position, selection: Selection, targets: list[tuple[str, str]]) -> set[int]:
        """Resolve a selection the current subgraph cannot, through an `_entities` call to one of
        `targets` ((subgraph, entity type) pairs)."""
        label = (
            f"{at.type_name}.{selection.name}"
            if isinstance(selection, Field)
            else f"... on {selection.type_condition} in {at.type_name}"
        )
        choice = self._choose_hop(at, targets, selection) if targets else None
        if choice is None:
            reentered = self._reenter(at, selection)
            if reentered is not None:
                return reentered
            if not targets:
                raise PlanningError(f"no subgraph can resolve {label}")
            raise PlanningError(
                f"cannot reach {label} from subgraph {self._name(at.group.graph)}: "
                f"no key of {at.type_name} is available there"
            )
        target, entity_type, key = choice
        requires = _as_inputs(
            self.map.requires(target, entity_type, selection.name)
            if isinstance(selection, Field)
            else ()
        )
        key_selections = _as_inputs(key.selections)
        requires_key = print_selections(requires) if requires else ""
        marker = (target, entity_type, at.path, key.fields + "|" + requires_key)
        if marker in self._planning_inputs:
            raise PlanningError(f"circular requirements while planning {label}")
        self._planning_inputs.add(marker)
        try:
            # The representation: __typename, the key, and what @requires asks for.
            at.node.typename()
            at.group.add_conditions(at.conditions)
            suppliers = self._plan_selections(at, key_selections)
            if requires:
                suppliers |= self._plan_selections(at, requires)
        finally:
            self._planning_inputs.discard(marker)
        group = self._entity_group(
            at.group, target, at.path, entity_type, requires_key, suppliers - {at.group.id}
        )
        group.depends_on |= suppliers - {group.id}
        inputs = group.inputs.fragment(entity_type)
        inputs.typename()
        _add_plain(inputs, key_selections, self, entity_type)
        if requires:
            _add_plain(inputs, requires, self, entity_type)
        root = group.root(entity_type)
        if self.map.is_abstract(entity_type) and not self.map.is_interface_object(
            target, entity_type
        ):
            root.typename()  # the owner of an interface tells the concrete type
        # Hops from inside the new fetch that find no key start again from the same object.
        entered = _Position(
            group, root, entity_type, at.path, None, parent=at, conditions=at.conditions
        )
        return {group.id} | self._plan_selection(entered, selection)

    def _reenter(self, at: _Position, selection: Selection) -> set[int] | None:
        """Reach a selection under an object that has no usable key by fetching the route to it
        again, in a subgraph that serves every step, from the nearest ancestor that can be
        re-entered (an entity with a usable key, or the root of a query). None when none can."""
        route: tuple[Selection, ...] = ()
        current = at
        while current.parent is not None and not current.split:
            if current.step is not None:
                route = (current.step, *route)
            current = current.parent
            if route:
                found = self._reenter_from(current, route, selection, at.group.graph)
                if found is not None:
                    return found
        return None

    def _reenter_from(
        self, anchor: _Position, route: tuple[Selection, ...], selection: Selection, failed: str
    ) -> set[int] | None:
        graphs = [
            g
            for g in self.map.supergraph.graphs
            if g != failed and self._serves_route(g, anchor.type_name, route, selection)
        ]
        if not graphs:
            return None
        wrapped = selection
        for step in reversed(route):
            wrapped = replace(step, selections=(wrapped,))
        if anchor.parent is None and anchor.group.entity_type is None and not anchor.path:
            if self.operation.kind == OperationType.MUTATION:
                return None  # a mutation field must not run twice
            graph = graphs[0]
            group = next((r for r in self._roots if r.graph == graph), None)
            if group is None:
                group = self._new_root(graph, self._roots)
            return self._plan_selection(
                _Position(
                    group,
                    group.selections,
                    anchor.type_name,
                    (),
                    None,
                    conditions=anchor.conditions,
                ),
                wrapped,
            )
        targets = [(g, anchor.type_name) for g in graphs]
        if self._choose_hop(anchor, targets, wrapped) is None:
            return None
        return self._hop(anchor, wrapped, targets)

    def _serves_route(
        self, graph: str, type_name: str, route: Sequence[Selection], selection: Selection
    ) -> bool:
        current = self._follow_route(graph, type_name, route)
        if current is None:
            return False
        if isinstance(selection, InlineFragment):
            return self.map.has_type(graph, selection.type_condition or current)
        return self.map.can_serve(graph, current, selection.name)

    def _safe_members(self, at: _Position) -> set[str]:
        """Object types at this abstract position that every subgraph able to serve the path
        here can return: fragments on others are dropped, as other gateways do, so a result
        does not depend on which of those subgraphs was picked."""
        graphs = [
            g
            for g in self._path_graphs(at)
            if not self.map.is_interface_object(g, at.type_name)  # they ask an owner
        ] or [at.group.graph]
        members = {t.name for t in self.map.possible_types_in_graph(graphs[0], at.type_name)}
        for graph in graphs[1:]:
            members &= {t.name for t in self.map.possible_types_in_graph(graph, at.type_name)}
        return members

    def _follow_route(self, graph: str, type_name: str, route: Sequence[Selection]) -> str | None:
        """The type `graph` reaches by following `route` from `type_name`; None if it can't."""
        current = type_name
        for step in route:
            if isinstance(step, InlineFragment):
                current = step.type_condition or current
                if not self.map.has_type(graph, current):
                    return None
                continue
            field_def = self.map.field_def(current, step.name)
            if field_def is None or not self.map.can_serve(graph, current, step.name):
                return None
            current = get_named_type(field_def.type).name
        return current

    def _path_graphs(self, at: _Position) -> list[str]:
        """Every subgraph that could have served the path to this position from its nearest
        entity (or the root): any of them may be the one asked, now or in another plan."""
        route: tuple[Selection, ...] = ()
        current = at
        while current.parent is not None and not self.map.is_entity(current.type_name):
            if current.step is not None:
                route = (current.step, *route)
            current = current.parent
        if not route:
            return [at.group.graph]  # an entity itself: only the subgraph asked matters
        return [
            g
            for g in self.map.supergraph.graphs
            if self._follow_route(g, current.type_name, route) is not None
        ]

    def _choose_hop(
        self, at: _Position, targets: list[tuple[str, str]], selection: Selection
    ) -> tuple[str, str, Key] | None:
        # Prefer a subgraph already fetched at this path, then a key the current subgraph can
        # give without further hops; only then a key that needs other subgraphs first.
        existing = {
            (g.graph, g.entity_type)
            for g in self.groups.values()
            if g.merge_at == at.path and g.id != at.group.id
        }
        ordered = sorted(targets, key=lambda t: (t not in existing,))
        fallback: tuple[str, str, Key] | None = None
        wanted = selection.name if isinstance(selection, Field) else None
        for target, entity_type in ordered:
            for key in self.map.keys(target, entity_type):
                if not key.resolvable or any(
                    isinstance(k, Field) and k.name == wanted for k in key.selections
                ):
                    continue  # no key to fetch a field by the field itself
                if self._resolvable_here(at, at.type_name, key.selections):
                    return target, entity_type, key
                if fallback is None and self._obtainable(
                    at.type_name, key.selections, at.group.graph
                ):
                    fallback = (target, entity_type, key)
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
                field_def = self.map.field_def(type_name, s.name)
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


def _conditions(directives: Sequence[DirectiveNode]) -> frozenset[Condition] | None:
    """The conditions `@include`/`@skip` with a variable put on a selection; None when a
    literal one excludes it (a literal that includes it adds nothing)."""
    result: set[Condition] = set()
    for directive in directives:
        name = directive.name.value
        if name not in ("include", "skip"):
            continue
        wanted = name == "include"
        for argument in directive.arguments or ():
            if argument.name.value != "if":
                continue
            if isinstance(argument.value, VariableNode):
                result.add((argument.value.name.value, wanted))
            elif isinstance(argument.value, BooleanValueNode) and argument.value.value != wanted:
                return None
    return frozenset(result)


def _route_step(step: Selection) -> Selection:
    """A field or type condition as one step of a route, without what is selected below it."""
    return replace(step, selections=())


def _list_depth(field_type: GraphQLOutputType) -> int:
    depth = 0
    current: object = field_type
    while isinstance(current, GraphQLNonNull | GraphQLList):
        if isinstance(current, GraphQLList):
            depth += 1
        current = current.of_type
    return depth


def _as_inputs(selections: Sequence[Selection]) -> tuple[Selection, ...]:
    """A key or @requires field set as the planner fetches it: a field with arguments gets an
    alias of its own, so that it never merges with the client's copy of the field with other
    arguments (the representation is read off the alias, under the field's name)."""
    result: list[Selection] = []
    for s in selections:
        children = _as_inputs(s.selections)
        if isinstance(s, Field) and s.arguments:
            printed = " ".join(print_ast(a) for a in s.arguments)
            digest = hashlib.sha1(printed.encode()).hexdigest()[:8]
            result.append(replace(s, response_key=f"{s.name}__{digest}", selections=children))
        else:
            result.append(replace(s, selections=children))
    return tuple(result)


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
            field_def = planning.map.field_def(type_name, s.name)
            child_type = get_named_type(field_def.type).name if field_def is not None else None
        chosen = node.field(s.response_key, s.name, s.arguments, (), bool(s.selections))
        if s.selections and chosen.children is not None:
            named = planning.schema.get_type(child_type or "")
            if named is not None and not isinstance(named, GraphQLObjectType):
                chosen.children.typename()
            _add_plain(chosen.children, s.selections, planning, child_type or type_name)
