"""Field sets (`@key`, `@requires`, `@provides` arguments) parsed by graphql-core: the one parser."""

from __future__ import annotations

from graphql import GraphQLError, OperationDefinitionNode, OperationType, SelectionSetNode, parse


class FieldSetError(ValueError):
    """The field set does not parse or does not fit the type; the message says how."""


def parse_field_set(text: str) -> SelectionSetNode:
    """`"id organization { id }"` -> its selection set; raises FieldSetError if it is not one."""
    try:
        document = parse("{" + text + "}", no_location=True)
    except GraphQLError as error:
        raise FieldSetError(f'"{text}" does not parse: {error.message}') from error
    definitions = document.definitions
    if (
        len(definitions) != 1
        or not isinstance(definitions[0], OperationDefinitionNode)
        or definitions[0].operation != OperationType.QUERY
        or definitions[0].name is not None
    ):
        raise FieldSetError(f'"{text}" is not a field set')
    return definitions[0].selection_set
