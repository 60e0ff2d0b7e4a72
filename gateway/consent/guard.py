"""The consent rules as shaping applies them: a subject out of jurisdiction is absent (null, or
left out of a list, with no error — exactly like one that does not exist); a field denied, by
the static pass or by its subject's decision, is null with its denial error; a write refused for
the subject it names is null with NOT_FOUND."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.consent.decide import DECISION_KEY, REFUSED_KEY
from gateway.consent.policy import NO_RECORD, Denial, Denials, RecordDecision, SubjectDecision
from gateway.consent.static import StaticDenials, read_by_arguments
from gateway.errors import NOT_FOUND
from gateway.operation import Field
from gateway.planner.subgraph_map import SubgraphMap
from gateway.types import JsonObject, ResponsePath

ABSENT = object()  # what `enter` returns for a subject the asker may not know exists


@dataclass(frozen=True, slots=True)
class _Requires:
    """Below a lookup or filter by a categorized attribute: a subject found by it exists for
    the asker only if the asker may read that category of it."""

    category: str


@dataclass(frozen=True, slots=True)
class NotFound:
    """A write refused because a subject it names may not be seen: the same answer whether the
    subject is out of jurisdiction or does not exist — nothing in it comes from the subject."""

    message: str

    def errors(self, path: ResponsePath) -> list[JsonObject]:
        return [{"message": self.message, "path": path, "extensions": {"code": NOT_FOUND}}]


@dataclass(frozen=True, slots=True)
class _Refused:
    """The mutation root's scope when some of its fields were refused for their subjects."""

    response_keys: frozenset[str]


@dataclass
class ConsentGuard:
    subject: str
    static: StaticDenials
    subgraphs: SubgraphMap
    records: Mapping[str, str] = field(default_factory=dict)  # record type -> key field
    links: Mapping[str, str] = field(default_factory=dict)  # record type -> its subject field
    absent: object = ABSENT
    # What a write refused for its subject answers (NOT_FOUND; the message names the subject
    # type, nothing of the subject).
    not_found: NotFound = NotFound("No such subject.")
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
        if type_name == self.static.mutation_type and REFUSED_KEY in source:
            return _Refused(frozenset(source[REFUSED_KEY]))
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
        if isinstance(scope, _Refused):
            scope = None  # the mutation root's own: nothing below it
        if type_name in self.static.root_types:
            read = read_by_arguments(self.static.lookups, type_name, field.name, field.arguments)
            if read:
                return _Requires(read[0])
        return scope

    def denial(
        self, type_name: str, field: Field, scope: object
    ) -> Denial | Denials | NotFound | None:
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
        if isinstance(scope, _Refused) and field.response_key in scope.response_keys:
            return self.not_found
        if category is None:
            return None
        if isinstance(scope, SubjectDecision | RecordDecision) and category not in scope.allowed:
            return scope.denial(category)
        return None
