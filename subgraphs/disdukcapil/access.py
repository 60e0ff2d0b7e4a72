"""Who may read and write what in the child index (DOMAIN.md "The rules in detail", "Writes"):
checked here as well as by the gateway, so a gateway bug cannot leak past this subgraph.

A request without an identity (only the tests' harness makes one) reads as before; it writes
nothing.
"""

from __future__ import annotations

from typing import Final

from subgraphs.common.agency import Agency
from subgraphs.common.errors import Forbidden
from subgraphs.common.identity import Identity
from subgraphs.disdukcapil.domain import Decider

IDENTITY_FULL: Final = "identity.full"
IDENTITY_BASIC: Final = "identity.basic"
IDENTITY_REPORTS: Final = "identity.reports"

DISDUKCAPIL: Final = "disdukcapil"
IDENTITY_RESOLUTION: Final = "identity.resolution"
# Adults' records (a KK, a registry person) are identity.full of the family: Disdukcapil and
# Dinsos in region by mandate. PKH staff and a Balai reach them through the child they serve
# (`Child.family`), where the gateway decides per record with facts this subgraph does not hold.
_ADULT_RECORD_AGENCIES: Final = frozenset({"disdukcapil", "dinsos"})


def jurisdiction(identity: Identity | None) -> tuple[str, ...] | None:
    """The region prefixes a root or list is filtered to; None: unfiltered (no identity)."""
    return None if identity is None else identity.regions


def id_lookup_jurisdiction(identity: Identity | None) -> tuple[str, ...] | None:
    """The region prefixes `child(id:)` is filtered to. A Balai's jurisdiction is its provinces
    plus every child with a case there, wherever the child lives (DOMAIN.md "Jurisdiction"); this
    subgraph holds no cases, so for Balai staff the lookup by index id is left to the gateway,
    which decides with the Balai's case facts before anything of the child is fetched."""
    if identity is not None and identity.agency == "balai":
        return None
    return jurisdiction(identity)


def require_category(identity: Identity | None, category: str, what: str) -> None:
    """A lookup or filter by an attribute of `category` reads it (DOMAIN.md "Lookups and filters
    are reads"): refused unless the request's grant carries the category. Decided before any data
    is read, so the refusal says nothing about any child."""
    if identity is not None and category not in identity.categories:
        raise Forbidden(f"{what} is not allowed for this request.", category=category)


def require_adult_records(identity: Identity | None) -> None:
    require_category(identity, IDENTITY_FULL, "Looking up family and registry records")
    if identity is not None and identity.agency not in _ADULT_RECORD_AGENCIES:
        raise Forbidden(
            "Family and registry records are looked up only by Disdukcapil and Dinsos.",
            category=IDENTITY_FULL,
        )


def _resolving_identity(identity: Identity) -> bool:
    """Disdukcapil, for purpose identity.resolution, with identity.reports in the grant."""
    return (
        identity.agency == DISDUKCAPIL
        and identity.purpose == IDENTITY_RESOLUTION
        and IDENTITY_REPORTS in identity.categories
    )


def require_identity_reports(identity: Identity | None) -> None:
    """Other agencies' recorded attributes: Disdukcapil, for identity.resolution only."""
    if identity is not None and not _resolving_identity(identity):
        raise Forbidden(
            "Attributes other agencies recorded are for Disdukcapil's identity resolution.",
            category=IDENTITY_REPORTS,
        )


def reporting_agency(identity: Identity | None) -> Agency:
    """registerChild: any officer of an agency that reports children, for their own agency."""
    if identity is None:
        raise Forbidden("Registering a child needs a signed-in officer.")
    try:
        return Agency(identity.agency.upper())
    except ValueError:
        raise Forbidden("Only an officer of a reporting agency registers children.") from None


def require_linker(identity: Identity | None) -> None:
    """linkNik: Disdukcapil only."""
    if identity is None or identity.agency != DISDUKCAPIL:
        raise Forbidden("Only Disdukcapil links a child to a NIK.")


DISDUKCAPIL_SUPERVISOR: Final = "disdukcapil_supervisor"
# Reasons are read by supervisors and auditors; a bound keeps them notes, not files.
MAX_REASON_LENGTH: Final = 1000


def require_identity_resolution(identity: Identity | None) -> None:
    """The identity-resolution API (work queue, candidates, decisions): Disdukcapil, for
    identity.resolution only — its answers are derived from what other agencies recorded
    (identity.reports). A request without an identity (the tests' harness) reads as before but
    decides nothing (see `decider`)."""
    if identity is not None and not _resolving_identity(identity):
        raise Forbidden(
            "Identity resolution is Disdukcapil's, for purpose identity.resolution.",
            category=IDENTITY_REPORTS,
        )


def decider(identity: Identity | None) -> Decider:
    """Who decides: the token's user (never an argument). Deciding needs a Disdukcapil officer."""
    if identity is None or identity.agency != DISDUKCAPIL:
        raise Forbidden("Only Disdukcapil decides a child's identity.")
    return Decider(identity.subject, identity.name or identity.subject, identity.role)


def require_supervisor(identity: Identity | None) -> Decider:
    """undoIdentityDecision: a Disdukcapil supervisor only."""
    if identity is None or identity.role != DISDUKCAPIL_SUPERVISOR:
        raise Forbidden("Only a Disdukcapil supervisor undoes an identity decision.")
    return decider(identity)
