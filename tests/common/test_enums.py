"""Domain enums in GraphQL: stand-ins carry the names, the domain's own members cross the API."""

from __future__ import annotations

import enum
import importlib

import pytest
import strawberry

from subgraphs import SUBGRAPH_NAMES, load_spec
from subgraphs.common.enums import AMPK_CATEGORY, GraphQLEnum, graphql_enums


class Stage(enum.StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


Flow = graphql_enums(GraphQLEnum(Stage, "CaseFlow", description="Where a case is.")).Stage

received: list[object] = []


@strawberry.type
class Query:
    @strawberry.field
    def next_stage(self, stage: Flow) -> Flow:
        received.append(stage)
        return Stage.CLOSED


def test_the_domain_members_go_in_and_come_out() -> None:
    schema = strawberry.Schema(query=Query)
    assert '"""Where a case is."""\nenum CaseFlow {' in schema.as_str()
    result = schema.execute_sync("{ nextStage(stage: OPEN) }")
    assert result.errors is None
    assert result.data == {"nextStage": "CLOSED"}
    assert received == [Stage.OPEN] and received[0] is Stage.OPEN
    assert not hasattr(Stage, "__strawberry_definition__")


def test_building_every_subgraph_leaves_the_domain_enums_untouched() -> None:
    for name in SUBGRAPH_NAMES:
        load_spec(name).sdl()
    modules = [importlib.import_module(f"subgraphs.{name}.domain") for name in SUBGRAPH_NAMES]
    modules += [importlib.import_module(f"subgraphs.common.{m}") for m in ("agency", "ampk")]
    domain_enums = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, enum.Enum)
    ]
    assert domain_enums
    assert [e for e in domain_enums if hasattr(e, "__strawberry_definition__")] == []


def test_one_schema_cannot_name_two_enums_alike() -> None:
    with pytest.raises(ValueError, match="share a name"):
        graphql_enums(AMPK_CATEGORY, AMPK_CATEGORY)
