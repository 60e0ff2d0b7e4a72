"""The planner's main stage: an operation -> its fetch graph (which subgraph fetches what, and
after which other fetch), built greedily by walking the operation over the subgraph map."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLUnionType,
    OperationType,
    get_named_type,
    is_composite_type,
)

from gateway.conditions import static_conditions
from gateway.errors import PlanningError
from gateway.operation import Field, InlineFragment, Operation, Selection
from gateway.planner.fetch_graph import FetchGraph, FetchGroup
from gateway.planner.hops import EntityMoves
from gateway.planner.position import (
    Position,
    as_inputs,
    flatten_root,
    list_depth,
    narrow,
)
from gateway.planner.selection import print_selections
from gateway.planner.subgraph_map import SubgraphMap
from gateway.types import Path

LOCAL_ROOT_FIELDS = frozenset({"__schema", "__type", "__typename"})


def build_fetch_graph(subgraphs: SubgraphMap, operation: Operation) -> FetchGraph:
    """The fetch graph of an operation over this subgraph map."""
    return _Builder(subgraphs, operation).run()


class _Builder(EntityMoves):
    """The walk: field moves and type conditions here, entity moves in `EntityMoves`."""

    def __init__(self, subgraphs: SubgraphMap, operation: Operation) -> None:
        self.map = subgraphs
        self.schema = subgraphs.schema
        self.operation = operation
        self.graph = FetchGraph(self._root_type())
        # The groups of the step being planned (a mutation plans one step at a time).
        self.groups: dict[int, FetchGroup] = {}
        self._planning_inputs: set[tuple[str, str, Path, str]] = set()
        self._roots: list[FetchGroup] = []  # a query's root fetches, one per subgraph

    # --- entry --------------------------------------------------------------------------

    def run(self) -> FetchGraph:
        root_type = self.graph.root_type
        self.graph.local_fields = tuple(
            s.response_key
            for s in flatten_root(self.operation.selections)
            if isinstance(s, Field) and s.name in LOCAL_ROOT_FIELDS
        )
        if self.operation.kind == OperationType.MUTATION:
            self._plan_mutation(root_type)
            return self.graph
        roots = self._roots
        for selection in flatten_root(self.operation.selections):
            if isinstance(selection, Field) and selection.name in LOCAL_ROOT_FIELDS:
                continue
            group = self._root_group_for(root_type, selection, roots)
            self._plan_selection(Position(group, group.selections, root_type, (), None), selection)
        self.graph.steps.append(list(self.groups.values()))
        return self.graph

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
                    stack.append((condition, s.selections, narrow(provided, condition)))
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

    def _plan_mutation(self, root_type: str) -> None:
        """Consecutive root fields for one subgraph share a fetch; each such run is a step of
        its own, and steps run in the operation's order."""
        current: FetchGroup | None = None
        for selection in flatten_root(self.operation.selections):
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
            if current is None or current.graph not in sources:
                if self.groups:
                    self.graph.steps.append(list(self.groups.values()))
                self.groups = {}
                current = self._new_group(sources[0], (), None)
            self._plan_selection(
                Position(current, current.selections, root_type, (), None), selection
            )
        if self.groups:
            self.graph.steps.append(list(self.groups.values()))

    # --- groups -------------------------------------------------------------------------

    def _new_group(
        self, graph: str, merge_at: Path, entity_type: str | None, requires_key: str = ""
    ) -> FetchGroup:
        group = self.graph.new_group(graph, merge_at, entity_type, requires_key)
        self.groups[group.id] = group
        return group

    # --- selections -----------------------------------------------------------------------

    def _plan_selections(self, at: Position, selections: Sequence[Selection]) -> set[int]:
        touched: set[int] = set()
        for selection in selections:
            touched |= self._plan_selection(at, selection)
        return touched

    def _plan_selection(self, at: Position, selection: Selection) -> set[int]:
        conditions = static_conditions(selection.directives)
        if conditions is None:
            return set()  # `@include(if: false)` or `@skip(if: true)`: never selected
        if not conditions <= at.conditions:
            at = replace(at, conditions=at.conditions | conditions)
        if isinstance(selection, InlineFragment):
            return self._plan_fragment(at, selection)
        return self._plan_field(at, selection)

    def _plan_fragment(self, at: Position, fragment: InlineFragment) -> set[int]:
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
                at.below(fragment, node, condition, at.path, narrow(at.provided, condition)),
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
                at.below(step, node, runtime.name, at.path, narrow(at.provided, runtime.name)),
                fragment.selections,
            )
        return touched

    def _serves(self, at: Position, field_name: str) -> bool:
        if self.map.can_serve(at.group.graph, at.type_name, field_name):
            return True
        return at.provided is not None and any(
            isinstance(p, Field) and p.name == field_name for p in at.provided
        )

    def _plan_field(self, at: Position, selection: Field) -> set[int]:
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
            child_path = at.path + (selection.response_key,) + ("@",) * list_depth(field_type)
            child_type = self._type_in_graph(at, selection.name) or named.name
            child = at.below(selection, chosen.children, child_type, child_path, provided)
            if not isinstance(named, GraphQLObjectType):
                chosen.children.typename()  # shaping applies type conditions by it
            touched |= self._plan_selections(child, selection.selections)
        return touched

    def _condition_agrees(self, at: Position, condition: str) -> bool:
        """Whether the subgraph's own idea of an abstract condition covers every object type
        the supergraph's does here (an object may implement an interface in one subgraph
        only); if not, the condition is spelled out per object type."""
        if not self.map.is_abstract(condition):
            return True
        here = {t.name for t in self.map.possible_types_in_graph(at.group.graph, at.type_name)}
        wanted = {t.name for t in self.map.possible_types(condition)} & here
        known = {t.name for t in self.map.possible_types_in_graph(at.group.graph, condition)}
        return wanted <= known

    def _serves_for_every_member(self, at: Position, field_name: str) -> bool:
        """Whether the subgraph serves an interface field for each object type it can return
        here: one may have lost the field to an @override, or see it as @external."""
        if not self._serves(at, field_name):
            return False
        return all(
            self._serves(
                at.moved(at.node, narrow(at.provided, runtime.name), runtime.name), field_name
            )
            for runtime in self.map.possible_types_in_graph(at.group.graph, at.type_name)
        )

    def _plan_abstract_field(
        self, at: Position, selection: Field, interface_object_here: bool
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
            branch = at.below(step, node, runtime.name, at.path, narrow(at.provided, runtime.name))
            branch.split = True
            touched |= self._plan_field(branch, selection)
        return touched

    def _needs_own_requires(self, at: Position, field_name: str) -> bool:
        """Whether a field with @requires here is planned outside the fetch built for it."""
        requires = as_inputs(self.map.requires(at.group.graph, at.type_name, field_name))
        if not requires:
            return False
        group = at.group
        return not (
            group.entity_type == at.type_name
            and group.merge_at == at.path
            and group.requires_key == print_selections(requires)
        )

    def _type_in_graph(self, at: Position, field_name: str) -> str | None:
        """The field's named type in the current subgraph, where it differs from the
        supergraph's (`@join__field(type:)`): a union in one subgraph can be an object in
        another, and fragments are planned against what the subgraph really returns."""
        join = self.map.join_in(at.group.graph, at.type_name, field_name)
        if join is None or join.type is None:
            return None
        name = join.type.strip("[]! ")
        return name if is_composite_type(self.schema.get_type(name)) else None

    def _provided_below(self, at: Position, selection: Field) -> tuple[Selection, ...] | None:
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
