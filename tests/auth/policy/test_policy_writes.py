"""DOMAIN.md "Writes", role by role: which mutations each role may run at all (90-writes.cedar),
and the categories each role holds by mandate alone (what lists and lookups need)."""

from __future__ import annotations

import pytest

from auth.policy import Category, PolicyEngine
from auth.purposes import Role

ENGINE = PolicyEngine.load()

R = Role
OFFICERS = {
    R.PKH_FACILITATOR,
    R.PKH_COORDINATOR,
    R.DISDUKCAPIL_OFFICER,
    R.DISDUKCAPIL_SUPERVISOR,
    R.DINSOS_OFFICER,
    R.SAKTI_PEKSOS,
    R.BALAI_CASEWORKER,
    R.BALAI_SUPERVISOR,
}
BALAI = {R.BALAI_CASEWORKER, R.BALAI_SUPERVISOR}
PKH = {R.PKH_FACILITATOR, R.PKH_COORDINATOR}
DINSOS = {R.DINSOS_OFFICER, R.SAKTI_PEKSOS}
DISDUKCAPIL = {R.DISDUKCAPIL_OFFICER, R.DISDUKCAPIL_SUPERVISOR}

# Mutation -> the roles DOMAIN.md lets run it (the record-level half is the subgraph's).
WRITES: dict[str, set[Role]] = {
    "registerChild": OFFICERS,
    "linkNik": DISDUKCAPIL,
    # Identity decisions (docs/identity-resolution.md): only a supervisor undoes one.
    "rejectIdentityCandidate": DISDUKCAPIL,
    "startRegistration": DISDUKCAPIL,
    "undoIdentityDecision": {R.DISDUKCAPIL_SUPERVISOR},
    "fileComplaint": DINSOS | PKH,
    "recordResponse": DINSOS,
    "referChild": DINSOS,
    "closeComplaint": DINSOS,
    "updateReferral": DINSOS | BALAI,
    "startPlacement": {R.DINSOS_OFFICER},
    "endPlacement": {R.DINSOS_OFFICER},
    "recordVerification": PKH,
    "openCase": BALAI,
    "advanceCase": BALAI,
    "addAssessment": BALAI,
    "addInterventionPlan": BALAI,
    "closeCase": BALAI,
    "startResidentialStay": BALAI,
    "endResidentialStay": BALAI,
    "recordConsent": PKH | DINSOS | BALAI,
    "revokeConsent": PKH | DINSOS | BALAI,
    "createAgreement": {R.DATA_SHARING_SECRETARIAT},
    "amendAgreement": {R.DATA_SHARING_SECRETARIAT},
    "endAgreement": {R.DATA_SHARING_SECRETARIAT},
    "requestBreakGlass": {R.DINSOS_OFFICER, R.SAKTI_PEKSOS, R.PKH_COORDINATOR} | BALAI,
    "reviewBreakGlass": {R.BALAI_SUPERVISOR},
    "setGuardianAccessView": {R.DINSOS_OFFICER, R.SAKTI_PEKSOS, R.BALAI_SUPERVISOR},
}


def test_every_mutation_the_policies_know_is_in_the_table() -> None:
    assert set(ENGINE.data.mutations) == set(WRITES)


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("mutation", sorted(WRITES))
def test_who_may_run_each_mutation(role: Role, mutation: str) -> None:
    assert (mutation in ENGINE.writes(role)) is (role in WRITES[mutation])


@pytest.mark.parametrize(
    ("role", "purpose", "expected"),
    [
        # Lists of cases need protection.summary by mandate: the Balai's own people have it.
        (R.BALAI_CASEWORKER, "case.management", {"protection.summary"}),
        (R.PKH_COORDINATOR, "child.protection", set()),
        # nonCompliantChildren needs pkh.compliance: PKH roles for their own families.
        (R.PKH_FACILITATOR, "pkh.verification", {"pkh.compliance", "identity.full"}),
        (R.DINSOS_OFFICER, "case.management", {"dinsos.complaints", "identity.full"}),
        (R.DISDUKCAPIL_OFFICER, "civil.registration", {"identity.full"}),
    ],
)
def test_mandate_holds_what_the_role_sees_without_any_lift(
    role: Role, purpose: str, expected: set[str]
) -> None:
    assert expected <= {str(c) for c in ENGINE.mandate(role, purpose)}


@pytest.mark.parametrize(
    ("role", "purpose", "never"),
    [
        # What only consent, an agreement or break-glass could allow is not held by mandate.
        (R.PKH_COORDINATOR, "child.protection", Category.PROTECTION_SUMMARY),
        (R.DINSOS_OFFICER, "case.management", Category.PROTECTION_DETAIL),
        (R.DISDUKCAPIL_OFFICER, "civil.registration", Category.WELFARE_REGISTRY),
        (R.AUDITOR, "audit", Category.IDENTITY_BASIC),
    ],
)
def test_mandate_never_holds_what_needs_a_lift(role: Role, purpose: str, never: Category) -> None:
    assert never not in ENGINE.mandate(role, purpose)
