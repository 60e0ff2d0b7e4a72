"""From facts to the yes/no questions the policies ask (the Cedar context of one decision).

Cedar has no "is this region under one of these prefixes" test and no notion of validity
windows, so those are answered here; who may see what on which basis stays in the .cedar files.
The result is small and hashable: it is the memo key of a decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from auth.policy.categories import Category
from auth.policy.facts import (
    AgreementFacts,
    BreakGlassFacts,
    CaseFacts,
    ChildFacts,
    ConsentFacts,
)
from auth.principal import Principal, region_within
from auth.purposes import Agency, purposes_of


class PolicyContext(NamedTuple):
    """The Cedar context of one decision, less the purpose (schema.cedarschema documents each)."""

    purpose_of_role: bool
    in_jurisdiction: bool
    own_family: bool
    family_in_region: bool
    open_case_at_own_balai: bool
    record_at_own_balai: bool
    assigned_to_record: bool
    responded_to_complaint: bool
    abh: bool
    abh_case_at_own_balai: bool
    record_abh: bool
    consent: bool
    agreement: bool
    break_glass: bool


# What could lift a denial (DOMAIN.md `allowedBy`), as the context field each one sets.
LIFTS: tuple[tuple[str, str], ...] = (
    ("consent", "consent"),
    ("agreement", "agreement"),
    ("break_glass", "break_glass"),
    ("assignment", "assigned_to_record"),
)

# The most permissive facts: in jurisdiction, own family, open case at own Balai (the record
# too), assigned, responded, consent, agreement, break-glass, no ABH. What is denied even so is
# denied whatever the facts (the static pass).
PERMISSIVE = PolicyContext(
    purpose_of_role=True,
    in_jurisdiction=True,
    own_family=True,
    family_in_region=True,
    open_case_at_own_balai=True,
    record_at_own_balai=True,
    assigned_to_record=True,
    responded_to_complaint=True,
    abh=False,
    abh_case_at_own_balai=False,
    record_abh=False,
    consent=True,
    agreement=True,
    break_glass=True,
)

# Permissive facts without any lift (no consent, agreement or break-glass): what a role sees
# of every child it serves by mandate alone — the categories a list whose membership reveals one
# needs (DOMAIN.md "Lookups and filters are reads").
MANDATE = PERMISSIVE._replace(consent=False, agreement=False, break_glass=False)


@dataclass(frozen=True, slots=True)
class PolicyData:
    """The data beside the policies (rules/data.toml)."""

    balai_provinces: Mapping[str, tuple[str, ...]]
    groups: Mapping[str, frozenset[str]]
    break_glass_max: timedelta
    mutations: tuple[str, ...] = ()  # every mutation the write policies may name
    # Facts fields only some agencies' rules read: field -> those agencies.
    facts_read_only_by: Mapping[str, frozenset[str]] = field(default_factory=dict)


def in_jurisdiction(principal: Principal, facts: ChildFacts, data: PolicyData) -> bool:
    """DOMAIN.md "Jurisdiction": a Balai's provinces plus every child with a case there, open or
    closed; for everyone else, the region prefixes in the token."""
    if principal.agency is Agency.BALAI:
        if principal.unit is None:
            return False
        if any(case.balai == principal.unit for case in facts.cases):
            return True
        return region_within(facts.region, data.balai_provinces.get(principal.unit, ()))
    return principal.covers(facts.region) if facts.region is not None else False


def covered_categories(
    principal: Principal,
    purpose: str,
    facts: ChildFacts,
    agreements: Iterable[AgreementFacts],
    now: datetime,
    record: CaseFacts | None = None,
) -> tuple[frozenset[str], frozenset[str]]:
    """The categories a guardian consent covers for this principal, purpose and moment, and those
    an agreement covers for this child's region (DOMAIN.md "Consents and agreements"). An
    agreement releases another Balai's case (`record`) only when that Balai is a party to it:
    an agreement between Rumbai and Alyatama shares their records, not Naibonat's."""
    return (
        _by_consent(principal, purpose, facts, now),
        _by_agreement(principal, purpose, facts, agreements, now, record),
    )


def _consents(
    principal: Principal, purpose: str, facts: ChildFacts, now: datetime
) -> Iterator[ConsentFacts]:
    """The child's consents that cover this principal, purpose and moment (of any category)."""
    for consent in facts.consents:
        if (
            consent.revoked_at is None  # any revocation counts, even one dated ahead
            and consent.recipient_agency == principal.agency
            and (consent.recipient_unit is None or consent.recipient_unit == principal.unit)
            and purpose in consent.purposes
            and _valid(consent.valid_from, consent.valid_until, now)
        ):
            yield consent


def _agreements(
    principal: Principal,
    purpose: str,
    facts: ChildFacts,
    agreements: Iterable[AgreementFacts],
    now: datetime,
    record: CaseFacts | None,
) -> Iterator[AgreementFacts]:
    """The agreements that cover this principal, purpose, child's region and moment (and, about
    another Balai's case, name that Balai)."""
    parties = {str(principal.agency)} | ({principal.unit} if principal.unit else set())
    for agreement in agreements:
        if (
            not agreement.parties.isdisjoint(parties)
            and (record is None or record.balai in parties or record.balai in agreement.parties)
            and purpose in agreement.purposes
            and region_within(facts.region, agreement.regions)
            and _valid(agreement.valid_from, agreement.valid_until, now)
        ):
            yield agreement


def _by_consent(
    principal: Principal, purpose: str, facts: ChildFacts, now: datetime
) -> frozenset[str]:
    by_consent: set[str] = set()
    for consent in _consents(principal, purpose, facts, now):
        by_consent |= consent.categories
    return frozenset(by_consent)


def _by_agreement(
    principal: Principal,
    purpose: str,
    facts: ChildFacts,
    agreements: Iterable[AgreementFacts],
    now: datetime,
    record: CaseFacts | None,
) -> frozenset[str]:
    by_agreement: set[str] = set()
    for agreement in _agreements(principal, purpose, facts, agreements, now, record):
        by_agreement |= agreement.categories
    return frozenset(by_agreement)


def _break_glass_grants(
    principal: Principal, facts: ChildFacts, now: datetime, data: PolicyData
) -> Iterator[BreakGlassFacts]:
    for grant in facts.break_glass:
        if (
            grant.user_subject == principal.subject
            and grant.created_at <= now < grant.expires_at
            and grant.expires_at - grant.created_at <= data.break_glass_max
        ):
            yield grant


def break_glass_active(
    principal: Principal, facts: ChildFacts, now: datetime, data: PolicyData
) -> bool:
    """The user's own grant for this child, started and not expired, at most the allowed length.
    Which roles may use it is the policies' business (Group::"break_glass")."""
    return any(_break_glass_grants(principal, facts, now, data))


def basis_reference(
    basis: str,
    category: str,
    principal: Principal,
    purpose: str,
    facts: ChildFacts,
    agreements: Iterable[AgreementFacts],
    now: datetime,
    data: PolicyData,
    record: CaseFacts | None = None,
) -> str:
    """The basis as the audit records it: "mandate", or its kind and the ids of the consents,
    agreements or break-glass grants that cover the category ("consent:12", "agreement:3,5")."""
    if basis == "consent":
        ids = [
            c.consent_id
            for c in _consents(principal, purpose, facts, now)
            if category in c.categories
        ]
    elif basis == "agreement":
        ids = [
            a.agreement_id
            for a in _agreements(principal, purpose, facts, agreements, now, record)
            if category in a.categories
        ]
    elif basis == "break_glass":
        ids = [g.grant_id for g in _break_glass_grants(principal, facts, now, data)]
    else:
        return basis
    return f"{basis}:{','.join(sorted(ids))}" if ids else basis


class ChildContext:
    """The category-independent part of one child's context, computed once per decide()."""

    __slots__ = ("_base", "_by_agreement", "_by_consent", "_variants")

    _base: PolicyContext
    _by_consent: frozenset[str]
    _by_agreement: frozenset[str]
    _variants: dict[tuple[bool, bool], PolicyContext]

    def __init__(
        self,
        principal: Principal,
        purpose: str,
        facts: ChildFacts,
        agreements: Iterable[AgreementFacts],
        now: datetime,
        record: CaseFacts | None,
        data: PolicyData,
    ) -> None:
        unit = principal.unit
        own_balai = principal.agency is Agency.BALAI and unit is not None
        own_cases = [c for c in facts.cases if own_balai and c.balai == unit]
        pkh = facts.pkh if facts.pkh is not None and facts.pkh.active_member else None
        staff = principal.staff_id
        abh = facts.dinsos_conflict_with_law or any(c.conflict_with_law for c in facts.cases)
        self._base = PolicyContext(
            purpose_of_role=_purpose_of_role(principal, purpose),
            in_jurisdiction=in_jurisdiction(principal, facts, data),
            own_family=pkh is not None and staff is not None and pkh.facilitator_id == staff,
            family_in_region=pkh is not None
            and principal.covers(pkh.family_region or facts.region or ""),
            open_case_at_own_balai=any(c.open for c in own_cases),
            **_about_record(principal, record, abh),
            responded_to_complaint=staff is not None and staff in facts.dinsos_responders,
            abh=abh,
            abh_case_at_own_balai=any(c.conflict_with_law for c in own_cases),
            consent=False,
            agreement=False,
            break_glass=break_glass_active(principal, facts, now, data),
        )
        self._by_consent, self._by_agreement = covered_categories(
            principal, purpose, facts, agreements, now, record
        )
        # The context differs between categories only by (consent, agreement): at most four.
        self._variants = {}

    def about(
        self,
        record: CaseFacts,
        principal: Principal,
        purpose: str,
        facts: ChildFacts,
        agreements: Iterable[AgreementFacts],
        now: datetime,
    ) -> ChildContext:
        """This context (made without a record, for the same principal, purpose, facts,
        agreements and moment) about one of the child's records: what depends on the record is
        computed as `ChildContext(..., record, ...)` computes it, the rest is this one's."""
        found = ChildContext.__new__(ChildContext)
        found._base = self._base._replace(**_about_record(principal, record, self._base.abh))
        found._by_consent = self._by_consent
        found._by_agreement = _by_agreement(principal, purpose, facts, agreements, now, record)
        found._variants = {}
        return found

    def for_category(self, category: Category) -> PolicyContext:
        lifts = (category in self._by_consent, category in self._by_agreement)
        found = self._variants.get(lifts)
        if found is None:
            found = self._variants[lifts] = self._base._replace(
                consent=lifts[0], agreement=lifts[1]
            )
        return found


def _about_record(principal: Principal, record: CaseFacts | None, abh: bool) -> dict[str, bool]:
    """The part of a context that depends on the record asked about (none: the child's
    protection data as a whole)."""
    unit = principal.unit
    own = (
        record is not None
        and principal.agency is Agency.BALAI
        and unit is not None
        and record.balai == unit
    )
    return {
        "record_at_own_balai": own,
        "assigned_to_record": own
        and record is not None
        and principal.staff_id is not None
        and record.caseworker_id == principal.staff_id,
        "record_abh": record.conflict_with_law if record is not None else abh,
    }


def _purpose_of_role(principal: Principal, purpose: str) -> bool:
    return any(p == purpose for p in purposes_of(principal.role))


def _valid(valid_from: datetime, valid_until: datetime | None, now: datetime) -> bool:
    return valid_from <= now and (valid_until is None or now < valid_until)
