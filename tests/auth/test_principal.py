"""Claims to principal: the acting role (roles never add up), the agency, region prefixes, and
typed refusals for claims that are missing or malformed."""

from __future__ import annotations

from typing import Any

import pytest

from auth.errors import InvalidClaims, RoleNotAllowed
from auth.principal import ClaimNames, Principal, principal_from_claims
from auth.purposes import Agency, Role

BALAI_STAFF: dict[str, Any] = {
    "sub": "balai-rumbai-supervisor",
    "name": "Cahyo Sukardi",
    "roles": ["balai_supervisor", "balai_caseworker"],
    "agency": "balai",
    "unit": "RUMBAI",
    "regions": ["14", "13", "21", "18"],
    "staff_id": "1",
}


def _principal(requested_role: str | None = None, **changes: Any) -> Principal:
    claims = {**BALAI_STAFF, **changes}
    claims = {name: value for name, value in claims.items() if value is not None}
    return principal_from_claims(claims, requested_role=requested_role)


def test_the_first_role_acts_without_a_request() -> None:
    principal = _principal()
    assert principal.role is Role.BALAI_SUPERVISOR
    assert principal.roles == (Role.BALAI_SUPERVISOR, Role.BALAI_CASEWORKER)
    assert principal.agency is Agency.BALAI
    assert principal.unit == "RUMBAI"
    assert principal.regions == ("14", "13", "21", "18")


def test_the_requested_role_acts_when_the_token_holds_it() -> None:
    assert _principal("balai_caseworker").role is Role.BALAI_CASEWORKER
    assert _principal("").role is Role.BALAI_SUPERVISOR


def test_a_requested_role_the_token_lacks_is_refused() -> None:
    for requested in ("auditor", "BALAI_CASEWORKER", "balai_caseworker "):
        with pytest.raises(RoleNotAllowed) as caught:
            _principal(requested)
        assert caught.value.reason == "role_not_held"
        assert caught.value.status == 403


def test_roles_of_other_systems_are_ignored_and_none_left_is_forbidden() -> None:
    principal = _principal(roles=["offline_access", "balai_caseworker", "balai_caseworker"])
    assert principal.roles == (Role.BALAI_CASEWORKER,)
    with pytest.raises(RoleNotAllowed) as caught:
        _principal(roles=["offline_access", "default-roles-satu-anak"])
    assert caught.value.reason == "no_role"


def test_a_single_role_or_region_may_come_as_a_string() -> None:
    principal = _principal(roles="balai_caseworker", regions="14.71")
    assert principal.roles == (Role.BALAI_CASEWORKER,)
    assert principal.regions == ("14.71",)


def test_the_acting_role_must_belong_to_the_token_agency() -> None:
    with pytest.raises(RoleNotAllowed) as caught:
        _principal(agency="pkh")
    assert caught.value.reason == "agency_mismatch"
    # A token with roles of two agencies acts only in the one its agency names.
    mixed = {"roles": ["pkh_coordinator", "balai_supervisor"], "agency": "balai"}
    assert _principal("balai_supervisor", **mixed).role is Role.BALAI_SUPERVISOR
    with pytest.raises(RoleNotAllowed):
        _principal(**mixed)


def test_optional_claims_default() -> None:
    principal = _principal(name=None, unit=None, regions=None, staff_id=None)
    assert principal.name == "balai-rumbai-supervisor"
    assert principal.unit is None
    assert principal.regions == ()
    assert principal.staff_id is None
    assert _principal(unit="").unit is None
    assert _principal(staff_id=42).staff_id == "42"


@pytest.mark.parametrize(
    "changes",
    [
        {"sub": None},
        {"sub": ""},
        {"sub": 7},
        {"sub": "a\nb"},
        {"roles": None},
        {"roles": 1},
        {"roles": [1]},
        {"roles": [""]},
        {"roles": ["balai_caseworker"] * 101},
        {"agency": None},
        {"agency": "Balai"},
        {"agency": 3},
        {"regions": ["1"]},
        {"regions": ["14.71.1"]},
        {"regions": ["14.71.10.10040"]},
        {"regions": ["14 "]},
        {"regions": ["*"]},
        {"regions": [None]},
        {"unit": ["RUMBAI"]},
        {"name": {"first": "Cahyo"}},
        {"staff_id": True},
        {"staff_id": 1.0},
    ],
)
def test_missing_or_malformed_claims_are_invalid(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidClaims) as caught:
        _principal(**changes)
    assert caught.value.status == 401


def test_claim_names_are_configurable() -> None:
    names = ClaimNames(subject="preferred_username", roles="groups", agency="instansi")
    claims = {"preferred_username": "cahyo", "groups": ["auditor"], "instansi": "inspektorat"}
    principal = principal_from_claims(claims, names)
    assert (principal.subject, principal.role, principal.agency) == (
        "cahyo",
        Role.AUDITOR,
        Agency.INSPEKTORAT,
    )


def test_a_principal_covers_the_regions_under_its_prefixes() -> None:
    principal = _principal(regions=["14", "21.71"])
    assert principal.covers("14")
    assert principal.covers("14.71.10.1004")
    assert principal.covers("21.71.09")
    assert not principal.covers("21.02.04")
    assert not principal.covers("141.71")
    assert not principal.covers("15.71")
    assert not _principal(regions=None).covers("14")


def test_a_principal_is_immutable() -> None:
    principal = _principal()
    with pytest.raises(AttributeError):
        principal.role = Role.AUDITOR  # type: ignore[misc]


def test_a_malformed_claim_is_reported_before_any_role_decision() -> None:
    with pytest.raises(InvalidClaims):
        _principal("auditor", agency=None)
    with pytest.raises(InvalidClaims):
        _principal(roles=["offline_access"], regions=["x"])
