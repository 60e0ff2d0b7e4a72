"""An answer that shows a person shows the person's identifier (`[audit] shown_identifiers`):
the access log records the identifiers an answer showed (gateway/audit/shown.py), so a client
that reads a registry person's name, birth date and mother's name *without* their NIK would be
shown a person no record names. Such an operation is refused before anything runs
(`IDENTIFIER_REQUIRED`), as a validation rule over the document (graphql-core's TypeInfo).

The rule, per selection set of a field (and of the operation): for each configured type the
field's value may be (the type itself; an interface's or union's possible types), the fields
selected on it — directly, through inline fragments and fragment spreads whose type condition
applies to it, a field on an interface it implements included — must include the identifier
field (under any alias) when they include anything but `__typename`. A conditional identifier
(@skip/@include on it or on a fragment it is reached through) covers only the fields carrying
at least the same conditions: whenever such a field is in the answer, so is the identifier.
Each selection of a field is judged alone: `a { x } a { nik }` merged by the executor is still
refused (conservative; the client writes the identifier where it reads the person)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DirectiveNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    print_ast,
)
from graphql.validation import ValidationContext, ValidationRule

IDENTIFIER_REQUIRED = "IDENTIFIER_REQUIRED"

# The @skip/@include conditions a selection is under: (directive, its `if` as written).
_Conditions = frozenset[tuple[str, str]]


def identifier_rule(names: frozenset[str]) -> type[ValidationRule]:
    """The validation rule for these "Type.field" identifiers (checked by `check_identifiers`)."""
    identifiers: dict[str, str] = dict(n.split(".") for n in sorted(names))

    class IdentifierRequiredRule(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is not None:
                _check(self.context, identifiers, root, node.selection_set)

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            type_ = self.context.get_type()
            if node.selection_set is not None and type_ is not None:
                _check(self.context, identifiers, get_named_type(type_), node.selection_set)

    return IdentifierRequiredRule


def _check(
    context: ValidationContext,
    identifiers: Mapping[str, str],
    named: GraphQLNamedType,
    selection_set: SelectionSetNode,
) -> None:
    schema = context.schema
    if isinstance(named, GraphQLObjectType):
        possible: tuple[GraphQLObjectType, ...] = (named,)
    elif isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        possible = tuple(schema.get_possible_types(named))
    else:
        return
    for type_ in possible:
        identifier = identifiers.get(type_.name)
        if identifier is None:
            continue
        fields = list(_fields(context, type_, selection_set, frozenset(), set()))
        covering = [c for f, c in fields if f.name.value == identifier]
        for field, conditions in fields:
            name = field.name.value
            if name == identifier or name.startswith("__"):
                continue
            if not any(c <= conditions for c in covering):
                context.report_error(
                    GraphQLError(
                        f"{type_.name}.{name} is selected without {type_.name}.{identifier}: "
                        f"an answer that shows a {type_.name} shows its {identifier} (the "
                        f"access log records it). Select {identifier} in the same selection "
                        "set, unconditionally or under the same @skip/@include.",
                        field,
                        extensions={"code": IDENTIFIER_REQUIRED},
                    )
                )
                break  # one error per selection set and type is enough to act on


def _fields(
    context: ValidationContext,
    type_: GraphQLObjectType,
    selection_set: SelectionSetNode,
    conditions: _Conditions,
    spread: set[tuple[str, _Conditions]],
) -> Iterator[tuple[FieldNode, _Conditions]]:
    """The field nodes of this selection set that apply to `type_`, each with the conditions it
    is under. A fragment spread twice under the same conditions is walked once (`spread`), so a
    document whose fragments double at every level costs its length, not its expansion."""
    for selection in selection_set.selections:
        under = conditions | _conditions(selection.directives or ())
        if isinstance(selection, FieldNode):
            yield selection, under
        elif isinstance(selection, InlineFragmentNode):
            if _applies(context.schema, selection.type_condition, type_):
                yield from _fields(context, type_, selection.selection_set, under, spread)
        elif isinstance(selection, FragmentSpreadNode):
            key = (selection.name.value, under)
            fragment = context.get_fragment(selection.name.value)
            if key in spread or fragment is None:
                continue  # unknown fragments and cycles: validation refused them already
            spread.add(key)
            if _applies(context.schema, fragment.type_condition, type_):
                yield from _fields(context, type_, fragment.selection_set, under, spread)


def _applies(
    schema: GraphQLSchema, condition: NamedTypeNode | None, type_: GraphQLObjectType
) -> bool:
    if condition is None:
        return True
    named = schema.get_type(condition.name.value)
    if isinstance(named, GraphQLObjectType):
        return named is type_
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        abstract: GraphQLAbstractType = named
        return schema.is_sub_type(abstract, type_)
    return False


def _conditions(directives: tuple[DirectiveNode, ...] | list[DirectiveNode]) -> _Conditions:
    found = frozenset(
        (d.name.value, print_ast(a.value))
        for d in directives
        if d.name.value in ("skip", "include")
        for a in d.arguments or ()
        if a.name.value == "if"
    )
    return found - _ALWAYS


# Conditions that always hold (`@skip(if: false)`, `@include(if: true)`): no condition at all.
_ALWAYS: _Conditions = frozenset({("skip", "false"), ("include", "true")})
