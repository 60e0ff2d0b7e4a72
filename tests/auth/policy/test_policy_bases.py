"""What makes a consent, an agreement or a break-glass grant cover a request (DOMAIN.md
"Consents and agreements", "Break-glass"), and jurisdiction (DOMAIN.md "Jurisdiction")."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from auth.policy import AgreementFacts, Category, ChildFacts, PolicyEngine
from auth.principal import Principal
from auth.purposes import Role
from tests.auth.policy.policy_support import (
    DAY,
    NOW,
    OTHER_BALAI,
    agreement_for,
    case,
    child,
    consent_for,
    family,
    grant,
    officer,
)

SUMMARY = Category.PROTECTION_SUMMARY
FAC = officer(Role.PKH_FACILITATOR)  # unit PKH-14.71.10
COORD = officer(Role.PKH_COORDINATOR)
CW = officer(Role.BALAI_CASEWORKER)  # unit RUMBAI


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine.load()


def summary(
    engine: PolicyEngine,
    principal: Principal,
    facts: ChildFacts,
    agreements: tuple[AgreementFacts, ...] = (),
    purpose: str = "child.protection",
) -> tuple[bool, str | None]:
    d = engine.decide(principal, purpose, facts, [SUMMARY], agreements=agreements, now=NOW)[SUMMARY]
    return d.allowed, d.basis if d.allowed else d.code


CONSENTS: list[Any] = [
    pytest.param({}, (True, "consent"), id="matching"),
    pytest.param(
        {"categories": frozenset({"protection.detail"})},
        (False, "CONSENT_REQUIRED"),
        id="other-category",
    ),
    pytest.param(
        {"purposes": frozenset({"pkh.verification"})},
        (False, "CONSENT_REQUIRED"),
        id="other-purpose",
    ),
    pytest.param({"recipient_agency": "dinsos"}, (False, "CONSENT_REQUIRED"), id="other-agency"),
    pytest.param({"recipient_unit": "PKH-14.71.10"}, (True, "consent"), id="own-unit"),
    pytest.param({"recipient_unit": "PKH-14.71.20"}, (False, "CONSENT_REQUIRED"), id="other-unit"),
    pytest.param(
        {"valid_from": NOW + timedelta(seconds=1)}, (False, "CONSENT_REQUIRED"), id="not-yet-valid"
    ),
    pytest.param({"valid_until": NOW}, (False, "CONSENT_REQUIRED"), id="expired-now"),
    pytest.param({"valid_until": None}, (True, "consent"), id="open-ended"),
    pytest.param({"revoked_at": NOW - DAY / 2}, (False, "CONSENT_REQUIRED"), id="revoked"),
    pytest.param({"revoked_at": NOW + DAY}, (False, "CONSENT_REQUIRED"), id="revoked-dated-ahead"),
]


@pytest.mark.parametrize(("changes", "expected"), CONSENTS)
def test_consent_covers_only_when_category_purpose_recipient_and_time_match(
    engine: PolicyEngine, changes: dict[str, Any], expected: tuple[bool, str]
) -> None:
    consent = replace(consent_for(FAC, ["protection.summary"], ["child.protection"]), **changes)
    assert summary(engine, FAC, child(consents=(consent,))) == expected


def test_one_matching_consent_among_others_is_enough(engine: PolicyEngine) -> None:
    expired = consent_for(FAC, valid_until=NOW - DAY)
    good = consent_for(FAC, ["protection.summary"], ["child.protection"])
    assert summary(engine, FAC, child(consents=(expired, good))) == (True, "consent")


AGREEMENTS: list[Any] = [
    pytest.param({}, (True, "agreement"), id="matching-agency"),
    pytest.param(
        {"parties": frozenset({"PKH-14.71.10", "RUMBAI"})}, (True, "agreement"), id="matching-unit"
    ),
    pytest.param(
        {"parties": frozenset({"dinsos", "RUMBAI"})}, (False, "CONSENT_REQUIRED"), id="not-a-party"
    ),
    pytest.param(
        {"categories": frozenset({"protection.detail"})},
        (False, "CONSENT_REQUIRED"),
        id="other-category",
    ),
    pytest.param(
        {"purposes": frozenset({"case.management"})},
        (False, "CONSENT_REQUIRED"),
        id="other-purpose",
    ),
    pytest.param({"regions": ("14.71",)}, (True, "agreement"), id="region-kota"),
    pytest.param(
        {"regions": ("14.7",)}, (False, "CONSENT_REQUIRED"), id="region-not-a-prefix-boundary"
    ),
    pytest.param({"regions": ("13.73",)}, (False, "CONSENT_REQUIRED"), id="other-region"),
    pytest.param(
        {"valid_until": NOW - timedelta(seconds=1)}, (False, "CONSENT_REQUIRED"), id="expired"
    ),
    pytest.param({"valid_from": NOW + DAY}, (False, "CONSENT_REQUIRED"), id="not-yet-valid"),
]


@pytest.mark.parametrize(("changes", "expected"), AGREEMENTS)
def test_agreement_covers_only_a_party_category_purpose_region_and_time(
    engine: PolicyEngine, changes: dict[str, Any], expected: tuple[bool, str]
) -> None:
    agreement = replace(agreement_for(FAC, ["protection.summary"], ["child.protection"]), **changes)
    assert summary(engine, FAC, child(), (agreement,)) == expected


def test_a_balai_agreement_with_a_region_covers_children_of_that_region_only(
    engine: PolicyEngine,
) -> None:
    # Like Balai "Rumbai"'s MoU with Kota Sawahlunto: welfare.registry for a child with an open
    # case at Rumbai, living in Sawahlunto.
    mou = agreement_for(
        CW,
        ["welfare.registry"],
        ["case.management"],
        parties=frozenset({"RUMBAI", "13.73"}),
        regions=("13.73",),
    )
    registry = Category.WELFARE_REGISTRY
    sawahlunto = child(region="13.73.01.2001", cases=(case(),))
    pekanbaru = child(cases=(case(),))
    d = engine.decide(CW, "case.management", sawahlunto, [registry], agreements=(mou,), now=NOW)[
        registry
    ]
    assert (d.allowed, d.basis) == (True, "agreement")
    d = engine.decide(CW, "case.management", pekanbaru, [registry], agreements=(mou,), now=NOW)[
        registry
    ]
    assert (d.allowed, d.code) == (False, "CONSENT_REQUIRED")


GRANTS: list[Any] = [
    pytest.param(grant(), (True, "break_glass"), id="active"),
    pytest.param(grant("someone-else"), (False, "CONSENT_REQUIRED"), id="another-users-grant"),
    pytest.param(
        grant(start=NOW - timedelta(hours=5), hours=4), (False, "CONSENT_REQUIRED"), id="expired"
    ),
    pytest.param(
        grant(start=NOW + timedelta(minutes=1)), (False, "CONSENT_REQUIRED"), id="not-started"
    ),
    pytest.param(
        grant(start=NOW - timedelta(hours=1), hours=24), (True, "break_glass"), id="exactly-24h"
    ),
    pytest.param(
        grant(start=NOW - timedelta(hours=1), hours=25),
        (False, "CONSENT_REQUIRED"),
        id="longer-than-24h",
    ),
]


@pytest.mark.parametrize(("bg", "expected"), GRANTS)
def test_break_glass_is_the_users_own_running_grant_of_at_most_24_hours(
    engine: PolicyEngine, bg: Any, expected: tuple[bool, str]
) -> None:
    assert summary(engine, COORD, child(break_glass=(bg,))) == expected


def test_break_glass_only_for_the_roles_that_may_use_it(engine: PolicyEngine) -> None:
    facts = child(break_glass=(grant(),))
    assert summary(engine, FAC, facts) == (False, "CONSENT_REQUIRED")
    d = engine.decide(FAC, "child.protection", facts, [SUMMARY], agreements=(), now=NOW)[SUMMARY]
    assert "break_glass" not in d.allowed_by


def test_break_glass_never_lifts_a_never_cell_nor_jurisdiction(engine: PolicyEngine) -> None:
    detail = Category.PROTECTION_DETAIL
    d = engine.decide(
        COORD, "child.protection", child(break_glass=(grant(),)), [detail], agreements=(), now=NOW
    )[detail]
    assert (d.allowed, d.code, d.allowed_by) == (False, "FORBIDDEN", ())
    far = child(region="53.71.01.1001", break_glass=(grant(),))
    d = engine.decide(COORD, "child.protection", far, [SUMMARY], agreements=(), now=NOW)[SUMMARY]
    assert (d.allowed, d.code, d.allowed_by, d.policies) == (
        False,
        "FORBIDDEN",
        (),
        ("jurisdiction",),
    )


def test_decide_wants_an_aware_time(engine: PolicyEngine) -> None:
    with pytest.raises(ValueError):
        engine.decide(
            FAC, "child.protection", child(), [SUMMARY], agreements=(), now=NOW.replace(tzinfo=None)
        )


JURISDICTION: list[Any] = [
    # (principal, facts, in jurisdiction?)
    pytest.param(
        officer(Role.PKH_FACILITATOR, regions=("14.71.10",)), child(), True, id="kecamatan-prefix"
    ),
    pytest.param(
        officer(Role.PKH_FACILITATOR, regions=("14.71.1",)), child(), False, id="not-at-a-boundary"
    ),
    pytest.param(
        officer(Role.DINSOS_OFFICER, regions=("14.08",)), child(), False, id="other-kabupaten"
    ),
    pytest.param(officer(Role.DINSOS_OFFICER, regions=()), child(), False, id="no-regions"),
    pytest.param(officer(Role.DINSOS_OFFICER), child(region=None), False, id="unknown-home-region"),
    pytest.param(
        officer(Role.DISDUKCAPIL_OFFICER, regions=("13", "14")), child(), True, id="second-prefix"
    ),
    # A Balai: the provinces it serves (Rumbai: 14, 13, 21, 18) plus every child with a case there.
    *(
        pytest.param(CW, child(region=r), True, id=f"rumbai-province-{r[:2]}")
        for r in ("14.08.01.2002", "13.73.01.2001", "21.71.01.1001", "18.02.01.2001")
    ),
    pytest.param(CW, child(region="15.71.01.1001"), False, id="rumbai-not-jambi"),
    pytest.param(
        CW,
        child(region="15.71.01.1001", cases=(case(open=False),)),
        True,
        id="rumbai-closed-case-in-jambi",
    ),
    pytest.param(
        CW,
        child(region="15.71.01.1001", cases=(case(OTHER_BALAI),)),
        False,
        id="rumbai-other-balais-case",
    ),
    pytest.param(
        officer(Role.BALAI_SUPERVISOR, unit="ALYATAMA"),
        child(region="15.71.01.1001"),
        True,
        id="alyatama-jambi",
    ),
    pytest.param(
        officer(Role.BALAI_CASEWORKER, unit="NAIBONAT"),
        child(region="53.71.01.1001"),
        True,
        id="naibonat-ntt",
    ),
    pytest.param(
        officer(Role.BALAI_CASEWORKER, unit="NAIBONAT"), child(), False, id="naibonat-not-riau"
    ),
    # A Balai officer's token regions do not widen it; an unknown Balai has only its cases.
    pytest.param(
        officer(Role.BALAI_CASEWORKER, regions=("15",)),
        child(region="15.71.01.1001"),
        False,
        id="balai-ignores-token-regions",
    ),
    pytest.param(
        officer(Role.BALAI_CASEWORKER, unit="UNKNOWN"), child(), False, id="unknown-balai"
    ),
    pytest.param(
        officer(Role.BALAI_CASEWORKER, unit="UNKNOWN"),
        child(cases=(case("UNKNOWN"),)),
        True,
        id="unknown-balai-own-case",
    ),
]


@pytest.mark.parametrize(("principal", "facts", "expected"), JURISDICTION)
def test_in_jurisdiction(
    engine: PolicyEngine, principal: Principal, facts: ChildFacts, expected: bool
) -> None:
    assert engine.in_jurisdiction(principal, facts) is expected
    basic = Category.IDENTITY_BASIC
    purpose = (
        "civil.registration" if principal.role is Role.DISDUKCAPIL_OFFICER else "child.protection"
    )
    d = engine.decide(principal, purpose, facts, [basic], agreements=(), now=NOW)[basic]
    assert d.allowed is expected
    if not expected:
        assert (d.code, d.allowed_by, d.policies) == ("FORBIDDEN", (), ("jurisdiction",))


def test_out_of_jurisdiction_every_category_is_a_plain_forbidden(engine: PolicyEngine) -> None:
    far = child(region="53.71.01.1001", consents=(consent_for(COORD),), break_glass=(grant(),))
    decisions = engine.decide(
        COORD,
        "child.protection",
        far,
        list(Category),
        agreements=(agreement_for(COORD, regions=("53",)),),
        now=NOW,
    )
    assert {(d.allowed, d.code, d.allowed_by) for d in decisions.values()} == {
        (False, "FORBIDDEN", ())
    }


def test_an_officer_without_a_staff_id_is_nobodys_facilitator_caseworker_or_responder(
    engine: PolicyEngine,
) -> None:
    nameless = {
        r: officer(r, staff_id=None)
        for r in (Role.PKH_FACILITATOR, Role.BALAI_CASEWORKER, Role.SAKTI_PEKSOS)
    }
    full, detail = Category.IDENTITY_FULL, Category.PROTECTION_DETAIL
    own = child(
        pkh=family(facilitator=None),
        cases=(case(caseworker=None),),
        dinsos_responders=frozenset({"S-1"}),
    )
    d = engine.decide(
        nameless[Role.PKH_FACILITATOR], "pkh.verification", own, [full], agreements=(), now=NOW
    )[full]
    assert (d.allowed, d.code) == (False, "FORBIDDEN")
    d = engine.decide(
        nameless[Role.BALAI_CASEWORKER],
        "case.management",
        own,
        [detail],
        agreements=(),
        now=NOW,
        record=own.cases[0],
    )[detail]
    assert (d.allowed, d.code) == (False, "ASSIGNMENT_REQUIRED")
    d = engine.decide(
        nameless[Role.SAKTI_PEKSOS], "case.management", own, [detail], agreements=(), now=NOW
    )[detail]
    assert (d.allowed, d.code) == (False, "CONSENT_REQUIRED")


def test_a_balai_officer_without_a_unit_has_no_jurisdiction(engine: PolicyEngine) -> None:
    unitless = replace(officer(Role.BALAI_SUPERVISOR), unit=None)
    assert not engine.in_jurisdiction(unitless, child(cases=(case(),)))
