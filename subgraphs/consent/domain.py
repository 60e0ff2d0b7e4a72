"""The consent registry's domain: guardian consents, data-sharing agreements and break-glass grants,
with the rules of who may write them and what a valid one looks like — plain objects.

Nothing here decides whether a request may see a child's data: the gateway's policy does, from the
facts this subgraph answers. What lives here is the registry's own integrity (a validity that
ends after it starts, a vocabulary, a break-glass of at most 24 h) and DOMAIN.md's write rights.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from auth.purposes import Purpose, Role
from subgraphs.common.federation import CATEGORIES
from subgraphs.common.identity import Identity

# Categories a consent or an agreement may name: every child-data category. `audit.log` is not
# child data a guardian or an agency could share, so naming it is refused (DOMAIN.md is silent).
SHAREABLE_CATEGORIES: Final = frozenset(CATEGORIES - {"audit.log"})

# Purposes under which child data is disclosed; `audit`, `data.sharing` and `statistics` never
# disclose a child's data, so a consent or agreement naming them is refused (DOMAIN.md is silent).
SHAREABLE_PURPOSES: Final = frozenset(
    {
        Purpose.PKH_VERIFICATION.value,
        Purpose.CHILD_PROTECTION.value,
        Purpose.CASE_MANAGEMENT.value,
        Purpose.IDENTITY_RESOLUTION.value,
        Purpose.CIVIL_REGISTRATION.value,
    }
)

# The agencies that hold child data: a consent's recipient, an agreement's agency party, and the
# agencies whose officers collect consents (DOMAIN.md: "roles of pkh, dinsos, balai").
DATA_AGENCIES: Final = frozenset({"pkh", "disdukcapil", "dinsos", "balai"})
COLLECTING_AGENCIES: Final = frozenset({"pkh", "dinsos", "balai"})

# DOMAIN.md "Break-glass": who may ask for it, and for how long at most.
BREAK_GLASS_ROLES: Final = frozenset(
    {
        Role.DINSOS_OFFICER.value,
        Role.SAKTI_PEKSOS.value,
        Role.BALAI_CASEWORKER.value,
        Role.BALAI_SUPERVISOR.value,
        Role.PKH_COORDINATOR.value,
    }
)
BREAK_GLASS_MAX: Final = timedelta(hours=24)
# The roles whose break-glass a supervisor role exists to review: only Balai has one today.
REVIEWABLE_ROLES: Final = frozenset({Role.BALAI_CASEWORKER.value, Role.BALAI_SUPERVISOR.value})

# A unit code as the tokens carry it: "RUMBAI", "DINSOS-14.71", "PKH-14.71.10".
_UNIT = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+(?:\.[0-9]+)*)?")
_CHILD_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")


class Relationship(enum.StrEnum):
    """Who gave the consent, in relation to the child."""

    MOTHER = "MOTHER"
    FATHER = "FATHER"
    GUARDIAN = "GUARDIAN"  # wali: a court- or family-appointed guardian
    GRANDPARENT = "GRANDPARENT"
    OTHER_RELATIVE = "OTHER_RELATIVE"
    INSTITUTION_HEAD = "INSTITUTION_HEAD"  # the head of the LKSA the child lives in


class ReviewState(enum.StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class Decision(enum.StrEnum):
    """What a supervisor may decide about a break-glass grant."""

    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class ConsentRecord:
    id: int
    child_id: str
    grantor_name: str
    grantor_relationship: Relationship
    recipient_agency: str
    recipient_unit: str | None
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    evidence_reference: str | None
    collected_by: str
    collecting_agency: str
    collecting_unit: str | None
    created_at: datetime

    def in_force(self, now: datetime) -> bool:
        return self.revoked_at is None and within(now, self.valid_from, self.valid_until)


@dataclass(frozen=True)
class AgreementRecord:
    id: int
    reference_number: str
    title: str
    parties: tuple[str, ...]
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    regions: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime | None
    created_by: str
    created_at: datetime
    ended_by: str | None
    ended_at: datetime | None

    def in_force(self, now: datetime) -> bool:
        return within(now, self.valid_from, self.valid_until)


@dataclass(frozen=True)
class BreakGlassRecord:
    id: int
    user_subject: str
    role: str
    unit: str | None
    child_id: str
    justification: str
    created_at: datetime
    expires_at: datetime
    review_state: ReviewState
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None

    def in_force(self, now: datetime) -> bool:
        return self.review_state is not ReviewState.REJECTED and self.created_at <= now < (
            self.expires_at
        )


def within(now: datetime, valid_from: datetime, valid_until: datetime | None) -> bool:
    """Inside [valid_from, valid_until): a validity ending at T no longer covers T."""
    return valid_from <= now and (valid_until is None or now < valid_until)


# --- list columns -------------------------------------------------------------------------------


def words(text: str) -> tuple[str, ...]:
    """A list column's value (sorted words separated by one space) as a tuple."""
    return tuple(text.split())


def unwords(values: Iterable[str]) -> str:
    return " ".join(sorted(set(values)))


# --- validation -----------------------------------------------------------------------------------


class Rejected(Exception):
    """Input the registry does not accept; `field` names the argument at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(Exception):
    """The actor may not make this write (DOMAIN.md "Writes"); the message never says why."""


def child_id(value: str, field: str = "childId") -> str:
    child = value.strip()
    if not _CHILD_ID.fullmatch(child):
        raise Rejected(f"{field} is not a national child index ID", field)
    return child


def vocabulary(
    values: Iterable[str], allowed: frozenset[str], field: str, noun: str
) -> tuple[str, ...]:
    """Non-empty, each value known: the stored, sorted, de-duplicated tuple."""
    cleaned = [v.strip() for v in values]
    if not cleaned:
        raise Rejected(f"{field} must name at least one {noun}", field)
    unknown = sorted({v for v in cleaned if v not in allowed})
    if unknown:
        raise Rejected(f"{field} holds unknown {noun}s: {', '.join(unknown)}", field)
    return tuple(sorted(set(cleaned)))


def categories(values: Iterable[str], field: str = "categories") -> tuple[str, ...]:
    return vocabulary(values, SHAREABLE_CATEGORIES, field, "data category")


def purposes(values: Iterable[str], field: str = "purposes") -> tuple[str, ...]:
    return vocabulary(values, SHAREABLE_PURPOSES, field, "purpose")


def unit(value: str, field: str) -> str:
    code = value.strip()
    if len(code) > 40 or not _UNIT.fullmatch(code):
        raise Rejected(f"{field} is not a unit code like RUMBAI or DINSOS-14.71", field)
    return code


def unit_of(agency: str, value: str, field: str = "recipientUnit") -> str:
    """A unit of `agency`: a Balai's code ("RUMBAI") for balai, `<AGENCY>-<region>` otherwise."""
    code = unit(value, field)
    belongs = "-" not in code if agency == "balai" else code.startswith(f"{agency.upper()}-")
    if not belongs:
        raise Rejected(f"{field} is not a unit of {agency}", field)
    return code


def party(value: str, field: str = "parties") -> str:
    """An agreement party: an agency that holds child data ("dinsos") or a unit code ("RUMBAI")."""
    name = value.strip()
    if name in DATA_AGENCIES:
        return name
    if name.lower() != name:
        return unit(name, field)
    raise Rejected(f"{field}: {name!r} is neither an agency holding child data nor a unit", field)


def parties(values: Iterable[str], field: str = "parties") -> tuple[str, ...]:
    named = {party(v, field) for v in values}
    if len(named) < 2:
        raise Rejected(f"{field} must name at least two different parties", field)
    return tuple(sorted(named))


def validity(
    valid_from: datetime, valid_until: datetime | None, until_field: str = "validUntil"
) -> None:
    if valid_until is not None and valid_until <= valid_from:
        raise Rejected(f"{until_field} must be after validFrom", until_field)


def recipient_agency(value: str, field: str = "recipientAgency") -> str:
    agency = value.strip()
    if agency not in DATA_AGENCIES:
        raise Rejected(f"{field} must be one of {', '.join(sorted(DATA_AGENCIES))}", field)
    return agency


def evidence(
    reference: str | None, collecting_agency: str, recipient: str, field: str = "evidenceReference"
) -> str | None:
    """DOMAIN.md: a consent recorded by the recipient agency itself needs an evidence reference."""
    cleaned = reference.strip() if reference is not None else ""
    if collecting_agency == recipient and not cleaned:
        raise Rejected(
            f"{field} is required when the recipient agency records the consent itself", field
        )
    return cleaned or None


def break_glass_expiry(
    created_at: datetime, expires_at: datetime, field: str = "expiresAt"
) -> None:
    if expires_at <= created_at:
        raise Rejected(f"{field} must be in the future", field)
    if expires_at - created_at > BREAK_GLASS_MAX:
        raise Rejected(f"{field} may be at most 24 hours from now", field)


# --- write rights (DOMAIN.md "Writes"; default deny) ----------------------------------------------


def may_collect_consent(actor: Identity | None) -> bool:
    """An officer of Dinsos, PKH or a Balai records the consents their agency collected."""
    return actor is not None and actor.agency in COLLECTING_AGENCIES


def may_revoke(actor: Identity | None, consent: ConsentRecord) -> bool:
    """Revoked by the agency that collected it, and only by it."""
    return (
        may_collect_consent(actor)
        and actor is not None
        and actor.agency == consent.collecting_agency
    )


def may_see_consent(actor: Identity | None, consent: ConsentRecord) -> bool:
    """Officers of the collecting or the recipient agency see a consent; nobody else."""
    return actor is not None and actor.agency in (
        consent.collecting_agency,
        consent.recipient_agency,
    )


def is_secretariat(actor: Identity | None) -> bool:
    return actor is not None and actor.role == Role.DATA_SHARING_SECRETARIAT.value


def is_party(actor: Identity, agreement: AgreementRecord) -> bool:
    return actor.agency in agreement.parties or (
        actor.unit is not None and actor.unit in agreement.parties
    )


def may_see_agreement(actor: Identity | None, agreement: AgreementRecord) -> bool:
    return actor is not None and (is_secretariat(actor) or is_party(actor, agreement))


def may_request_break_glass(actor: Identity | None) -> bool:
    return actor is not None and actor.role in BREAK_GLASS_ROLES


def may_review(actor: Identity | None, grant: BreakGlassRecord) -> bool:
    """A Balai supervisor of the requester's own Balai, never their own grant.

    Only Balai has a supervisor role; grants of Dinsos and PKH staff wait for theirs (deny).
    """
    return (
        actor is not None
        and actor.role == Role.BALAI_SUPERVISOR.value
        and grant.role in REVIEWABLE_ROLES
        and actor.unit is not None
        and grant.unit == actor.unit
        and grant.user_subject != actor.subject
    )


def may_see_break_glass(actor: Identity | None, grant: BreakGlassRecord) -> bool:
    """The requester sees their own grants; a supervisor sees those they may review."""
    return actor is not None and (
        grant.user_subject == actor.subject
        or (
            actor.role == Role.BALAI_SUPERVISOR.value
            and grant.role in REVIEWABLE_ROLES
            and actor.unit is not None
            and grant.unit == actor.unit
        )
    )
