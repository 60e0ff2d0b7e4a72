"""The static pass: what a role can never see for a purpose, derived from the same policies with
the most permissive facts; checked per role and purpose against DOMAIN.md's table."""

from __future__ import annotations

import pytest

from auth.policy import Category, PolicyEngine
from auth.purposes import Purpose, Role, purposes_of
from tests.auth.policy.policy_support import NOW, SITUATIONS, officer

C = Category
F, PNA = "FORBIDDEN", "PURPOSE_NOT_ALLOWED"
CHILD_DATA = frozenset(Category) - {C.AUDIT_LOG}
IDENTITY = {C.IDENTITY_BASIC, C.IDENTITY_FULL, C.IDENTITY_REPORTS}
PKH_NEVER = {
    C.IDENTITY_REPORTS: F,
    C.PROTECTION_DETAIL: F,
    C.DINSOS_COMPLAINTS: F,
    C.DINSOS_PLACEMENTS: F,
    C.AUDIT_LOG: F,
}
DINSOS_NEVER = {C.IDENTITY_REPORTS: F, C.PKH_COMPLIANCE: F, C.AUDIT_LOG: F}
BALAI_NEVER = {C.IDENTITY_REPORTS: F, C.AUDIT_LOG: F}  # other Balai's detail is per record

# (role, purpose) -> the categories denied whatever the facts, with their code.
EXPECTED: dict[tuple[Role, str], dict[Category, str]] = {
    **{
        (r, "pkh.verification"): {**PKH_NEVER, C.PROTECTION_SUMMARY: PNA}
        for r in (Role.PKH_FACILITATOR, Role.PKH_COORDINATOR)
    },
    **{(r, "child.protection"): PKH_NEVER for r in (Role.PKH_FACILITATOR, Role.PKH_COORDINATOR)},
    **{
        (r, "identity.resolution"): {c: F for c in Category if c not in IDENTITY}
        for r in (Role.DISDUKCAPIL_OFFICER, Role.DISDUKCAPIL_SUPERVISOR)
    },
    **{
        (r, "civil.registration"): {
            **{c: F for c in Category if c not in IDENTITY},
            C.IDENTITY_REPORTS: PNA,
        }
        for r in (Role.DISDUKCAPIL_OFFICER, Role.DISDUKCAPIL_SUPERVISOR)
    },
    **{
        (r, p): DINSOS_NEVER
        for r in (Role.DINSOS_OFFICER, Role.SAKTI_PEKSOS)
        for p in ("child.protection", "case.management")
    },
    **{
        (r, p): BALAI_NEVER
        for r in (Role.BALAI_CASEWORKER, Role.BALAI_SUPERVISOR)
        for p in ("child.protection", "case.management")
    },
    (Role.AUDITOR, "audit"): {c: F for c in CHILD_DATA},
    (Role.DATA_SHARING_SECRETARIAT, "data.sharing"): {c: F for c in Category},
}


def test_every_role_and_purpose_is_in_the_table() -> None:
    assert set(EXPECTED) == {(r, str(p)) for r in Role for p in purposes_of(r)}


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine.load()


@pytest.mark.parametrize(("role", "purpose"), list(EXPECTED), ids=[f"{r}-{p}" for r, p in EXPECTED])
def test_static_denials(engine: PolicyEngine, role: Role, purpose: str) -> None:
    denials = engine.static_denials(role, purpose)
    assert {c: d.code for c, d in denials.items()} == EXPECTED[(role, purpose)]
    for category, d in denials.items():
        assert (d.category, d.allowed, d.basis) == (category, False, None)
        others = tuple(str(p) for p in sorted(purposes_of(role)) if p != purpose)
        if d.code == PNA:
            assert d.allowed_by and set(d.allowed_by) <= set(others)
        else:
            assert d.allowed_by == ()


def test_static_pass_names_the_policies_that_forbid(engine: PolicyEngine) -> None:
    assert engine.static_denials(Role.PKH_FACILITATOR, "child.protection")[
        C.PROTECTION_DETAIL
    ].policies == ("pkh.never",)
    assert engine.static_denials(Role.PKH_FACILITATOR, "pkh.verification")[
        C.PROTECTION_SUMMARY
    ].policies == ("purpose.pkh_verification",)
    # default deny: no policy fired
    assert (
        engine.static_denials(Role.DINSOS_OFFICER, "case.management")[C.IDENTITY_REPORTS].policies
        == ()
    )


def test_a_purpose_outside_the_role_is_denied_everything(engine: PolicyEngine) -> None:
    denials = engine.static_denials(Role.DINSOS_OFFICER, Purpose.PKH_VERIFICATION)
    assert set(denials) == set(Category)
    assert denials[C.IDENTITY_FULL].code == PNA
    assert denials[C.IDENTITY_FULL].allowed_by == ("case.management", "child.protection")
    assert denials[C.AUDIT_LOG].code == F
    assert set(engine.static_denials(Role.DINSOS_OFFICER, "statistics")) == set(Category)


@pytest.mark.parametrize("situation", sorted(SITUATIONS))
@pytest.mark.parametrize(("role", "purpose"), list(EXPECTED), ids=[f"{r}-{p}" for r, p in EXPECTED])
def test_a_static_denial_is_never_allowed_by_any_facts(
    engine: PolicyEngine, role: Role, purpose: str, situation: str
) -> None:
    principal = officer(role)
    s = SITUATIONS[situation](principal)
    statically = engine.static_denials(role, purpose)
    decisions = engine.decide(
        principal,
        purpose,
        s.facts,
        list(Category),
        agreements=s.agreements,
        now=NOW,
        record=s.record,
    )
    for category in statically:
        assert not decisions[category].allowed
