"""Read a Federation 2 supergraph SDL: which subgraph serves what (join spec), and its metadata."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    EnumTypeDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
)

from gateway.supergraph.api_schema import build_api_schema
from gateway.supergraph.cost import CostIndex, read_costs
from gateway.supergraph.errors import SupergraphError
from gateway.supergraph.join import ContextArgument, FieldJoin, TypeJoin
from gateway.supergraph.links import (
    INACCESSIBLE_SPEC,
    JOIN_SPEC,
    LinkedSpec,
    applied,
    find_spec,
    read_links,
)
from gateway.supergraph.metadata import FieldMetadata, Policies, read_policies


@dataclass(frozen=True)
class Graph:
    """One subgraph as the supergraph names it."""

    enum_value: str  # e.g. PKH: how join directives refer to it
    name: str  # e.g. pkh
    url: str


@dataclass
class Supergraph:
    """A supergraph as read: its schemas, which subgraph serves what, and each field's @policy."""

    sdl: str
    schema: GraphQLSchema  # the whole supergraph, join directives included
    api_schema: GraphQLSchema  # what clients see
    graphs: dict[str, Graph]  # by enum value
    types: dict[str, tuple[TypeJoin, ...]]  # TypeJoin.graph: the enum value
    fields: dict[tuple[str, str], tuple[FieldJoin, ...]]  # FieldJoin.graph: the enum value
    implements: dict[str, tuple[tuple[str, str], ...]]  # type -> (graph, interface)
    union_members: dict[str, tuple[tuple[str, str], ...]]  # union -> (graph, member)
    enum_values: dict[tuple[str, str], tuple[str, ...]]  # (enum, value) -> graphs
    links: tuple[LinkedSpec, ...] = field(default_factory=tuple)
    # @policy, resolved through its @link: (type, field) -> policies, for fields that have one.
    policies: dict[tuple[str, str], Policies] = field(default_factory=dict)
    # @policy on a type (object, interface, scalar, enum): Apollo requires it of every field
    # returning the type. Kept apart: a field's own `policies` do not include it.
    type_policies: dict[str, Policies] = field(default_factory=dict)
    # @cost and @listSize, resolved through the cost spec's @link (demand control reads them).
    costs: CostIndex = field(default_factory=CostIndex)

    def graph_by_name(self, name: str) -> Graph:
        for graph in self.graphs.values():
            if graph.name == name:
                return graph
        raise KeyError(name)

    def field_metadata(self, type_name: str, field_name: str) -> FieldMetadata:
        """The field's own @policy (empty for a field without one, or one the schema lacks)."""
        return FieldMetadata(type_name, field_name, self.policies.get((type_name, field_name), ()))


def parse_supergraph(sdl: str) -> Supergraph:
    try:
        document = parse(sdl, no_location=False)
    except Exception as error:
        raise SupergraphError(f"supergraph SDL does not parse: {error}") from error
    schema_nodes: list[Any] = [
        d for d in document.definitions if d.kind in {"schema_definition", "schema_extension"}
    ]
    links = read_links(schema_nodes)
    join = find_spec(links, JOIN_SPEC)
    if join is None:
        raise SupergraphError("not a supergraph: no @link to the join spec")
    inaccessible = find_spec(links, INACCESSIBLE_SPEC)

    names = {
        "graph": join.directive("graph"),
        "type": join.directive("type"),
        "field": join.directive("field"),
        "implements": join.directive("implements"),
        "union_member": join.directive("unionMember"),
        "enum_value": join.directive("enumValue"),
    }
    graph_enum = join.type_name("Graph")

    graphs: dict[str, Graph] = {}
    types: dict[str, tuple[TypeJoin, ...]] = {}
    fields: dict[tuple[str, str], tuple[FieldJoin, ...]] = {}
    implements: dict[str, tuple[tuple[str, str], ...]] = {}
    union_members: dict[str, tuple[tuple[str, str], ...]] = {}
    enum_values: dict[tuple[str, str], tuple[str, ...]] = {}

    for definition in document.definitions:
        if not isinstance(definition, TypeDefinitionNode):
            continue
        type_name = definition.name.value
        if type_name == graph_enum and isinstance(definition, EnumTypeDefinitionNode):
            for value in definition.values or ():
                (args,) = applied(value, names["graph"]) or [{}]
                if "name" not in args or "url" not in args:
                    raise SupergraphError(f"graph {value.name.value} lacks @join__graph(name, url)")
                graphs[value.name.value] = Graph(
                    value.name.value, str(args["name"]), str(args["url"])
                )
            continue
        joins = tuple(
            TypeJoin(
                graph=str(args["graph"]),
                key=args.get("key"),
                extension=bool(args.get("extension", False)),
                resolvable=bool(args.get("resolvable", True)),
                is_interface_object=bool(args.get("isInterfaceObject", False)),
            )
            for args in applied(definition, names["type"])
        )
        if joins:
            types[type_name] = joins
        if isinstance(
            definition,
            ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode | InputObjectTypeDefinitionNode,
        ):
            for field_node in definition.fields or ():
                coordinate = f"{type_name}.{field_node.name.value}"
                field_joins = tuple(
                    FieldJoin(
                        graph=args.get("graph"),
                        requires=args.get("requires"),
                        provides=args.get("provides"),
                        type=args.get("type"),
                        external=bool(args.get("external", False)),
                        override=args.get("override"),
                        override_label=args.get("overrideLabel"),
                        used_overridden=bool(args.get("usedOverridden", False)),
                        context_arguments=tuple(
                            _context_argument(item, coordinate)
                            for item in args.get("contextArguments") or ()
                        ),
                    )
                    for args in applied(field_node, names["field"])
                )
                if field_joins:
                    fields[(type_name, field_node.name.value)] = field_joins
        if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            pairs = tuple(
                (str(a["graph"]), str(a["interface"]))
                for a in applied(definition, names["implements"])
            )
            if pairs:
                implements[type_name] = pairs
        if isinstance(definition, UnionTypeDefinitionNode):
            pairs = tuple(
                (str(a["graph"]), str(a["member"]))
                for a in applied(definition, names["union_member"])
            )
            if pairs:
                union_members[type_name] = pairs
        if isinstance(definition, EnumTypeDefinitionNode):
            for value in definition.values or ():
                in_graphs = tuple(str(a["graph"]) for a in applied(value, names["enum_value"]))
                if in_graphs:
                    enum_values[(type_name, value.name.value)] = in_graphs

    if not graphs:
        raise SupergraphError(
            f"supergraph has no subgraphs (enum {graph_enum} is missing or empty)"
        )

    try:
        schema = build_ast_schema(document, assume_valid_sdl=True)
    except Exception as error:
        raise SupergraphError(f"supergraph does not build: {error}") from error
    api = build_api_schema(
        document, links, inaccessible.directive("inaccessible") if inaccessible else None
    )
    policies = read_policies(document, links)
    return Supergraph(
        sdl=sdl,
        schema=schema,
        api_schema=api,
        graphs=graphs,
        types=types,
        fields=fields,
        implements=implements,
        union_members=union_members,
        enum_values=enum_values,
        links=links,
        policies=policies.fields,
        type_policies=policies.types,
        costs=read_costs(document, links),
    )


def _context_argument(value: Any, coordinate: str) -> ContextArgument:
    """One `join__ContextArgument` input: {context, name, type, selection}, all strings."""
    parts = ("context", "name", "type", "selection")
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in parts):
        raise SupergraphError(
            f"contextArguments on {coordinate} need context, name, type and selection"
        )
    return ContextArgument(
        context=value["context"],
        name=value["name"],
        type=value["type"],
        selection=value["selection"],
    )
