"""What each subgraph can resolve, read off the supergraph's join metadata: the planner's map."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
)

from gateway.operation import Selection, selections_of
from gateway.supergraph import FieldJoin, Supergraph
from gateway.supergraph.fieldset import parse_field_set


@dataclass(frozen=True, slots=True)
class Key:
    fields: str
    selections: tuple[Selection, ...]
    resolvable: bool


class SubgraphMap:
    """Answers, per subgraph, which types, fields, keys and members it has and can serve."""

    def __init__(
        self, supergraph: Supergraph, override_labels: frozenset[str] = frozenset()
    ) -> None:
        self.supergraph = supergraph
        self.schema: GraphQLSchema = supergraph.schema
        self.override_labels = override_labels
        self._graphs_of_type = {
            name: frozenset(j.graph for j in joins) for name, joins in supergraph.types.items()
        }
        # Owned by this map (one per gateway): field sets are tiny and repeat; sources are asked
        # for at every field the planner meets.
        self._field_sets: dict[str, tuple[Selection, ...]] = {}
        self._sources_cache: dict[tuple[str, str], tuple[str, ...]] = {}

    def field_set(self, fields: str) -> tuple[Selection, ...]:
        """`"id organization { id }"` -> selections."""
        found = self._field_sets.get(fields)
        if found is None:
            found = self._field_sets[fields] = selections_of(parse_field_set(fields))
        return found

    def name_of(self, graph: str) -> str:
        """A subgraph's name, from its join__Graph value."""
        return self.supergraph.graphs[graph].name

    # --- types -----------------------------------------------------------------------------

    def graphs_of_type(self, type_name: str) -> frozenset[str]:
        return self._graphs_of_type.get(type_name, frozenset(self.supergraph.graphs))

    def has_type(self, graph: str, type_name: str) -> bool:
        return graph in self.graphs_of_type(type_name)

    def is_interface_object(self, graph: str, type_name: str) -> bool:
        return any(
            j.graph == graph and j.is_interface_object
            for j in self.supergraph.types.get(type_name, ())
        )

    def interface_owners(self, interface: str) -> tuple[str, ...]:
        """Subgraphs that declare `interface` as a real interface (they know its implementations)."""
        return tuple(
            dict.fromkeys(
                j.graph
                for j in self.supergraph.types.get(interface, ())
                if not j.is_interface_object and j.key and j.resolvable
            )
        )

    def keys(self, graph: str, type_name: str) -> tuple[Key, ...]:
        return tuple(
            Key(j.key, self.field_set(j.key), j.resolvable)
            for j in self.supergraph.types.get(type_name, ())
            if j.graph == graph and j.key
        )

    def is_abstract(self, type_name: str) -> bool:
        return isinstance(self.schema.get_type(type_name), GraphQLInterfaceType | GraphQLUnionType)

    def is_entity(self, type_name: str) -> bool:
        return any(j.key for j in self.supergraph.types.get(type_name, ()))

    def possible_types(self, type_name: str) -> tuple[GraphQLObjectType, ...]:
        named = self.schema.get_type(type_name)
        if isinstance(named, GraphQLObjectType):
            return (named,)
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            return tuple(self.schema.get_possible_types(named))
        return ()

    def possible_types_in_graph(self, graph: str, type_name: str) -> tuple[GraphQLObjectType, ...]:
        """The object types `graph` can return where the supergraph expects `type_name`."""
        named = self.schema.get_type(type_name)
        if isinstance(named, GraphQLObjectType):
            return (named,) if self.has_type(graph, type_name) else ()
        result = []
        for candidate in self.possible_types(type_name):
            if not self.has_type(graph, candidate.name):
                continue
            if isinstance(named, GraphQLUnionType):
                members = self.supergraph.union_members.get(type_name)
                if members is not None and (graph, candidate.name) not in members:
                    continue
            elif isinstance(named, GraphQLInterfaceType):
                implements = self.supergraph.implements.get(candidate.name)
                if implements is not None and (graph, type_name) not in implements:
                    continue
            result.append(candidate)
        return tuple(result)

    # --- fields ----------------------------------------------------------------------------

    def _joins(self, type_name: str, field_name: str) -> tuple[FieldJoin, ...] | None:
        return self.supergraph.fields.get((type_name, field_name))

    def _is_key_field_of_extension(self, graph: str, type_name: str, field_name: str) -> bool:
        for join in self.supergraph.types.get(type_name, ()):
            if (
                join.graph == graph
                and join.key
                and join.extension
                and any(getattr(s, "name", None) == field_name for s in self.field_set(join.key))
            ):
                return True
        return False

    def _serves(self, join: FieldJoin, type_name: str, field_name: str) -> bool:
        if join.graph is None:
            return False
        if join.override_label is not None:
            active = join.override_label in self.override_labels
            # The new owner serves when the label is on; the old owner (usedOverridden) when off.
            if join.used_overridden:
                return not active
            if join.override is not None:
                return active
        if join.used_overridden:
            return False
        if join.external:
            return self._is_key_field_of_extension(join.graph, type_name, field_name)
        return True

    def sources(self, type_name: str, field_name: str) -> tuple[str, ...]:
        """Subgraphs that can resolve `type_name.field_name` for a client, in supergraph order."""
        key = (type_name, field_name)
        found = self._sources_cache.get(key)
        if found is None:
            found = self._sources_cache[key] = self._sources(type_name, field_name)
        return found

    def _sources(self, type_name: str, field_name: str) -> tuple[str, ...]:
        joins = self._joins(type_name, field_name)
        if joins is None:
            graphs = self.graphs_of_type(type_name)
            return tuple(g for g in self.supergraph.graphs if g in graphs)
        return tuple(
            j.graph for j in joins if j.graph is not None and self._serves(j, type_name, field_name)
        )

    def inherited_sources(self, type_name: str, field_name: str) -> tuple[tuple[str, str], ...]:
        """(subgraph, interface) pairs serving a field that `type_name` inherits through an
        @interfaceObject: the subgraph knows only the interface, so hops go through its key."""
        named = self.schema.get_type(type_name)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            return ()
        return tuple(
            (graph, interface.name)
            for interface in named.interfaces
            for graph in self.sources(interface.name, field_name)
            if self.is_interface_object(graph, interface.name)
        )

    def can_serve(self, graph: str, type_name: str, field_name: str) -> bool:
        if field_name == "__typename":
            return True
        return graph in self.sources(type_name, field_name)

    def join_in(self, graph: str, type_name: str, field_name: str) -> FieldJoin | None:
        for join in self._joins(type_name, field_name) or ():
            if join.graph == graph and self._serves(join, type_name, field_name):
                return join
        return None

    def requires(self, graph: str, type_name: str, field_name: str) -> tuple[Selection, ...]:
        join = self.join_in(graph, type_name, field_name)
        return self.field_set(join.requires) if join and join.requires else ()

    def provides(self, graph: str, type_name: str, field_name: str) -> tuple[Selection, ...]:
        join = self.join_in(graph, type_name, field_name)
        return self.field_set(join.provides) if join and join.provides else ()

    def field_def(self, type_name: str, field_name: str) -> GraphQLField | None:
        """The supergraph's definition of a field of an object or interface type."""
        named = self.schema.get_type(type_name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            found: GraphQLField | None = named.fields.get(field_name)
            return found
        return None

    def category(self, type_name: str, field_name: str) -> str | None:
        """The field's data category (`@policy`), if it has exactly one."""
        return self.supergraph.field_metadata(type_name, field_name).category
