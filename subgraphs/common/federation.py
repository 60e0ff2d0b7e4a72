"""Federation helpers every subgraph uses: category-tagged fields and the schema factory."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from graphql import GraphQLInterfaceType, GraphQLNonNull, GraphQLObjectType
from strawberry.federation.schema_directives import Cost, ListSize
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.unset import UNSET

from subgraphs.common.context import ReportChanges
from subgraphs.common.errors import MaskUnexpectedErrors
from subgraphs.common.guard import CategoryGuard

# The data categories of DOMAIN.md; a field's @policy names exactly one.
CATEGORIES = frozenset(
    {
        "identity.basic",
        "identity.full",
        # What other agencies recorded about a child's identity (other names, attribute reports):
        # Disdukcapil's, for identity.resolution only.
        "identity.reports",
        "welfare.registry",
        "pkh.membership",
        "pkh.compliance",
        "protection.flag",
        "protection.summary",
        "protection.detail",
        "dinsos.complaints",
        "dinsos.placements",
        "audit.log",
    }
)


# Where categorized() leaves a field's category, for the schema to check its nullability.
_CATEGORY = "satu_anak.category"


def categorized(category: str, resolver: Any = None, **kwargs: Any) -> Any:
    """A field whose data belongs to `category`: declared with @policy so the supergraph carries it.

    Its type must be nullable (`str | None`, `list[X] | None`): the gateway answers null for a
    field the officer may not see or whose subgraph is down, and a non-null field would take its
    parent (the whole Child) down with it. The schema refuses to build otherwise.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown data category {category!r}")
    kwargs["metadata"] = {**(kwargs.get("metadata") or {}), _CATEGORY: category}
    # Defence in depth: outside the grant's categories the field is null with FORBIDDEN.
    kwargs["extensions"] = [*(kwargs.get("extensions") or ()), CategoryGuard(category)]
    field: Any = strawberry.federation.field
    if resolver is not None:
        return field(resolver, policy=[[category]], **kwargs)
    return field(policy=[[category]], **kwargs)


# Demand control (Federation 2.9 `@cost`/`@listSize`; the gateway's budget: docs/limits.md).
# Put on a field with `directives=[...]`.


def paged(sized_field: str = "nodes") -> ListSize:
    """A connection: `first` (1..100, with its default) says how many `sized_field` items."""
    # UNSET, not None: an argument printed as `null` is refused by some composers.
    return ListSize(
        assumed_size=UNSET,
        slicing_arguments=["first"],
        sized_fields=[sized_field],
        require_one_slicing_argument=UNSET,  # the default: true
    )


def assumed(size: int) -> ListSize:
    """An unpaged list (a child's cases, a family's members): about `size` items at most, as
    the data has it — the gateway's cost estimate multiplies by it."""
    return ListSize(
        assumed_size=size,
        slicing_arguments=UNSET,
        sized_fields=UNSET,
        require_one_slicing_argument=UNSET,
    )


def cost(weight: int) -> Cost:
    """A field dearer than reading one row (it searches or computes across tables)."""
    return Cost(weight=weight)


def non_null_categorized_fields(schema: strawberry.Schema) -> list[str]:
    """`Type.field` for every field declared with categorized() whose GraphQL type is non-null."""
    found = []
    for type_name, graphql_type in schema._schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, graphql_field in graphql_type.fields.items():
            definition = (graphql_field.extensions or {}).get(
                GraphQLCoreConverter.DEFINITION_BACKREF
            )
            metadata = getattr(definition, "metadata", None) or {}
            if _CATEGORY in metadata and isinstance(graphql_field.type, GraphQLNonNull):
                found.append(f"{type_name}.{field_name}")
    return found


class SubgraphSchema(strawberry.federation.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        non_null = non_null_categorized_fields(self)
        if non_null:
            raise TypeError(
                "fields with a data category must be nullable (annotate `X | None`): "
                + ", ".join(non_null)
            )

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        # Expected errors are answers, not incidents; MaskUnexpectedErrors logs the rest.
        return None


def build_schema(
    query: type, mutation: type | None = None, types: Iterable[type] = ()
) -> SubgraphSchema:
    """A subgraph's schema: each subgraph's own `build_schema()` calls it when its service is built."""
    return SubgraphSchema(
        query=query,
        mutation=mutation,
        types=list(types),
        # ReportChanges: what a mutation wrote reaches the gateway's audit with the answer.
        extensions=[MaskUnexpectedErrors, ReportChanges],
        # 2.9 for @cost/@listSize (demand control); @policy came in 2.6.
        federation_version="2.9",
    )
