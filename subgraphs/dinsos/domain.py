"""Dinsos's domain: social registry, complaints, referrals and LKSA placements — plain objects, pure rules."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from subgraphs.common.ampk import AmpkCategory

# --- enumerations -----------------------------------------------------------------------------


class RegistryStatus(enum.StrEnum):
    """Whether the household is still listed in DTKS/DTSEN."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class AssistanceProgramme(enum.StrEnum):
    PKH = "PKH"
    SEMBAKO = "SEMBAKO"  # Bantuan Pangan Non-Tunai
    PBI_JKN = "PBI_JKN"  # health insurance contributions paid by the state
    PIP = "PIP"  # Program Indonesia Pintar (school assistance)
    ATENSI_YAPI = "ATENSI_YAPI"  # ATENSI support for orphans (yatim piatu)
    BLT = "BLT"  # Bantuan Langsung Tunai


class ComplaintChannel(enum.StrEnum):
    """How a complaint (pengaduan) reached Dinsos."""

    PKSAI = "PKSAI"  # the PKSAI unit's own desk or hotline
    PSM = "PSM"  # Pekerja Sosial Masyarakat (community volunteer)
    TKSK = "TKSK"  # Tenaga Kesejahteraan Sosial Kecamatan
    TEPSA = "TEPSA"  # Telepon Pelayanan Sosial Anak (the 1500 771 line)


class ComplaintStatus(enum.StrEnum):
    RECEIVED = "RECEIVED"
    IN_RESPONSE = "IN_RESPONSE"
    REFERRED = "REFERRED"
    CLOSED = "CLOSED"


class ResponseAction(enum.StrEnum):
    """What a Sakti Peksos did in response to a complaint."""

    HOME_VISIT = "HOME_VISIT"
    ASSESSMENT = "ASSESSMENT"
    COUNSELLING = "COUNSELLING"
    FAMILY_MEDIATION = "FAMILY_MEDIATION"
    CASE_CONFERENCE = "CASE_CONFERENCE"
    MONITORING = "MONITORING"


class ReferralTargetKind(enum.StrEnum):
    BALAI = "BALAI"
    LKSA = "LKSA"


class ReferralStatus(enum.StrEnum):
    REQUESTED = "REQUESTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    COMPLETED = "COMPLETED"
    REVOKED = "REVOKED"


class PlacementEndReason(enum.StrEnum):
    REUNIFIED = "REUNIFIED"  # back with the family
    FOSTER_CARE = "FOSTER_CARE"
    TRANSFERRED = "TRANSFERRED"  # to another LKSA or a Balai
    RAN_AWAY = "RAN_AWAY"
    ADOPTED = "ADOPTED"
    INDEPENDENT = "INDEPENDENT"
    AGED_OUT = "AGED_OUT"  # turned 18


# --- rule violations --------------------------------------------------------------------------


class RuleViolation(Exception):
    """A request that breaks a domain rule; `field` names the input that broke it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionNotAllowed(RuleViolation):
    """A lifecycle step that the record's current status does not allow."""


class StateConflict(RuleViolation):
    """A request that is well formed but clashes with what is already recorded."""


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryMembership:
    """A child's household in DTKS/DTSEN, with the welfare decile (1 = poorest tenth)."""

    child_id: str
    kk_number: str | None
    decile: int
    registered_on: date
    updated_on: date
    status: RegistryStatus


@dataclass(frozen=True)
class Assistance:
    child_id: str
    programme: AssistanceProgramme
    period_start: date
    period_end: date | None
    amount: Decimal | None

    def active_on(self, day: date) -> bool:
        return self.period_start <= day and (self.period_end is None or day <= self.period_end)


@dataclass(frozen=True)
class Lksa:
    """An LKSA (Lembaga Kesejahteraan Sosial Anak), with how many children live there now."""

    id: int
    name: str
    region_code: str
    capacity: int
    phone: str | None
    occupancy: int

    @property
    def has_room(self) -> bool:
        return self.occupancy < self.capacity


@dataclass(frozen=True)
class DinsosOffice:
    kabupaten_code: str
    name: str
    phone: str | None


@dataclass(frozen=True)
class Complaint:
    id: int
    child_id: str
    channel: ComplaintChannel
    received_at: datetime
    region_code: str
    problem_category: AmpkCategory
    summary: str
    status: ComplaintStatus
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status is not ComplaintStatus.CLOSED

    @property
    def kabupaten_code(self) -> str:
        return kabupaten_of(self.region_code)


@dataclass(frozen=True)
class CaseResponse:
    id: int
    complaint_id: int
    social_worker_id: str  # the responder's staff id, e.g. SP147104
    responded_at: datetime
    action: ResponseAction
    notes: str | None


@dataclass(frozen=True)
class Referral:
    id: int
    child_id: str
    complaint_id: int | None
    target_kind: ReferralTargetKind
    target_code: str
    reason: str
    status: ReferralStatus
    requested_at: datetime
    decided_at: datetime | None
    completed_at: datetime | None
    revoked_at: datetime | None
    decision_note: str | None
    closing_note: str | None
    lksa: Lksa | None  # the target, when it is an LKSA

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_REFERRAL_STATUSES


@dataclass(frozen=True)
class Placement:
    id: int
    child_id: str
    lksa: Lksa
    referral_id: int | None
    started_on: date
    ended_on: date | None
    end_reason: PlacementEndReason | None

    @property
    def is_open(self) -> bool:
        return self.ended_on is None


# --- what officers submit ---------------------------------------------------------------------


@dataclass(frozen=True)
class NewComplaint:
    child_id: str
    channel: ComplaintChannel
    received_at: datetime
    region_code: str
    problem_category: AmpkCategory
    summary: str


@dataclass(frozen=True)
class NewResponse:
    complaint_id: int
    social_worker_id: str  # the responder's staff id, e.g. SP147104
    responded_at: datetime
    action: ResponseAction
    notes: str | None


@dataclass(frozen=True)
class NewReferral:
    child_id: str
    complaint_id: int | None
    target_kind: ReferralTargetKind
    target_code: str
    reason: str
    requested_at: datetime


@dataclass(frozen=True)
class ReferralDecision:
    """The columns one lifecycle step writes: its status, its timestamp and its note."""

    status: ReferralStatus
    decided_at: datetime | None = None
    completed_at: datetime | None = None
    revoked_at: datetime | None = None
    decision_note: str | None = None
    closing_note: str | None = None


@dataclass(frozen=True)
class NewPlacement:
    child_id: str
    lksa_id: int
    referral_id: int | None
    started_on: date


# --- rules ------------------------------------------------------------------------------------


def kabupaten_of(region_code: str) -> str:
    """'14.71.02.1001' -> '14.71': the kabupaten/kota whose Dinas Sosial handles the matter."""
    return ".".join(region_code.split(".")[:2])


_BALAI_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,15}")


def check_balai_code(code: str) -> str:
    """Balai codes (RUMBAI, ALYATAMA, ...) belong to the Balai subgraph; here only their shape."""
    if not _BALAI_CODE.fullmatch(code):
        raise RuleViolation("a Balai code is 2–16 capital letters, digits or _", "targetCode")
    return code


# A complaint stays answerable until it is closed; a response starts the handling.
_AFTER_RESPONSE = {
    ComplaintStatus.RECEIVED: ComplaintStatus.IN_RESPONSE,
    ComplaintStatus.IN_RESPONSE: ComplaintStatus.IN_RESPONSE,
    ComplaintStatus.REFERRED: ComplaintStatus.REFERRED,
}


def status_after_response(status: ComplaintStatus) -> ComplaintStatus:
    after = _AFTER_RESPONSE.get(status)
    if after is None:
        raise TransitionNotAllowed("a closed complaint takes no further responses", "complaintId")
    return after


def status_after_referral(status: ComplaintStatus) -> ComplaintStatus:
    if status is ComplaintStatus.CLOSED:
        raise TransitionNotAllowed("a closed complaint cannot lead to a referral", "complaintId")
    return ComplaintStatus.REFERRED


def check_closable(complaint: Complaint, closed_at: datetime) -> None:
    if complaint.status is ComplaintStatus.CLOSED:
        raise TransitionNotAllowed("the complaint is already closed", "complaintId")
    check_not_before(closed_at, complaint.received_at, "closedAt", "the complaint's receivedAt")


def check_not_before(value: date, earlier: date, field: str, earlier_name: str) -> None:
    if value < earlier:
        raise RuleViolation(f"{field} is before {earlier_name}", field)


ACTIVE_REFERRAL_STATUSES = frozenset({ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED})

REFERRAL_TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.REQUESTED: frozenset(
        {ReferralStatus.ACCEPTED, ReferralStatus.REJECTED, ReferralStatus.REVOKED}
    ),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.COMPLETED, ReferralStatus.REVOKED}),
    ReferralStatus.REJECTED: frozenset(),
    ReferralStatus.COMPLETED: frozenset(),
    ReferralStatus.REVOKED: frozenset(),
}

# Saying no, or taking a referral back, must be explained to the child's other workers.
_NOTE_REQUIRED = frozenset({ReferralStatus.REJECTED, ReferralStatus.REVOKED})


def decide_referral(
    referral: Referral, to: ReferralStatus, at: datetime, note: str | None
) -> ReferralDecision:
    """The step from the referral's status to `to` at `at`, or why it cannot be taken."""
    allowed = REFERRAL_TRANSITIONS[referral.status]
    if to not in allowed:
        options = ", ".join(sorted(allowed)) or "none"
        raise TransitionNotAllowed(
            f"a {referral.status} referral cannot become {to} (allowed: {options})", "status"
        )
    if to in _NOTE_REQUIRED and not note:
        raise RuleViolation(f"a {to} referral needs a note saying why", "note")
    # Each step follows the one before it: a decision after the request, an ending after the decision.
    previous, previous_name = referral.requested_at, "the referral's requestedAt"
    if referral.status is ReferralStatus.ACCEPTED and referral.decided_at is not None:
        previous, previous_name = referral.decided_at, "the referral's decidedAt"
    check_not_before(at, previous, "at", previous_name)
    if to is ReferralStatus.COMPLETED:
        return ReferralDecision(to, completed_at=at, closing_note=note)
    if to is ReferralStatus.REVOKED:
        return ReferralDecision(to, revoked_at=at, closing_note=note)
    return ReferralDecision(to, decided_at=at, decision_note=note)


def check_duplicate_referral(new: NewReferral, existing: list[Referral]) -> None:
    for referral in existing:
        if (
            referral.is_active
            and referral.target_kind is new.target_kind
            and referral.target_code == new.target_code
        ):
            raise StateConflict(
                f"the child already has an active referral to this {new.target_kind}",
                "targetCode",
            )


def check_placement_referral(referral: Referral, placement: NewPlacement) -> None:
    """A placement may only rest on an accepted referral of this child to this LKSA."""
    if referral.child_id != placement.child_id:
        raise RuleViolation("the referral is for another child", "referralId")
    if referral.target_kind is not ReferralTargetKind.LKSA or referral.target_code != str(
        placement.lksa_id
    ):
        raise RuleViolation("the referral is not to this LKSA", "referralId")
    if referral.status is not ReferralStatus.ACCEPTED:
        raise RuleViolation("the referral has not been accepted", "referralId")


def check_can_place(lksa: Lksa, open_placement: Placement | None) -> None:
    if open_placement is not None:
        raise StateConflict("the child is already placed in an LKSA", "childId")
    if not lksa.has_room:
        raise StateConflict(f"the LKSA is full ({lksa.capacity} children)", "lksaId")


def check_placement_end(placement: Placement, ended_on: date) -> None:
    if not placement.is_open:
        raise TransitionNotAllowed("the placement has already ended", "placementId")
    check_not_before(ended_on, placement.started_on, "endedOn", "the placement's startedOn")


# --- the protection flag ----------------------------------------------------------------------


class ContactKind(enum.StrEnum):
    DINSOS_OFFICE = "DINSOS_OFFICE"
    LKSA = "LKSA"
    BALAI = "BALAI"


@dataclass(frozen=True)
class ContactsNeeded:
    """Whom to call about a child Dinsos is handling — by reference, resolved by the caller."""

    office_kabupaten_codes: tuple[str, ...]
    lksas: tuple[Lksa, ...]
    balai_codes: tuple[str, ...]

    @property
    def any(self) -> bool:
        return bool(self.office_kabupaten_codes or self.lksas or self.balai_codes)


def contacts_needed(complaints: list[Complaint], referrals: list[Referral]) -> ContactsNeeded:
    """Open complaints point to their Dinas Sosial; active referrals to their target and to the
    office that referred. Only the places, never the problem, the status or the dates."""
    by_id = {c.id: c for c in complaints}
    offices = {c.kabupaten_code for c in complaints if c.is_open}
    lksas: dict[int, Lksa] = {}
    balais: set[str] = set()
    for referral in referrals:
        if not referral.is_active:
            continue
        source = by_id.get(referral.complaint_id) if referral.complaint_id is not None else None
        if source is not None:
            offices.add(source.kabupaten_code)
        if referral.target_kind is ReferralTargetKind.LKSA and referral.lksa is not None:
            lksas[referral.lksa.id] = referral.lksa
        elif referral.target_kind is ReferralTargetKind.BALAI:
            balais.add(referral.target_code)
    # Sorted, so not even the order hints at which matter is older.
    return ContactsNeeded(
        office_kabupaten_codes=tuple(sorted(offices)),
        lksas=tuple(sorted(lksas.values(), key=lambda lksa: (lksa.name, lksa.id))),
        balai_codes=tuple(sorted(balais)),
    )


def office_or_default(kabupaten_code: str, office: DinsosOffice | None) -> DinsosOffice:
    """The office's own record, or its generic name where the office list has no entry."""
    return office or DinsosOffice(kabupaten_code, f"Dinas Sosial {kabupaten_code}", None)
