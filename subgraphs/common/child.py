"""The Child entity every subgraph shares: keyed by the national child index ID, extended by each."""

from __future__ import annotations

from typing import Self

import strawberry

from subgraphs.common.context import Info


@strawberry.type
class ChildEntity:
    """What every subgraph's `Child` has: its id, and a reference that resolves from the id alone.

    A subgraph declares its own `Child(ChildEntity)` as a `@strawberry.federation.type` keyed by
    id, adding its fields. The index lives in disdukcapil: elsewhere a child is known by its id,
    and a child the agency never saw simply has nothing there. The fields load lazily, and
    batched, from the id.
    """

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self:
        return cls(id=id)

    @classmethod
    def of(cls, child_id: str) -> Self:
        """The child a record names by its national child index ID."""
        return cls(id=strawberry.ID(child_id))
