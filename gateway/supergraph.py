"""Read a Federation 2 supergraph SDL: which subgraph serves what (join spec), and the API schema."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    value_from_ast_untyped,
)

JOIN_SPEC = "https://specs.apollo.dev/join/"
LINK_SPEC = "https://specs.apollo.dev/link/"
CORE_SPEC = "https://specs.apollo.dev/core/"
INACCESSIBLE_SPEC = "https://specs.apollo.dev/inaccessible/"

_VERSIONED = re.compile(r"^(?P<base>.+/)(?P<name>[A-Za-z_][A-Za-z0-9_]*)/v(?P<version>\d+\.\d+)$")


class SupergraphError(ValueError):
    """The SDL is not a supergraph this gateway can serve; the message says why."""


@dataclass(frozen=True)
class LinkedSpec:
    url: str
    name: str  # the spec's own name, e.g. "join"
    version: str
    prefix: str  # the name its elements carry here: `as:` or the spec name
    imports: dict[
        str, str
    ]  # imported element -> local name, e.g. "@inaccessible" -> "@inaccessible"
    purpose: str | None

    def directive(self, element: str) -> str:
        """Local name of the spec's directive `element` (without @)."""
        imported = self.imports.get(f"@{element}")
        if imported is not None:
            return imported.lstrip("@")
        if element == self.name:
            return self.prefix
        return f"{self.prefix}__{element}"

    def type_name(self, element: str) -> str:
        return self.imports.get(element) or f"{self.prefix}__{element}"


@dataclass(frozen=True)
class Graph:
    """One subgraph as the supergraph names it."""

    enum_value: str  # e.g. PKH: how join directives refer to it
    name: str  # e.g. pkh
    url: str


@dataclass(frozen=True)
class TypeJoin:
    graph: str
    key: str | None = None
    extension: bool = False
    resolvable: bool = True
    is_interface_object: bool = False


@dataclass(frozen=True)
class FieldJoin:
    graph: str | None
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False
    context_arguments: tuple[dict[str, Any], ...] = ()


@dataclass
class Supergraph:
    sdl: str
    schema: GraphQLSchema  # the whole supergraph, join directives included
    api_schema: GraphQLSchema  # what clients see
    graphs: dict[str, Graph]  # by enum value
    types: dict[str, tuple[TypeJoin, ...]]
    fields: dict[tuple[str, str], tuple[FieldJoin, ...]]
    implements: dict[str, tuple[tuple[str, str], ...]]  # type -> (graph, interface)
    union_members: dict[str, tuple[tuple[str, str], ...]]  # union -> (graph, member)
    enum_values: dict[tuple[str, str], tuple[str, ...]]  # (enum, value) -> graphs
    links: tuple[LinkedSpec, ...] = field(default_factory=tuple)

    def graph_by_name(self, name: str) -> Graph:
        for graph in self.graphs.values():
            if graph.name == name:
                return graph
        raise KeyError(name)


def _arguments(directive: DirectiveNode) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in directive.arguments or ()}


def _directives(node: Any, name: str) -> list[dict[str, Any]]:
    return [_arguments(d) for d in (node.directives or ()) if d.name.value == name]


def _links(schema_nodes: Sequence[SchemaDefinitionNode | Any]) -> tuple[LinkedSpec, ...]:
    specs: list[LinkedSpec] = []
    for node in schema_nodes:
        for directive in node.directives or ():
            if directive.name.value not in {"link", "core"}:
                continue
            args = _arguments(directive)
            url = args.get("url") or args.get("feature")
            if not isinstance(url, str):
                continue
            match = _VERSIONED.match(url.rstrip("/"))
            if match is None:
                continue
            imports: dict[str, str] = {}
            for item in args.get("import") or ():
                if isinstance(item, str):
                    imports[item] = item
                elif isinstance(item, dict) and "name" in item:
                    imports[item["name"]] = item.get("as") or item["name"]
            specs.append(
                LinkedSpec(
                    url=url,
                    name=match["name"],
                    version=match["version"],
                    prefix=args.get("as") or match["name"],
                    imports=imports,
                    purpose=args.get("for"),
                )
            )
    return tuple(specs)


def _spec(links: Iterable[LinkedSpec], base: str) -> LinkedSpec | None:
    for spec in links:
        if spec.url.startswith(base):
            return spec
    return None


def parse_supergraph(sdl: str) -> Supergraph:
    try:
        document = parse(sdl, no_location=False)
    except Exception as error:
        raise SupergraphError(f"supergraph SDL does not parse: {error}") from error
    schema_nodes: list[Any] = [
        d for d in document.definitions if d.kind in {"schema_definition", "schema_extension"}
    ]
    links = _links(schema_nodes)
    join = _spec(links, JOIN_SPEC)
    if join is None:
        raise SupergraphError("not a supergraph: no @link to the join spec")
    inaccessible = _spec(links, INACCESSIBLE_SPEC)

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
                (args,) = _directives(value, names["graph"]) or [{}]
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
            for args in _directives(definition, names["type"])
        )
        if joins:
            types[type_name] = joins
        if isinstance(
            definition,
            ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode | InputObjectTypeDefinitionNode,
        ):
            for field_node in definition.fields or ():
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
                        context_arguments=tuple(args.get("contextArguments") or ()),
                    )
                    for args in _directives(field_node, names["field"])
                )
                if field_joins:
                    fields[(type_name, field_node.name.value)] = field_joins
        if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            pairs = tuple(
                (str(a["graph"]), str(a["interface"]))
                for a in _directives(definition, names["implements"])
            )
            if pairs:
                implements[type_name] = pairs
        if isinstance(definition, UnionTypeDefinitionNode):
            pairs = tuple(
                (str(a["graph"]), str(a["member"]))
                for a in _directives(definition, names["union_member"])
            )
            if pairs:
                union_members[type_name] = pairs
        if isinstance(definition, EnumTypeDefinitionNode):
            for value in definition.values or ():
                in_graphs = tuple(str(a["graph"]) for a in _directives(value, names["enum_value"]))
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
    )


# --- the API schema ------------------------------------------------------------------------

# Specs whose directives and types are the supergraph's machinery, never the client's.
_MACHINERY = (
    "link",
    "core",
    "join",
    "inaccessible",
    "tag",
    "authenticated",
    "requiresScopes",
    "policy",
    "context",
    "cost",
    "listSize",
)


def _machinery_names(links: Iterable[LinkedSpec]) -> tuple[set[str], set[str]]:
    directives: set[str] = {"link", "core"}
    prefixes: set[str] = {"link__", "core__"}
    for spec in links:
        if spec.name not in _MACHINERY:
            continue
        prefixes.add(f"{spec.prefix}__")
        directives.add(spec.prefix)
        directives.update(
            local.lstrip("@") for name, local in spec.imports.items() if name.startswith("@")
        )
    return directives, prefixes


def _is_hidden(node: Any, inaccessible: str | None) -> bool:
    return inaccessible is not None and any(
        d.name.value == inaccessible for d in node.directives or ()
    )


def build_api_schema(
    document: DocumentNode, links: Iterable[LinkedSpec], inaccessible: str | None
) -> GraphQLSchema:
    """The client-facing schema: no join/link machinery, nothing marked @inaccessible."""
    machinery_directives, machinery_prefixes = _machinery_names(links)

    def is_machinery(name: str) -> bool:
        return name in machinery_directives or name.startswith(tuple(machinery_prefixes))

    def strip(node: Any) -> Any:
        directives = tuple(d for d in node.directives or () if not is_machinery(d.name.value))
        return node.__class__(**{**_node_fields(node), "directives": directives})

    hidden_types = {
        d.name.value
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode)
        and (_is_hidden(d, inaccessible) or d.name.value.startswith(tuple(machinery_prefixes)))
    }

    def visible_values(values: Iterable[Any] | None) -> tuple[Any, ...]:
        return tuple(
            strip(v)
            for v in values or ()
            if not _is_hidden(v, inaccessible) and _named(v.type) not in hidden_types
        )

    definitions: list[Any] = []
    for definition in document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            if is_machinery(definition.name.value):
                continue
            definitions.append(
                definition.__class__(
                    **{
                        **_node_fields(definition),
                        "arguments": visible_values(definition.arguments),
                    }
                )
            )
            continue
        if isinstance(definition, SchemaDefinitionNode) or definition.kind == "schema_extension":
            definitions.append(strip(definition))
            continue
        if not isinstance(definition, TypeDefinitionNode) or definition.name.value in hidden_types:
            continue
        updates: dict[str, Any] = {}
        if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            updates["fields"] = tuple(
                f.__class__(**{**_node_fields(strip(f)), "arguments": visible_values(f.arguments)})
                for f in definition.fields or ()
                if not _is_hidden(f, inaccessible) and _named(f.type) not in hidden_types
            )
            updates["interfaces"] = tuple(
                i for i in definition.interfaces or () if i.name.value not in hidden_types
            )
        elif isinstance(definition, InputObjectTypeDefinitionNode):
            updates["fields"] = visible_values(definition.fields)
        elif isinstance(definition, EnumTypeDefinitionNode):
            updates["values"] = tuple(
                strip(v) for v in definition.values or () if not _is_hidden(v, inaccessible)
            )
        elif isinstance(definition, UnionTypeDefinitionNode):
            updates["types"] = tuple(
                t for t in definition.types or () if t.name.value not in hidden_types
            )
        elif not isinstance(definition, ScalarTypeDefinitionNode):
            continue
        stripped = strip(definition)
        definitions.append(stripped.__class__(**{**_node_fields(stripped), **updates}))
    try:
        return build_ast_schema(DocumentNode(definitions=tuple(definitions)), assume_valid_sdl=True)
    except Exception as error:
        raise SupergraphError(f"API schema does not build: {error}") from error


def _node_fields(node: Any) -> dict[str, Any]:
    return {key: getattr(node, key) for key in node.keys if key != "loc"}


def _named(type_node: Any) -> str:
    while not isinstance(type_node, NamedTypeNode):
        type_node = type_node.type
    return type_node.name.value
