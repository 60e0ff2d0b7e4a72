"""The API schema: the supergraph as clients see it, without join/link machinery or @inaccessible."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
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
)

from gateway.supergraph.errors import SupergraphError
from gateway.supergraph.links import LinkedSpec

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
