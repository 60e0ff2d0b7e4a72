"""The person-identifying values an answer showed (`[audit] shown_identifiers`): "which registry
persons did this officer see" is answerable only if the record holds the NIKs of the persons a
query *listed*, not only those it was asked about (a typed-in `matchIdentity` names none).

The walk reads the answer the client receives — after the consent stage's cuts, so a field
withheld (null) or an item left out of a list is not counted as shown — by the operation's own
selections: a value is taken by its response key (aliases), and a key counts as `Type.field` for
the object types its selection can apply to (fragments, inline or named; a type condition narrows
them). Where the runtime type of an object is not in the answer (an interface or union without
`__typename`), every possible type a selection applies to is considered: a key that may be an
identifier is taken as one — an audit trail errs towards recording."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

from gateway.audit.config import AuditConfigError
from gateway.operation import Field, InlineFragment, Selection

# One response key's selections in one object: each field node with the object types it may be
# of there (its enclosing fragments' conditions applied).
_Groups = dict[str, list[tuple[Field, tuple[GraphQLObjectType, ...]]]]


def check_identifiers(schema: GraphQLSchema, names: frozenset[str]) -> None:
    """Each "Type.field" must be a field of an object type of the served API whose values are
    scalars (a NIK): anything else would silently record nothing, so it stops the start."""
    for name in sorted(names):
        type_name, field_name = name.split(".")
        found = schema.get_type(type_name)
        if not isinstance(found, GraphQLObjectType):
            raise AuditConfigError(
                f"[audit].shown_identifiers: {name}: {type_name} is not an object type of the "
                "supergraph's API"
            )
        definition = found.fields.get(field_name)
        if definition is None:
            raise AuditConfigError(
                f"[audit].shown_identifiers: {name}: {type_name} has no field {field_name}"
            )
        if not isinstance(get_named_type(definition.type), GraphQLScalarType):
            raise AuditConfigError(
                f"[audit].shown_identifiers: {name}: not a scalar field (an identifier is a value)"
            )


def mentions(selections: Sequence[Selection], field_names: frozenset[str]) -> bool:
    """Whether the operation selects a field of one of these names anywhere (else no walk)."""
    pending = list(selections)
    while pending:
        selection = pending.pop()
        if isinstance(selection, Field) and selection.name in field_names:
            return True
        pending.extend(selection.selections)
    return False


def shown_values(
    schema: GraphQLSchema,
    root: GraphQLObjectType,
    selections: Sequence[Selection],
    data: Mapping[str, Any],
    names: frozenset[str],
) -> Iterator[tuple[str, str]]:
    """("Type.field", value) for each value of a field named in `names` in the answer's `data`,
    in answer order, repeats included; nulls and absent keys are nothing shown."""
    yield from _object(schema, (root,), selections, data, names)


def _object(
    schema: GraphQLSchema,
    possible: tuple[GraphQLObjectType, ...],
    selections: Sequence[Selection],
    value: Any,
    names: frozenset[str],
) -> Iterator[tuple[str, str]]:
    if isinstance(value, list):
        for item in value:
            yield from _object(schema, possible, selections, item, names)
        return
    if not isinstance(value, Mapping):
        return
    groups: _Groups = {}
    _collect(schema, possible, selections, groups)
    for key, fields in groups.items():
        found = value.get(key)
        if found is None:
            continue
        identifier: str | None = None
        below: dict[str, GraphQLObjectType] = {}
        sub: list[Selection] = []
        for field, types in fields:
            for type_ in types:
                definition = type_.fields.get(field.name)
                if definition is None:
                    continue
                name = f"{type_.name}.{field.name}"
                if name in names and identifier is None:
                    identifier = name
                named = get_named_type(definition.type)
                if isinstance(named, GraphQLObjectType):
                    below[named.name] = named
                elif isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
                    below.update((t.name, t) for t in schema.get_possible_types(named))
            sub.extend(field.selections)
        if identifier is not None:
            yield from ((identifier, v) for v in _leaves(found))
        elif below and sub:
            yield from _object(schema, tuple(below.values()), sub, found, names)


def _collect(
    schema: GraphQLSchema,
    possible: tuple[GraphQLObjectType, ...],
    selections: Sequence[Selection],
    into: _Groups,
) -> None:
    # @skip/@include need no evaluation: a field left out is absent from the answer.
    for selection in selections:
        if isinstance(selection, InlineFragment):
            narrowed = _narrow(schema, possible, selection.type_condition)
            if narrowed:
                _collect(schema, narrowed, selection.selections, into)
        else:
            into.setdefault(selection.response_key, []).append((selection, possible))


def _narrow(
    schema: GraphQLSchema, possible: tuple[GraphQLObjectType, ...], condition: str | None
) -> tuple[GraphQLObjectType, ...]:
    if condition is None:
        return possible
    named = schema.get_type(condition)
    if isinstance(named, GraphQLObjectType):
        return tuple(t for t in possible if t is named)
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        return tuple(t for t in possible if schema.is_sub_type(named, t))
    return ()


def _leaves(value: Any) -> Iterator[str]:
    """A scalar's values as strings (a list field: each item); booleans and floats identify
    nobody and are not taken."""
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str | int) and not isinstance(value, bool):
        yield str(value)
