"""Static cost of an operation (before any fetch) and measured cost of its answer.

The rules are Apollo Router's static estimation (its demand control), applied to the client's
operation over the supergraph's API schema:

- an operation costs its fields; a mutation adds 10;
- a field costs its weight times how many instances it returns, plus its arguments' cost;
  its weight is its own `@cost`, else its type's `@cost`, else 1 for an object, interface or
  union and 0 for a scalar or enum — plus, for a composite field, the cost of its selections;
- a list returns as many items as its slicing argument says (a literal, a variable, or the
  argument's default; a list's length counts too), else its `@listSize(assumedSize:)`, else
  the configured default; a field named in its parent's `sizedFields` takes the parent's size;
- an argument costs its `@cost` (or its type's); an input object 1 unless weighted, plus its
  fields; a list the sum of its items;
- `__typename` and what the gateway answers itself (`__schema`, `__type`) cost nothing, as do
  selections `@skip`/`@include` leave out for these variables.

The actual cost walks the answer with the same weights: each object returned costs its weight
(1 by default), each scalar its `@cost`, arguments as above, a mutation 10.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    GraphQLAbstractType,
    GraphQLArgument,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationType,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined

from gateway.conditions import included
from gateway.operation import Field, InlineFragment, Operation, Selection
from gateway.supergraph.cost import CostIndex, ListSize

MUTATION_BASE_COST = 10.0
LOCAL_FIELDS = frozenset({"__typename", "__schema", "__type"})


class CostError(ValueError):
    """The operation cannot be costed: a `@listSize` field lacks its one slicing argument."""


@dataclass(frozen=True)
class _Sized:
    """A size a parent's `@listSize(sizedFields:)` hands to some of its children."""

    size: int
    fields: frozenset[str]


class CostEstimator:
    """Costs operations over one API schema with one supergraph's weights."""

    def __init__(self, schema: GraphQLSchema, costs: CostIndex, default_list_size: int) -> None:
        self.schema = schema
        self.costs = costs
        self.default_list_size = default_list_size

    # --- estimated ---------------------------------------------------------------------------

    def estimate(self, operation: Operation, variables: Mapping[str, Any]) -> float:
        """The static cost of `operation` for these (coerced, defaulted) variable values."""
        root = self._root(operation.kind)
        base = MUTATION_BASE_COST if operation.kind is OperationType.MUTATION else 0.0
        return base + self._selections(operation.selections, root, None, variables)

    def _selections(
        self,
        selections: Sequence[Selection],
        parent: GraphQLNamedType,
        sized: _Sized | None,
        variables: Mapping[str, Any],
    ) -> float:
        total = 0.0
        for selection in selections:
            if not included(selection.directives, variables):
                continue
            if isinstance(selection, InlineFragment):
                condition = (
                    self.schema.get_type(selection.type_condition)
                    if selection.type_condition
                    else parent
                )
                total += self._selections(
                    selection.selections, condition or parent, sized, variables
                )
            else:
                total += self._field(selection, parent, sized, variables)
        return total

    def _field(
        self,
        field: Field,
        parent: GraphQLNamedType,
        sized: _Sized | None,
        variables: Mapping[str, Any],
    ) -> float:
        if field.name in LOCAL_FIELDS:
            return 0.0
        definition = _definition(parent, field.name)
        if definition is None:  # validation guarantees it; a foreign selection costs nothing
            return 0.0
        list_size = self.costs.list_sizes.get((parent.name, field.name))
        expected = self._expected_size(list_size, field, definition, variables)
        named = get_named_type(definition.type)
        if _is_list(definition.type):
            if sized is not None and field.name in sized.fields:
                count = sized.size
            elif expected is not None:
                count = expected
            else:
                count = self.default_list_size
        else:
            count = 1
        child_sized = None
        if list_size is not None and list_size.sized_fields and expected is not None:
            child_sized = _Sized(expected, frozenset(list_size.sized_fields))
        weight = self._weight(parent.name, field.name, named)
        if field.selections:
            weight += self._selections(field.selections, named, child_sized, variables)
        return count * weight + self._arguments(field, parent.name, definition, variables)

    def _expected_size(
        self,
        list_size: ListSize | None,
        field: Field,
        definition: GraphQLField,
        variables: Mapping[str, Any],
    ) -> int | None:
        if list_size is None:
            return None
        if list_size.slicing_arguments is None:
            return list_size.assumed_size
        given: dict[str, Any] = {
            name: default
            for name, argument in definition.args.items()
            if (default := _default(argument)) is not Undefined
        }
        for argument in field.arguments:
            value = argument.value
            if isinstance(value, VariableNode) and value.name.value not in variables:
                continue  # a variable left out: the argument takes its default (if it has one)
            given[argument.name.value] = _literal(value, variables)
        sizes = [
            size
            for path in list_size.slicing_arguments
            if (size := _size(_at_path(given, path))) is not None
        ]
        if list_size.require_one_slicing_argument and len(sizes) != 1:
            raise CostError(
                f"Exactly one slicing argument is required on {field.name}, but found {len(sizes)}."
            )
        return max(sizes) if sizes else list_size.assumed_size

    def _weight(self, parent: str, field: str, named: GraphQLNamedType) -> float:
        own = self.costs.fields.get((parent, field))
        if own is not None:
            return own
        of_type = self.costs.types.get(named.name)
        if of_type is not None:
            return of_type
        return 1.0 if is_composite_type(named) else 0.0

    def _arguments(
        self, field: Field, parent: str, definition: GraphQLField, variables: Mapping[str, Any]
    ) -> float:
        total = 0.0
        for argument in field.arguments:
            argument_definition = definition.args.get(argument.name.value)
            if argument_definition is None:
                continue
            weight = self.costs.arguments.get((parent, field.name, argument.name.value))
            total += self._input(
                _literal(argument.value, variables), argument_definition.type, weight
            )
        return total

    def _input(self, value: Any, input_type: GraphQLInputType, weight: float | None) -> float:
        """An argument's (or input field's) cost: its weight, its type's, and its contents'."""
        if value is None:
            return 0.0
        unwrapped: Any = (
            input_type.of_type if isinstance(input_type, GraphQLNonNull) else input_type
        )
        if isinstance(value, list):
            inner = unwrapped.of_type if isinstance(unwrapped, GraphQLList) else unwrapped
            own = weight or 0.0
            return own + sum(self._input(item, inner, weight) for item in value)
        named = get_named_type(unwrapped)
        if weight is None:
            weight = self.costs.types.get(named.name)
        if isinstance(named, GraphQLInputObjectType) and isinstance(value, dict):
            total = 1.0 if weight is None else weight
            for name, item in value.items():
                input_field = named.fields.get(name)
                if input_field is not None:
                    total += self._input(
                        item, input_field.type, self.costs.input_fields.get((named.name, name))
                    )
            return total
        return weight or 0.0

    def relevant_variables(self, operation: Operation) -> frozenset[str]:
        """The variables the estimate of `operation` can depend on: those in `@skip`/`@include`,
        slicing arguments, weighted arguments and input objects. The others (an id, a name)
        never change it, so estimates can be cached per operation and these values."""
        found: set[str] = set()
        stack: list[tuple[Sequence[Selection], GraphQLNamedType]] = [
            (operation.selections, self._root(operation.kind))
        ]
        while stack:
            selections, parent = stack.pop()
            for selection in selections:
                for directive in selection.directives:
                    for argument in directive.arguments or ():
                        found.update(_variables_in(argument.value))
                if isinstance(selection, InlineFragment):
                    condition = (
                        self.schema.get_type(selection.type_condition)
                        if selection.type_condition
                        else parent
                    )
                    stack.append((selection.selections, condition or parent))
                    continue
                definition = _definition(parent, selection.name)
                if definition is None:
                    continue
                list_size = self.costs.list_sizes.get((parent.name, selection.name))
                paths = list_size.slicing_arguments if list_size is not None else None
                slicing = {path.split(".")[0] for path in paths or ()}
                for argument in selection.arguments:
                    name = argument.name.value
                    argument_definition = definition.args.get(name)
                    named = (
                        get_named_type(argument_definition.type)
                        if argument_definition is not None
                        else None
                    )
                    if (
                        name in slicing
                        or (parent.name, selection.name, name) in self.costs.arguments
                        or named is None
                        or named.name in self.costs.types
                        or isinstance(named, GraphQLInputObjectType)
                    ):
                        found.update(_variables_in(argument.value))
                stack.append((selection.selections, get_named_type(definition.type)))
        return frozenset(found)

    # --- actual --------------------------------------------------------------------------------

    def actual(
        self, operation: Operation, variables: Mapping[str, Any], data: Mapping[str, Any] | None
    ) -> float:
        """The cost of what was answered: `data` walked with the operation's selections."""
        base = MUTATION_BASE_COST if operation.kind is OperationType.MUTATION else 0.0
        if data is None:
            return base
        root = self._root(operation.kind)
        return base + self._answered(operation.selections, root, data, variables, arguments=True)

    def _answered(
        self,
        selections: Sequence[Selection],
        parent: GraphQLNamedType,
        data: Mapping[str, Any],
        variables: Mapping[str, Any],
        arguments: bool,
    ) -> float:
        total = 0.0
        for key, (field, merged, runtime) in self._collect(
            selections, parent, data, variables
        ).items():
            if key not in data or field.name in LOCAL_FIELDS:
                continue
            definition = _definition(runtime, field.name)
            if definition is None:
                continue
            named = get_named_type(definition.type)
            total += self._value(data[key], runtime, field, named, merged, variables)
            if arguments:
                total += self._arguments(field, runtime.name, definition, variables)
        return total

    def _value(
        self,
        value: Any,
        parent: GraphQLNamedType,
        field: Field,
        named: GraphQLNamedType,
        selections: Sequence[Selection],
        variables: Mapping[str, Any],
    ) -> float:
        if isinstance(value, list):
            return sum(
                self._value(item, parent, field, named, selections, variables) for item in value
            )
        weight = self.costs.fields.get((parent.name, field.name))
        if weight is None:
            weight = self.costs.types.get(named.name)
        if isinstance(value, dict):
            runtime = named
            typename = value.get("__typename")
            if isinstance(typename, str) and isinstance(named, GraphQLAbstractType):
                runtime = self.schema.get_type(typename) or named
                if weight is None:
                    weight = self.costs.types.get(runtime.name)
            own = 1.0 if weight is None else weight
            return own + self._answered(selections, runtime, value, variables, arguments=True)
        return weight or 0.0

    def _collect(
        self,
        selections: Sequence[Selection],
        parent: GraphQLNamedType,
        data: Mapping[str, Any],
        variables: Mapping[str, Any],
    ) -> dict[str, tuple[Field, list[Selection], GraphQLNamedType]]:
        """Fields by response key, their sub-selections merged, under the fragments that apply."""
        found: dict[str, tuple[Field, list[Selection], GraphQLNamedType]] = {}
        stack: list[tuple[Sequence[Selection], GraphQLNamedType]] = [(selections, parent)]
        while stack:
            current, current_parent = stack.pop()
            for selection in current:
                if not included(selection.directives, variables):
                    continue
                if isinstance(selection, InlineFragment):
                    condition = (
                        self.schema.get_type(selection.type_condition)
                        if selection.type_condition
                        else current_parent
                    )
                    if condition is not None and self._applies(condition, parent, data):
                        stack.append((selection.selections, condition))
                    continue
                entry = found.get(selection.response_key)
                if entry is None:
                    found[selection.response_key] = (
                        selection,
                        list(selection.selections),
                        current_parent,
                    )
                else:
                    entry[1].extend(selection.selections)
        return found

    def _applies(
        self, condition: GraphQLNamedType, parent: GraphQLNamedType, data: Mapping[str, Any]
    ) -> bool:
        """Whether a fragment on `condition` applies to this object of (static) type `parent`."""
        if condition.name == parent.name:
            return True
        typename = data.get("__typename")
        runtime = self.schema.get_type(typename) if isinstance(typename, str) else None
        if isinstance(runtime, GraphQLObjectType):
            if isinstance(condition, GraphQLInterfaceType | GraphQLUnionType):
                return self.schema.is_sub_type(condition, runtime)
            return condition.name == runtime.name
        # Without __typename: a fragment applies when the object's type can be the condition.
        if isinstance(parent, GraphQLObjectType) and isinstance(condition, GraphQLAbstractType):
            return self.schema.is_sub_type(condition, parent)
        return isinstance(parent, GraphQLAbstractType)

    def _root(self, kind: OperationType) -> GraphQLObjectType:
        root = self.schema.get_root_type(kind)
        assert root is not None  # validation checked the operation against this schema
        return root


def _definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    fields = getattr(parent, "fields", None)
    return fields.get(name) if fields is not None else None


def _default(argument: GraphQLArgument) -> Any:
    """An argument's default value (Undefined when it has none), however the schema holds it."""
    if argument.default_value is not Undefined:
        return argument.default_value
    node = argument.ast_node
    if node is not None and node.default_value is not None:
        return value_from_ast_untyped(node.default_value)
    default = getattr(argument, "default", None)  # graphql-core 3.3: a GraphQLDefaultInput
    value = getattr(default, "value", Undefined)
    if value is not Undefined:
        return value
    literal = getattr(default, "literal", None)
    return value_from_ast_untyped(literal) if literal is not None else Undefined


def _is_list(output_type: Any) -> bool:
    if isinstance(output_type, GraphQLNonNull):
        output_type = output_type.of_type
    return isinstance(output_type, GraphQLList)


def _literal(node: ValueNode, variables: Mapping[str, Any]) -> Any:
    """An argument's value as JSON-like Python data, variables resolved (absent ones: None)."""
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, FloatValueNode):
        return float(node.value)
    if isinstance(node, StringValueNode | EnumValueNode):
        return node.value
    if isinstance(node, BooleanValueNode):
        return node.value
    if isinstance(node, NullValueNode):
        return None
    if isinstance(node, ListValueNode):
        return [_literal(item, variables) for item in node.values]
    if isinstance(node, ObjectValueNode):
        return {item.name.value: _literal(item.value, variables) for item in node.fields}
    return None


def _variables_in(node: ValueNode) -> set[str]:
    if isinstance(node, VariableNode):
        return {node.name.value}
    if isinstance(node, ListValueNode):
        return set().union(*(_variables_in(item) for item in node.values))
    if isinstance(node, ObjectValueNode):
        return set().union(*(_variables_in(item.value) for item in node.fields))
    return set()


def _at_path(arguments: Mapping[str, Any], path: str) -> Any:
    """`first` or, into an input object, `page.first`."""
    current: Any = arguments
    for segment in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(segment)
    return current


def _size(value: Any) -> int | None:
    """A slicing argument's size: an Int (a negative one counts as 0: it must never subtract
    from the estimate), or a list's length; anything else says nothing."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return max(0, value)
    if isinstance(value, list):
        return len(value)
    return None
