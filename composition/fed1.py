"""Read a Federation 1 subgraph (no @link) the way Federation 2 understands it.

Federation 1 had no @shareable, used `extend type` to mean "defined in another subgraph", and
was lax about @external. Apollo's composition upgrades such subgraphs before merging; this is
the same upgrade, on our model: the merge then treats every Fed 1 field as shareable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    print_ast,
)

from composition.errors import CompositionError
from composition.fieldset import resolve_field_set
from composition.model import Subgraph, TypeDef
from gateway.supergraph.fieldset import FieldSetError, parse_field_set

ROOTS = ("Query", "Mutation", "Subscription")


def upgrade_fed1(subgraph: Subgraph, everyone: Sequence[Subgraph]) -> list[CompositionError]:
    errors: list[CompositionError] = []
    others = [s for s in everyone if s is not subgraph]
    for typedef in list(subgraph.types.values()):
        if typedef.kind not in {"object", "interface"}:
            continue
        is_federation_extension = typedef.extends_directive or not typedef.has_definition
        if is_federation_extension and typedef.name not in ROOTS:
            if not any(
                t.has_definition for o in others if (t := o.types.get(typedef.name)) is not None
            ):
                errors.append(
                    CompositionError(
                        "EXTENSION_WITH_NO_BASE",
                        f'[{subgraph.name}] Type "{typedef.name}" is an extension type, but no subgraph defines "{typedef.name}"',
                        (subgraph.name,),
                        typedef.name,
                    )
                )
            _key_fields_are_not_external(subgraph, typedef, others)
        # `extend type` syntax goes; an explicit @extends stays (and marks its keys as extensions).
        typedef.has_definition, typedef.has_extension = True, False
        typedef.keys = [replace(key, extension=typedef.extends_directive) for key in typedef.keys]
        for field_def in typedef.fields.values():
            if typedef.kind == "interface" or field_def.external_on_type:
                field_def.external = False
        if typedef.kind == "interface":
            typedef.keys = []
            for field_def in typedef.fields.values():
                field_def.requires = field_def.provides = None
    for typedef in subgraph.types.values():
        for field_def in typedef.fields.values():
            if field_def.provides is not None:
                returned = _returned(subgraph.schema, typedef.name, field_def.name)
                field_def.provides = (
                    _only_external(subgraph, returned, field_def.provides) if returned else None
                )
            if field_def.requires is not None:
                field_def.requires = _only_external(subgraph, typedef.name, field_def.requires)
    return errors


def remove_unused_externals(
    subgraph: Subgraph, used: set[tuple[str, str]]
) -> list[CompositionError]:
    """Fed 1 tolerated @external fields nothing uses; Fed 2 drops them (and types left empty)."""
    errors: list[CompositionError] = []
    for typedef in list(subgraph.types.values()):
        if typedef.kind not in {"object", "interface"}:
            continue
        for name in [
            n for n, f in typedef.fields.items() if f.external and (typedef.name, n) not in used
        ]:
            del typedef.fields[name]
        if typedef.fields:
            continue
        if _is_referenced(subgraph, typedef.name):
            errors.append(
                CompositionError(
                    "TYPE_WITH_ONLY_UNUSED_EXTERNAL",
                    f"[{subgraph.name}] Type {typedef.name} contains only external fields, and none of them is used "
                    "by a @key, @provides or @requires",
                    (subgraph.name,),
                    typedef.name,
                )
            )
        else:
            del subgraph.types[typedef.name]
    return errors


def _key_fields_are_not_external(
    subgraph: Subgraph, typedef: TypeDef, others: list[Subgraph]
) -> None:
    """In a Fed 1 extension, the key fields are the subgraph's own even when marked @external."""
    keys = [key.fields for key in typedef.keys]
    if not keys:
        # Without a key of its own, Fed 1 used the first key of the type where it is defined.
        keys = [
            t.keys[0].fields
            for o in others
            if (t := o.types.get(typedef.name)) is not None and t.keys
        ]
    for fields in keys:
        try:
            selection_set = parse_field_set(fields)
        except FieldSetError:
            continue  # reported when the key is checked
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode) and selection.name.value in typedef.fields:
                typedef.fields[selection.name.value].external = False


def _returned(schema: GraphQLSchema, type_name: str, field_name: str) -> str | None:
    parent = schema.get_type(type_name)
    if (
        not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        or field_name not in parent.fields
    ):
        return None
    named = get_named_type(parent.fields[field_name].type)
    return (
        named.name
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        else None
    )


def _only_external(subgraph: Subgraph, type_name: str, fields: str) -> str | None:
    """The field set without leaves the subgraph resolves itself (Fed 2 rejects those), or None if nothing is left."""
    try:
        resolve_field_set(subgraph.schema, type_name, fields)
        selection_set = parse_field_set(fields)
    except FieldSetError:
        return fields  # reported when the field set is checked

    def is_external(parent: str, name: str) -> bool:
        typedef = subgraph.types.get(parent)
        return typedef is not None and name in typedef.fields and typedef.fields[name].external

    pruned = _prune(subgraph.schema, type_name, selection_set, False, is_external)
    if pruned is None:
        return None
    if print_ast(pruned) == print_ast(selection_set):
        return fields
    return re.sub(r"\s+", " ", " ".join(print_ast(s) for s in pruned.selections)).strip()


def _prune(
    schema: GraphQLSchema,
    type_name: str,
    selection_set: SelectionSetNode,
    external_above: bool,
    is_external: Callable[[str, str], bool],
) -> SelectionSetNode | None:
    kept: list[FieldNode | InlineFragmentNode] = []
    parent = schema.get_type(type_name)
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = (
                selection.type_condition.name.value if selection.type_condition else type_name
            )
            inner = _prune(schema, condition, selection.selection_set, external_above, is_external)
            if inner is not None:
                kept.append(replace(selection, selection_set=inner))
            continue
        assert isinstance(selection, FieldNode)
        name = selection.name.value
        external = external_above or is_external(type_name, name)
        if selection.selection_set is None:
            if external or name == "__typename":
                kept.append(selection)
            continue
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        child = get_named_type(parent.fields[name].type)
        inner = _prune(schema, child.name, selection.selection_set, external, is_external)
        if inner is not None:
            kept.append(replace(selection, selection_set=inner))
    return SelectionSetNode(selections=tuple(kept)) if kept else None


def _is_referenced(subgraph: Subgraph, type_name: str) -> bool:
    from composition.typerefs import named

    for typedef in subgraph.types.values():
        if type_name in typedef.interfaces or type_name in typedef.members:
            return True
        for field_def in typedef.fields.values():
            if named(field_def.type) == type_name:
                return True
    return False
