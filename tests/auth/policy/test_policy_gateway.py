"""The policy as the gateway asks for it: facts JSON in, decisions in the gateway's terms out —
jurisdiction, per-case records, the static outcome with its mandate and writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from auth.policy.gateway import load
from auth.principal import Principal
from auth.purposes import ROLE_AGENCY, Role

POLICY = load()
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
ALL = frozenset(
    {
        "identity.basic",
        "identity.full",
        "identity.reports",
        "welfare.registry",
        "pkh.membership",
        "pkh.compliance",
        "protection.flag",
        "protection.summary",
        "protection.detail",
        "dinsos.complaints",
        "dinsos.placements",
        "audit.log",
    }
)


def _principal(
    role: Role, unit: str | None, regions: tuple[str, ...], staff: str | None
) -> Principal:
    return Principal("u", "U", (role,), role, ROLE_AGENCY[role], unit, regions, staff)


def _child(region: str, cases: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "ANK1",
        "policyRegion": region,
        "policyPkh": None,
        "policyCases": cases,
        "policyDinsos": {"responderIds": [], "conflictWithLaw": False},
        "policyConsents": [],
        "policyBreakGlass": [],
    }


def _case(case_id: str, balai: str, caseworker: str, open_: bool = True) -> dict[str, Any]:
    return {
        "caseId": case_id,
        "balaiCode": balai,
        "caseworkerId": caseworker,
        "open": open_,
        "conflictWithLaw": False,
    }


CASEWORKER = _principal(Role.BALAI_CASEWORKER, "RUMBAI", ("14", "13", "21", "18"), "3")


def test_a_child_out_of_jurisdiction_is_invisible() -> None:
    (decision,) = POLICY.decide(CASEWORKER, "case.management", [_child("53.71", [])], {}, ALL, NOW)
    assert not decision.visible and decision.allowed == frozenset()


def test_incomplete_facts_withhold_the_child() -> None:
    facts = _child("14.71", [])
    del facts["policyDinsos"]
    (decision,) = POLICY.decide(CASEWORKER, "case.management", [facts], {}, ALL, NOW)
    assert not decision.visible


def test_a_child_s_cases_are_decided_one_by_one() -> None:
    child = _child("14.71", [_case("K1", "RUMBAI", "3"), _case("K2", "ALYATAMA", "7", open_=False)])
    (decision,) = POLICY.decide(CASEWORKER, "case.management", [child], {}, ALL, NOW)
    assert decision.visible
    own, other = decision.records["K1"], decision.records["K2"]
    assert own.allowed == {"protection.summary", "protection.detail"}  # assigned to K1
    assert other.allowed == frozenset()
    assert other.denials["protection.detail"].code == "FORBIDDEN"  # another Balai's detail: never
    assert other.denials["protection.summary"].code == "CONSENT_REQUIRED"
    # The case list is fetched because one case may be seen.
    assert {"protection.summary", "protection.detail", "identity.full"} <= decision.allowed
    assert decision.bases["identity.full"] == "mandate"


def test_another_caseworker_of_the_same_balai_gets_the_summary_not_the_detail() -> None:
    other = _principal(Role.BALAI_CASEWORKER, "RUMBAI", ("14",), "2")
    child = _child("14.71", [_case("K1", "RUMBAI", "3")])
    (decision,) = POLICY.decide(other, "case.management", [child], {}, ALL, NOW)
    assert decision.records["K1"].allowed == {"protection.summary"}
    assert decision.records["K1"].denials["protection.detail"].code == "ASSIGNMENT_REQUIRED"


def test_the_static_outcome_carries_denials_mandate_and_writes() -> None:
    outcome = POLICY.static(CASEWORKER, "case.management")
    assert outcome.denied["audit.log"].code == "FORBIDDEN"
    assert "protection.summary" in outcome.mandate
    assert outcome.writes is not None and "openCase" in outcome.writes
    assert "linkNik" not in outcome.writes
    pkh = POLICY.static(
        _principal(Role.PKH_FACILITATOR, None, ("14.71.10",), "1"), "pkh.verification"
    )
    assert pkh.denied["protection.summary"].code == "PURPOSE_NOT_ALLOWED"
    assert pkh.denied["protection.summary"].allowed_by == ("child.protection",)


def test_an_agreement_shares_the_records_of_its_parties_only() -> None:
    agreements = {
        "policyAgreements": [
            {
                "agreementId": "1",
                "parties": ["RUMBAI", "ALYATAMA"],
                "categories": ["protection.summary"],
                "purposes": ["case.management"],
                "regions": ["14"],
                "validFrom": "2026-01-01T00:00:00+00:00",
                "validUntil": "2028-01-01T00:00:00+00:00",
            }
        ]
    }
    child = _child(
        "14.08",
        [_case("K1", "ALYATAMA", "7", open_=False), _case("K2", "NAIBONAT", "9", open_=False)],
    )
    (decision,) = POLICY.decide(CASEWORKER, "case.management", [child], agreements, ALL, NOW)
    assert decision.records["K1"].allowed == {"protection.summary"}  # Alyatama: a party
    assert decision.records["K2"].allowed == frozenset()  # Naibonat: not a party
    assert decision.records["K2"].denials["protection.summary"].code == "CONSENT_REQUIRED"


def test_when_no_case_may_be_seen_the_case_list_is_refused_with_the_cases_reason() -> None:
    child = _child("14.08", [_case("K2", "NAIBONAT", "9", open_=False)])
    (decision,) = POLICY.decide(CASEWORKER, "case.management", [child], {}, ALL, NOW)
    assert "protection.summary" not in decision.allowed
    assert decision.denials["protection.summary"].code == "CONSENT_REQUIRED"
