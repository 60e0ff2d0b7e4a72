"""The one field-set parser: `@key`/`@requires`/`@provides` text into a graphql-core selection set."""

from __future__ import annotations

import pytest
from graphql import FieldNode, print_ast

from gateway.supergraph import FieldSetError, parse_field_set


def test_a_field_set_parses_into_its_selections() -> None:
    selection_set = parse_field_set("id organization { id ... on Agency { code } }")
    assert [s.name.value for s in selection_set.selections if isinstance(s, FieldNode)] == [
        "id",
        "organization",
    ]
    printed = " ".join(print_ast(selection_set).split())
    assert printed == "{ id organization { id ... on Agency { code } } }"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("id {", "does not parse"),
        ("id } query other { name", "is not a field set"),
        ("id } { name", "is not a field set"),
        ("id } mutation { name", "is not a field set"),
    ],
)
def test_what_is_not_a_field_set_is_a_field_set_error(text: str, problem: str) -> None:
    with pytest.raises(FieldSetError, match=problem):
        parse_field_set(text)
