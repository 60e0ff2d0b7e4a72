"""A client operation normalized for planning: named fragments inlined, one selection tree."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
)

from gateway.conditions import is_conditional
from gateway.errors import OperationError


@dataclass(frozen=True, slots=True)
class Field:
    response_key: str
    name: str
    arguments: tuple[ArgumentNode, ...] = ()
    directives: tuple[DirectiveNode, ...] = ()
    selections: tuple[Selection, ...] = ()


@dataclass(frozen=True, slots=True)
class InlineFragment:
    type_condition: str | None
    directives: tuple[DirectiveNode, ...] = ()
    selections: tuple[Selection, ...] = ()


Selection = Field | InlineFragment


@dataclass(frozen=True, slots=True)
class Operation:
    kind: OperationType
    name: str | None
    variable_definitions: tuple[VariableDefinitionNode, ...]
    selections: tuple[Selection, ...]
    definition: OperationDefinitionNode

    @property
    def has_conditions(self) -> bool:
        """Whether any selection carries @skip or @include (then shaping depends on variables)."""
        stack = list(self.selections)
        while stack:
            current = stack.pop()
            if is_conditional(current.directives):
                return True
            stack.extend(current.selections)
        return False


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise OperationError(
                "Must provide operation name if query contains multiple operations."
                if operations
                else "Must provide an operation."
            )
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    raise OperationError(f"Unknown operation named '{operation_name}'.")


def normalize(document: DocumentNode, operation_name: str | None = None) -> Operation:
    definition = select_operation(document, operation_name)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return Operation(
        kind=definition.operation,
        name=definition.name.value if definition.name else None,
        variable_definitions=tuple(definition.variable_definitions or ()),
        selections=_selections(definition.selection_set, fragments),
        definition=definition,
    )


def selections_of(selection_set: SelectionSetNode) -> tuple[Selection, ...]:
    """A selection set without fragment spreads (a field set) as selections."""
    return _selections(selection_set, {})


def _selections(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode]
) -> tuple[Selection, ...]:
    # Recursion is bounded, and so is the tree built: `prepare` checks the operation's depth and
    # its selections with fragments written out (gateway/limits.py) before normalizing it.
    if selection_set is None:
        return ()
    result: list[Selection] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            result.append(
                Field(
                    response_key=(node.alias or node.name).value,
                    name=node.name.value,
                    arguments=tuple(node.arguments or ()),
                    directives=tuple(node.directives or ()),
                    selections=_selections(node.selection_set, fragments),
                )
            )
        elif isinstance(node, InlineFragmentNode):
            result.append(
                InlineFragment(
                    type_condition=node.type_condition.name.value if node.type_condition else None,
                    directives=tuple(node.directives or ()),
                    selections=_selections(node.selection_set, fragments),
                )
            )
        elif isinstance(node, FragmentSpreadNode):
            fragment = fragments[node.name.value]  # validation guarantees it exists
            result.append(
                InlineFragment(
                    type_condition=fragment.type_condition.name.value,
                    directives=tuple(node.directives or ()),
                    selections=_selections(fragment.selection_set, fragments),
                )
            )
    return tuple(result)
