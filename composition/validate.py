"""Rules on the merged supergraph: @inaccessible consistency and auth carried through @requires."""

from __future__ import annotations

from graphql import NonNullTypeNode, validate_schema

from composition.applied import and_access_control, dnf_implies
from composition.errors import CompositionError
from composition.fieldset import resolve_field_set
from composition.model import Applied, Composed, MergedType
from composition.typerefs import named
from gateway.supergraph import SupergraphError, parse_supergraph
from gateway.supergraph.fieldset import FieldSetError


def check_inaccessible(composed: Composed) -> list[CompositionError]:
    types = composed.types
    errors: list[CompositionError] = []

    def hidden(name: str) -> bool:
        merged = types.get(name)
        return merged is not None and merged.applied.inaccessible

    def error(code: str, message: str, coordinate: str) -> None:
        errors.append(CompositionError(code, message, (), coordinate))

    query = types.get("Query")
    if query is not None and query.applied.inaccessible:
        error(
            "QUERY_ROOT_TYPE_INACCESSIBLE", "The Query root type cannot be @inaccessible", "Query"
        )
    for merged in types.values():
        if merged.applied.inaccessible:
            continue
        visible_children = _visible_children(merged)
        if visible_children == 0:
            error(
                "ONLY_INACCESSIBLE_CHILDREN",
                f'Type "{merged.name}" is visible, but all its {_children_word(merged)} are @inaccessible: '
                "mark the type @inaccessible too, or make one of them visible",
                merged.name,
            )
        for field in merged.fields.values():
            coordinate = f"{merged.name}.{field.name}"
            if field.applied.inaccessible:
                if merged.kind == "input" and _required(field.type, field.default):
                    error(
                        "REQUIRED_INACCESSIBLE",
                        f'Input field "{coordinate}" is required, so it cannot be @inaccessible',
                        coordinate,
                    )
                continue
            if hidden(named(field.type)):
                error(
                    "REFERENCED_INACCESSIBLE",
                    f'Type "{named(field.type)}" is @inaccessible but is referenced by the visible field "{coordinate}"',
                    coordinate,
                )
            for arg in field.args.values():
                arg_coordinate = f"{coordinate}({arg.name}:)"
                if arg.applied.inaccessible:
                    if _required(arg.type, arg.default):
                        error(
                            "REQUIRED_INACCESSIBLE",
                            f'Argument "{arg_coordinate}" is required, so it cannot be @inaccessible',
                            arg_coordinate,
                        )
                elif hidden(named(arg.type)):
                    error(
                        "REFERENCED_INACCESSIBLE",
                        f'Type "{named(arg.type)}" is @inaccessible but is referenced by the visible argument "{arg_coordinate}"',
                        arg_coordinate,
                    )
        for interface in merged.interfaces:
            parent = types.get(interface)
            if parent is None or parent.applied.inaccessible:
                continue
            for field_name, field in parent.fields.items():
                own = merged.fields.get(field_name)
                if own is not None and own.applied.inaccessible and not field.applied.inaccessible:
                    error(
                        "IMPLEMENTED_BY_INACCESSIBLE",
                        f'Field "{merged.name}.{field_name}" is @inaccessible but implements the visible interface field "{interface}.{field_name}"',
                        f"{merged.name}.{field_name}",
                    )
    return errors


def _required(type_node: object, default: object) -> bool:
    return isinstance(type_node, NonNullTypeNode) and default is None


def _visible_children(merged: MergedType) -> int | None:
    if merged.kind in {"object", "interface", "input"}:
        return (
            sum(not f.applied.inaccessible for f in merged.fields.values())
            if merged.fields
            else None
        )
    if merged.kind == "enum":
        return (
            sum(not v.applied.inaccessible for v in merged.values.values())
            if merged.values
            else None
        )
    return None


def _children_word(merged: MergedType) -> str:
    return "values" if merged.kind == "enum" else "fields"


def _requirements(composed: Composed, type_name: str, field_name: str) -> Applied:
    """What it takes to read `type_name.field_name`: the field's own and its type's auth directives."""
    result = Applied()
    merged = composed.types.get(type_name)
    if merged is not None:
        and_access_control(result, merged.applied)
        if field_name in merged.fields:
            and_access_control(result, merged.fields[field_name].applied)
    return result


def check_transitive_auth(composed: Composed) -> list[CompositionError]:
    """A field that @requires guarded data must be guarded at least as strictly itself."""
    errors: list[CompositionError] = []
    for subgraph in composed.subgraphs:
        for typedef in subgraph.types.values():
            for field_def in typedef.fields.values():
                if field_def.requires is None:
                    continue
                try:
                    resolved = resolve_field_set(subgraph.schema, typedef.name, field_def.requires)
                except FieldSetError:
                    continue  # reported as REQUIRES_INVALID_FIELDS
                have = _requirements(composed, typedef.name, field_def.name)
                for selected in resolved.fields:
                    need = _requirements(composed, selected.parent, selected.name)
                    enough = (
                        (
                            not need.authenticated
                            or have.authenticated
                            or have.scopes is not None
                            or have.policies is not None
                        )
                        and dnf_implies(have.scopes, need.scopes)
                        and dnf_implies(have.policies, need.policies)
                    )
                    if not enough:
                        coordinate = f"{typedef.name}.{field_def.name}"
                        errors.append(
                            CompositionError(
                                "MISSING_TRANSITIVE_AUTH_REQUIREMENTS",
                                f'[{subgraph.name}] Field "{coordinate}" does not carry the @authenticated, '
                                f'@requiresScopes and/or @policy requirements of "{selected.parent}.{selected.name}", '
                                "which its @requires reads: add them to the field",
                                (subgraph.name,),
                                coordinate,
                            )
                        )
    return errors


def check_built(sdl: str) -> list[CompositionError]:
    """The printed supergraph must load in our own reader, and both its schemas must be valid."""
    try:
        supergraph = parse_supergraph(sdl)
    except SupergraphError as error:
        return [
            CompositionError("INVALID_GRAPHQL", f"the composed supergraph does not load: {error}")
        ]
    problems = [*validate_schema(supergraph.schema), *validate_schema(supergraph.api_schema)]
    return [
        CompositionError("INVALID_GRAPHQL", f"the composed supergraph is invalid: {p.message}")
        for p in problems
    ]
