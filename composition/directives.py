"""Directive definitions the supergraph keeps: executable ones all subgraphs share, and composed ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from graphql import (
    DirectiveDefinitionNode,
    InputValueDefinitionNode,
    NameNode,
    NonNullTypeNode,
    StringValueNode,
    TypeNode,
)

from composition.applied import pick_description
from composition.errors import CompositionError
from composition.model import ComposedDirective, Subgraph
from composition.subgraph import EXECUTABLE_LOCATIONS
from composition.typerefs import input_subtype


def repeatable_composed(subgraphs: Sequence[Subgraph]) -> set[str]:
    return {
        directive.name
        for subgraph in subgraphs
        for directive in subgraph.composed_directives.values()
        if directive.definition.repeatable
    }


def merge_executable_directives(subgraphs: Sequence[Subgraph]) -> list[DirectiveDefinitionNode]:
    """Executable directives every subgraph defines, with the locations and arguments all accept.

    A client may put them anywhere in an operation, and any subgraph may receive them.
    """
    if not subgraphs:
        return []
    result: list[DirectiveDefinitionNode] = []
    names = set.intersection(*(set(s.executable_directives) for s in subgraphs))
    for name in sorted(names):
        definitions = [s.executable_directives[name] for s in subgraphs]
        locations = [loc for loc in definitions[0].locations if loc.value in EXECUTABLE_LOCATIONS]
        for definition in definitions[1:]:
            others = {loc.value for loc in definition.locations}
            locations = [loc for loc in locations if loc.value in others]
        arguments = _common_arguments(definitions)
        if not locations or arguments is None:
            continue
        description = pick_description(
            d.description.value if d.description else None for d in definitions
        )
        result.append(
            DirectiveDefinitionNode(
                name=NameNode(value=name),
                description=StringValueNode(value=description, block=True) if description else None,
                arguments=tuple(arguments),
                repeatable=all(d.repeatable for d in definitions),
                locations=tuple(locations),
            )
        )
    return result


def _common_arguments(
    definitions: list[DirectiveDefinitionNode],
) -> list[InputValueDefinitionNode] | None:
    """Arguments every definition has (None when one requires an argument others lack)."""
    arguments: list[InputValueDefinitionNode] = []
    for argument in definitions[0].arguments or ():
        arg_type: TypeNode | None = argument.type
        for definition in definitions[1:]:
            other = next(
                (a for a in definition.arguments or () if a.name.value == argument.name.value),
                None,
            )
            arg_type = (
                input_subtype(arg_type, other.type) if other is not None and arg_type else None
            )
        if arg_type is not None:
            arguments.append(replace(argument, type=arg_type))
        elif isinstance(argument.type, NonNullTypeNode):
            return None
    return arguments


def merge_composed_directives(
    subgraphs: Sequence[Subgraph], error: Callable[[CompositionError], None]
) -> list[ComposedDirective]:
    """One definition per @composeDirective'd directive: the newest minor version of its spec."""
    chosen: dict[str, ComposedDirective] = {}
    for subgraph in subgraphs:
        for directive in subgraph.composed_directives.values():
            current = chosen.get(directive.name)
            if current is None:
                chosen[directive.name] = directive
            elif (current.spec_name, current.major) != (directive.spec_name, directive.major):
                error(
                    CompositionError(
                        "DIRECTIVE_COMPOSITION_ERROR",
                        f'Composed directive "@{directive.name}" comes from incompatible specs: '
                        f'"{current.spec_url}" and "{directive.spec_url}" (in subgraph "{subgraph.name}")',
                        (subgraph.name,),
                        f"@{directive.name}",
                    )
                )
            elif directive.minor > current.minor:
                chosen[directive.name] = directive
    return [chosen[name] for name in sorted(chosen)]
