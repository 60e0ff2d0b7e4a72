"""Rules one subgraph must satisfy on its own: @key, @requires, @provides, @external, @override."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
)

from composition.context import check_contexts
from composition.errors import CompositionError
from composition.fieldset import Resolved, SelectedField, resolve_field_set
from composition.model import Subgraph, TypeDef
from gateway.supergraph.fieldset import FieldSetError

Coordinate = tuple[str, str]  # (type, field)


@dataclass
class Usage:
    """What a subgraph's field sets reference: it decides EXTERNAL_UNUSED, sharing and usedOverridden."""

    used: set[Coordinate] = field(default_factory=set)  # in some @key, @requires or @provides
    key_fields: set[Coordinate] = field(default_factory=set)  # in some @key: implicitly shareable
    provided: set[Coordinate] = field(default_factory=set)


def check_subgraph(subgraph: Subgraph) -> tuple[Usage, list[CompositionError]]:
    checker = _Checker(subgraph)
    checker.run()
    return checker.usage, checker.errors


class _Checker:
    def __init__(self, subgraph: Subgraph) -> None:
        self.subgraph = subgraph
        self.usage = Usage()
        self.errors: list[CompositionError] = []

    def error(self, code: str, message: str, coordinate: str) -> None:
        name = self.subgraph.name
        self.errors.append(CompositionError(code, f"[{name}] {message}", (name,), coordinate))

    def run(self) -> None:
        for typedef in self.subgraph.types.values():
            for key in typedef.keys:
                self.check_key(typedef, key.fields, key.extension)
            if typedef.keys and typedef.kind == "interface" and not typedef.interface_object:
                self.check_interface_key(typedef)
            for field_def in typedef.fields.values():
                coordinate = f"{typedef.name}.{field_def.name}"
                if field_def.requires is not None:
                    self.check_requires(typedef, field_def.name, field_def.requires)
                if field_def.provides is not None:
                    self.check_provides(typedef, field_def.name, field_def.provides)
                if field_def.override is not None:
                    if field_def.override == self.subgraph.name:
                        self.error(
                            "OVERRIDE_FROM_SELF_ERROR",
                            f'@override on {coordinate} names its own subgraph "{field_def.override}" as the source',
                            coordinate,
                        )
                    if field_def.external:
                        self.error(
                            "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                            f"{coordinate} is both @override and @external: a field cannot take over what it does not resolve",
                            coordinate,
                        )
                    if typedef.kind == "interface":
                        self.error(
                            "OVERRIDE_ON_INTERFACE",
                            f"@override is not allowed on interface field {coordinate}",
                            coordinate,
                        )
                if typedef.kind == "interface" and field_def.external:
                    self.error(
                        "EXTERNAL_ON_INTERFACE",
                        f"interface field {coordinate} cannot be @external",
                        coordinate,
                    )
        types = self.subgraph.types
        for typedef in types.values():
            for interface in typedef.interfaces:
                for field_name in types[interface].fields if interface in types else ():
                    if field_name in typedef.fields:
                        self.usage.used.add(
                            (typedef.name, field_name)
                        )  # it satisfies the interface
        if not self.subgraph.is_fed1:
            self.errors.extend(check_contexts(self.subgraph, self.usage.used))
            self.check_external_used()

    def resolve(
        self, code: str, type_name: str, fields: str, what: str, coordinate: str
    ) -> Resolved | None:
        try:
            return resolve_field_set(self.subgraph.schema, type_name, fields)
        except FieldSetError as problem:
            self.error(code, f"{what}: {problem}", coordinate)
            return None

    def check_key(self, typedef: TypeDef, fields: str, on_extension: bool) -> None:
        what = f'On type "{typedef.name}", for @key(fields: "{fields}")'
        resolved = self.resolve("KEY_INVALID_FIELDS", typedef.name, fields, what, typedef.name)
        if resolved is None:
            return
        if resolved.fragments:
            self.error("KEY_INVALID_FIELDS", f"{what}: a key cannot use fragments", typedef.name)
        self.check_field_set_fields("key", what, typedef.name, resolved)
        for selected in resolved.fields:
            coordinate = f"{selected.parent}.{selected.name}"
            self.usage.used.add((selected.parent, selected.name))
            self.usage.key_fields.add((selected.parent, selected.name))
            if on_extension:
                # `extend type T @key(fields: "id") { id: ID! @external }` is the Federation 1
                # way to say "T's key": the subgraph does resolve its own key fields.
                parent = self.subgraph.types.get(selected.parent)
                if parent is not None and selected.name in parent.fields:
                    parent.fields[selected.name].external = False
            named = get_named_type(selected.definition.type)
            if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
                self.error(
                    "KEY_FIELDS_SELECT_INVALID_TYPE",
                    f'{what}: field "{coordinate}" is of {"interface" if isinstance(named, GraphQLInterfaceType) else "union"} type "{named.name}", which a key cannot select',
                    typedef.name,
                )

    def check_interface_key(self, typedef: TypeDef) -> None:
        if self.subgraph.federation_version is not None and self.subgraph.federation_version < (
            2,
            3,
        ):
            self.error(
                "KEY_UNSUPPORTED_ON_INTERFACE",
                f'@key on interface "{typedef.name}" needs federation v2.3 or later',
                typedef.name,
            )
            return
        for other in self.subgraph.types.values():
            if other.kind != "object" or typedef.name not in other.interfaces:
                continue
            own = {key.fields for key in other.keys}
            for key in typedef.keys:
                if key.fields not in own:
                    self.error(
                        "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                        f'key "{key.fields}" of interface "{typedef.name}" must also be a key of its implementation "{other.name}"',
                        other.name,
                    )

    def _is_external(self, parent: str, name: str) -> bool:
        typedef = self.subgraph.types.get(parent)
        field_def = typedef.fields.get(name) if typedef is not None else None
        return field_def is not None and field_def.external

    def _effectively_external(self, selected: SelectedField) -> bool:
        """External itself, or under an external field (for an interface field: under one some implementation marks external)."""
        if self._is_external(selected.parent, selected.name):
            return True
        schema = self.subgraph.schema
        for parent, name in selected.ancestors:
            if self._is_external(parent, name):
                return True
            parent_type = schema.get_type(parent)
            if isinstance(parent_type, GraphQLInterfaceType) and any(
                self._is_external(implementation.name, name)
                for implementation in schema.get_possible_types(parent_type)
            ):
                return True
        return False

    def check_field_set_fields(
        self, directive: str, what: str, coordinate: str, resolved: Resolved
    ) -> None:
        """What @key, @requires and @provides field sets may not contain, each with its own code."""
        prefix = directive.upper()
        for selected in resolved.fields:
            if selected.has_directives:
                self.error(
                    f"{prefix}_{'HAS_DIRECTIVE' if directive == 'key' else 'DIRECTIVE'}_IN_FIELDS_ARG",
                    f"{what}: a field set cannot carry directives",
                    coordinate,
                )
            if directive != "requires" and (selected.definition.args or selected.has_arguments):
                self.error(
                    f"{prefix}_FIELDS_HAS_ARGS",
                    f'{what}: field "{selected.parent}.{selected.name}" has arguments, which @{directive} does not allow',
                    coordinate,
                )

    def check_requires(self, typedef: TypeDef, field_name: str, fields: str) -> None:
        coordinate = f"{typedef.name}.{field_name}"
        what = f'On field "{coordinate}", for @requires(fields: "{fields}")'
        if typedef.kind == "interface":
            self.error(
                "REQUIRES_UNSUPPORTED_ON_INTERFACE",
                f"{what}: @requires is not allowed on interface fields",
                coordinate,
            )
            return
        resolved = self.resolve("REQUIRES_INVALID_FIELDS", typedef.name, fields, what, coordinate)
        if resolved is None:
            return
        self.check_field_set_fields("requires", what, coordinate, resolved)
        for selected in resolved.fields:
            self.usage.used.add((selected.parent, selected.name))
            if (
                not selected.has_selection
                and not self._effectively_external(selected)
                and not self.subgraph.is_fed1
            ):
                self.error(
                    "REQUIRES_FIELDS_MISSING_EXTERNAL",
                    f'{what}: field "{selected.parent}.{selected.name}" is resolved by this subgraph (it is not @external), so it cannot be required',
                    coordinate,
                )

    def check_provides(self, typedef: TypeDef, field_name: str, fields: str) -> None:
        coordinate = f"{typedef.name}.{field_name}"
        what = f'On field "{coordinate}", for @provides(fields: "{fields}")'
        if typedef.kind == "interface":
            self.error(
                "PROVIDES_UNSUPPORTED_ON_INTERFACE",
                f"{what}: @provides is not allowed on interface fields",
                coordinate,
            )
            return
        parent = self.subgraph.schema.get_type(typedef.name)
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        returned = get_named_type(parent.fields[field_name].type)
        if not isinstance(returned, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            self.error(
                "PROVIDES_ON_NON_OBJECT_FIELD",
                f'{what}: the field returns "{returned.name}", which has no fields to provide',
                coordinate,
            )
            return
        if typedef.fields[field_name].external:
            self.error(
                "EXTERNAL_COLLISION_WITH_ANOTHER_DIRECTIVE",
                f"{what}: a field cannot be both @provides and @external",
                coordinate,
            )
            return
        resolved = self.resolve("PROVIDES_INVALID_FIELDS", returned.name, fields, what, coordinate)
        if resolved is None:
            return
        self.check_field_set_fields("provides", what, coordinate, resolved)
        for selected in resolved.fields:
            self.usage.used.add((selected.parent, selected.name))
            self.usage.provided.add((selected.parent, selected.name))
            if (
                not selected.has_selection
                and not self._effectively_external(selected)
                and not self.subgraph.is_fed1
            ):
                self.error(
                    "PROVIDES_FIELDS_MISSING_EXTERNAL",
                    f'{what}: field "{selected.parent}.{selected.name}" is resolved by this subgraph anyway (it is not @external), so it cannot be provided',
                    coordinate,
                )

    def check_external_used(self) -> None:
        types = self.subgraph.types
        for typedef in types.values():
            for field_def in typedef.fields.values():
                if not field_def.external or (typedef.name, field_def.name) in self.usage.used:
                    continue
                coordinate = f"{typedef.name}.{field_def.name}"
                self.error(
                    "EXTERNAL_UNUSED",
                    f"field {coordinate} is @external but no @key, @requires or @provides uses it, nor does an interface need it: remove it (or the @external)",
                    coordinate,
                )
