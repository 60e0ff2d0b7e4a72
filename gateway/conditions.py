"""`@skip` and `@include`, read in one place for planning, execution and shaping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graphql import BooleanValueNode, DirectiveNode, VariableNode, value_from_ast_untyped

# (variable name, the value it must have): `@include(if: $v)` is ("v", True), `@skip(if: $v)`
# is ("v", False).
Condition = tuple[str, bool]

_CONDITIONAL = ("skip", "include")


def static_conditions(directives: Sequence[DirectiveNode]) -> frozenset[Condition] | None:
    """The conditions `@include`/`@skip` with a variable put on a selection; None when a
    literal one excludes it (a literal that includes it adds nothing)."""
    result: set[Condition] = set()
    for directive in directives:
        name = directive.name.value
        if name not in _CONDITIONAL:
            continue
        wanted = name == "include"
        for argument in directive.arguments or ():
            if argument.name.value != "if":
                continue
            if isinstance(argument.value, VariableNode):
                result.add((argument.value.name.value, wanted))
            elif isinstance(argument.value, BooleanValueNode) and argument.value.value != wanted:
                return None
    return frozenset(result)


def holds(condition: str, variables: Mapping[str, Any]) -> bool:
    """Whether a condition's variable is true (the operation's defaults already applied)."""
    return variables.get(condition) is True


def included(directives: Sequence[DirectiveNode], variables: Mapping[str, Any]) -> bool:
    """Whether a selection with these directives is part of the response for these values."""
    for directive in directives:
        name = directive.name.value
        if name not in _CONDITIONAL:
            continue
        argument = next((a for a in directive.arguments or () if a.name.value == "if"), None)
        value = bool(value_from_ast_untyped(argument.value, dict(variables))) if argument else False
        if (name == "skip" and value) or (name == "include" and not value):
            return False
    return True


def is_conditional(directives: Iterable[DirectiveNode]) -> bool:
    return any(d.name.value in _CONDITIONAL for d in directives)
