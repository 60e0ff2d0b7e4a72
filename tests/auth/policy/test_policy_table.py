"""Every cell of DOMAIN.md's table and every rule of "The rules in detail", one row each:
role x purpose x category x situation -> allowed on which basis, or denied with which code.

Situations are named in policy_support.SITUATIONS ("open_own": an open case at the officer's own
Balai, assigned to them, and that case is the record decided about; "+consent": a guardian consent
covering every category for the officer's agency; ...). Expected: a basis ("mandate",
"agreement", "consent", "break_glass") for an allowance, a code for a denial.
"""

from __future__ import annotations

from typing import Any

import pytest

from auth.policy import Category, PolicyEngine
from auth.purposes import Role
from tests.auth.policy.policy_support import NOW, SITUATIONS, officer

BASES = {"mandate", "agreement", "consent", "break_glass"}
F, PNA, CR, AR = "FORBIDDEN", "PURPOSE_NOT_ALLOWED", "CONSENT_REQUIRED", "ASSIGNMENT_REQUIRED"
CP, CM, PV = "child.protection", "case.management", "pkh.verification"
IR, CR_ = "identity.resolution", "civil.registration"
SHARED = ("consent", "agreement", "break_glass")

FAC, COORD = Role.PKH_FACILITATOR, Role.PKH_COORDINATOR
DUK = Role.DISDUKCAPIL_OFFICER
DUK_SUP = Role.DISDUKCAPIL_SUPERVISOR  # reads exactly as the officer
DINSOS, SAKTI = Role.DINSOS_OFFICER, Role.SAKTI_PEKSOS
CW, SUP = Role.BALAI_CASEWORKER, Role.BALAI_SUPERVISOR
AUD, SEC = Role.AUDITOR, Role.DATA_SHARING_SECRETARIAT


def row(
    role: Role,
    purpose: str,
    category: str,
    situation: str,
    expected: str,
    allowed_by: tuple[str, ...] | None = None,
    policy: str | None = None,
) -> Any:
    return pytest.param(
        role,
        purpose,
        category,
        situation,
        expected,
        allowed_by,
        policy,
        id=f"{role}-{purpose}-{category}-{situation}-{expected}",
    )


PKH_ROWS = [
    # always (in jurisdiction): identity.basic, welfare.registry, protection.flag
    *(
        row(r, p, c, "plain", "mandate", policy="pkh.always")
        for r in (FAC, COORD)
        for p in (PV, CP)
        for c in ("identity.basic", "welfare.registry", "protection.flag")
    ),
    # pkh.* and identity.full of the members of those families
    *(
        row(FAC, p, c, "own_family", "mandate", policy="pkh.facilitator.own_families")
        for p in (PV, CP)
        for c in ("identity.full", "pkh.membership", "pkh.compliance")
    ),
    *(
        row(FAC, PV, c, s, F, ())
        for c in ("identity.full", "pkh.membership", "pkh.compliance")
        for s in ("plain", "other_family", "former_member")
    ),
    *(
        row(COORD, p, c, "other_family", "mandate", policy="pkh.coordinator.families_in_region")
        for p in (PV, CP)
        for c in ("identity.full", "pkh.membership", "pkh.compliance")
    ),
    *(row(COORD, PV, c, "family_elsewhere", F, ()) for c in ("identity.full", "pkh.compliance")),
    row(COORD, PV, "pkh.membership", "plain", F, ()),
    # with agreement or consent: protection.summary (break-glass: the coordinator only)
    row(FAC, CP, "protection.summary", "plain", CR, ("consent", "agreement")),
    row(COORD, CP, "protection.summary", "plain", CR, SHARED),
    row(
        FAC,
        CP,
        "protection.summary",
        "plain+consent",
        "consent",
        policy="pkh.protection_summary.shared",
    ),
    row(FAC, CP, "protection.summary", "plain+agreement", "agreement"),
    row(FAC, CP, "protection.summary", "plain+consent+agreement", "agreement"),
    row(FAC, CP, "protection.summary", "plain+break_glass", CR, ("consent", "agreement")),
    row(COORD, CP, "protection.summary", "plain+break_glass", "break_glass"),
    # ... not for pkh.verification, which does not reach it
    row(FAC, PV, "protection.summary", "plain+consent", PNA, (CP,), "purpose.pkh_verification"),
    # never: protection.detail, dinsos.*
    *(
        row(r, CP, c, "plain+all", F, (), "pkh.never")
        for r in (FAC, COORD)
        for c in ("protection.detail", "dinsos.complaints", "dinsos.placements")
    ),
    # nothing else: identity.reports is Disdukcapil's, audit.log the auditor's
    row(FAC, PV, "identity.reports", "own_family", F, (), None),
    row(COORD, CP, "audit.log", "plain+all", F, ()),
]

DISDUKCAPIL_ROWS = [
    *(
        row(DUK, p, c, "plain", "mandate", policy="disdukcapil.identity")
        for p in (IR, CR_)
        for c in ("identity.basic", "identity.full")
    ),
    # the identity attributes other agencies recorded: identity.resolution only
    row(DUK, IR, "identity.reports", "plain", "mandate", policy="disdukcapil.identity"),
    row(DUK, CR_, "identity.reports", "plain", PNA, (IR,), "purpose.civil_registration"),
    # never: welfare.registry, pkh.*, protection.*, dinsos.* — consent does not change that
    *(
        row(DUK, IR, c, "plain+all", F, (), "disdukcapil.never")
        for c in (
            "welfare.registry",
            "pkh.membership",
            "pkh.compliance",
            "protection.flag",
            "protection.summary",
            "protection.detail",
            "dinsos.complaints",
            "dinsos.placements",
        )
    ),
    row(DUK, IR, "audit.log", "plain", F, ()),
    # the supervisor reads as the officer: what sets them apart is a write (undoing a decision)
    row(DUK_SUP, IR, "identity.reports", "plain", "mandate", policy="disdukcapil.identity"),
    row(DUK_SUP, CR_, "identity.full", "plain", "mandate", policy="disdukcapil.identity"),
    row(DUK_SUP, CR_, "identity.reports", "plain", PNA, (IR,), "purpose.civil_registration"),
    row(DUK_SUP, IR, "welfare.registry", "plain+all", F, (), "disdukcapil.never"),
    row(DUK_SUP, IR, "protection.flag", "plain", F, (), "disdukcapil.never"),
]

DINSOS_ROWS = [
    # always: identity.*, welfare.registry, dinsos.*, pkh.membership, protection.flag/summary
    *(
        row(r, p, c, "plain", "mandate", policy="dinsos.always")
        for r in (DINSOS, SAKTI)
        for p in (CP, CM)
        for c in (
            "identity.basic",
            "identity.full",
            "welfare.registry",
            "dinsos.complaints",
            "dinsos.placements",
            "pkh.membership",
            "protection.flag",
            "protection.summary",
        )
    ),
    row(DINSOS, CM, "protection.summary", "other_balai_record", "mandate"),
    # identity.reports is Disdukcapil's only (default deny: no policy grants it)
    row(DINSOS, CP, "identity.reports", "plain+all", F, ()),
    # with agreement or consent: protection.detail
    *(row(r, CM, "protection.detail", "plain", CR, SHARED) for r in (DINSOS, SAKTI)),
    row(
        DINSOS,
        CM,
        "protection.detail",
        "plain+consent",
        "consent",
        policy="dinsos.protection_detail.shared",
    ),
    row(SAKTI, CP, "protection.detail", "plain+agreement", "agreement"),
    row(DINSOS, CP, "protection.detail", "plain+break_glass", "break_glass"),
    # ... a Sakti Peksos who responded to a complaint about the child has it by mandate
    row(
        SAKTI,
        CM,
        "protection.detail",
        "responded",
        "mandate",
        policy="dinsos.protection_detail.responder",
    ),
    row(DINSOS, CM, "protection.detail", "responded", CR, SHARED),
    # never: pkh.compliance
    *(
        row(r, CP, "pkh.compliance", "own_family+consent", F, (), "dinsos.never")
        for r in (DINSOS, SAKTI)
    ),
    row(SAKTI, CM, "pkh.compliance", "plain+all", F, (), "dinsos.never"),
]

BALAI_ROWS = [
    # always (in jurisdiction): identity.basic, protection.flag
    *(
        row(r, p, c, "plain", "mandate", policy="balai.always")
        for r in (CW, SUP)
        for p in (CP, CM)
        for c in ("identity.basic", "protection.flag")
    ),
    # for a child with an open case at own Balai: identity.full, pkh.*
    *(
        row(r, CM, c, "open_own", "mandate", policy="balai.open_case")
        for r in (CW, SUP)
        for c in ("identity.full", "pkh.membership", "pkh.compliance")
    ),
    *(
        row(CW, CM, c, s, F, ())
        for c in ("identity.full", "pkh.membership", "pkh.compliance")
        for s in ("plain", "closed_own", "only_other_balai")
    ),
    # ... protection.summary of own Balai's cases
    *(
        row(r, CM, "protection.summary", s, "mandate", policy="balai.protection_summary.own_case")
        for r in (CW, SUP)
        for s in ("open_own", "open_own_unassigned")
    ),
    # ... protection.detail of own Balai's cases: the assigned caseworker and the supervisor
    row(
        CW,
        CM,
        "protection.detail",
        "open_own",
        "mandate",
        policy="balai.protection_detail.assigned",
    ),
    row(CW, CM, "protection.detail", "open_own_unassigned", AR, ("assignment",)),
    row(CW, CM, "protection.detail", "open_own_unassigned+all", AR, ("assignment",)),
    row(
        SUP,
        CM,
        "protection.detail",
        "open_own_unassigned",
        "mandate",
        policy="balai.protection_detail.supervisor",
    ),
    # with agreement or consent (or break-glass): welfare.registry, dinsos.* for a child with an
    # open case at own Balai
    *(
        row(r, CM, c, "open_own", CR, SHARED)
        for r in (CW, SUP)
        for c in ("welfare.registry", "dinsos.complaints", "dinsos.placements")
    ),
    row(CW, CM, "welfare.registry", "open_own+consent", "consent", policy="balai.open_case.shared"),
    row(CW, CP, "dinsos.complaints", "open_own+agreement", "agreement"),
    row(SUP, CM, "dinsos.placements", "open_own+break_glass", "break_glass"),
    *(
        row(CW, CM, c, "plain+all", F, ())
        for c in ("welfare.registry", "dinsos.complaints", "dinsos.placements")
    ),
    # ... another Balai's protection.summary (per record, in one cases list with own cases)
    row(CW, CM, "protection.summary", "other_balai_record", CR, SHARED),
    row(
        CW,
        CM,
        "protection.summary",
        "other_balai_record+agreement",
        "agreement",
        policy="balai.protection_summary.other_balai",
    ),
    row(SUP, CP, "protection.summary", "other_balai_record+consent", "consent"),
    row(CW, CM, "protection.summary", "only_other_balai", CR, SHARED),
    # never: another Balai's protection.detail
    *(
        row(r, CM, "protection.detail", "other_balai_record+all", F, (), "balai.never")
        for r in (CW, SUP)
    ),
    # a child whose only case at own Balai is closed: not "an open case at own Balai" (default deny)
    row(CW, CM, "protection.summary", "closed_own+all", F, ()),
    row(SUP, CM, "protection.detail", "closed_own+all", F, ()),
    row(CW, CM, "identity.reports", "open_own+consent", F, ()),
    row(SUP, CM, "audit.log", "open_own", F, ()),
]

OVERSIGHT_ROWS = [
    row(AUD, "audit", "audit.log", "plain", "mandate", policy="auditor.audit_log"),
    # never: all child data, whatever consent or agreement exists
    *(
        row(AUD, "audit", str(c), "plain+all", F, ())
        for c in Category
        if c is not Category.AUDIT_LOG
    ),
    # the secretariat: agreements only, no child data and no audit log
    *(row(SEC, "data.sharing", str(c), "plain+all", F, ()) for c in Category),
]

DETAIL_ROWS = [
    # Default deny, and roles never add up: a facilitator who also holds dinsos_officer but acts
    # as facilitator gets the facilitator's answer.
    row(FAC, CP, "dinsos.complaints", "plain", F, ()),
    # Jurisdiction: outside it every category is a plain FORBIDDEN with nothing that could help.
    *(
        row(r, p, c, "out_of_region+all", F, (), "jurisdiction")
        for r, p in ((FAC, PV), (COORD, CP), (DUK, IR), (DINSOS, CM), (SAKTI, CP), (AUD, "audit"))
        for c in ("identity.basic", "identity.full", "protection.flag", "audit.log")
    ),
    # SPPA, identity: PKH roles and other Balais get identity.basic at most; consent and agreements
    # do not lift that, break-glass does (for the roles that may use it); plain FORBIDDEN.
    *(
        row(r, PV, c, "abh_dinsos+consent", F, (), "sppa.identity")
        for r in (FAC, COORD)
        for c in ("identity.full", "pkh.membership")
    ),
    *(
        row(r, PV, c, "abh_dinsos", "mandate")
        for r in (FAC, COORD)
        for c in ("identity.basic", "pkh.compliance", "welfare.registry")
    ),
    # ... the KPM's identifying data likewise for a child with an ABH case at a Balai, while his
    # conditionality (pkh.compliance: attendance and health per period) is no identifying data
    # and stays theirs by mandate, for either purpose (Child.pkhCompliance serves it).
    *(
        row(r, p, c, "abh_at_balai+consent", F, (), "sppa.identity")
        for r in (FAC, COORD)
        for p in (PV, CP)
        for c in ("identity.full", "pkh.membership")
    ),
    *(
        row(r, p, c, "abh_at_balai", "mandate")
        for r in (FAC, COORD)
        for p in (PV, CP)
        for c in ("identity.basic", "pkh.compliance")
    ),
    row(FAC, PV, "identity.full", "abh_dinsos+all", F, (), "sppa.identity"),
    row(COORD, PV, "identity.full", "abh_dinsos+break_glass", "break_glass"),
    row(COORD, PV, "pkh.membership", "abh_dinsos+break_glass", "break_glass"),
    *(
        row(r, CM, c, "abh_held_elsewhere+consent", F, (), "sppa.identity")
        for r in (CW, SUP)
        for c in ("identity.full", "pkh.membership")
    ),
    row(CW, CM, "identity.full", "abh_held_elsewhere+break_glass", "break_glass"),
    row(CW, CM, "pkh.compliance", "abh_held_elsewhere", "mandate"),
    # ... the Balai holding the case, Disdukcapil and Dinsos keep identity.full.
    *(row(r, CM, "identity.full", "abh_held_here", "mandate") for r in (CW, SUP)),
    row(DUK, CR_, "identity.full", "abh_held_elsewhere", "mandate"),
    *(
        row(r, CM, "identity.full", s, "mandate")
        for r in (DINSOS, SAKTI)
        for s in ("abh_held_elsewhere", "abh_dinsos")
    ),
    # SPPA, the ABH case itself: its summary and detail never reach anyone outside the Balai
    # holding it and Dinsos, not even with break-glass.
    row(FAC, CP, "protection.summary", "abh_dinsos+all", F, (), "sppa.case"),
    row(COORD, CP, "protection.summary", "abh_held_elsewhere+all", F, (), "sppa.case"),
    row(CW, CM, "protection.summary", "abh_held_elsewhere+all", F, (), "sppa.case"),
    row(CW, CM, "protection.summary", "abh_held_here", "mandate"),
    row(CW, CM, "protection.detail", "abh_held_here", "mandate"),
    *(row(r, CM, "protection.summary", "abh_held_elsewhere", "mandate") for r in (DINSOS, SAKTI)),
    row(DINSOS, CM, "protection.detail", "abh_held_elsewhere+consent", "agreement"),
    # ... nor does complaint text about it (other Balais with an agreement, PKH never anyway).
    row(CW, CM, "dinsos.complaints", "abh_held_elsewhere+all", F, (), "sppa.complaints"),
    row(CW, CM, "dinsos.complaints", "abh_held_here+consent", "consent"),
    row(DINSOS, CM, "dinsos.complaints", "abh_dinsos", "mandate"),
    # Purposes: one outside the role's list reaches nothing; the role's own would.
    row(DINSOS, PV, "identity.full", "plain", PNA, (CM, CP), "purpose.of_role"),
    row(DINSOS, "statistics", "protection.summary", "plain", PNA, (CM, CP)),
    row(AUD, CP, "audit.log", "plain", PNA, ("audit",)),
    row(SEC, CP, "identity.basic", "plain", F, ()),
    # Bases, strongest first: the mandate beats a consent that also covers it.
    row(DINSOS, CM, "identity.full", "plain+all", "mandate", policy="dinsos.always"),
]


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine.load()


@pytest.mark.parametrize(
    ("role", "purpose", "category", "situation", "expected", "allowed_by", "policy"),
    [*PKH_ROWS, *DISDUKCAPIL_ROWS, *DINSOS_ROWS, *BALAI_ROWS, *OVERSIGHT_ROWS, *DETAIL_ROWS],
)
def test_decision(
    engine: PolicyEngine,
    role: Role,
    purpose: str,
    category: str,
    situation: str,
    expected: str,
    allowed_by: tuple[str, ...] | None,
    policy: str | None,
) -> None:
    principal = officer(role, roles=(role, Role.DINSOS_OFFICER) if role is FAC else None)
    s = SITUATIONS[situation](principal)
    cat = Category(category)
    decision = engine.decide(
        principal, purpose, s.facts, [cat], agreements=s.agreements, now=NOW, record=s.record
    )[cat]
    assert decision.category is cat
    if expected in BASES:
        assert (decision.allowed, decision.basis, decision.code, decision.allowed_by) == (
            True,
            expected,
            None,
            (),
        )
    else:
        assert (decision.allowed, decision.basis, decision.code) == (False, None, expected)
    if allowed_by is not None:
        assert decision.allowed_by == allowed_by
    if policy is not None:
        assert policy in decision.policies
    assert set(decision.policies) <= engine.policy_ids
    # A denial never names the SPPA rule to the client.
    assert "sppa" not in f"{decision.code} {decision.allowed_by}".lower()
