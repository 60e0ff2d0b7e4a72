"""The consent rules as shaping applies them: a subject out of jurisdiction is absent (null, or
left out of a list, with no error — exactly like one that does not exist); a field denied, by
the static pass or by its subject's decision, is null with its denial error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.consent.decide import DECISION_KEY
from gateway.consent.policy import NO_RECORD, Denial, Denials, RecordDecision, SubjectDecision
from gateway.consent.static import StaticDenials, read_by_arguments
from gateway.operation import Field
from gateway.planner.subgraph_map import SubgraphMap
from gateway.types import JsonObject

ABSENT = object()  # what `enter` returns for a subject the asker may not know exists


@dataclass(frozen=True, slots=True)
class _Requires:
    """Below a lookup or filter by a categorized attribute: a subject found by it exists for
    the asker only if the asker may read that category of it."""

    category: str


@dataclass
class ConsentGuard:
    subject: str
    static: StaticDenials
    subgraphs: SubgraphMap
    records: Mapping[str, str] = field(default_factory=dict)  # record type -> key field
    links: Mapping[str, str] = field(default_factory=dict)  # record type -> its subject field
    absent: object = ABSENT
    _categories: dict[tuple[str, str], str | None] = field(default_factory=dict)
    # Below the root, what `denial` needs of a field besides the scope depends only on its type
    # and name (and this guard's static outcome): its category and its static denial, if any.
    _fixed: dict[tuple[str, str], tuple[str | None, Denial | None]] = field(default_factory=dict)

    def category(self, type_name: str, field_name: str) -> str | None:
        key = (type_name, field_name)
        try:
            return self._categories[key]
        except KeyError:
            found = self._categories[key] = self.subgraphs.category(type_name, field_name)
            return found

    def enter(self, type_name: str, source: JsonObject, scope: object) -> object:
        """The decision that governs an object's fields: its own for a subject (ABSENT when it
        may not be seen at all, or was never decided about), else the enclosing subject's."""
        key_field = self.records.get(type_name)
        if key_field is not None:
            own = source.get(DECISION_KEY)
            if isinstance(own, SubjectDecision | RecordDecision):
                # A record decided through its subject where it was found (a root lookup):
                # absent with its subject, else judged by its own decision.
                if isinstance(own, SubjectDecision) and not own.visible:
                    return ABSENT
                if isinstance(scope, _Requires) and scope.category not in own.allowed:
                    return ABSENT
                return own
            if isinstance(scope, SubjectDecision) and scope.records:
                # Decided per record: a record the decision does not name shows nothing.
                return scope.records.get(str(source.get(key_field)), NO_RECORD)
            if type_name in self.links and not isinstance(scope, SubjectDecision):
                return NO_RECORD  # found outside its subject and never decided: shows nothing
        if isinstance(scope, _Requires):
            if type_name != self.subject:
                return scope  # through connections and pages, down to the subjects found
            decision = source.get(DECISION_KEY)
            if not isinstance(decision, SubjectDecision) or scope.category not in decision.allowed:
                return ABSENT
            scope = None
        if type_name != self.subject:
            return scope
        decision = source.get(DECISION_KEY)
        if not isinstance(decision, SubjectDecision) or not decision.visible:
            return ABSENT
        return decision

    def below(self, type_name: str, field: Field, scope: object) -> object:
        if type_name in self.static.root_types:
            read = read_by_arguments(self.static.lookups, type_name, field.name, field.arguments)
            if read:
                return _Requires(read[0])
        return scope

    def denial(self, type_name: str, field: Field, scope: object) -> Denial | Denials | None:
        static: Denial | Denials | None
        if type_name in self.static.root_types:
            category = self.category(type_name, field.name)
            static = (
                self.static.denial(type_name, field.name, category)
                or self.static.lookup(type_name, field)
                or self.static.blind_denial(type_name, field, self.subgraphs)
            )
        else:
            # Lookups and blind denials are about root fields only (None anywhere else).
            key = (type_name, field.name)
            fixed = self._fixed.get(key)
            if fixed is None:
                category = self.category(type_name, field.name)
                fixed = self._fixed[key] = (
                    category,
                    self.static.denial(type_name, field.name, category),
                )
            category, static = fixed
        if static is not None:
            return static
        if category is None:
            return None
        if isinstance(scope, SubjectDecision | RecordDecision) and category not in scope.allowed:
            return scope.denial(category)
        return None
