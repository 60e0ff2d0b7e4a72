"""Shape the merged data into the client's answer: its fields only, in its order, nulls propagated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)

from gateway.conditions import included
from gateway.context import RequestContext
from gateway.operation import Field, InlineFragment, Selection
from gateway.types import JsonObject, ResponsePath

_BUBBLE = object()  # a non-null position got null: the nearest nullable parent becomes null
_NEVER = object()  # a plain Shaper's `_absent`: no value is it

# The fields to complete for one runtime type under one selection: response key, the first field
# node, and the merged sub-selections of every node with that key.
FieldPlan = list[tuple[str, Field, list[Selection]]]
# Keyed by (runtime type, ids of the selection nodes); the nodes belong to one prepared operation,
# which keeps them alive as long as the cache, so the ids stay theirs.
ShapeCache = dict[tuple[str, tuple[int, ...]], FieldPlan]


class Shaper:
    def __init__(
        self,
        schema: GraphQLSchema,
        variables: Mapping[str, Any],
        context: RequestContext,
        cache: ShapeCache | None = None,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.context = context  # whose answer this is (the consent stage adds its denials)
        # Shared by every request of an operation without @skip/@include: collecting fields then
        # depends on nothing but the operation. Otherwise one request's own.
        self._fields_cache: ShapeCache = cache if cache is not None else {}
        self.errors: list[JsonObject] = []
        self._stand_ins: dict[str, GraphQLObjectType] = {}
        # What a value may be instead of a value: left out of its list, or null where a list is
        # not, without being a null in a non-null position (a guard's `absent`; none here).
        self._absent: object = _NEVER

    def root(
        self, root_type: GraphQLObjectType, selections: Sequence[Selection], data: JsonObject
    ) -> JsonObject | None:
        result = self._object(root_type, selections, data, [])
        return None if result is _BUBBLE else result  # type: ignore[return-value]

    # --- selection collection ---------------------------------------------------------------

    def _applies(self, condition: str | None, runtime: GraphQLObjectType) -> bool:
        if condition is None or condition == runtime.name:
            return True
        if any(i.name == condition for i in runtime.interfaces):
            return True
        named = self.schema.get_type(condition)
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            return self.schema.is_sub_type(named, runtime)
        return False

    def _collect(
        self,
        runtime: GraphQLObjectType,
        selections: Sequence[Selection],
        into: dict[str, list[Field]],
    ) -> None:
        for selection in selections:
            if not included(selection.directives, self.variables):
                continue
            if isinstance(selection, InlineFragment):
                if self._applies(selection.type_condition, runtime):
                    self._collect(runtime, selection.selections, into)
            else:
                into.setdefault(selection.response_key, []).append(selection)

    def _fields(self, type_: GraphQLObjectType, selections: Sequence[Selection]) -> FieldPlan:
        key = (type_.name, tuple(map(id, selections)))
        plan = self._fields_cache.get(key)
        if plan is None:
            fields: dict[str, list[Field]] = {}
            self._collect(type_, selections, fields)
            plan = [
                (k, nodes[0], [s for n in nodes for s in n.selections])
                for k, nodes in fields.items()
            ]
            self._fields_cache[key] = plan
        return plan

    # --- completion -----------------------------------------------------------------------

    def _object(
        self,
        type_: GraphQLObjectType,
        selections: Sequence[Selection],
        source: JsonObject,
        path: ResponsePath,
    ) -> JsonObject | object:
        result: JsonObject = {}
        for key, first, sub in self._fields(type_, selections):
            if first.name == "__typename":
                result[key] = type_.name
                continue
            definition = type_.fields.get(first.name)
            if definition is None:
                continue
            value: object = self._value(
                definition.type, sub, source.get(key), [*path, key], type_, first.name
            )
            if value is _BUBBLE:
                return _BUBBLE
            result[key] = value
        return result

    def _value(
        self,
        type_: GraphQLOutputType,
        selections: Sequence[Selection],
        value: Any,
        path: ResponsePath,
        parent: GraphQLObjectType,
        field_name: str,
    ) -> Any:
        if isinstance(type_, GraphQLNonNull):
            completed = self._value(type_.of_type, selections, value, path, parent, field_name)
            if completed is self._absent:
                return completed
            if completed is None or completed is _BUBBLE:
                self._error(
                    f"Cannot return null for non-nullable field {parent.name}.{field_name}.", path
                )
                return _BUBBLE
            return completed
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                self._error(f"Invalid value found for field {parent.name}.{field_name}.", path)
                return None
            items = []
            for index, item in enumerate(value):
                completed = self._value(
                    type_.of_type, selections, item, [*path, index], parent, field_name
                )
                if completed is _BUBBLE:
                    return None
                items.append(completed)
            return items
        if isinstance(type_, GraphQLScalarType):
            return value if _valid_scalar(type_, value) else self._invalid(parent, field_name, path)
        if isinstance(type_, GraphQLEnumType):
            if isinstance(value, str) and value in type_.values:
                return value
            return self._invalid(parent, field_name, path)
        if not isinstance(value, dict):
            return self._invalid(parent, field_name, path)
        runtime = type_ if isinstance(type_, GraphQLObjectType) else self._runtime(type_, value)
        if runtime is None:
            return self._invalid(parent, field_name, path)
        completed = self._object(runtime, selections, value, path)
        return None if completed is _BUBBLE else completed

    def _runtime(self, type_: Any, value: JsonObject) -> GraphQLObjectType | None:
        named = self.schema.get_type(str(value.get("__typename")))
        if isinstance(named, GraphQLObjectType) and self.schema.is_sub_type(type_, named):
            return named
        if isinstance(named, GraphQLInterfaceType) and (
            named is type_ or self.schema.is_sub_type(type_, named)
        ):
            # Only an @interfaceObject subgraph answered: the concrete type is unknown, and the
            # plan asked an owner whenever the operation needed it. Fields on the interface and
            # conditions on it (or on its own interfaces) still apply.
            stand_in = self._stand_ins.get(named.name)
            if stand_in is None:
                stand_in = self._stand_ins[named.name] = _as_object(named)
            return stand_in
        return None

    def _invalid(self, parent: GraphQLObjectType, field_name: str, path: ResponsePath) -> None:
        self._error(f"Invalid value found for field {parent.name}.{field_name}.", path)
        return None

    def _error(self, message: str, path: ResponsePath) -> None:
        self.errors.append({"message": message, "path": path})


def _as_object(interface: GraphQLInterfaceType) -> GraphQLObjectType:
    """A stand-in object type with the interface's name, fields and interfaces."""
    return GraphQLObjectType(
        interface.name, lambda: interface.fields, interfaces=lambda: interface.interfaces
    )


_SCALAR_CHECKS: dict[str, type | tuple[type, ...]] = {
    "Int": int,
    "Float": (int, float),
    "String": str,
    "Boolean": bool,
    "ID": (str, int),
}


def _valid_scalar(type_: GraphQLScalarType, value: Any) -> bool:
    expected = _SCALAR_CHECKS.get(type_.name)
    if expected is None:
        return True  # custom scalars are opaque to the gateway
    if type_.name in ("Int", "Float") and isinstance(value, bool):
        return False
    return isinstance(value, expected)


# --- shaping under access rules ------------------------------------------------------------


class Denied(Protocol):
    def errors(self, path: ResponsePath) -> list[JsonObject]: ...


class ShapeGuard(Protocol):
    """Access rules applied while shaping (the consent stage's `ConsentGuard`)."""

    absent: object  # what `enter` returns for an object to leave out

    def enter(self, type_name: str, source: JsonObject, scope: object) -> object:
        """The scope an object's fields are judged in; `absent`: leave the object out."""
        ...

    def denial(self, type_name: str, field: Field, scope: object) -> Denied | None: ...

    def below(self, type_name: str, field: Field, scope: object) -> object:
        """The scope for the value of `field` (e.g. what a lookup argument requires of it)."""
        ...


class GuardedShaper(Shaper):
    """Shaping under a guard: an object the guard says is absent is null (left out of a list,
    its parent null where it may not be), a denied field null with the guard's errors. A plain
    `Shaper` is used where no rules apply, so they cost nothing there."""

    def __init__(
        self,
        schema: GraphQLSchema,
        variables: Mapping[str, Any],
        context: RequestContext,
        cache: ShapeCache | None,
        guard: ShapeGuard,
    ) -> None:
        super().__init__(schema, variables, context, cache)
        self.guard = guard
        self._absent = guard.absent
        self._scope: object = None  # the scope of the object being completed

    def _object(
        self,
        type_: GraphQLObjectType,
        selections: Sequence[Selection],
        source: JsonObject,
        path: ResponsePath,
    ) -> JsonObject | object:
        guard, absent, parent = self.guard, self.guard.absent, self._scope
        type_name, fields = type_.name, type_.fields
        scope = guard.enter(type_name, source, parent)
        if scope is absent:
            return absent
        result: JsonObject = {}
        try:
            for key, first, sub in self._fields(type_, selections):
                if first.name == "__typename":
                    result[key] = type_name
                    continue
                definition = fields.get(first.name)
                if definition is None:
                    continue
                non_null = isinstance(definition.type, GraphQLNonNull)
                denied = guard.denial(type_name, first, scope)
                if denied is not None:
                    errors = denied.errors([*path, key])
                    self.errors.extend(errors)
                    self.context.denials.extend(errors)  # for the audit
                    if non_null:
                        return _BUBBLE
                    result[key] = None
                    continue
                self._scope = guard.below(type_name, first, scope)
                value: object = self._value(
                    definition.type, sub, source.get(key), [*path, key], type_, first.name
                )
                if value is absent:
                    # Not there for this asker: null like a record that does not exist (a
                    # non-null position makes its parent null, as a missing record would).
                    if non_null:
                        return _BUBBLE
                    value = None
                if value is _BUBBLE:
                    return _BUBBLE
                result[key] = value
        finally:
            self._scope = parent
        return result

    def _value(
        self,
        type_: GraphQLOutputType,
        selections: Sequence[Selection],
        value: Any,
        path: ResponsePath,
        parent: GraphQLObjectType,
        field_name: str,
    ) -> Any:
        completed = Shaper._value(self, type_, selections, value, path, parent, field_name)
        if isinstance(type_, GraphQLList) and isinstance(completed, list):
            # Subjects the asker may not know of are not in the list at all.
            absent = self.guard.absent
            return [item for item in completed if item is not absent]
        return completed
