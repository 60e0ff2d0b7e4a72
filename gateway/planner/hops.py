"""Entity moves of the planner's walk: reaching what the current subgraph cannot serve through
an `_entities` fetch to another one (by a key, with @requires inputs), or by fetching the route
to it again from the nearest ancestor that can be re-entered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from graphql import GraphQLObjectType, GraphQLSchema, OperationType, get_named_type

from gateway.errors import PlanningError
from gateway.operation import Field, InlineFragment, Operation, Selection
from gateway.planner.fetch_graph import FetchGraph, FetchGroup
from gateway.planner.position import Position, as_inputs
from gateway.planner.selection import SelectionBuilder, print_selections
from gateway.planner.subgraph_map import Key, SubgraphMap
from gateway.types import Path


class EntityMoves:
    """The entity hops of `builder._Builder`, which supplies the field moves they call back."""

    map: SubgraphMap
    schema: GraphQLSchema
    operation: Operation
    graph: FetchGraph
    groups: dict[int, FetchGroup]
    _planning_inputs: set[tuple[str, str, Path, str]]
    _roots: list[FetchGroup]

    # --- what the field moves supply ----------------------------------------------------------

    def _plan_selection(self, at: Position, selection: Selection) -> set[int]:
        raise NotImplementedError

    def _plan_selections(self, at: Position, selections: Sequence[Selection]) -> set[int]:
        raise NotImplementedError

    def _serves(self, at: Position, field_name: str) -> bool:
        raise NotImplementedError

    def _provided_below(self, at: Position, selection: Field) -> tuple[Selection, ...] | None:
        raise NotImplementedError

    def _new_group(
        self, graph: str, merge_at: Path, entity_type: str | None, requires_key: str = ""
    ) -> FetchGroup:
        raise NotImplementedError

    def _new_root(self, graph: str, roots: list[FetchGroup]) -> FetchGroup:
        raise NotImplementedError

    def _name(self, graph: str) -> str:
        return self.map.name_of(graph)

    # --- entity hops ----------------------------------------------------------------------------

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
        before = self.graph.ancestors(parent) | {parent.id}
        for supplier in suppliers:
            before |= self.graph.ancestors(self.groups[supplier]) | {supplier}
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

    def _hop(self, at: Position, selection: Selection, targets: list[tuple[str, str]]) -> set[int]:
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
        requires = as_inputs(
            self.map.requires(target, entity_type, selection.name)
            if isinstance(selection, Field)
            else ()
        )
        key_selections = as_inputs(key.selections)
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
        entered = Position(
            group, root, entity_type, at.path, None, parent=at, conditions=at.conditions
        )
        return {group.id} | self._plan_selection(entered, selection)

    def _reenter(self, at: Position, selection: Selection) -> set[int] | None:
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
        self, anchor: Position, route: tuple[Selection, ...], selection: Selection, failed: str
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
                Position(
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

    def _safe_members(self, at: Position) -> set[str]:
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

    def _path_graphs(self, at: Position) -> list[str]:
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
        self, at: Position, targets: list[tuple[str, str]], selection: Selection
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
                if fallback is None and self._obtainable(at.type_name, key.selections):
                    fallback = (target, entity_type, key)
        return fallback

    def _resolvable_here(
        self, at: Position, type_name: str, selections: Sequence[Selection]
    ) -> bool:
        for s in selections:
            if isinstance(s, InlineFragment):
                if not self._resolvable_here(at, s.type_condition or type_name, s.selections):
                    return False
                continue
            position = Position(at.group, at.node, type_name, at.path, at.provided)
            if not self._serves(position, s.name):
                return False
            if s.selections:
                field_def = self.map.field_def(type_name, s.name)
                if field_def is None:
                    return False
                child = get_named_type(field_def.type).name
                provided = self._provided_below(position, s)
                if not self._resolvable_here(
                    Position(at.group, at.node, child, at.path, provided), child, s.selections
                ):
                    return False
        return True

    def _obtainable(self, type_name: str, selections: Sequence[Selection]) -> bool:
        """Whether every field of a key is served by some subgraph (so it can be fetched first)."""
        for s in selections:
            if (
                isinstance(s, Field)
                and s.name != "__typename"
                and not self.map.sources(type_name, s.name)
            ):
                return False
        return True

    def _field_targets(self, at: Position, field_name: str) -> list[tuple[str, str]]:
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

    def _owner_targets(self, at: Position) -> list[tuple[str, str]]:
        return [
            (g, at.type_name)
            for g in self.map.interface_owners(at.type_name)
            if g != at.group.graph
        ]


def _add_plain(
    node: SelectionBuilder, selections: Sequence[Selection], planning: EntityMoves, type_name: str
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
