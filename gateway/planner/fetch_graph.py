"""The fetch graph: what each subgraph call selects and which calls must come first — the
planner's middle stage, built from the operation, changed by passes, written out as plan nodes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from gateway.conditions import Condition
from gateway.planner.selection import SelectionBuilder
from gateway.types import Path


@dataclass(eq=False)
class FetchGroup:
    id: int
    graph: str
    merge_at: Path
    entity_type: str | None  # None: a root fetch
    requires_key: str = ""  # groups with different @requires inputs never merge
    selections: SelectionBuilder = field(default_factory=SelectionBuilder)
    inputs: SelectionBuilder = field(default_factory=SelectionBuilder)
    depends_on: set[int] = field(default_factory=set)
    # The @include/@skip conditions every selection in the group was planned under, as
    # (variable, value it must have): the group is fetched only when all hold. None: nothing
    # planned into it yet.
    conditions: frozenset[Condition] | None = None

    def add_conditions(self, conditions: frozenset[Condition]) -> None:
        """Something is planned into the group under `conditions`: it is fetched whenever
        they all hold, so it keeps only the conditions it shares with what came before."""
        self.conditions = conditions if self.conditions is None else self.conditions & conditions

    def root(self, type_name: str) -> SelectionBuilder:
        """Where this group's selections for its own entity type go."""
        return self.selections.fragment(type_name) if self.entity_type else self.selections


@dataclass(eq=False)
class FetchGraph:
    """The groups of one operation. A query has one step; a mutation one step per run of
    consecutive root fields for the same subgraph, run in order (`steps`)."""

    root_type: str
    groups: dict[int, FetchGroup] = field(default_factory=dict)
    steps: list[list[FetchGroup]] = field(default_factory=list)
    local_fields: tuple[str, ...] = ()  # root fields the gateway answers itself
    _ids: itertools.count[int] = field(default_factory=itertools.count, repr=False)

    def new_group(
        self, graph: str, merge_at: Path, entity_type: str | None, requires_key: str = ""
    ) -> FetchGroup:
        group = FetchGroup(next(self._ids), graph, merge_at, entity_type, requires_key)
        self.groups[group.id] = group
        return group

    def ancestors(self, group: FetchGroup) -> set[int]:
        """Every group that must be fetched before `group`."""
        seen: set[int] = set()
        stack = list(group.depends_on)
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self.groups[current].depends_on)
        return seen
