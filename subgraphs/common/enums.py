"""The domain's enums as GraphQL enums, without touching the domain's enum classes.

Strawberry keeps an enum's GraphQL definition on the class an annotation names, and reads a type's
annotations as soon as the type is declared: annotating with a domain enum would define it there
and then, on the shared class, under whatever name came first. So a schema module annotates with
stand-ins instead: one class per domain enum, with the same members, carrying the GraphQL name and
description. Their definition wraps the domain enum, so what resolvers return and receive are the
domain's own members, exactly as if the domain enum were annotated; to the type checker a schema's
`enums.X` is the domain's `X` (see any subgraph's schema.py).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from types import SimpleNamespace

import strawberry

from subgraphs.common.agency import Agency
from subgraphs.common.ampk import AmpkCategory


@dataclass(frozen=True)
class GraphQLEnum:
    """A domain enum and the name (and description) it has in GraphQL."""

    type: type[enum.Enum]
    name: str
    description: str | None = None


# The enums more than one subgraph uses, declared once.
AGENCY = GraphQLEnum(Agency, "Agency")
AMPK_CATEGORY = GraphQLEnum(AmpkCategory, "AmpkCategory")


def _stand_in(declared: GraphQLEnum) -> type[enum.Enum]:
    domain_enum = declared.type
    stand_in = enum.Enum(domain_enum.__name__, [(m.name, m.value) for m in domain_enum])  # type: ignore[misc]
    strawberry.enum(stand_in, name=declared.name, description=declared.description)
    definition = stand_in.__strawberry_definition__  # type: ignore[attr-defined]
    stand_in.__strawberry_definition__ = dataclasses.replace(  # type: ignore[attr-defined]
        definition, wrapped_cls=domain_enum
    )
    return stand_in


def graphql_enums(*declared: GraphQLEnum) -> SimpleNamespace:
    """A schema module's GraphQL enums, each under its domain enum's name: `enums.Sex`."""
    names = [d.type.__name__ for d in declared]
    if len(set(names)) != len(names):
        raise ValueError(f"two enums of one schema share a name: {sorted(names)}")
    return SimpleNamespace(**{d.type.__name__: _stand_in(d) for d in declared})
