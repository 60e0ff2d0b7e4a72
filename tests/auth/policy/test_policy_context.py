"""A child's context about one of its records, derived from the child's own context (how the
engine decides a child's cases right after the child), is the context made afresh about that
record: for every role, every situation of the policy table and every record of the child."""

from __future__ import annotations

import pytest

from auth.policy.categories import Category
from auth.policy.context import ChildContext
from auth.policy.engine import PolicyEngine
from auth.purposes import Role
from tests.auth.policy.policy_support import ALL_PURPOSES, NOW, SITUATIONS, officer

DATA = PolicyEngine.load().data


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("situation", sorted(SITUATIONS))
def test_a_context_about_a_record_derived_from_the_child_s_is_the_fresh_one(
    role: Role, situation: str
) -> None:
    for principal in (officer(role), officer(role, staff_id="A-7"), officer(role, staff_id=None)):
        built = SITUATIONS[situation](principal)
        facts, agreements = built.facts, built.agreements
        for purpose in ALL_PURPOSES:
            whole = ChildContext(principal, purpose, facts, agreements, NOW, None, DATA)
            for record in facts.cases:
                fresh = ChildContext(principal, purpose, facts, agreements, NOW, record, DATA)
                derived = whole.about(record, principal, purpose, facts, agreements, NOW)
                for category in Category:
                    assert derived.for_category(category) == fresh.for_category(category), (
                        principal.staff_id,
                        purpose,
                        record,
                        category,
                    )
