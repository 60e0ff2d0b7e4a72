"""Field metadata read off the supergraph: the data categories `@policy` puts on fields and types."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
)

from gateway.supergraph.errors import SupergraphError
from gateway.supergraph.links import POLICY_SPEC, LinkedSpec, applied, find_spec

# `@policy(policies: [["a", "b"], ["c"]])`: access needs every policy of at least one inner
# list ("a" and "b", or "c"). Our schema gives each sensitive field one: its data category.
Policies = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FieldMetadata:
    """What the supergraph says about one field beyond its type: its `@policy` requirements."""

    type_name: str
    field_name: str
    policies: Policies = ()  # the field's own @policy, as written; () when it has none

    @property
    def category(self) -> str | None:
        """The field's data category: its one policy when it has exactly one, else None."""
        if len(self.policies) == 1 and len(self.policies[0]) == 1:
            return self.policies[0][0]
        return None

    @property
    def categories(self) -> frozenset[str]:
        """Every policy the field names, in any alternative."""
        return frozenset(policy for alternative in self.policies for policy in alternative)


@dataclass(frozen=True)
class PolicyIndex:
    """Every `@policy` in a supergraph: on fields of object and interface types, and on types."""

    fields: dict[tuple[str, str], Policies]  # (type, field) -> policies
    types: dict[str, Policies]  # object, interface, scalar or enum -> policies


def read_policies(document: DocumentNode, links: Iterable[LinkedSpec]) -> PolicyIndex:
    """Resolve `@policy` through its `@link` (renamed with `as:` or imported under another name)."""
    spec = find_spec(links, POLICY_SPEC)
    if spec is None:
        return PolicyIndex({}, {})
    directive = spec.directive("policy")
    fields: dict[tuple[str, str], Policies] = {}
    types: dict[str, Policies] = {}
    for definition in document.definitions:
        if not isinstance(definition, TypeDefinitionNode):
            continue
        type_name = definition.name.value
        on_type = _policies(definition, directive, type_name)
        if on_type is not None:
            types[type_name] = on_type
        if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            for field_node in definition.fields or ():
                coordinate = f"{type_name}.{field_node.name.value}"
                on_field = _policies(field_node, directive, coordinate)
                if on_field is not None:
                    fields[(type_name, field_node.name.value)] = on_field
    return PolicyIndex(fields, types)


def _policies(node: Any, directive: str, coordinate: str) -> Policies | None:
    applications = applied(node, directive)
    if not applications:
        return None
    if len(applications) > 1:
        raise SupergraphError(f"{coordinate} has @{directive} more than once")
    # GraphQL input coercion: a single value where a list is expected is a list of one.
    value = applications[0].get("policies")
    alternatives = tuple(tuple(_as_list(alternative)) for alternative in _as_list(value))
    if value is None or not all(
        isinstance(p, str) for alternative in alternatives for p in alternative
    ):
        raise SupergraphError(f"@{directive} on {coordinate} needs policies: [[String!]!]!")
    return alternatives


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
