"""@context / @fromContext (federation v2.8): an argument whose value comes from an ancestor's field."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    SelectionSetNode,
    TypeNode,
    print_ast,
)

from composition.errors import CompositionError
from composition.fieldset import resolve_field_set
from composition.model import Field, InputValue, Subgraph, TypeDef
from gateway.supergraph.fieldset import FieldSetError, parse_field_set

# `$name selection`, with GraphQL's ignored tokens (blanks, commas, comments) allowed around `$`.
_IGNORED = r"(?:[\n\r\t ,]|#[^\n\r]*)*"
_CONTEXT_REFERENCE = re.compile(rf"^{_IGNORED}\${_IGNORED}([A-Za-z_]\w*)(?!\w)([\s\S]*)$")

Report = Callable[[str, str, str], None]  # (code, message, coordinate)


@dataclass(frozen=True)
class ContextReference:
    context: str
    selection: str  # as written after the name, e.g. " { locale }"

    def field_set(self) -> str:
        """The selection as a field set (without the outer braces)."""
        text = self.selection.strip()
        return text[1:-1] if text.startswith("{") and text.endswith("}") else text


def parse_context_reference(value: str) -> ContextReference | None:
    match = _CONTEXT_REFERENCE.match(value)
    if match is None or not match[2].strip():
        return None
    return ContextReference(match[1], match[2])


def check_contexts(subgraph: Subgraph, used: set[tuple[str, str]]) -> list[CompositionError]:
    """The @fromContext rules of one subgraph; fields the selections read are added to `used`."""
    errors: list[CompositionError] = []

    def error(code: str, message: str, coordinate: str) -> None:
        errors.append(
            CompositionError(code, f"[{subgraph.name}] {message}", (subgraph.name,), coordinate)
        )

    locations: dict[str, list[str]] = {}
    for typedef in subgraph.types.values():
        for context in typedef.applied.contexts:
            locations.setdefault(context, []).append(typedef.name)
    for typedef in subgraph.types.values():
        for field_def in typedef.fields.values():
            for arg in field_def.args.values():
                if arg.from_context is not None:
                    _check_argument(
                        subgraph, typedef, field_def, arg, arg.from_context, locations, used, error
                    )
    return errors


def _check_argument(
    subgraph: Subgraph,
    typedef: TypeDef,
    field_def: Field,
    arg: InputValue,
    value: str,
    locations: dict[str, list[str]],
    used: set[tuple[str, str]],
    report: Report,
) -> None:
    coordinate = f"{typedef.name}.{field_def.name}({arg.name}:)"
    if typedef.kind != "object":
        report(
            "CONTEXT_NOT_SET",
            f'@fromContext cannot be used on a field of an abstract type: "{coordinate}"',
            coordinate,
        )
        return
    for interface in typedef.interfaces:
        parent = subgraph.types.get(interface)
        if parent is not None and field_def.name in parent.fields:
            report(
                "CONTEXT_NOT_SET",
                "@fromContext cannot be used on a field implementing an interface field: "
                f'"{interface}.{field_def.name}"',
                coordinate,
            )
    if arg.default is not None:
        report(
            "CONTEXT_NOT_SET",
            f'@fromContext arguments may not have a default value: "{coordinate}"',
            coordinate,
        )
    reference = parse_context_reference(value)
    if reference is None:
        report(
            "NO_CONTEXT_IN_SELECTION",
            f'@fromContext on "{coordinate}" does not reference a context: "{value}"',
            coordinate,
        )
        return
    if reference.context not in locations:
        report(
            "CONTEXT_NOT_SET",
            f'Context "{reference.context}" is used at "{coordinate}" but is never set',
            coordinate,
        )
    else:
        problem = _check_selection(
            subgraph.schema, reference, locations[reference.context], arg.type, used
        )
        if problem is not None:
            report(
                "CONTEXT_INVALID_SELECTION",
                f'Context "{reference.context}" is used in "{coordinate}" but the selection is '
                f"invalid: {problem}",
                coordinate,
            )
    if not any(key.resolvable for key in typedef.keys):
        report(
            "CONTEXT_NO_RESOLVABLE_KEY",
            f'Object "{typedef.name}" has no resolvable key but has a field with a contextual argument',
            typedef.name,
        )


def _check_selection(
    schema: GraphQLSchema,
    reference: ContextReference,
    location_names: list[str],
    expected: TypeNode,
    used: set[tuple[str, str]],
) -> str | None:
    try:
        selection_set = parse_field_set(reference.field_set())
    except FieldSetError as problem:
        return str(problem)
    selections = selection_set.selections
    if not selections:
        return "no selection is made"
    if isinstance(selections[0], FieldNode) and len(selections) != 1:
        return "multiple selections are made"
    if isinstance(selections[0], InlineFragmentNode):
        if not all(isinstance(s, InlineFragmentNode) for s in selections):
            return "multiple fields could be selected"
        conditions = [
            s.type_condition.name.value
            for s in selections
            if isinstance(s, InlineFragmentNode) and s.type_condition
        ]
        if len(set(conditions)) != len(selections):
            return "type conditions have same name"
    for location in location_names:
        try:
            resolved = resolve_field_set(schema, location, reference.field_set())
        except FieldSetError as problem:
            return f"for type {location}: {problem}"
        if any(f.has_directives for f in resolved.fields):
            return "directives are not allowed in the selection"
        used.update((f.parent, f.name) for f in resolved.fields)
        parent = schema.get_type(location)
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        branches: list[tuple[object, SelectionSetNode]] = []  # (type, selection on it)
        if isinstance(selections[0], FieldNode):
            branches.append((parent, selection_set))
        else:
            for fragment in selections:
                assert isinstance(fragment, InlineFragmentNode)
                condition = (
                    schema.get_type(fragment.type_condition.name.value)
                    if fragment.type_condition
                    else parent
                )
                branches.append((condition, fragment.selection_set))
        for branch_type, branch in branches:
            found = _selected_type(branch_type, branch)
            if found is None or not _fits(found, expected):
                return f'the type of the selection does not match the argument type "{_print(expected)}"'
    return None


def _selected_type(parent: object, selection_set: SelectionSetNode) -> TypeNode | None:
    """The type a single-valued selection yields: list wrappers kept, non-null dropped; None if ambiguous."""
    result: TypeNode | None = None
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode) or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return None
        definition = parent.fields.get(selection.name.value)
        if definition is None:
            return None
        field_type = definition.type
        wrappers: list[str] = []
        while isinstance(field_type, GraphQLNonNull | GraphQLList):
            if isinstance(field_type, GraphQLList):
                wrappers.append("list")
            field_type = field_type.of_type
        found: TypeNode | None
        if selection.selection_set is not None:
            found = _selected_type(field_type, selection.selection_set)
        else:
            found = NamedTypeNode(name=NameNode(value=field_type.name))
        if found is None:
            return None
        for _ in wrappers:
            found = ListTypeNode(type=found)
        if result is not None and _print(result) != _print(found):
            return None
        result = found
    return result


def _fits(found: TypeNode, expected: TypeNode) -> bool:
    if isinstance(found, NonNullTypeNode):
        return _fits(
            found.type, expected.type if isinstance(expected, NonNullTypeNode) else expected
        )
    if isinstance(found, ListTypeNode) and isinstance(expected, ListTypeNode):
        return _fits(found.type, expected.type)
    return (
        isinstance(found, NamedTypeNode)
        and isinstance(expected, NamedTypeNode)
        and found.name.value == expected.name.value
    )


def _print(type_node: TypeNode) -> str:
    return print_ast(type_node)
