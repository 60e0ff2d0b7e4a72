"""The role -> purpose map, cell by cell as DOMAIN.md "Purposes" states it; everything else denied."""

from __future__ import annotations

import pytest

from auth.errors import PurposeNotAllowed
from auth.principal import Principal
from auth.purposes import ROLE_AGENCY, ROLE_PURPOSES, Agency, Purpose, Role, check_purpose

R, P = Role, Purpose

# DOMAIN.md: pkh.verification (PKH roles); child.protection (PKH, Dinsos and Balai roles);
# case.management (Dinsos and Balai roles); identity.resolution and civil.registration
# (Disdukcapil: officer and supervisor); audit (auditor); data.sharing (secretariat); statistics (no role yet).
ALLOWED: dict[Role, set[Purpose]] = {
    R.PKH_FACILITATOR: {P.PKH_VERIFICATION, P.CHILD_PROTECTION},
    R.PKH_COORDINATOR: {P.PKH_VERIFICATION, P.CHILD_PROTECTION},
    R.DISDUKCAPIL_OFFICER: {P.IDENTITY_RESOLUTION, P.CIVIL_REGISTRATION},
    R.DISDUKCAPIL_SUPERVISOR: {P.IDENTITY_RESOLUTION, P.CIVIL_REGISTRATION},
    R.DINSOS_OFFICER: {P.CHILD_PROTECTION, P.CASE_MANAGEMENT},
    R.SAKTI_PEKSOS: {P.CHILD_PROTECTION, P.CASE_MANAGEMENT},
    R.BALAI_CASEWORKER: {P.CHILD_PROTECTION, P.CASE_MANAGEMENT},
    R.BALAI_SUPERVISOR: {P.CHILD_PROTECTION, P.CASE_MANAGEMENT},
    R.AUDITOR: {P.AUDIT},
    R.DATA_SHARING_SECRETARIAT: {P.DATA_SHARING},
}


def _acting(role: Role, *also: Role) -> Principal:
    return Principal(
        subject="someone",
        name="Someone",
        roles=(role, *also),
        role=role,
        agency=ROLE_AGENCY[role],
        unit=None,
        regions=("14",),
        staff_id=None,
    )


def test_the_vocabulary_is_domain_md() -> None:
    assert {r.value for r in Role} == {
        *("pkh_facilitator", "pkh_coordinator", "disdukcapil_officer", "disdukcapil_supervisor"),
        "dinsos_officer",
        *("sakti_peksos", "balai_caseworker", "balai_supervisor", "auditor"),
        "data_sharing_secretariat",
    }
    assert {p.value for p in Purpose} == {
        *("pkh.verification", "child.protection", "case.management", "identity.resolution"),
        *("civil.registration", "audit", "data.sharing", "statistics"),
    }
    assert {ROLE_AGENCY[r] for r in Role} == set(Agency)
    assert {role: set(purposes) for role, purposes in ROLE_PURPOSES.items()} == ALLOWED


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("purpose", list(Purpose))
def test_every_role_and_purpose(role: Role, purpose: Purpose) -> None:
    if purpose in ALLOWED[role]:
        check_purpose(_acting(role), purpose.value)
    else:
        with pytest.raises(PurposeNotAllowed) as caught:
            check_purpose(_acting(role), purpose.value)
        assert caught.value.reason == "not_of_role"
        assert (caught.value.status, caught.value.code) == (403, "PURPOSE_NOT_ALLOWED")


def test_statistics_is_no_role_purpose_yet() -> None:
    assert all(P.STATISTICS not in purposes for purposes in ROLE_PURPOSES.values())


@pytest.mark.parametrize(
    ("purpose", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("Child.Protection", "unknown"),
        ("child.protection ", "unknown"),
        ("everything", "unknown"),
    ],
)
def test_a_missing_or_unknown_purpose_is_refused(purpose: str | None, reason: str) -> None:
    with pytest.raises(PurposeNotAllowed) as caught:
        check_purpose(_acting(Role.DINSOS_OFFICER), purpose)
    assert caught.value.reason == reason


def test_only_the_acting_role_counts() -> None:
    # A coordinator who is also a Balai supervisor, acting as coordinator, has no case.management.
    both = _acting(Role.PKH_COORDINATOR, Role.BALAI_SUPERVISOR)
    check_purpose(both, "pkh.verification")
    with pytest.raises(PurposeNotAllowed):
        check_purpose(both, "case.management")
