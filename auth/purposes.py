"""The vocabulary of who asks and why: roles, their agencies, purposes of use, and which role may
declare which purpose (DOMAIN.md "Purposes"). Anything not listed here is denied."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from auth.errors import PurposeNotAllowed

if TYPE_CHECKING:
    from auth.principal import Principal


class Role(StrEnum):
    PKH_FACILITATOR = "pkh_facilitator"  # pendamping: own families
    PKH_COORDINATOR = "pkh_coordinator"  # Koordinator Wilayah: all PKH families in region
    DISDUKCAPIL_OFFICER = "disdukcapil_officer"
    # Reads as the officer; also undoes identity decisions (docs/identity-resolution.md).
    DISDUKCAPIL_SUPERVISOR = "disdukcapil_supervisor"
    DINSOS_OFFICER = "dinsos_officer"
    SAKTI_PEKSOS = "sakti_peksos"  # social worker of the PKSAI mechanism
    BALAI_CASEWORKER = "balai_caseworker"
    BALAI_SUPERVISOR = "balai_supervisor"
    AUDITOR = "auditor"  # Inspektorat
    DATA_SHARING_SECRETARIAT = "data_sharing_secretariat"


class Agency(StrEnum):
    """The `agency` claim: the subgraphs' agencies, plus the Inspektorat and the secretariat."""

    PKH = "pkh"
    DISDUKCAPIL = "disdukcapil"
    DINSOS = "dinsos"
    BALAI = "balai"
    INSPEKTORAT = "inspektorat"
    SECRETARIAT = "secretariat"  # the data-sharing secretariat (the `consent` subgraph)


class Purpose(StrEnum):
    """The header `x-satu-anak-purpose`."""

    PKH_VERIFICATION = "pkh.verification"
    CHILD_PROTECTION = "child.protection"
    CASE_MANAGEMENT = "case.management"
    IDENTITY_RESOLUTION = "identity.resolution"
    CIVIL_REGISTRATION = "civil.registration"
    AUDIT = "audit"
    DATA_SHARING = "data.sharing"
    # Aggregates for policy makers; DOMAIN.md names no role that holds it yet, so none may use it.
    STATISTICS = "statistics"


# The agency each role works for: a token whose acting role and `agency` claim disagree is refused.
ROLE_AGENCY: Final[Mapping[Role, Agency]] = MappingProxyType(
    {
        Role.PKH_FACILITATOR: Agency.PKH,
        Role.PKH_COORDINATOR: Agency.PKH,
        Role.DISDUKCAPIL_OFFICER: Agency.DISDUKCAPIL,
        Role.DISDUKCAPIL_SUPERVISOR: Agency.DISDUKCAPIL,
        Role.DINSOS_OFFICER: Agency.DINSOS,
        Role.SAKTI_PEKSOS: Agency.DINSOS,
        Role.BALAI_CASEWORKER: Agency.BALAI,
        Role.BALAI_SUPERVISOR: Agency.BALAI,
        Role.AUDITOR: Agency.INSPEKTORAT,
        Role.DATA_SHARING_SECRETARIAT: Agency.SECRETARIAT,
    }
)

_PKH = frozenset({Role.PKH_FACILITATOR, Role.PKH_COORDINATOR})
_DINSOS = frozenset({Role.DINSOS_OFFICER, Role.SAKTI_PEKSOS})
_BALAI = frozenset({Role.BALAI_CASEWORKER, Role.BALAI_SUPERVISOR})
_DISDUKCAPIL = frozenset({Role.DISDUKCAPIL_OFFICER, Role.DISDUKCAPIL_SUPERVISOR})

# Who may declare each purpose, as DOMAIN.md words it ("child.protection (PKH, Dinsos and Balai
# roles)"); the role -> purposes map below is derived from it, so the two cannot disagree.
PURPOSE_ROLES: Final[Mapping[Purpose, frozenset[Role]]] = MappingProxyType(
    {
        Purpose.PKH_VERIFICATION: _PKH,
        Purpose.CHILD_PROTECTION: _PKH | _DINSOS | _BALAI,
        Purpose.CASE_MANAGEMENT: _DINSOS | _BALAI,
        Purpose.IDENTITY_RESOLUTION: _DISDUKCAPIL,
        Purpose.CIVIL_REGISTRATION: _DISDUKCAPIL,
        Purpose.AUDIT: frozenset({Role.AUDITOR}),
        Purpose.DATA_SHARING: frozenset({Role.DATA_SHARING_SECRETARIAT}),
        Purpose.STATISTICS: frozenset(),
    }
)

ROLE_PURPOSES: Final[Mapping[Role, frozenset[Purpose]]] = MappingProxyType(
    {role: frozenset(p for p, roles in PURPOSE_ROLES.items() if role in roles) for role in Role}
)


def purposes_of(role: Role) -> frozenset[Purpose]:
    """The purposes `role` may declare (empty for none)."""
    return ROLE_PURPOSES.get(role, frozenset())


def check_purpose(principal: Principal, purpose: str | None) -> None:
    """Refuse the request unless `purpose` (the header's value; None when absent) is one of the
    principal's acting role's purposes. Only the acting role counts: roles never add up."""
    if not purpose:
        raise PurposeNotAllowed("missing")
    try:
        declared = Purpose(purpose)
    except ValueError:
        raise PurposeNotAllowed("unknown") from None
    if declared not in purposes_of(principal.role):
        raise PurposeNotAllowed("not_of_role")
