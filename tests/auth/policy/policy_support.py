"""Test helpers for auth/policy: officers, children and the situations the table rows name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from auth.policy import (
    AgreementFacts,
    BreakGlassFacts,
    CaseFacts,
    Category,
    ChildFacts,
    ConsentFacts,
    PkhFacts,
)
from auth.principal import Principal
from auth.purposes import ROLE_AGENCY, Agency, Purpose, Role

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ME = "S-1"  # the officer's staff id
SOMEONE_ELSE = "S-9"
SUBJECT = "officer-1"
HOME = "14.71.10.1004"  # Kota Pekanbaru, Riau: inside every default officer's region and Rumbai's
OWN_BALAI = "RUMBAI"
OTHER_BALAI = "ALYATAMA"
ALL_CATEGORIES = [str(c) for c in Category]
ALL_PURPOSES = [str(p) for p in Purpose]


def officer(
    role: Role,
    *,
    unit: str | None = None,
    regions: tuple[str, ...] = ("14",),
    staff_id: str | None = ME,
    roles: tuple[Role, ...] | None = None,
) -> Principal:
    agency = ROLE_AGENCY[role]
    if unit is None:
        unit = {
            Agency.BALAI: OWN_BALAI,
            Agency.DINSOS: "DINSOS-14.71",
            Agency.PKH: "PKH-14.71.10",
        }.get(agency)
    return Principal(
        subject=SUBJECT,
        name="Officer",
        roles=roles or (role,),
        role=role,
        agency=agency,
        unit=unit,
        regions=regions,
        staff_id=staff_id,
    )


def child(**changes: object) -> ChildFacts:
    base = ChildFacts(
        child_id="ANK000000042",
        region=HOME,
        pkh=None,
        cases=(),
        dinsos_responders=frozenset(),
        dinsos_conflict_with_law=False,
        consents=(),
        break_glass=(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def family(
    facilitator: str | None = ME, region: str | None = "14.71.10", active: bool = True
) -> PkhFacts:
    return PkhFacts(
        active_member=active,
        family_kk="1471100101230001",
        family_region=region,
        facilitator_id=facilitator,
    )


def case(
    balai: str = OWN_BALAI,
    *,
    caseworker: str | None = ME,
    open: bool = True,
    abh: bool = False,
    case_id: str = "C-1",
) -> CaseFacts:
    return CaseFacts(case_id, balai, caseworker, open, abh)


def consent_for(
    principal: Principal,
    categories: list[str] | None = None,
    purposes: list[str] | None = None,
    **changes: object,
) -> ConsentFacts:
    base = ConsentFacts(
        consent_id="K-1",
        recipient_agency=str(principal.agency),
        recipient_unit=None,
        categories=frozenset(categories or ALL_CATEGORIES),
        purposes=frozenset(purposes or ALL_PURPOSES),
        valid_from=NOW - DAY,
        valid_until=NOW + DAY,
        revoked_at=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def agreement_for(
    principal: Principal,
    categories: list[str] | None = None,
    purposes: list[str] | None = None,
    **changes: object,
) -> AgreementFacts:
    base = AgreementFacts(
        agreement_id="MOU-1",
        # Another Balai's records are shared only by an agreement it is a party to.
        parties=frozenset({str(principal.agency), "disdukcapil", OTHER_BALAI}),
        categories=frozenset(categories or ALL_CATEGORIES),
        purposes=frozenset(purposes or ALL_PURPOSES),
        regions=("14",),
        valid_from=NOW - DAY,
        valid_until=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def grant(
    subject: str = SUBJECT, *, start: datetime = NOW - timedelta(hours=1), hours: float = 4
) -> BreakGlassFacts:
    return BreakGlassFacts("BG-1", subject, start, start + timedelta(hours=hours))


@dataclass(frozen=True)
class Situation:
    """The facts of one child as one officer sees them, and the case decided about."""

    facts: ChildFacts
    agreements: tuple[AgreementFacts, ...] = ()
    record: CaseFacts | None = None


# Each situation is built for the principal (consents name the principal's agency).
Build = Callable[[Principal], Situation]


def _with(
    base: Build, *, consent: bool = False, agreement: bool = False, break_glass: bool = False
) -> Build:
    def build(p: Principal) -> Situation:
        s = base(p)
        facts = s.facts
        if consent:
            facts = replace(facts, consents=(consent_for(p),))
        if break_glass:
            facts = replace(facts, break_glass=(grant(),))
        agreements = (agreement_for(p),) if agreement else s.agreements
        return Situation(facts, agreements, s.record)

    return build


def _plain(p: Principal) -> Situation:
    return Situation(child())


def _own_family(p: Principal) -> Situation:
    return Situation(child(pkh=family()))


def _other_family(p: Principal) -> Situation:
    return Situation(child(pkh=family(facilitator=SOMEONE_ELSE)))


def _family_elsewhere(p: Principal) -> Situation:
    # The child lives in Pekanbaru but the KPM is registered in Kota Sawahlunto (Sumatera Barat).
    return Situation(child(pkh=family(facilitator=SOMEONE_ELSE, region="13.73.01")))


def _former_member(p: Principal) -> Situation:
    return Situation(child(pkh=family(active=False)))


def _open_own(p: Principal) -> Situation:
    c = case()
    return Situation(child(cases=(c,)), record=c)


def _open_own_unassigned(p: Principal) -> Situation:
    c = case(caseworker=SOMEONE_ELSE)
    return Situation(child(cases=(c,)), record=c)


def _closed_own(p: Principal) -> Situation:
    c = case(open=False)
    return Situation(child(cases=(c,)), record=c)


def _other_balai_record(p: Principal) -> Situation:
    # One cases list holding both Balais' cases; the record decided about is the other Balai's.
    own, other = case(), case(OTHER_BALAI, caseworker="A-7", case_id="C-2")
    return Situation(child(cases=(own, other)), record=other)


def _only_other_balai(p: Principal) -> Situation:
    other = case(OTHER_BALAI, caseworker="A-7", case_id="C-2")
    return Situation(child(cases=(other,)), record=other)


def _abh_held_here(p: Principal) -> Situation:
    c = case(abh=True)
    return Situation(child(cases=(c,), pkh=family()), record=c)


def _abh_held_elsewhere(p: Principal) -> Situation:
    # An open case here (not ABH) and an ABH case at another Balai.
    own, other = case(), case(OTHER_BALAI, caseworker="A-7", abh=True, case_id="C-2")
    return Situation(child(cases=(own, other), pkh=family()), record=other)


def _abh_at_balai(p: Principal) -> Situation:
    # ANK000000001 as PKH staff see him: a member of the officer's KPM with an ABH case at a Balai.
    abh = case(caseworker=SOMEONE_ELSE, abh=True)
    return Situation(child(cases=(abh,), pkh=family()))


def _abh_dinsos(p: Principal) -> Situation:
    # A Dinsos complaint with problem category CONFLICT_WITH_LAW; no Balai case.
    return Situation(child(pkh=family(), dinsos_conflict_with_law=True))


def _responded(p: Principal) -> Situation:
    return Situation(child(dinsos_responders=frozenset({ME})))


def _out_of_region(p: Principal) -> Situation:
    return Situation(child(region="53.71.01.1001", pkh=family()))


SITUATIONS: dict[str, Build] = {
    "plain": _plain,
    "plain+consent": _with(_plain, consent=True),
    "plain+agreement": _with(_plain, agreement=True),
    "plain+break_glass": _with(_plain, break_glass=True),
    "plain+all": _with(_plain, consent=True, agreement=True, break_glass=True),
    "plain+consent+agreement": _with(_plain, consent=True, agreement=True),
    "own_family": _own_family,
    "own_family+consent": _with(_own_family, consent=True),
    "other_family": _other_family,
    "family_elsewhere": _family_elsewhere,
    "former_member": _former_member,
    "open_own": _open_own,
    "open_own+consent": _with(_open_own, consent=True),
    "open_own+agreement": _with(_open_own, agreement=True),
    "open_own+break_glass": _with(_open_own, break_glass=True),
    "open_own_unassigned": _open_own_unassigned,
    "open_own_unassigned+all": _with(
        _open_own_unassigned, consent=True, agreement=True, break_glass=True
    ),
    "closed_own": _closed_own,
    "closed_own+all": _with(_closed_own, consent=True, agreement=True, break_glass=True),
    "other_balai_record": _other_balai_record,
    "other_balai_record+agreement": _with(_other_balai_record, agreement=True),
    "other_balai_record+consent": _with(_other_balai_record, consent=True),
    "other_balai_record+all": _with(
        _other_balai_record, consent=True, agreement=True, break_glass=True
    ),
    "only_other_balai": _only_other_balai,
    "abh_held_here": _abh_held_here,
    "abh_held_here+consent": _with(_abh_held_here, consent=True),
    "abh_held_elsewhere": _abh_held_elsewhere,
    "abh_held_elsewhere+consent": _with(_abh_held_elsewhere, consent=True, agreement=True),
    "abh_held_elsewhere+break_glass": _with(_abh_held_elsewhere, break_glass=True),
    "abh_held_elsewhere+all": _with(
        _abh_held_elsewhere, consent=True, agreement=True, break_glass=True
    ),
    "abh_at_balai": _abh_at_balai,
    "abh_at_balai+consent": _with(_abh_at_balai, consent=True, agreement=True),
    "abh_dinsos": _abh_dinsos,
    "abh_dinsos+consent": _with(_abh_dinsos, consent=True, agreement=True),
    "abh_dinsos+break_glass": _with(_abh_dinsos, break_glass=True),
    "abh_dinsos+all": _with(_abh_dinsos, consent=True, agreement=True, break_glass=True),
    "responded": _responded,
    "out_of_region": _out_of_region,
    "out_of_region+all": _with(_out_of_region, consent=True, agreement=True, break_glass=True),
}
