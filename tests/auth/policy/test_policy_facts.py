"""Facts from the subgraphs' answers (the contract's camelCase JSON) and the memo that makes a
page of like children cost a handful of Cedar evaluations."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from auth.policy import (
    AgreementFacts,
    BreakGlassFacts,
    CaseFacts,
    Category,
    ChildFacts,
    ConsentFacts,
    FactsError,
    PkhFacts,
    PolicyEngine,
)
from auth.purposes import Role
from tests.auth.policy.policy_support import NOW, case, child, consent_for, family, officer

ENTITY: dict[str, Any] = {
    "__typename": "Child",
    "id": "ANK000000001",
    "policyRegion": "14.71.10.1004",
    "policyPkh": {
        "activeMember": True,
        "familyKkNumber": "1471100101230001",
        "familyRegionCode": "14.71.10",
        "facilitatorId": "1",
    },
    "policyCases": [
        {
            "caseId": "7",
            "balaiCode": "RUMBAI",
            "caseworkerId": "3",
            "open": True,
            "conflictWithLaw": True,
        }
    ],
    "policyDinsos": {"responderIds": ["11", "12"], "conflictWithLaw": False},
    "policyConsents": [
        {
            "consentId": "2",
            "recipientAgency": "pkh",
            "recipientUnit": None,
            "categories": ["protection.summary"],
            "purposes": ["child.protection"],
            "validFrom": "2026-01-01T00:00:00+00:00",
            "validUntil": "2027-01-01T00:00:00Z",
            "revokedAt": None,
        }
    ],
    "policyBreakGlass": [
        {
            "grantId": "5",
            "userSubject": "pkh-coord",
            "createdAt": "2026-12-04T08:00:00",
            "expiresAt": "2026-12-04T20:00:00+07:00",
        }
    ],
}


def test_child_facts_from_graphql() -> None:
    facts = ChildFacts.from_graphql(ENTITY)
    assert facts == ChildFacts(
        child_id="ANK000000001",
        region="14.71.10.1004",
        pkh=PkhFacts(True, "1471100101230001", "14.71.10", "1"),
        cases=(CaseFacts("7", "RUMBAI", "3", True, True),),
        dinsos_responders=frozenset({"11", "12"}),
        dinsos_conflict_with_law=False,
        consents=(
            ConsentFacts(
                "2",
                "pkh",
                None,
                frozenset({"protection.summary"}),
                frozenset({"child.protection"}),
                datetime(2026, 1, 1, tzinfo=UTC),
                datetime(2027, 1, 1, tzinfo=UTC),
                None,
            ),
        ),
        # A naive timestamp is UTC; an offset one is kept as the instant it names.
        break_glass=(
            BreakGlassFacts(
                "5",
                "pkh-coord",
                datetime(2026, 12, 4, 8, tzinfo=UTC),
                datetime(2026, 12, 4, 13, tzinfo=UTC),
            ),
        ),
    )


def test_no_pkh_family_and_no_region() -> None:
    entity = {**ENTITY, "policyPkh": None, "policyRegion": None, "policyCases": []}
    facts = ChildFacts.from_graphql(entity)
    assert (facts.pkh, facts.region, facts.cases) == (None, None, ())


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("policyCases",), None),  # balai did not answer: the ABH fact could be missing
        (("policyDinsos",), None),
        (("policyConsents",), None),
        (("policyBreakGlass",), "x"),
        (("policyCases", 0, "conflictWithLaw"), None),
        (("policyCases", 0, "balaiCode"), 3),
        (("policyPkh", "activeMember"), "yes"),
        (("policyConsents", 0, "validFrom"), "yesterday"),
        (("policyConsents", 0, "categories"), "protection.summary"),
        (("policyDinsos", "responderIds"), [1]),
        (("id",), None),
    ],
)
def test_a_missing_or_malformed_fact_is_an_error(path: tuple[Any, ...], value: object) -> None:
    entity = copy.deepcopy(ENTITY)
    target: Any = entity
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(FactsError):
        ChildFacts.from_graphql(entity)


@pytest.mark.parametrize("key", ["policyRegion", "policyPkh", "policyCases", "policyDinsos"])
def test_an_absent_key_is_an_error(key: str) -> None:
    entity = {k: v for k, v in ENTITY.items() if k != key}
    with pytest.raises(FactsError):
        ChildFacts.from_graphql(entity)


def test_agreements_from_graphql() -> None:
    answer = [
        {
            "agreementId": "1",
            "parties": ["RUMBAI", "dinsos"],
            "categories": ["welfare.registry"],
            "purposes": ["case.management"],
            "regions": ["13.73"],
            "validFrom": "2026-01-01T00:00:00Z",
            "validUntil": None,
        }
    ]
    assert AgreementFacts.list_from_graphql(answer) == (
        AgreementFacts(
            "1",
            frozenset({"RUMBAI", "dinsos"}),
            frozenset({"welfare.registry"}),
            frozenset({"case.management"}),
            ("13.73",),
            datetime(2026, 1, 1, tzinfo=UTC),
            None,
        ),
    )
    with pytest.raises(FactsError):
        AgreementFacts.list_from_graphql({"agreementId": "1"})


def test_a_page_of_fifty_like_children_costs_a_handful_of_evaluations() -> None:
    engine = PolicyEngine.load()
    coordinator = officer(Role.PKH_COORDINATOR)
    page = [
        child(
            child_id=f"ANK{n:09d}",
            region=f"14.71.{10 + n % 5}.{1000 + n}",
            pkh=family(facilitator=f"F-{n % 7}", region=f"14.71.{10 + n % 5}"),
            consents=(
                consent_for(
                    coordinator, ["protection.summary"], ["child.protection"], consent_id=f"K-{n}"
                ),
            )
            if n % 2
            else (),
        )
        for n in range(50)
    ]
    for facts in page[:2]:  # one child with a consent, one without
        engine.decide(
            coordinator, "child.protection", facts, list(Category), agreements=(), now=NOW
        )
    first = engine.memo_stats()
    for facts in page:
        engine.decide(
            coordinator, "child.protection", facts, list(Category), agreements=(), now=NOW
        )
    stats = engine.memo_stats()
    # 50 children x 12 categories = 600 decisions, every one of them from the memo ...
    assert stats.decision_hits - first.decision_hits == 600
    assert stats.decision_misses == first.decision_misses <= 24
    # ... and the first two children cost only a few dozen Cedar evaluations.
    assert stats.evaluation_misses == first.evaluation_misses <= 60


def test_the_memo_is_bounded_and_keys_on_the_facts_that_matter() -> None:
    engine = PolicyEngine.load(memo_size=8)
    dinsos = officer(Role.DINSOS_OFFICER)
    detail = Category.PROTECTION_DETAIL
    for n in range(20):
        facts = child(
            child_id=f"ANK{n}",
            consents=(consent_for(dinsos, valid_until=NOW + timedelta(days=1 - 2 * (n % 2))),),
        )
        d = engine.decide(dinsos, "case.management", facts, [detail], agreements=(), now=NOW)[
            detail
        ]
        # An expired consent is never served from the memo of a valid one, nor the other way.
        assert d.allowed is (n % 2 == 0)
    assert engine.memo_stats().entries <= 16
    engine.clear_memo()
    assert engine.memo_stats().evaluation_misses == 0


def test_record_changes_the_key() -> None:
    engine = PolicyEngine.load()
    cw = officer(Role.BALAI_CASEWORKER)
    own, other = case(), case("ALYATAMA", caseworker="A-1", case_id="C-2")
    facts = child(cases=(own, other))
    summary = Category.PROTECTION_SUMMARY
    assert engine.decide(
        cw, "case.management", facts, [summary], agreements=(), now=NOW, record=own
    )[summary].allowed
    assert not engine.decide(
        cw, "case.management", facts, [summary], agreements=(), now=NOW, record=other
    )[summary].allowed
