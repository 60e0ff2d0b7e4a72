"""Federation helpers every subgraph uses: category-tagged fields and the schema factory."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry

from subgraphs.common.errors import MaskUnexpectedErrors

# The data categories of DOMAIN.md; a field's @policy names exactly one.
CATEGORIES = frozenset(
    {
        "identity.basic",
        "identity.full",
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


def categorized(category: str, resolver: Any = None, **kwargs: Any) -> Any:
    """A field whose data belongs to `category`: declared with @policy so the supergraph carries it."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown data category {category!r}")
    field: Any = strawberry.federation.field
    if resolver is not None:
        return field(resolver, policy=[[category]], **kwargs)
    return field(policy=[[category]], **kwargs)


class SubgraphSchema(strawberry.federation.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        # Expected errors are answers, not incidents; MaskUnexpectedErrors logs the rest.
        return None


def build_schema(
    query: type, mutation: type | None = None, types: Iterable[type] = ()
) -> SubgraphSchema:
    return SubgraphSchema(
        query=query,
        mutation=mutation,
        types=list(types),
        extensions=[MaskUnexpectedErrors],
        # 2.7 has everything we use (@policy came in 2.6) and every composer we test with reads it.
        federation_version="2.7",
    )
