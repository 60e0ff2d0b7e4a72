"""What composition works on: each subgraph as read, then the merged supergraph before printing.

A subgraph as read has its federation directives resolved; the merged supergraph records which
subgraph serves what with the runtime's join model (`gateway.supergraph.join`), where `graph` is
the subgraph's own name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from graphql import (
    ConstValueNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    GraphQLSchema,
    TypeNode,
)

from gateway.supergraph.join import FieldJoin, TypeJoin

# --- subgraphs, as read ----------------------------------------------------------------------

Kind = Literal["object", "interface", "union", "enum", "input", "scalar"]
DNF = tuple[tuple[str, ...], ...]


@dataclass
class Applied:
    """The directives on one element that composition carries into the supergraph."""

    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    deprecated: bool = False
    deprecation_reason: str | None = None
    authenticated: bool = False
    scopes: DNF | None = None
    policies: DNF | None = None
    composed: list[DirectiveNode] = field(default_factory=list)  # @composeDirective ones
    specified_by: str | None = None
    one_of: bool = False
    contexts: list[str] = field(default_factory=list)  # @context(name:) on a type
    cost: int | None = None  # @cost(weight:)
    list_size: ListSize | None = None


@dataclass(frozen=True)
class ListSize:
    """@listSize: how big a list field's result is assumed to be, for demand control."""

    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] | None = None
    sized_fields: tuple[str, ...] | None = None
    require_one_slicing_argument: bool | None = None


@dataclass
class InputValue:
    """An argument or an input field."""

    name: str
    type: TypeNode
    default: ConstValueNode | None
    description: str | None
    applied: Applied
    from_context: str | None = None  # @fromContext(field:) on an argument: "$context { selection }"


@dataclass
class Field:
    name: str
    type: TypeNode
    args: dict[str, InputValue]
    description: str | None
    applied: Applied
    shareable: bool = False
    external: bool = False
    external_on_type: bool = False  # external only because its type (definition) is @external
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    override_label: str | None = None


@dataclass(frozen=True)
class Key:
    fields: str
    resolvable: bool = True
    extension: bool = False


@dataclass
class EnumValue:
    name: str
    description: str | None
    applied: Applied


@dataclass
class TypeDef:
    """A type as one subgraph declares it: definition and extensions folded together."""

    name: str
    kind: Kind
    description: str | None = None
    applied: Applied = field(default_factory=Applied)
    keys: list[Key] = field(default_factory=list)
    has_base: bool = False  # a plain definition, not `extend type` nor @extends
    has_definition: bool = False  # a definition node (not `extend type`), @extends or not
    has_extension: bool = False  # an `extend type` node
    extends_directive: bool = False
    interface_object: bool = False
    interfaces: list[str] = field(default_factory=list)
    fields: dict[str, Field] = field(default_factory=dict)
    input_fields: dict[str, InputValue] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)


@dataclass(frozen=True)
class ComposedDirective:
    """A custom directive the subgraph asks to keep (@composeDirective) and the spec it comes from."""

    name: str  # its name here and in the supergraph
    spec_url: str
    spec_name: str
    major: int
    minor: int
    imported_as: str | None  # `{name: "@x", as: "@y"}` → "@x"; None when imported by its own name
    definition: DirectiveDefinitionNode


@dataclass
class Subgraph:
    name: str
    url: str
    federation_version: tuple[int, int] | None  # None: a Federation 1 subgraph (no @link)
    types: dict[str, TypeDef]
    schema: GraphQLSchema  # the subgraph's own schema, machinery removed: for field-set lookups
    executable_directives: dict[str, DirectiveDefinitionNode]
    composed_directives: dict[str, ComposedDirective]

    @property
    def is_fed1(self) -> bool:
        return self.federation_version is None


@dataclass(frozen=True)
class SubgraphSource:
    """A subgraph to compose: its name, where the gateway reaches it, and its SDL."""

    name: str
    url: str
    sdl: str


# --- the supergraph, as merged ---------------------------------------------------------------


@dataclass
class MergedInputValue:
    name: str
    type: TypeNode
    default: ConstValueNode | None
    description: str | None
    applied: Applied


@dataclass
class MergedField:
    """An output field, or an input field (then `args` is empty and `default` may be set)."""

    name: str
    type: TypeNode
    description: str | None
    applied: Applied
    args: dict[str, MergedInputValue] = field(default_factory=dict)
    default: ConstValueNode | None = None
    joins: list[FieldJoin] | None = None  # None: in every subgraph of the type, nothing special


@dataclass
class MergedEnumValue:
    name: str
    description: str | None
    applied: Applied
    graphs: list[str]


@dataclass
class MergedType:
    name: str
    kind: Kind
    description: str | None = None
    applied: Applied = field(default_factory=Applied)
    joins: list[TypeJoin] = field(default_factory=list)
    fields: dict[str, MergedField] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    implements: list[tuple[str, str]] = field(default_factory=list)  # (graph, interface)
    members: list[str] = field(default_factory=list)
    member_joins: list[tuple[str, str]] = field(default_factory=list)  # (graph, member)
    values: dict[str, MergedEnumValue] = field(default_factory=dict)


@dataclass
class Composed:
    subgraphs: list[Subgraph]
    types: dict[str, MergedType]
    executable_directives: list[DirectiveDefinitionNode]
    composed_directives: list[ComposedDirective]
