"""categorized(): a field with a data category must be nullable, or the schema does not build."""

from __future__ import annotations

import pytest
import strawberry

from subgraphs.common.federation import build_schema, categorized


@strawberry.type
class StrictPerson:
    name: str = categorized("identity.basic")
    nik: str | None = categorized("identity.full")

    @categorized("identity.full")
    def other_names(self) -> list[str]:
        return []


@strawberry.type
class StrictQuery:
    @strawberry.field
    def person(self) -> StrictPerson | None:
        return None


@strawberry.type
class Person:
    name: str | None = categorized("identity.basic")

    @categorized("identity.full")
    def other_names(self) -> list[str] | None:
        return []


@strawberry.type
class Query:
    @categorized("identity.basic")
    def person(self) -> Person | None:
        return Person(name="Siti")


def test_a_non_null_categorized_field_fails_the_schema_build() -> None:
    with pytest.raises(TypeError, match=r"nullable.*StrictPerson\.name, StrictPerson\.otherNames$"):
        build_schema(StrictQuery)


def test_nullable_categorized_fields_build() -> None:
    result = build_schema(Query).execute_sync("{ person { name otherNames } }")
    assert result.errors is None
    assert result.data == {"person": {"name": "Siti", "otherNames": []}}


def test_an_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown data category"):
        categorized("identity.everything")
