"""Who may read and write what in PKH (DOMAIN.md "The rules in detail", "Writes"): checked here as
well as by the gateway, so a gateway bug cannot leak past this subgraph.

A request without an identity (only the tests' harness makes one) reads as before; it writes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from subgraphs.common.errors import Forbidden
from subgraphs.common.identity import Identity
from subgraphs.pkh.domain import FamilyRecord

FACILITATOR: Final = "pkh_facilitator"
COORDINATOR: Final = "pkh_coordinator"
PKH_COMPLIANCE: Final = "pkh.compliance"
PKH_MEMBERSHIP: Final = "pkh.membership"
# Who holds pkh.membership by mandate (DOMAIN.md's table): the PKH roles for their families, Dinsos
# and Sakti Peksos in region. A Balai holds it only for a child with an open case there, which a
# list of KPM is not.
_MEMBERSHIP_BY_MANDATE: Final = frozenset(
    {FACILITATOR, COORDINATOR, "dinsos_officer", "sakti_peksos"}
)


@dataclass(frozen=True)
class FamilyScope:
    """The KPM a caller's lists hold: those in `regions`, and only `facilitator_id`'s when set
    (a pendamping's pkh.* is for their own families). None on a list: unfiltered."""

    regions: tuple[str, ...]
    facilitator_id: int | None = None


def family_scope(identity: Identity | None) -> FamilyScope | None:
    if identity is None:
        return None
    if identity.role != FACILITATOR:
        return FamilyScope(identity.regions)
    own = identity.staff_id
    # A pendamping's staff id is their Facilitator.id; anything else serves no family.
    return FamilyScope(identity.regions, int(own) if own and own.isdigit() else -1)


def require_compliance_list(identity: Identity | None) -> None:
    """nonCompliantChildren: its membership reveals pkh.compliance, so only the PKH roles, who
    hold it by mandate, get the list; everyone else FORBIDDEN for the whole list."""
    if identity is None:
        return
    if identity.role not in (FACILITATOR, COORDINATOR) or PKH_COMPLIANCE not in identity.categories:
        raise Forbidden(
            "This list is served only to PKH facilitators and coordinators.",
            category=PKH_COMPLIANCE,
        )


def require_membership_list(identity: Identity | None) -> None:
    """A pendamping's list of KPM reveals pkh.membership: served only to the roles holding it by
    mandate; everyone else FORBIDDEN for the whole list."""
    if identity is None:
        return
    if identity.role not in _MEMBERSHIP_BY_MANDATE or PKH_MEMBERSHIP not in identity.categories:
        raise Forbidden(
            "This list is served only to PKH, Dinsos and Sakti Peksos officers.",
            category=PKH_MEMBERSHIP,
        )


def require_recorder(identity: Identity | None) -> Identity:
    """recordVerification is PKH's: refused to anyone else before any record is read."""
    if identity is None or identity.role not in (FACILITATOR, COORDINATOR):
        raise Forbidden("Only a PKH facilitator or coordinator records verifications.")
    if not identity.staff_id:
        raise Forbidden("Recording a verification needs the officer's staff id.")
    return identity


def may_record_for(identity: Identity, family: FamilyRecord) -> bool:
    """The family's facilitator (staff id == its facilitator id), or a coordinator whose regions
    cover the family."""
    if identity.role == FACILITATOR:
        return identity.staff_id == str(family.facilitator_id)
    return identity.role == COORDINATOR and identity.covers(family.region_code)


RECORD_REFUSED: Final = (
    "Verifications are recorded only for a child of a KPM you accompany or coordinate."
)
