"""Facts the data beside the policies says only some agencies' rules read (data.toml `[facts]`)
are not fetched for anyone else: for every other role, every situation of the policy table, every
purpose, category and record, deciding without them (as "none") decides exactly the same."""

from __future__ import annotations

from dataclasses import replace

import pytest

from auth.policy.categories import Category
from auth.policy.engine import PolicyEngine
from auth.policy.gateway import SatuAnakPolicy
from auth.purposes import ROLE_AGENCY, Role
from tests.auth.policy.policy_support import ALL_PURPOSES, NOW, SITUATIONS, officer

ENGINE = PolicyEngine.load()
# Facts field -> how the facts read without it (the value "none" stands for).
WITHOUT = {"policyPkh": lambda facts: replace(facts, pkh=None)}


def test_the_unread_facts_are_declared_for_fields_the_test_knows() -> None:
    assert set(ENGINE.data.facts_read_only_by) == set(WITHOUT) == {"policyPkh"}
    assert ENGINE.data.facts_read_only_by["policyPkh"] == frozenset({"pkh"})
    assert ENGINE.unread_facts(officer(Role.BALAI_CASEWORKER)) == frozenset({"policyPkh"})
    assert ENGINE.unread_facts(officer(Role.PKH_FACILITATOR)) == frozenset()


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("situation", sorted(SITUATIONS))
def test_deciding_without_the_facts_no_rule_reads_for_the_role_decides_the_same(
    role: Role, situation: str
) -> None:
    principal = officer(role)
    unread = ENGINE.unread_facts(principal)
    if str(ROLE_AGENCY[role]) == "pkh":
        assert not unread
    built = SITUATIONS[situation](principal)
    without = built.facts
    for name in unread:
        without = WITHOUT[name](without)
    for purpose in ALL_PURPOSES:
        for record in (None, *built.facts.cases):
            full = ENGINE.decide(
                principal, purpose, built.facts, list(Category),
                agreements=built.agreements, now=NOW, record=record,
            )  # fmt: skip
            blind = ENGINE.decide(
                principal, purpose, without, list(Category),
                agreements=built.agreements, now=NOW, record=record,
            )  # fmt: skip
            assert dict(full) == dict(blind), (purpose, record)


def test_the_gateway_adapter_decides_a_subject_without_them_as_with_none() -> None:
    policy = SatuAnakPolicy(ENGINE)
    principal = officer(Role.BALAI_CASEWORKER)
    subject = {
        "id": "ANK000000001",
        "policyRegion": "14.71.10.1004",
        "policyCases": [],
        "policyDinsos": {"responderIds": [], "conflictWithLaw": False},
        "policyConsents": [],
        "policyBreakGlass": [],
    }
    categories = frozenset(str(c) for c in Category)
    (without,) = policy.decide(principal, "case.management", [subject], {}, categories, NOW)
    (with_none,) = policy.decide(
        principal, "case.management", [{**subject, "policyPkh": None}], {}, categories, NOW
    )
    assert without.visible and without == with_none
    # For a PKH officer the field is read: without it, the facts are incomplete (withheld).
    pkh = officer(Role.PKH_COORDINATOR)
    (missing,) = policy.decide(pkh, "child.protection", [subject], {}, categories, NOW)
    assert not missing.visible
