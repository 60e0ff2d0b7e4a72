"""Merge the subgraphs' types into one supergraph model, recording which subgraph serves what."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from graphql import NonNullTypeNode, TypeNode, print_ast

from composition.applied import merge_applied, pick_description
from composition.checks import Usage
from composition.context import parse_context_reference
from composition.directives import (
    merge_composed_directives,
    merge_executable_directives,
    repeatable_composed,
)
from composition.errors import CompositionError, quoted
from composition.interfaces import (
    add_interface_object_fields,
    check_implementations,
    propagate_access_control,
)
from composition.model import (
    Applied,
    Composed,
    Field,
    InputValue,
    MergedEnumValue,
    MergedField,
    MergedInputValue,
    MergedType,
    Subgraph,
    TypeDef,
)
from composition.typerefs import is_output_subtype, named, type_str
from gateway.supergraph.join import ContextArgument, FieldJoin, TypeJoin

ROOTS = ("Query", "Mutation", "Subscription")
_KIND_NAMES = {
    "object": "object type",
    "interface": "interface type",
    "union": "union type",
    "enum": "enum type",
    "input": "input object type",
    "scalar": "scalar type",
}


class Merger:
    """Merges checked subgraphs type by type (sorted by name), collecting errors and hints."""

    def __init__(self, subgraphs: Sequence[Subgraph], usages: dict[str, Usage]) -> None:
        self.subgraphs = list(subgraphs)
        self.by_name = {s.name: s for s in self.subgraphs}
        self.usages = usages
        self.errors: list[CompositionError] = []
        self.hints: list[CompositionError] = []
        self.defs: dict[str, list[tuple[Subgraph, TypeDef]]] = {}
        self.types: dict[str, MergedType] = {}
        self.possible: dict[str, set[str]] = {}
        self.enum_positions: dict[str, set[str]] = {}

    def error(
        self, code: str, message: str, subgraphs: Iterable[str] = (), coordinate: str | None = None
    ) -> None:
        self.errors.append(
            CompositionError(code, message, tuple(sorted(set(subgraphs))), coordinate)
        )

    def hint(
        self, code: str, message: str, subgraphs: Iterable[str] = (), coordinate: str | None = None
    ) -> None:
        self.hints.append(
            CompositionError(code, message, tuple(sorted(set(subgraphs))), coordinate)
        )

    # --- the whole run ------------------------------------------------------------------------

    def run(self) -> Composed:
        for subgraph in self.subgraphs:
            for typedef in subgraph.types.values():
                self.defs.setdefault(typedef.name, []).append((subgraph, typedef))
        kinds_ok = {name for name, defs in self.defs.items() if self.check_kinds(name, defs)}
        self.compute_possible_types()
        self.compute_enum_positions()
        for name in sorted(kinds_ok):
            defs = self.defs[name]
            kind = self.effective_kind(defs)
            if kind in {"object", "interface"}:
                self.types[name] = self.merge_composite(name, defs, kind)
            elif kind == "input":
                self.types[name] = self.merge_input(name, defs)
            elif kind == "enum":
                self.types[name] = self.merge_enum(name, defs)
            elif kind == "union":
                self.types[name] = self.merge_union(name, defs)
            else:
                self.types[name] = self.merge_scalar(name, defs)
        add_interface_object_fields(self.subgraphs, self.types)
        propagate_access_control(self.subgraphs, self.types)
        self.errors.extend(check_implementations(self.subgraphs, self.types))
        query = self.types.get("Query")
        if query is None or not query.fields:
            self.error("NO_QUERIES", "no subgraph defines a field on the Query root type")
        return Composed(
            subgraphs=self.subgraphs,
            types=self.types,
            executable_directives=merge_executable_directives(self.subgraphs),
            composed_directives=merge_composed_directives(self.subgraphs, self.errors.append),
        )

    # --- kinds and abstract types -------------------------------------------------------------

    @staticmethod
    def effective_kind(defs: list[tuple[Subgraph, TypeDef]]) -> str:
        kinds = {"interface" if t.interface_object else t.kind for _, t in defs}
        return kinds.pop() if len(kinds) == 1 else "object"

    def check_kinds(self, name: str, defs: list[tuple[Subgraph, TypeDef]]) -> bool:
        by_kind: dict[str, list[str]] = {}
        for subgraph, typedef in defs:
            kind = "interface" if typedef.interface_object else typedef.kind
            by_kind.setdefault(kind, []).append(subgraph.name)
        if len(by_kind) > 1:
            detail = "; ".join(
                f"{_KIND_NAMES[kind]} in subgraph{'s' if len(names) > 1 else ''} {quoted(names)}"
                for kind, names in by_kind.items()
            )
            self.error(
                "TYPE_KIND_MISMATCH",
                f'Type "{name}" has mismatched kind: it is defined as {detail}',
                [s.name for s, _ in defs],
                name,
            )
            return False
        objects = [(s, t) for s, t in defs if t.interface_object]
        if objects and not any(t.kind == "interface" for _, t in defs):
            self.error(
                "INTERFACE_OBJECT_USAGE_ERROR",
                f'Type "{name}" is declared with @interfaceObject in subgraph{"s" if len(objects) > 1 else ""} '
                f"{quoted([s.name for s, _ in objects])}, but no subgraph defines it as an interface",
                [s.name for s, _ in objects],
                name,
            )
            return False
        if objects and not any(t.kind == "interface" and t.keys for _, t in defs):
            owners = [s.name for s, t in defs if t.kind == "interface"]
            self.error(
                "INTERFACE_OBJECT_USAGE_ERROR",
                f'Interface "{name}" has @interfaceObject counterparts, so it must be an entity interface '
                f"(with @key) in subgraph{'s' if len(owners) > 1 else ''} {quoted(owners)}",
                owners,
                name,
            )
            return False
        extended_in = [s.name for s, t in defs if t.has_extension]
        if name not in ROOTS and extended_in and not any(t.has_definition for _, t in defs):
            self.error(
                "EXTENSION_WITH_NO_BASE",
                f'Type "{name}" is an extension type (`extend type`) in {quoted(extended_in)}, but no '
                f'subgraph defines "{name}": define it (`type {name}`) in one subgraph',
                extended_in,
                name,
            )
            return False
        return True

    def compute_possible_types(self) -> None:
        for name, defs in self.defs.items():
            for _, typedef in defs:
                if typedef.kind == "union":
                    self.possible.setdefault(name, set()).update(typedef.members)
                for interface in typedef.interfaces:
                    self.possible.setdefault(interface, set()).add(name)
        # An interface's implementations include those of the interfaces implementing it.
        changed = True
        while changed:
            changed = False
            for members in self.possible.values():
                for member in list(members):
                    extra = self.possible.get(member, set()) - members
                    if extra:
                        members.update(extra)
                        changed = True

    def named_subtype(self, sub: str, sup: str) -> bool:
        return sub in self.possible.get(sup, set())

    def compute_enum_positions(self) -> None:
        def note(type_node: TypeNode, position: str) -> None:
            self.enum_positions.setdefault(named(type_node), set()).add(position)

        for subgraph in self.subgraphs:
            for typedef in subgraph.types.values():
                for field_def in typedef.fields.values():
                    note(field_def.type, "output")
                    for arg in field_def.args.values():
                        note(arg.type, "input")
                for value in typedef.input_fields.values():
                    note(value.type, "input")

    # --- objects and interfaces ---------------------------------------------------------------

    def merge_composite(
        self, name: str, defs: list[tuple[Subgraph, TypeDef]], kind: str
    ) -> MergedType:
        merged = MergedType(name=name, kind="interface" if kind == "interface" else "object")
        graphs = [s.name for s, _ in defs]
        for subgraph, typedef in defs:
            if typedef.keys:
                merged.joins.extend(
                    TypeJoin(
                        subgraph.name,
                        key.fields,
                        key.extension,
                        key.resolvable,
                        typedef.interface_object,
                    )
                    for key in typedef.keys
                )
            else:
                merged.joins.append(
                    TypeJoin(subgraph.name, is_interface_object=typedef.interface_object)
                )
            for interface in typedef.interfaces:
                if interface not in merged.interfaces:
                    merged.interfaces.append(interface)
                merged.implements.append((subgraph.name, interface))
        if name == "Query":
            # Every subgraph has a Query root (if only for `_service`), so every one joins it.
            for subgraph in self.subgraphs:
                if subgraph.name not in graphs:
                    merged.joins.append(TypeJoin(subgraph.name))
                    graphs.append(subgraph.name)
            merged.joins.sort(key=lambda join: [s.name for s in self.subgraphs].index(join.graph))
        merged.description = pick_description(t.description for _, t in defs)
        merged.applied = self.type_applied(defs)
        field_names: list[str] = []
        for _, typedef in defs:
            field_names.extend(f for f in typedef.fields if f not in field_names)
        for field_name in field_names:
            merged_field = self.merge_field(merged, defs, graphs, field_name)
            if merged_field is not None:
                merged.fields[field_name] = merged_field
        return merged

    def interface_object_stand_ins(
        self, type_name: str, field_name: str, subgraph: Subgraph
    ) -> list[tuple[str, Field]]:
        """In a subgraph without `type_name`: (interface, field) on @interfaceObjects of its interfaces."""
        if type_name in subgraph.types:
            return []
        stand_ins = []
        for interface in self.interfaces_of(type_name):
            typedef = subgraph.types.get(interface)
            if typedef is not None and typedef.interface_object and field_name in typedef.fields:
                stand_ins.append((interface, typedef.fields[field_name]))
        return stand_ins

    def interfaces_of(self, type_name: str) -> list[str]:
        return [
            name
            for name, members in self.possible.items()
            if type_name in members and self.is_interface(name)
        ]

    def is_interface(self, name: str) -> bool:
        return any(t.kind == "interface" for _, t in self.defs.get(name, ()))

    def merge_field(
        self,
        merged: MergedType,
        defs: list[tuple[Subgraph, TypeDef]],
        graphs: list[str],
        field_name: str,
    ) -> MergedField | None:
        coordinate = f"{merged.name}.{field_name}"
        sources = [(s, t, t.fields[field_name]) for s, t in defs if field_name in t.fields]
        stand_ins = {
            s.name: found
            for s in self.subgraphs
            if merged.kind == "object"
            and (found := self.interface_object_stand_ins(merged.name, field_name, s))
        }
        if all(f.external for _, _, f in sources) and all(
            f.external for fs in stand_ins.values() for _, f in fs
        ):
            self.error(
                "EXTERNAL_MISSING_ON_BASE",
                f'Field "{coordinate}" is marked @external in every subgraph that declares it '
                f"({quoted([s.name for s, _, _ in sources])}): no subgraph resolves it",
                [s.name for s, _, _ in sources],
                coordinate,
            )
            return None
        for subgraph, _, field_def in sources:
            if field_def.external and _carries_merged_directives(field_def):
                self.error(
                    "MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL",
                    f'[{subgraph.name}] Field "{coordinate}" is @external, so it cannot carry directives that '
                    "composition merges (@tag, @inaccessible, @deprecated, auth or composed directives)",
                    [subgraph.name],
                    coordinate,
                )
        overridden = self.resolve_overrides(merged, field_name, sources, stand_ins)

        # External declarations don't shape the merged field: a typo in one must not change it.
        typed = [(s, f) for s, _, f in sources if not f.external] or [(s, f) for s, _, f in sources]
        merged_type = self.merge_types(
            coordinate, [(s.name, f.type) for s, f in typed], output=True
        )
        if merged_type is None:
            return None
        field_type, all_equal = merged_type
        self.check_externals(coordinate, sources, field_type, all_equal, [f for _, f in typed])

        joins: list[FieldJoin] = []
        for subgraph, _, field_def in sources:
            override = overridden.get(subgraph.name)
            declared_type = None if all_equal else type_str(field_def.type)
            if override is not None:
                label = override[1]
                used = (merged.name, field_name) in self.usages[subgraph.name].used
                if label is not None or used:
                    joins.append(
                        FieldJoin(
                            subgraph.name,
                            type=declared_type,
                            override_label=label,
                            used_overridden=used,
                        )
                    )
                continue
            joins.append(
                FieldJoin(
                    subgraph.name,
                    requires=field_def.requires,
                    provides=field_def.provides,
                    type=declared_type,
                    external=field_def.external,
                    override=field_def.override,
                    override_label=self.override_label_of(subgraph.name, field_def, overridden),
                    context_arguments=_context_arguments(subgraph.name, field_def),
                )
            )

        self.check_sharing(merged, sources, overridden, stand_ins)
        args = self.merge_arguments(coordinate, typed)
        gone = {g for g in overridden if g not in {j.graph for j in joins}}  # overridden and unused
        with_field = {s.name for s, _, _ in sources} - gone
        needs_join = (
            not all_equal
            or any(j.used_overridden or j.override_label or j.context_arguments for j in joins)
            or any(g not in with_field for g in graphs)
            or any(
                f.external or f.requires or f.provides
                for s, _, f in sources
                if s.name in with_field
            )
        )
        return MergedField(
            name=field_name,
            type=field_type,
            description=pick_description(f.description for _, f in typed),
            applied=merge_applied([f.applied for _, f in typed], self.repeatable_composed()),
            args=args,
            joins=joins if needs_join else None,
        )

    @staticmethod
    def override_label_of(
        subgraph_name: str, field_def: Field, overridden: dict[str, tuple[str, str | None]]
    ) -> str | None:
        """An overriding field's label, when its override takes effect."""
        if field_def.override is None or field_def.override_label is None:
            return None
        effective = overridden.get(field_def.override)
        return (
            field_def.override_label
            if effective is not None and effective[0] == subgraph_name
            else None
        )

    def check_externals(
        self,
        coordinate: str,
        sources: list[tuple[Subgraph, TypeDef, Field]],
        field_type: TypeNode,
        all_equal: bool,
        resolving: list[Field],
    ) -> None:
        """An @external declaration must agree with the field it stands for: type and arguments."""
        merged_args = {a.name: a for f in resolving for a in f.args.values()}
        for subgraph, _, field_def in sources:
            if not field_def.external:
                continue
            declared = field_def.type
            same = type_str(declared) == type_str(field_type)
            if not (
                same
                or (not all_equal and is_output_subtype(declared, field_type, self.named_subtype))
            ):
                self.error(
                    "EXTERNAL_TYPE_MISMATCH",
                    f'Type of field "{coordinate}" is incompatible across subgraphs (where marked @external): it is '
                    f'"{type_str(field_type)}" in the supergraph but "{type_str(declared)}" in subgraph "{subgraph.name}"',
                    [subgraph.name],
                    coordinate,
                )
            for name, arg in merged_args.items():
                own = field_def.args.get(name)
                if own is None:
                    self.error(
                        "EXTERNAL_ARGUMENT_MISSING",
                        f'Field "{coordinate}" is missing argument "{name}" in subgraph "{subgraph.name}", where it is @external',
                        [subgraph.name],
                        f"{coordinate}({name}:)",
                    )
                elif type_str(own.type) != type_str(arg.type):
                    self.error(
                        "EXTERNAL_ARGUMENT_TYPE_MISMATCH",
                        f'Argument "{coordinate}({name}:)" has type "{type_str(own.type)}" in subgraph "{subgraph.name}" '
                        f'(where the field is @external) but "{type_str(arg.type)}" where it is resolved',
                        [subgraph.name],
                        f"{coordinate}({name}:)",
                    )

    def resolve_overrides(
        self,
        merged: MergedType,
        field_name: str,
        sources: list[tuple[Subgraph, TypeDef, Field]],
        stand_ins: dict[str, list[tuple[str, Field]]],
    ) -> dict[str, tuple[str, str | None]]:
        """Source subgraph -> (overriding subgraph, label) for each @override that takes effect."""
        coordinate = f"{merged.name}.{field_name}"
        by_graph = {s.name: (t, f) for s, t, f in sources}
        overriding = {s.name for s, _, f in sources if f.override is not None}
        overridden: dict[str, tuple[str, str | None]] = {}
        for subgraph, typedef, field_def in sources:
            source_name = field_def.override
            if source_name is None or source_name == subgraph.name or typedef.kind == "interface":
                continue  # self-overrides and interface fields were reported by the subgraph checks
            if typedef.interface_object:
                self.error(
                    "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                    f'@override is not supported on fields of @interfaceObject types: "{coordinate}" in subgraph "{subgraph.name}"',
                    [subgraph.name],
                    coordinate,
                )
                continue
            if source_name not in self.by_name:
                self.hint(
                    "FROM_SUBGRAPH_DOES_NOT_EXIST",
                    f'Source subgraph "{source_name}" for field "{coordinate}" on subgraph "{subgraph.name}" does not exist: '
                    "the @override has no effect",
                    [subgraph.name],
                    coordinate,
                )
                continue
            if source_name in overriding:
                self.error(
                    "OVERRIDE_SOURCE_HAS_OVERRIDE",
                    f'Field "{coordinate}" on subgraph "{subgraph.name}" overrides subgraph "{source_name}", where '
                    "it is also marked @override: only one @override is allowed per field",
                    [subgraph.name, source_name],
                    coordinate,
                )
                continue
            if source_name not in by_graph:
                if source_name in stand_ins:
                    self.error(
                        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                        f'@override on "{coordinate}" in subgraph "{subgraph.name}": subgraph "{source_name}" only has the '
                        "field through an @interfaceObject, and such fields cannot be overridden",
                        [subgraph.name, source_name],
                        coordinate,
                    )
                else:
                    self.hint(
                        "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                        f'Field "{coordinate}" on subgraph "{subgraph.name}" no longer exists in the from subgraph '
                        f'"{source_name}": the @override can be removed',
                        [subgraph.name],
                        coordinate,
                    )
                continue
            source_field = by_graph[source_name][1]
            conflicting = (
                "requires"
                if source_field.requires
                else "provides"
                if source_field.provides
                else None
            )
            if conflicting is not None:
                self.error(
                    "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                    f'@override cannot be used on field "{coordinate}" on subgraph "{subgraph.name}" since '
                    f'"{coordinate}" on "{source_name}" is marked with directive "@{conflicting}"',
                    [subgraph.name, source_name],
                    coordinate,
                )
                continue
            if source_field.external:
                self.hint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    f'Field "{coordinate}" on subgraph "{subgraph.name}" is not resolved by the from subgraph '
                    f'"{source_name}" anyway (it is @external there): the @override can be removed',
                    [subgraph.name],
                    coordinate,
                )
                continue
            if source_name in overridden:
                self.error(
                    "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                    f'Field "{coordinate}" of subgraph "{source_name}" is overridden by both '
                    f'"{overridden[source_name][0]}" and "{subgraph.name}"',
                    [subgraph.name, overridden[source_name][0]],
                    coordinate,
                )
                continue
            overridden[source_name] = (subgraph.name, field_def.override_label)
        return overridden

    def merge_types(
        self, coordinate: str, declared: list[tuple[str, TypeNode]], output: bool
    ) -> tuple[TypeNode, bool] | None:
        """Pick the type every subgraph's can be read as (outputs) or passed as (inputs).

        Returns the type and whether all subgraphs declared exactly that; None after reporting
        a mismatch. As in Apollo's composition, the result is one of the declared types.
        """
        result = declared[0][1]
        all_equal = True
        for _, candidate in declared[1:]:
            if type_str(candidate) == type_str(result):
                continue
            all_equal = False
            if is_output_subtype(candidate, result, self.named_subtype):
                result = result if output else candidate
            elif is_output_subtype(result, candidate, self.named_subtype):
                result = candidate if output else result
            else:
                what = "field" if output or "(" not in coordinate else "argument"
                self.error(
                    "ARGUMENT_TYPE_MISMATCH" if what == "argument" else "FIELD_TYPE_MISMATCH",
                    f'Type of {what} "{coordinate}" is incompatible across subgraphs: it has '
                    + ", ".join(f'type "{type_str(t)}" in subgraph "{g}"' for g, t in declared),
                    [g for g, _ in declared],
                    coordinate,
                )
                return None
        return result, all_equal

    def check_sharing(
        self,
        merged: MergedType,
        sources: list[tuple[Subgraph, TypeDef, Field]],
        overridden: dict[str, tuple[str, str | None]],
        stand_ins: dict[str, list[tuple[str, Field]]],
    ) -> None:
        field_name = sources[0][2].name
        coordinate = f"{merged.name}.{field_name}"
        resolving: list[tuple[str, bool]] = []  # (subgraph, shareable there)
        for subgraph, typedef, field_def in sources:
            if subgraph.name in overridden or (
                merged.kind == "interface" and not typedef.interface_object
            ):
                continue
            usage = self.usages[subgraph.name]
            provided = (merged.name, field_name) in usage.provided
            if field_def.external and not provided:
                continue
            shareable = (
                field_def.shareable
                or subgraph.is_fed1
                or provided
                or (merged.name, field_name) in usage.key_fields
            )
            resolving.append((subgraph.name, shareable))
        for graph, fields in stand_ins.items():
            for interface, stand_in in fields:
                if not stand_in.external:
                    shareable = (
                        stand_in.shareable
                        or (interface, field_name) in self.usages[graph].key_fields
                    )
                    resolving.append((f"{graph} (through @interfaceObject {interface})", shareable))
        if len(resolving) < 2:
            return
        names = [g for g, _ in resolving]
        if merged.name == "Subscription":
            self.error(
                "INVALID_FIELD_SHARING",
                f'Subscription field "{coordinate}" is defined in subgraphs {quoted(names)}: a subscription field cannot be shared',
                names,
                coordinate,
            )
            return
        unshared = [g for g, shareable in resolving if not shareable]
        if unshared:
            where = (
                "all of them"
                if len(unshared) == len(resolving)
                else f"subgraph{'s' if len(unshared) > 1 else ''} {quoted(unshared)}"
            )
            self.error(
                "INVALID_FIELD_SHARING",
                f'Non-shareable field "{coordinate}" is resolved from multiple subgraphs: it is resolved from '
                f"subgraphs {quoted(names)} and defined as non-shareable in {where} "
                "(mark it @shareable in each, keep it in one subgraph, or @override it)",
                [g.split(" ")[0] for g in names],
                coordinate,
            )

    def merge_arguments(
        self, coordinate: str, sources: list[tuple[Subgraph, Field]]
    ) -> dict[str, MergedInputValue]:
        names: list[str] = []
        for _, field_def in sources:
            names.extend(a for a in field_def.args if a not in names)
        merged: dict[str, MergedInputValue] = {}
        for name in names:
            args = [(s, f.args.get(name)) for s, f in sources]
            if any(a is not None and a.from_context is not None for _, a in args):
                # Filled by the gateway from context: never part of the client's API.
                for subgraph, arg in args:
                    if arg is not None and arg.from_context is None and _required(arg):
                        self.error(
                            "CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS",
                            f'Argument "{coordinate}({name}:)" is contextual in some subgraph, but in '
                            f'subgraph "{subgraph.name}" it has no @fromContext, is non-null and has no default',
                            [subgraph.name],
                            f"{coordinate}({name}:)",
                        )
                continue
            present = [(s, f.args[name]) for s, f in sources if name in f.args]
            value = self.merge_input_value(
                f"{coordinate}({name}:)", present, len(sources), "ARGUMENT"
            )
            if value is not None:
                merged[name] = value
        return merged

    def merge_input_value(
        self, coordinate: str, present: list[tuple[Subgraph, InputValue]], expected: int, what: str
    ) -> MergedInputValue | None:
        """Merge one argument (what="ARGUMENT") or input field (what="INPUT_FIELD")."""
        noun = "Argument" if what == "ARGUMENT" else "Input field"
        hidden = any(v.applied.inaccessible for _, v in present)
        if len(present) < expected and not (hidden and what == "INPUT_FIELD"):
            required = [
                s.name
                for s, v in present
                if isinstance(v.type, NonNullTypeNode) and v.default is None
            ]
            if required:
                self.error(
                    f"REQUIRED_{what}_MISSING_IN_SOME_SUBGRAPH",
                    f'{noun} "{coordinate}" is required in subgraph{"s" if len(required) > 1 else ""} '
                    f"{quoted(required)} but missing in others: add it everywhere or make it optional",
                    required,
                    coordinate,
                )
            else:
                self.hint(
                    f"INCONSISTENT_{what}_PRESENCE",
                    f'{noun} "{coordinate}" is only in {quoted([s.name for s, _ in present])}: it is left out of the supergraph',
                    [s.name for s, _ in present],
                    coordinate,
                )
            return None
        merged_type = self.merge_types(
            coordinate, [(s.name, v.type) for s, v in present], output=False
        )
        if merged_type is None:
            return None
        defaults = {print_ast(v.default) for _, v in present if v.default is not None}
        if len(defaults) > 1:
            self.error(
                f"{what}_DEFAULT_MISMATCH",
                f'{noun} "{coordinate}" has incompatible default values across subgraphs: '
                + ", ".join(
                    f'{print_ast(v.default) if v.default is not None else "no default"} in subgraph "{s.name}"'
                    for s, v in present
                ),
                [s.name for s, _ in present],
                coordinate,
            )
            return None
        default = present[0][1].default
        if defaults and any(v.default is None for _, v in present):
            # A subgraph without the default would receive no value where the API promised one.
            self.hint(
                "INCONSISTENT_DEFAULT_VALUE_PRESENCE",
                f'{noun} "{coordinate}" has a default value in only some subgraphs: the supergraph has none',
                [s.name for s, _ in present],
                coordinate,
            )
            default = None
        return MergedInputValue(
            name=present[0][1].name,
            type=merged_type[0],
            default=default,
            description=pick_description(v.description for _, v in present),
            applied=merge_applied([v.applied for _, v in present], self.repeatable_composed()),
        )

    # --- inputs, enums, unions, scalars -------------------------------------------------------

    def merge_input(self, name: str, defs: list[tuple[Subgraph, TypeDef]]) -> MergedType:
        merged = MergedType(name=name, kind="input", joins=[TypeJoin(s.name) for s, _ in defs])
        merged.description = pick_description(t.description for _, t in defs)
        merged.applied = self.type_applied(defs)
        names: list[str] = []
        for _, typedef in defs:
            names.extend(f for f in typedef.input_fields if f not in names)
        for field_name in names:
            present = [
                (s, t.input_fields[field_name]) for s, t in defs if field_name in t.input_fields
            ]
            value = self.merge_input_value(
                f"{name}.{field_name}", present, len(defs), "INPUT_FIELD"
            )
            if value is None:
                continue
            declared = [(s.name, type_str(v.type)) for s, v in present]
            all_equal = all(t == type_str(value.type) for _, t in declared)
            joins = None
            if not all_equal or len(present) < len(
                defs
            ):  # the latter: an @inaccessible field kept anyway
                joins = [FieldJoin(graph, type=None if all_equal else t) for graph, t in declared]
            merged.fields[field_name] = MergedField(
                name=field_name,
                type=value.type,
                description=value.description,
                applied=value.applied,
                default=value.default,
                joins=joins,
            )
        if not merged.fields:
            self.error(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input type "{name}" is in every subgraph that defines it '
                f"({quoted([s.name for s, _ in defs])}): the merged type would be empty",
                [s.name for s, _ in defs],
                name,
            )
        return merged

    def merge_enum(self, name: str, defs: list[tuple[Subgraph, TypeDef]]) -> MergedType:
        merged = MergedType(name=name, kind="enum", joins=[TypeJoin(s.name) for s, _ in defs])
        merged.description = pick_description(t.description for _, t in defs)
        merged.applied = self.type_applied(defs)
        positions = self.enum_positions.get(name, set())
        if not positions:
            self.hint(
                "UNUSED_ENUM_TYPE",
                f'Enum type "{name}" is defined but unused: it is merged with every value any subgraph gives, as if used for output only',
                [s.name for s, _ in defs],
                name,
            )
        names: list[str] = []
        for _, typedef in defs:
            names.extend(v for v in typedef.values if v not in names)
        for value_name in names:
            present = [(s, t.values[value_name]) for s, t in defs if value_name in t.values]
            missing = [s.name for s, t in defs if value_name not in t.values]
            if any(v.applied.inaccessible for _, v in present):
                missing = []  # hidden from clients, so subgraphs may disagree about it
            if missing and positions == {"input", "output"}:
                self.error(
                    "ENUM_VALUE_MISMATCH",
                    f'Enum "{name}" is used as both input and output type, so its values must match, but value '
                    f'"{value_name}" is defined in {quoted([s.name for s, _ in present])} and not in {quoted(missing)}',
                    [s.name for s, _ in defs],
                    f"{name}.{value_name}",
                )
                continue
            if missing and positions == {"input"}:
                self.hint(
                    "INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM",
                    f'Value "{value_name}" of input-only enum "{name}" is not in {quoted(missing)}: '
                    "it is left out of the supergraph",
                    [s.name for s, _ in present],
                    f"{name}.{value_name}",
                )
                continue
            merged.values[value_name] = MergedEnumValue(
                name=value_name,
                description=pick_description(v.description for _, v in present),
                applied=merge_applied([v.applied for _, v in present], self.repeatable_composed()),
                graphs=[s.name for s, _ in present],
            )
        if not merged.values:
            self.error(
                "EMPTY_MERGED_ENUM_TYPE",
                f'None of the values of input enum "{name}" is in every subgraph that defines it '
                f"({quoted([s.name for s, _ in defs])}): the merged enum would be empty",
                [s.name for s, _ in defs],
                name,
            )
        return merged

    def merge_union(self, name: str, defs: list[tuple[Subgraph, TypeDef]]) -> MergedType:
        merged = MergedType(name=name, kind="union", joins=[TypeJoin(s.name) for s, _ in defs])
        merged.description = pick_description(t.description for _, t in defs)
        merged.applied = self.type_applied(defs)
        for subgraph, typedef in defs:
            for member in typedef.members:
                if member not in merged.members:
                    merged.members.append(member)
                merged.member_joins.append((subgraph.name, member))
        return merged

    def merge_scalar(self, name: str, defs: list[tuple[Subgraph, TypeDef]]) -> MergedType:
        merged = MergedType(name=name, kind="scalar", joins=[TypeJoin(s.name) for s, _ in defs])
        merged.description = pick_description(t.description for _, t in defs)
        merged.applied = self.type_applied(defs)
        return merged

    # --- after merging ------------------------------------------------------------------------

    def type_applied(self, defs: list[tuple[Subgraph, TypeDef]]) -> Applied:
        applied = merge_applied([t.applied for _, t in defs], self.repeatable_composed())
        # Context names are per subgraph; the supergraph qualifies them with the subgraph's name.
        applied.contexts = [f"{s.name}__{c}" for s, t in defs for c in t.applied.contexts]
        return applied

    def repeatable_composed(self) -> set[str]:
        return repeatable_composed(self.subgraphs)


def _carries_merged_directives(field_def: Field) -> bool:
    applied = field_def.applied
    return bool(
        applied.inaccessible
        or applied.tags
        or applied.deprecated
        or applied.authenticated
        or applied.scopes is not None
        or applied.policies is not None
        or applied.composed
        or applied.cost is not None
        or applied.list_size is not None
    )


def _required(value: InputValue) -> bool:
    return isinstance(value.type, NonNullTypeNode) and value.default is None


def _context_arguments(subgraph_name: str, field_def: Field) -> tuple[ContextArgument, ...]:
    result = []
    for arg in field_def.args.values():
        reference = parse_context_reference(arg.from_context) if arg.from_context else None
        if reference is not None:
            result.append(
                ContextArgument(
                    context=f"{subgraph_name}__{reference.context}",
                    name=arg.name,
                    type=type_str(arg.type),
                    selection=reference.selection,
                )
            )
    return tuple(result)
