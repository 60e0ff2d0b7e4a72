"""Field sets (`@key`, `@requires`, `@provides` arguments) resolved in a subgraph: each field checked."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_composite_type,
)

from gateway.supergraph.fieldset import FieldSetError, parse_field_set


@dataclass(frozen=True)
class SelectedField:
    """One field a field set selects, where it sits and what it is in the subgraph."""

    parent: str  # the type the field is selected on
    name: str
    definition: GraphQLField
    has_selection: bool
    has_arguments: bool  # the selection passes arguments
    has_directives: bool
    ancestors: tuple[tuple[str, str], ...]  # (type, field) of the enclosing selected fields


@dataclass(frozen=True)
class Resolved:
    fields: tuple[SelectedField, ...]
    fragments: tuple[str, ...]  # type conditions used


def resolve_field_set(schema: GraphQLSchema, type_name: str, text: str) -> Resolved:
    """Every field the set selects, checked to exist; raises FieldSetError on the first misfit."""
    parent = schema.get_type(type_name)
    if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
        raise FieldSetError(f'"{type_name}" is not a type with fields')
    selected: list[SelectedField] = []
    fragments: list[str] = []
    _walk(schema, parse_field_set(text), parent, (), selected, fragments)
    return Resolved(tuple(selected), tuple(fragments))


def _walk(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    parent: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType,
    ancestors: tuple[tuple[str, str], ...],
    selected: list[SelectedField],
    fragments: list[str],
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = parent
            if selection.type_condition is not None:
                found = schema.get_type(selection.type_condition.name.value)
                if not isinstance(
                    found, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
                ):
                    raise FieldSetError(
                        f'type condition "{selection.type_condition.name.value}" is not a composite type of this subgraph'
                    )
                if found is not parent and not (_overlaps(schema, parent, found)):
                    raise FieldSetError(
                        f'fragment on "{found.name}" can never apply to "{parent.name}"'
                    )
                condition = found
                fragments.append(found.name)
            _walk(schema, selection.selection_set, condition, ancestors, selected, fragments)
            continue
        if not isinstance(selection, FieldNode):
            raise FieldSetError("named fragments are not allowed in a field set")
        name = selection.name.value
        if name == "__typename":
            continue
        if isinstance(parent, GraphQLUnionType):
            raise FieldSetError(
                f'cannot select "{name}" on union "{parent.name}" without a fragment'
            )
        definition = parent.fields.get(name)
        if definition is None:
            raise FieldSetError(f'"{parent.name}" has no field "{name}"')
        named = get_named_type(definition.type)
        if is_composite_type(named) and selection.selection_set is None:
            raise FieldSetError(
                f'"{parent.name}.{name}" is of composite type "{named.name}" and needs a selection'
            )
        if not is_composite_type(named) and selection.selection_set is not None:
            raise FieldSetError(
                f'"{parent.name}.{name}" is a leaf field and cannot have a selection'
            )
        selected.append(
            SelectedField(
                parent=parent.name,
                name=name,
                definition=definition,
                has_selection=selection.selection_set is not None,
                has_arguments=bool(selection.arguments),
                has_directives=bool(selection.directives),
                ancestors=ancestors,
            )
        )
        if selection.selection_set is not None:
            assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
            _walk(
                schema,
                selection.selection_set,
                named,
                (*ancestors, (parent.name, name)),
                selected,
                fragments,
            )


def _overlaps(
    schema: GraphQLSchema,
    a: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType,
    b: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType,
) -> bool:
    def possible(t: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType) -> set[str]:
        if isinstance(t, GraphQLObjectType):
            return {t.name}
        return {p.name for p in schema.get_possible_types(t)}

    return bool(possible(a) & possible(b))
