"""Interfaces after merging: fields @interfaceObjects add, auth shared with implementations.

Also reports implementations that lack an interface's field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from composition.applied import and_access_control, has_access_control
from composition.errors import CompositionError, quoted
from composition.model import Applied, MergedField, MergedType, Subgraph
from gateway.supergraph.join import FieldJoin


def _implementations(types: dict[str, MergedType]) -> dict[str, list[str]]:
    """Interface -> the object types implementing it in the supergraph."""
    result: dict[str, list[str]] = {}
    for merged in types.values():
        if merged.kind == "object":
            for interface in merged.interfaces:
                result.setdefault(interface, []).append(merged.name)
    return result


def add_interface_object_fields(
    subgraphs: Sequence[Subgraph], types: dict[str, MergedType]
) -> None:
    """A field an @interfaceObject adds to an interface appears on each implementation, resolved
    through the interface object (a `@join__field` without graph)."""
    implementations = _implementations(types)
    for name, interface in types.items():
        if interface.kind != "interface":
            continue
        provided = [
            field_name
            for s in subgraphs
            if (t := s.types.get(name)) is not None and t.interface_object
            for field_name, f in t.fields.items()
            if not f.external
        ]
        for implementation_name in implementations.get(name, ()):
            implementation = types[implementation_name]
            for field_name in provided:
                if field_name in implementation.fields or field_name not in interface.fields:
                    continue
                source = interface.fields[field_name]
                implementation.fields[field_name] = MergedField(
                    name=field_name,
                    type=source.type,
                    description=source.description,
                    applied=replace(
                        source.applied,
                        tags=list(source.applied.tags),
                        composed=list(source.applied.composed),
                    ),
                    args=dict(source.args),
                    joins=[FieldJoin(None)],
                )


def propagate_access_control(subgraphs: Sequence[Subgraph], types: dict[str, MergedType]) -> None:
    """Apollo's rule: an interface (field) requires what any implementation (field) requires, and an
    implementation field requires what the @interfaceObject field standing for it requires."""
    implementations = _implementations(types)
    interfaces_of: dict[str, list[str]] = {}
    for interface, objects in implementations.items():
        for name in objects:
            interfaces_of.setdefault(name, []).append(interface)
    additions: list[tuple[str, str | None, Applied]] = []  # (type, field or None, requirement)
    for subgraph in subgraphs:
        for typedef in subgraph.types.values():
            if typedef.kind != "object":
                continue
            if not typedef.interface_object and has_access_control(typedef.applied):
                for interface in interfaces_of.get(typedef.name, ()):
                    additions.append((interface, None, typedef.applied))
            for field_def in typedef.fields.values():
                if field_def.external or not has_access_control(field_def.applied):
                    continue
                if typedef.interface_object:
                    for name in implementations.get(typedef.name, ()):
                        additions.append((name, field_def.name, field_def.applied))
                        for other in interfaces_of.get(name, ()):
                            if other != typedef.name:
                                additions.append((other, field_def.name, field_def.applied))
                else:
                    for interface in interfaces_of.get(typedef.name, ()):
                        additions.append((interface, field_def.name, field_def.applied))
    for type_name, field_name, requirement in additions:
        merged = types.get(type_name)
        if merged is None:
            continue
        if field_name is None:
            and_access_control(merged.applied, requirement)
        elif field_name in merged.fields:
            and_access_control(merged.fields[field_name].applied, requirement)


def check_implementations(
    subgraphs: Sequence[Subgraph], types: dict[str, MergedType]
) -> list[CompositionError]:
    """Every field of an interface must exist on each of its implementations, in some subgraph."""
    errors: list[CompositionError] = []
    for merged in types.values():
        for interface_name in merged.interfaces:
            interface = types.get(interface_name)
            if interface is None:
                continue  # reported when the subgraph was validated
            for field_name in interface.fields:
                if field_name in merged.fields:
                    continue
                declared_in = [
                    s.name
                    for s in subgraphs
                    if (t := s.types.get(interface_name)) is not None and field_name in t.fields
                ]
                implements_in = [g for g, i in merged.implements if i == interface_name]
                errors.append(
                    CompositionError(
                        "INTERFACE_FIELD_NO_IMPLEM",
                        f'Interface field "{interface_name}.{field_name}" is declared in '
                        f'{quoted(declared_in)}, but type "{merged.name}", which implements '
                        f'"{interface_name}" in {quoted(implements_in)}, has no field "{field_name}" '
                        "in any subgraph",
                        tuple(sorted({*declared_in, *implements_in})),
                        f"{merged.name}.{field_name}",
                    )
                )
    return errors
