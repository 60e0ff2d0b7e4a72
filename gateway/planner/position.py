"""Where the planner stands while it walks an operation, and the small pure helpers of that walk."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from graphql import GraphQLList, GraphQLNonNull, GraphQLOutputType, print_ast

from gateway.conditions import Condition
from gateway.operation import Field, InlineFragment, Selection
from gateway.planner.fetch_graph import FetchGroup
from gateway.planner.selection import SelectionBuilder
from gateway.types import Path


@dataclass(slots=True)
class Position:
    """Where in a group's selection the planner is, and what it may assume there."""

    group: FetchGroup
    node: SelectionBuilder
    type_name: str
    path: Path
    provided: tuple[Selection, ...] | None  # @provides in force at this position, if any
    # How the planner got here: the position above and the field or type condition leading
    # down from it (no step: the same object, reached by an entity hop). Objects without a
    # usable key are reached again along this chain (see `_reenter`).
    parent: Position | None = None
    step: Selection | None = None
    # The step is the planner's own split of an abstract field per object type: every branch
    # of one field is served along one route, so no branch is fetched again on another.
    split: bool = False
    # The @include/@skip conditions (with variables) everything planned here is under.
    conditions: frozenset[Condition] = frozenset()

    def below(
        self,
        step: Selection,
        node: SelectionBuilder,
        type_name: str,
        path: Path,
        provided: tuple[Selection, ...] | None,
    ) -> Position:
        """The position one field or type condition further down, in the same group."""
        return Position(
            self.group,
            node,
            type_name,
            path,
            provided,
            self,
            route_step(step),
            conditions=self.conditions,
        )

    def moved(
        self,
        node: SelectionBuilder,
        provided: tuple[Selection, ...] | None = None,
        type_name: str | None = None,
    ) -> Position:
        """The same object, written into another selection node (or seen as another type)."""
        return Position(
            self.group,
            node,
            type_name or self.type_name,
            self.path,
            provided,
            self.parent,
            self.step,
            conditions=self.conditions,
        )


def flatten_root(selections: Sequence[Selection]) -> Iterable[Selection]:
    for s in selections:
        if isinstance(s, InlineFragment) and not s.directives:
            yield from flatten_root(s.selections)
        else:
            yield s


def narrow(provided: tuple[Selection, ...] | None, type_name: str) -> tuple[Selection, ...] | None:
    """@provides selections that apply once the runtime type is known to be `type_name`."""
    if provided is None:
        return None
    result: list[Selection] = []
    for p in provided:
        if isinstance(p, InlineFragment):
            if p.type_condition in (None, type_name):
                result.extend(p.selections)
        else:
            result.append(p)
    return tuple(result)


def route_step(step: Selection) -> Selection:
    """A field or type condition as one step of a route, without what is selected below it."""
    return replace(step, selections=())


def list_depth(field_type: GraphQLOutputType) -> int:
    depth = 0
    current: object = field_type
    while isinstance(current, GraphQLNonNull | GraphQLList):
        if isinstance(current, GraphQLList):
            depth += 1
        current = current.of_type
    return depth


def as_inputs(selections: Sequence[Selection]) -> tuple[Selection, ...]:
    """A key or @requires field set as the planner fetches it: a field with arguments gets an
    alias of its own, so that it never merges with the client's copy of the field with other
    arguments (the representation is read off the alias, under the field's name)."""
    result: list[Selection] = []
    for s in selections:
        children = as_inputs(s.selections)
        if isinstance(s, Field) and s.arguments:
            printed = " ".join(print_ast(a) for a in s.arguments)
            digest = hashlib.sha1(printed.encode()).hexdigest()[:8]
            result.append(replace(s, response_key=f"{s.name}__{digest}", selections=children))
        else:
            result.append(replace(s, selections=children))
    return tuple(result)
