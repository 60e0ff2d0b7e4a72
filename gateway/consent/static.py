"""The static pass: before planning, remove what the role can never see for the purpose, so that
nothing is planned — let alone fetched — for it. The response is still shaped from the client's
own operation: a removed field answers null with its denial (see `gateway.consent.guard`)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from graphql import ArgumentNode, NullValueNode, get_named_type

from gateway.consent.policy import Denial, Denials, StaticOutcome
from gateway.operation import Field, InlineFragment, Operation, Selection
from gateway.planner.subgraph_map import SubgraphMap

_TYPENAME = Field(response_key="__typename", name="__typename")


def read_by_arguments(
    lookups: Mapping[str, str],
    type_name: str,
    field_name: str,
    arguments: Iterable[ArgumentNode],
) -> list[str]:
    """The categories a field reads by the lookup or filter arguments it is given (non-null),
    in argument order: `lookups` maps "Type.field.argument" to a category."""
    if not lookups:
        return []
    found = []
    for argument in arguments:
        category = lookups.get(f"{type_name}.{field_name}.{argument.name.value}")
        if category is not None and not isinstance(argument.value, NullValueNode):
            found.append(category)
    return found


@dataclass(frozen=True)
class StaticDenials:
    """One outcome of the static policy as the planner's operation pass and the shaper's rule."""

    outcome: StaticOutcome
    root_types: frozenset[str]
    mutation_type: str | None = None
    # Arguments that look up or filter by a categorized attribute ("Query.childByNik.nik" ->
    # "identity.full"): using one reads the category, so it needs the category by mandate.
    lookups: Mapping[str, str] = field(default_factory=dict)
    # The subject type, and whether the role may see nothing of any subject (every category
    # its fields carry is denied): then a root field reaching subjects is refused outright.
    subject: str | None = None
    blind: bool = False

    @property
    def name(self) -> str:
        return "consent-static"

    @cached_property
    def key(self) -> Hashable:
        """The outcome's key (what plans depend on), made once: every request reads it."""
        return self.outcome.key

    def denial(self, type_name: str, field_name: str, category: str | None) -> Denial | None:
        """The denial of this field whatever the subject, or None when it may be planned."""
        writes = self.outcome.writes
        if type_name == self.mutation_type and writes is not None and field_name not in writes:
            return Denial(None)  # a write the role has no right to: never sent
        if category is None:
            return None
        denied = self.outcome.denied.get(category)
        if denied is not None:
            return denied
        if type_name in self.root_types and category not in self.outcome.mandate:
            # A root lookup or list carrying a category: its membership reveals it.
            return Denial(category)
        return None

    def lookup(self, type_name: str, selection: Field) -> Denial | None:
        """The denial of a root field used with a lookup or filter argument the role may not
        use (None when it may)."""
        if type_name not in self.root_types:
            return None
        for category in read_by_arguments(
            self.lookups, type_name, selection.name, selection.arguments
        ):
            if category not in self.outcome.mandate:
                return self.outcome.denied.get(category) or Denial(category)
        return None

    def blind_denial(
        self, type_name: str, selection: Field, subgraphs: SubgraphMap
    ) -> Denials | None:
        """For a role that sees nothing of any subject: a root field whose selection reaches
        subjects, refused with each category it asks for (None otherwise)."""
        if not self.blind or type_name not in self.root_types:
            return None
        definition = subgraphs.field_def(type_name, selection.name)
        if definition is None:
            return None
        categories: set[str] = set()
        reaches = False
        stack = [(get_named_type(definition.type).name, selection.selections)]
        while stack:
            parent, selections = stack.pop()
            reaches = reaches or parent == self.subject
            for item in selections:
                if isinstance(item, InlineFragment):
                    stack.append((item.type_condition or parent, item.selections))
                    continue
                below = subgraphs.field_def(parent, item.name)
                if below is None:
                    continue
                category = subgraphs.category(parent, item.name)
                if category is not None:
                    categories.add(category)
                if item.selections:
                    stack.append((get_named_type(below.type).name, item.selections))
        if not reaches:
            return None
        return Denials(
            tuple(self.outcome.denied.get(c) or Denial(c) for c in sorted(categories))
            or (Denial(None),)
        )

    def __call__(self, operation: Operation, subgraphs: SubgraphMap) -> Operation:
        root = subgraphs.schema.get_root_type(operation.kind)
        assert root is not None
        selections = self._narrow(operation.selections, root.name, subgraphs)
        return replace(operation, selections=selections)

    def _narrow(
        self, selections: tuple[Selection, ...], type_name: str, subgraphs: SubgraphMap
    ) -> tuple[Selection, ...]:
        kept: list[Selection] = []
        for selection in selections:
            if isinstance(selection, InlineFragment):
                inner = self._narrow(
                    selection.selections, selection.type_condition or type_name, subgraphs
                )
                if inner:
                    kept.append(replace(selection, selections=inner))
                continue
            definition = subgraphs.field_def(type_name, selection.name)
            if definition is None:  # __typename, introspection
                kept.append(selection)
                continue
            category = subgraphs.category(type_name, selection.name)
            if (
                self.denial(type_name, selection.name, category)
                or self.lookup(type_name, selection)
                or self.blind_denial(type_name, selection, subgraphs)
            ):
                continue
            if selection.selections:
                child_type = get_named_type(definition.type).name
                inner = self._narrow(selection.selections, child_type, subgraphs)
                # Everything below was denied: the object itself is still asked for, so that
                # each denied field answers null with its error where the object exists.
                selection = replace(selection, selections=inner or (_TYPENAME,))
            kept.append(selection)
        return tuple(kept)
