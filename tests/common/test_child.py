"""The Child entity every subgraph extends: a reference resolves from the id alone."""

from __future__ import annotations

import strawberry

from subgraphs.common.child import ChildEntity
from subgraphs.common.context import Context
from subgraphs.common.federation import categorized


@strawberry.federation.type(keys=["id"], description="A child, as this subgraph knows it.")
class Child(ChildEntity):
    @categorized("protection.flag")
    def flagged(self) -> bool | None:
        return str(self.id).endswith("1")


@strawberry.type
class Query:
    @strawberry.field
    def child(self, id: strawberry.ID) -> Child | None:
        return Child.of(str(id))


def test_a_subgraph_child_has_the_shared_key_and_its_own_fields() -> None:
    schema = strawberry.federation.Schema(query=Query, types=[Child], federation_version="2.7")
    sdl = schema.as_str()
    assert 'type Child @key(fields: "id") {\n  id: ID!\n  flagged: Boolean' in sdl
    assert "ChildEntity" not in sdl
    result = schema.execute_sync(
        '{ _entities(representations: [{__typename: "Child", id: "ANK000000001"}])'
        " { ... on Child { id flagged } } }"
    )
    assert result.errors is None
    assert result.data == {"_entities": [{"id": "ANK000000001", "flagged": True}]}


def test_a_context_made_without_an_identity_carries_none() -> None:
    assert Context(db=None).identity is None  # type: ignore[arg-type]
