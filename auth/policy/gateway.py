"""Satu Anak's rules as the gateway asks for them (`gateway.consent.ConsentPolicy`): the Cedar
engine's decisions turned into the gateway's terms — categories as strings, subjects as the
facts JSON the subgraphs answer, a child's cases decided one by one. Configured in
config/gateway.toml as `policy = "auth.policy.gateway:load"`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from auth.policy.categories import Category
from auth.policy.context import basis_reference
from auth.policy.engine import Decision, PolicyEngine
from auth.policy.facts import AgreementFacts, CaseFacts, ChildFacts, FactsError
from auth.principal import Principal
from gateway.consent.policy import (
    INVISIBLE,
    Denial,
    RecordDecision,
    StaticOutcome,
    SubjectDecision,
)
from gateway.types import JsonObject

# Decided per case of the child (DOMAIN.md "Per record"): own Balai's cases and another's.
PER_RECORD = (Category.PROTECTION_SUMMARY, Category.PROTECTION_DETAIL)


def load(directory: Path | None = None) -> SatuAnakPolicy:
    """The policy from auth/policy/rules (or `directory`), validated: a policy that does not
    load raises PolicyError and the gateway does not start."""
    return SatuAnakPolicy(PolicyEngine.load(directory))


class SatuAnakPolicy:
    def __init__(self, engine: PolicyEngine) -> None:
        self.engine = engine
        self._wanted: dict[frozenset[str], list[Category]] = {}

    def unread_facts(self, principal: Principal) -> frozenset[str]:
        return self.engine.unread_facts(principal)

    def static(self, principal: Principal, purpose: str) -> StaticOutcome:
        denied = self.engine.static_denials(principal.role, purpose)
        return StaticOutcome(
            {str(c): _denial(d) for c, d in denied.items()},
            frozenset(str(c) for c in self.engine.mandate(principal.role, purpose)),
            self.engine.writes(principal.role),
        )

    def decide(
        self,
        principal: Principal,
        purpose: str,
        subjects: Sequence[JsonObject],
        request_facts: JsonObject,
        categories: frozenset[str],
        now: datetime,
    ) -> list[SubjectDecision]:
        try:
            agreements = AgreementFacts.list_from_graphql(request_facts.get("policyAgreements"))
        except FactsError:
            agreements = ()  # unreadable agreements are no basis for anything
        wanted = self._wanted.get(categories)
        if wanted is None:
            wanted = [c for c in Category if str(c) in categories]
            if len(self._wanted) < 64:  # the gateway asks with one set; tests with a few
                self._wanted[categories] = wanted
        unread = self.engine.unread_facts(principal)
        if unread:
            # Facts the gateway did not fetch because no rule reads them for this principal:
            # decided as "none" (each can only permit, never forbid).
            subjects = [
                s if unread <= s.keys() else {**dict.fromkeys(unread), **s} for s in subjects
            ]
        return [self._one(principal, purpose, s, wanted, agreements, now) for s in subjects]

    def _one(
        self,
        principal: Principal,
        purpose: str,
        subject: JsonObject,
        categories: list[Category],
        agreements: Sequence[AgreementFacts],
        now: datetime,
    ) -> SubjectDecision:
        try:
            facts = ChildFacts.from_graphql(subject)
        except FactsError:
            return INVISIBLE  # incomplete facts: the child is withheld (fail closed)
        engine = self.engine
        if not engine.in_jurisdiction(principal, facts):
            return INVISIBLE
        decided = engine.decide(
            principal, purpose, facts, categories, agreements=agreements, now=now
        )
        allowed: set[str] = set()
        denials: dict[str, Denial] = {}
        bases: dict[str, str] = {}
        policies: set[str] = set()

        def reference(d: Decision, record: CaseFacts | None = None) -> str:
            basis = str(d.basis)
            if basis == "mandate":
                return basis
            return basis_reference(
                basis, str(d.category), principal, purpose, facts, agreements, now, data, record
            )

        data = engine.data
        for c, d in decided.items():
            if d.allowed:
                allowed.add(str(c))
                if d.basis:
                    bases[str(c)] = reference(d)
            else:
                denials[str(c)] = _denial(d)
            policies.update(d.policies)
        records: dict[str, RecordDecision] = {}
        per_record = [c for c in PER_RECORD if c in categories]
        for case in facts.cases if per_record else ():
            on_case = engine.decide(
                principal, purpose, facts, per_record, agreements=agreements, now=now, record=case
            )
            records[case.case_id] = RecordDecision(
                frozenset(str(c) for c, d in on_case.items() if d.allowed),
                {str(c): _denial(d) for c, d in on_case.items() if not d.allowed},
                {str(c): reference(d, case) for c, d in on_case.items() if d.allowed and d.basis},
            )
            policies.update(p for d in on_case.values() for p in d.policies)
        # A child with cases: its case list is fetched when one of its cases may be seen, and
        # each case then shows only what its own decision allows; when none may, the list is
        # denied with the cases' own reason.
        for category in per_record if records else ():
            name = str(category)
            if any(name in r.allowed for r in records.values()):
                allowed.add(name)
                denials.pop(name, None)
            else:
                allowed.discard(name)
                denials[name] = next(r.denials[name] for r in records.values() if name in r.denials)
        return SubjectDecision(
            True,
            frozenset(allowed),
            denials,
            bases,
            tuple(sorted(policies)),
            records,
        )


def _denial(decision: Decision) -> Denial:
    return Denial(str(decision.category), str(decision.code), tuple(decision.allowed_by))
