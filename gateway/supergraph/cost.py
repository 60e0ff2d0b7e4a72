"""Demand-control metadata read off the supergraph: `@cost` and `@listSize` (the cost spec, v0.1).

Composition links them as `@link(url: "https://specs.apollo.dev/cost/v0.1", import: [...])`,
possibly renamed on import; the names are resolved through that link. A supergraph without the
link has no weights and no list sizes: demand control then uses its defaults alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    TypeDefinitionNode,
)

from gateway.supergraph.errors import SupergraphError
from gateway.supergraph.links import LinkedSpec, applied, find_spec

COST_SPEC = "https://specs.apollo.dev/cost/"


@dataclass(frozen=True)
class ListSize:
    """`@listSize` on one field: how many items its list (or its sized fields' lists) holds."""

    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] | None = None
    sized_fields: tuple[str, ...] | None = None
    require_one_slicing_argument: bool = True


@dataclass(frozen=True)
class CostIndex:
    """Every `@cost` and `@listSize` of a supergraph, by schema coordinate."""

    types: dict[str, float] = field(default_factory=dict)  # object, enum, scalar -> weight
    fields: dict[tuple[str, str], float] = field(default_factory=dict)  # (type, field)
    arguments: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (type, field, arg)
    input_fields: dict[tuple[str, str], float] = field(default_factory=dict)  # (input, field)
    list_sizes: dict[tuple[str, str], ListSize] = field(default_factory=dict)  # (type, field)

    @property
    def empty(self) -> bool:
        return not (
            self.types or self.fields or self.arguments or self.input_fields or self.list_sizes
        )


def read_costs(document: DocumentNode, links: Iterable[LinkedSpec]) -> CostIndex:
    spec = find_spec(links, COST_SPEC)
    if spec is None:
        return CostIndex()
    cost, list_size = spec.directive("cost"), spec.directive("listSize")
    index = CostIndex()
    for definition in document.definitions:
        if not isinstance(definition, TypeDefinitionNode):
            continue
        type_name = definition.name.value
        if isinstance(
            definition,
            ObjectTypeDefinitionNode | EnumTypeDefinitionNode | ScalarTypeDefinitionNode,
        ):
            weight = _weight(definition, cost, type_name)
            if weight is not None:
                index.types[type_name] = weight
        if isinstance(definition, InputObjectTypeDefinitionNode):
            for input_field in definition.fields or ():
                coordinate = f"{type_name}.{input_field.name.value}"
                weight = _weight(input_field, cost, coordinate)
                if weight is not None:
                    index.input_fields[(type_name, input_field.name.value)] = weight
        if not isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            continue
        for field_node in definition.fields or ():
            field_name = field_node.name.value
            coordinate = f"{type_name}.{field_name}"
            weight = _weight(field_node, cost, coordinate)
            if weight is not None:
                index.fields[(type_name, field_name)] = weight
            sizes = applied(field_node, list_size)
            if len(sizes) > 1:
                raise SupergraphError(f"{coordinate} has @{list_size} more than once")
            if sizes:
                index.list_sizes[(type_name, field_name)] = _list_size(sizes[0], coordinate)
            for argument in field_node.arguments or ():
                weight = _weight(argument, cost, f"{coordinate}({argument.name.value}:)")
                if weight is not None:
                    index.arguments[(type_name, field_name, argument.name.value)] = weight
    return index


def _weight(node: Any, directive: str, coordinate: str) -> float | None:
    applications = applied(node, directive)
    if not applications:
        return None
    if len(applications) > 1:
        raise SupergraphError(f"{coordinate} has @{directive} more than once")
    weight = applications[0].get("weight")
    if not isinstance(weight, int) or isinstance(weight, bool):
        raise SupergraphError(f"@{directive} on {coordinate} needs weight: Int!")
    return float(weight)


def _list_size(args: dict[str, Any], coordinate: str) -> ListSize:
    assumed = args.get("assumedSize")
    slicing = args.get("slicingArguments")
    sized = args.get("sizedFields")
    require_one = args.get("requireOneSlicingArgument", True)
    # GraphQL input coercion: a single value where a list is expected is a list of one.
    slicing = [slicing] if isinstance(slicing, str) else slicing
    sized = [sized] if isinstance(sized, str) else sized
    if assumed is not None and (not isinstance(assumed, int) or isinstance(assumed, bool)):
        raise SupergraphError(f"@listSize on {coordinate}: assumedSize must be an Int")
    for name, value in (("slicingArguments", slicing), ("sizedFields", sized)):
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise SupergraphError(f"@listSize on {coordinate}: {name} must be [String!]")
    return ListSize(
        assumed_size=assumed,
        slicing_arguments=tuple(slicing) if slicing is not None else None,
        sized_fields=tuple(sized) if sized is not None else None,
        # null means the default (true), as for an omitted argument
        require_one_slicing_argument=require_one is not False,
    )
