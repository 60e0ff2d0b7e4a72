"""The join model: which subgraph serves which type and field, shared by the reader and composition.

`graph` names a subgraph in two spellings, depending on who holds the model:
- read from a supergraph (`parse_supergraph`), it is the `join__Graph` enum value (`PKH`), the
  key of `Supergraph.graphs`, which gives the subgraph's own name and URL;
- while composing (`composition`), it is the subgraph's own name (`pkh`); the printer turns it
  into the enum value when it writes `@join__type(graph: PKH)`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TypeJoin:
    """One `@join__type`: a subgraph has the type, with one of its keys (or none)."""

    graph: str
    key: str | None = None
    extension: bool = False
    resolvable: bool = True
    is_interface_object: bool = False


@dataclass(frozen=True)
class ContextArgument:
    """An argument the gateway fills from an ancestor's data (`@fromContext`)."""

    context: str  # "<subgraph>__<context name>", as the supergraph spells it
    name: str
    type: str
    selection: str  # the field set to read on the ancestor, e.g. " { currency }"


@dataclass(frozen=True)
class FieldJoin:
    """One `@join__field`: how one subgraph has a field (requires, provides, override…)."""

    graph: str | None  # None: inherited from an @interfaceObject, defined in no subgraph directly
    requires: str | None = None
    provides: str | None = None
    type: str | None = None  # the field's type in that subgraph, when it differs
    external: bool = False
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False
    context_arguments: tuple[ContextArgument, ...] = ()
