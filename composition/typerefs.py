"""Type references (`[String!]!`): printing, and the subtype relations composition merges by."""

from __future__ import annotations

from collections.abc import Callable

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode, print_ast

# (sub, super) -> is the named type `sub` a subtype of the named type `super`?
NamedSubtype = Callable[[str, str], bool]


def type_str(type_node: TypeNode) -> str:
    return print_ast(type_node)


def named(type_node: TypeNode) -> str:
    while not isinstance(type_node, NamedTypeNode):
        assert isinstance(type_node, ListTypeNode | NonNullTypeNode)
        type_node = type_node.type
    return type_node.name.value


def input_subtype(a: TypeNode, b: TypeNode) -> TypeNode | None:
    """The strictest of two input types (`Int` and `Int!` give `Int!`), None when they differ otherwise.

    The gateway must never send a subgraph a null it refuses, so the supergraph asks for the
    strictest form.
    """
    if isinstance(a, NonNullTypeNode) and isinstance(b, NonNullTypeNode):
        inner = input_subtype(a.type, b.type)
        return NonNullTypeNode(type=inner) if inner is not None else None  # type: ignore[arg-type]
    if isinstance(a, NonNullTypeNode):
        inner = input_subtype(a.type, b)
        return NonNullTypeNode(type=inner) if inner is not None else None  # type: ignore[arg-type]
    if isinstance(b, NonNullTypeNode):
        inner = input_subtype(a, b.type)
        return NonNullTypeNode(type=inner) if inner is not None else None  # type: ignore[arg-type]
    if isinstance(a, ListTypeNode) and isinstance(b, ListTypeNode):
        inner = input_subtype(a.type, b.type)
        return ListTypeNode(type=inner) if inner is not None else None
    if (
        isinstance(a, NamedTypeNode)
        and isinstance(b, NamedTypeNode)
        and a.name.value == b.name.value
    ):
        return a
    return None


def is_output_subtype(sub: TypeNode, sup: TypeNode, named_subtype: NamedSubtype) -> bool:
    """Can a value of type `sub` always be read as `sup`?"""
    if isinstance(sup, NonNullTypeNode):
        return isinstance(sub, NonNullTypeNode) and is_output_subtype(
            sub.type, sup.type, named_subtype
        )
    if isinstance(sub, NonNullTypeNode):
        return is_output_subtype(sub.type, sup, named_subtype)
    if isinstance(sub, ListTypeNode) and isinstance(sup, ListTypeNode):
        return is_output_subtype(sub.type, sup.type, named_subtype)
    if isinstance(sub, NamedTypeNode) and isinstance(sup, NamedTypeNode):
        return sub.name.value == sup.name.value or named_subtype(sub.name.value, sup.name.value)
    return False
