"""What the gateway asks of a consent policy, in the gateway's own terms: categories (the
`@policy` names on fields), subjects (entities described by their facts, as JSON), decisions and
denials. The gateway knows no rule; `auth.policy` answers these questions for Satu Anak."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from gateway.types import JsonObject

if TYPE_CHECKING:
    from auth.principal import Principal

FORBIDDEN = "FORBIDDEN"


@dataclass(frozen=True, slots=True)
class Denial:
    """Why one category is withheld: the code (DOMAIN.md's first-match rule) and the legal bases
    that could allow it — never the facts behind the decision."""

    category: str | None  # None: a write (a mutation the role may not run)
    code: str = FORBIDDEN
    allowed_by: tuple[str, ...] = ()

    def errors(self, path: list[str | int]) -> list[JsonObject]:
        return [self.error(path)]

    def error(self, path: list[str | int]) -> JsonObject:
        if self.category is None:
            return {
                "message": "Not allowed.",
                "path": path,
                "extensions": {"code": self.code},
            }
        return {
            "message": f"Not allowed: {self.category}.",
            "path": path,
            "extensions": {
                "code": self.code,
                "category": self.category,
                "allowedBy": list(self.allowed_by),
            },
        }


@dataclass(frozen=True, slots=True)
class Denials:
    """Several categories refused at one place: a root field reaching subjects, for a role that
    may see nothing of any subject (the auditor, the secretariat) — answered without a fetch,
    the same whichever subject was asked for."""

    denials: tuple[Denial, ...]

    def errors(self, path: list[str | int]) -> list[JsonObject]:
        return [d.error(path) for d in self.denials]


@dataclass(frozen=True, slots=True)
class StaticOutcome:
    """What a role may never see for a purpose, whatever the subject: decided before planning.

    `denied` fields are removed from the operation (nothing is planned for them) and answer null
    with their denial. A root field carrying a category (a lookup or list whose membership
    reveals it) is served only when the role holds that category by `mandate`.
    """

    denied: Mapping[str, Denial]
    mandate: frozenset[str]
    # The mutations the role may run (None: the policy says nothing of writes). Record-level
    # rights (the assigned caseworker, the family's facilitator) are checked by the subgraph
    # that holds the record, in the write's own transaction.
    writes: frozenset[str] | None = None

    @property
    def key(self) -> Hashable:
        """What plans depend on: requests with the same outcome share plans, others never."""
        return (frozenset(self.denied.items()), self.mandate, self.writes)


@dataclass(frozen=True, slots=True)
class RecordDecision:
    """The outcome for one record below a subject (a case of a child): which categories of it
    may be seen. A record the subject's decision does not name shows none."""

    allowed: frozenset[str]
    denials: Mapping[str, Denial] = field(default_factory=dict)
    # For the audit: the legal basis of each allowed category ("mandate", "consent:12", ...).
    bases: Mapping[str, str] = field(default_factory=dict)

    def denial(self, category: str) -> Denial:
        return self.denials.get(category) or Denial(category)


NO_RECORD = RecordDecision(frozenset())


@dataclass(frozen=True, slots=True)
class SubjectDecision:
    """The outcome for one subject (a child): whether it exists for the asker at all (in
    jurisdiction), which categories may be seen, and why each other one may not."""

    visible: bool
    allowed: frozenset[str]
    denials: Mapping[str, Denial]
    # For the audit: the legal basis of each allowed category ("mandate", or the kind and id
    # of what allowed it: "consent:12", "agreement:3", "break_glass:7") and the policies that
    # decided.
    bases: Mapping[str, str] = field(default_factory=dict)
    policies: tuple[str, ...] = ()
    # Per record (by the record type's key), for the categories decided per record: a record's
    # fields are judged by its own decision, the rest of the subject's by this one.
    records: Mapping[str, RecordDecision] = field(default_factory=dict)

    def denial(self, category: str) -> Denial:
        return self.denials.get(category) or Denial(category)


INVISIBLE = SubjectDecision(False, frozenset(), {})


class ConsentPolicy(Protocol):
    """The rules, as the gateway uses them (see `auth.policy.gateway` for Satu Anak's)."""

    def static(self, principal: Principal, purpose: str) -> StaticOutcome: ...

    def unread_facts(self, principal: Principal) -> frozenset[str]:
        """Facts fields (top-level response keys of `[consent].facts`) no rule reads for this
        principal: the gateway does not fetch a facts subgraph whose facts are all among them,
        and `decide` must decide the same without them."""
        ...

    def decide(
        self,
        principal: Principal,
        purpose: str,
        subjects: Sequence[JsonObject],
        request_facts: JsonObject,
        categories: frozenset[str],
        now: datetime,
    ) -> list[SubjectDecision]:
        """One decision per subject (its facts: every facts field's answer, merged), over the
        `categories` the step would fetch."""
        ...
