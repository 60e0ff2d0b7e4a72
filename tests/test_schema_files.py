"""The checked-in SDL in schema/ is what the code serves: a reviewed artifact, never stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import (
    FieldDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    parse,
)

from subgraphs import SUBGRAPH_NAMES, load_spec
from subgraphs.common.federation import CATEGORIES

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
def test_checked_in_sdl_matches_the_code(name: str) -> None:
    checked_in = (SCHEMA_DIR / f"{name}.graphql").read_text()
    assert checked_in == load_spec(name).sdl(), (
        f"run `satu-anak sdl` to update schema/{name}.graphql"
    )


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
def test_every_policy_names_a_known_category(name: str) -> None:
    sdl = load_spec(name).sdl()
    used = set(re.findall(r'@policy\(policies: \[\["([^"]+)"\]\]\)', sdl))
    assert used, f"{name} declares no data categories"
    assert used <= CATEGORIES


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
def test_child_is_an_entity_keyed_by_id(name: str) -> None:
    sdl = load_spec(name).sdl()
    assert re.search(r'type Child @key\(fields: "id"\)', sdl), sdl[:400]


def _policy_fields(sdl: str) -> list[tuple[str, FieldDefinitionNode]]:
    """Every field definition that carries @policy, with its owner type's name."""
    owners = (
        ObjectTypeDefinitionNode,
        ObjectTypeExtensionNode,
        InterfaceTypeDefinitionNode,
        InterfaceTypeExtensionNode,
    )
    return [
        (definition.name.value, field)
        for definition in parse(sdl).definitions
        if isinstance(definition, owners)
        for field in definition.fields or ()
        if any(d.name.value == "policy" for d in field.directives or ())
    ]


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
def test_every_categorized_field_is_nullable(name: str) -> None:
    # The gateway nulls a field the officer may not see, or whose subgraph is down; were it
    # non-null, null propagation would wipe out the parent (the whole Child) with it.
    fields = _policy_fields(load_spec(name).sdl())
    assert fields, f"{name} declares no data categories"
    non_null = [
        f"{owner}.{field.name.value}"
        for owner, field in fields
        if isinstance(field.type, NonNullTypeNode)
    ]
    assert not non_null, f"{name}: fields with @policy must be nullable: {', '.join(non_null)}"


def test_checked_in_supergraph_is_the_composition_of_the_subgraphs() -> None:
    from satu_anak.cli import compose_supergraph

    sdl, errors = compose_supergraph()
    assert errors == []
    assert (SCHEMA_DIR / "supergraph.graphql").read_text() == sdl, "run `satu-anak compose`"
