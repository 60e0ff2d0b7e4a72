"""Balai's domain: ATENSI cases, their stage lifecycle and closing rules — plain objects, pure rules."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime

from subgraphs.common.ampk import AmpkCategory


class CaseStage(enum.StrEnum):
    """The ATENSI case-management stages, in the order a case normally goes through them."""

    INTAKE = "INTAKE"
    ASSESSMENT = "ASSESSMENT"
    PLAN = "PLAN"
    INTERVENTION = "INTERVENTION"
    MONITORING = "MONITORING"
    TERMINATION = "TERMINATION"
    AFTERCARE = "AFTERCARE"


class CaseStatus(enum.StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class RiskLevel(enum.StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class InterventionSetting(enum.StrEnum):
    """Where the intervention happens: with the family, in the community, or in residence."""

    FAMILY = "FAMILY"
    COMMUNITY = "COMMUNITY"
    RESIDENTIAL = "RESIDENTIAL"


class ClosureReason(enum.StrEnum):
    REINTEGRATED = "REINTEGRATED"  # back with the family: the outcome ATENSI works towards
    GOALS_MET = "GOALS_MET"  # the plan's goals met without a return home (e.g. independent living)
    TRANSFERRED = "TRANSFERRED"  # to another Balai or an LKSA
    REFERRED = "REFERRED"  # to another service that takes the case over
    AGED_OUT = "AGED_OUT"  # the child turned 18
    WITHDRAWN = "WITHDRAWN"  # the family or guardian withdrew consent
    LOST_CONTACT = "LOST_CONTACT"
    DECEASED = "DECEASED"


_ORDER = list(CaseStage)

# Monitoring may show the intervention has not worked yet: the case goes back to it.
_EXTRA_TRANSITIONS = frozenset({(CaseStage.MONITORING, CaseStage.INTERVENTION)})

# A case closes as a success only once its services are being terminated.
_SUCCESSES = frozenset({ClosureReason.REINTEGRATED, ClosureReason.GOALS_MET})
_SUCCESS_FROM = frozenset({CaseStage.TERMINATION, CaseStage.AFTERCARE})


class CaseRuleViolation(Exception):
    """A lifecycle rule a request broke; `field` names the argument that broke it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def allowed_next_stages(stage: CaseStage) -> list[CaseStage]:
    index = _ORDER.index(stage)
    following = _ORDER[index + 1 : index + 2]
    return following + [to for (frm, to) in sorted(_EXTRA_TRANSITIONS) if frm == stage]


def check_transition(stage: CaseStage, to: CaseStage) -> None:
    if to not in allowed_next_stages(stage):
        allowed = ", ".join(allowed_next_stages(stage)) or "none"
        raise CaseRuleViolation(
            f"a case in {stage} cannot move to {to} (allowed: {allowed})", "toStage"
        )


def check_open(case: CaseRecord, field: str = "caseId") -> None:
    if case.status is CaseStatus.CLOSED:
        raise CaseRuleViolation(f"case {case.case_number} is closed", field)


def check_plan_allowed(case: CaseRecord) -> None:
    """An intervention plan rests on an assessment: none before the case reached ASSESSMENT."""
    check_open(case)
    if case.stage is CaseStage.INTAKE:
        raise CaseRuleViolation(
            "an intervention plan needs the case to have reached ASSESSMENT", "caseId"
        )


def check_closing(case: CaseRecord, reason: ClosureReason) -> None:
    check_open(case)
    if reason in _SUCCESSES and case.stage not in _SUCCESS_FROM:
        raise CaseRuleViolation(
            f"a case in {case.stage} cannot close as {reason} before TERMINATION", "reason"
        )


def check_stay_start(case: CaseRecord, stays: list[ResidentialStay]) -> None:
    """A child lives at one Balai residence at a time: the current stay must end first."""
    check_open(case)
    current = [s for s in stays if s.ended_on is None]
    if current:
        raise CaseRuleViolation(
            f"the child is in residence since {current[0].started_on}; end that stay first",
            "caseId",
        )


def check_stay_end(stay: ResidentialStay) -> None:
    if stay.ended_on is not None:
        raise CaseRuleViolation(f"this residential stay ended on {stay.ended_on}", "stayId")


_CASE_NUMBER = re.compile(r"(?P<balai>[A-Z][A-Z0-9_]{0,15})/(?P<year>\d{4})/(?P<serial>\d{6})")


def format_case_number(balai_code: str, year: int, serial: int) -> str:
    """'RUMBAI/2026/000123': the Balai, the year the case opened, and its serial in that year."""
    return f"{balai_code}/{year:04d}/{serial:06d}"


def case_number_prefix(balai_code: str, year: int) -> str:
    return f"{balai_code}/{year:04d}/"


def case_number_serial(case_number: str) -> int | None:
    match = _CASE_NUMBER.fullmatch(case_number)
    return int(match["serial"]) if match else None


def is_case_number(value: str) -> bool:
    return _CASE_NUMBER.fullmatch(value) is not None


@dataclass(frozen=True)
class BalaiRecord:
    code: str
    name: str
    city: str
    region_code: str
    provinces_served: tuple[str, ...]
    phone: str


@dataclass(frozen=True)
class CaseworkerRecord:
    """A peksos (pekerja sosial) of a Balai; supervisors oversee every case there."""

    id: int
    name: str
    balai_code: str
    is_supervisor: bool
    phone: str | None


@dataclass(frozen=True)
class CaseRecord:
    id: int
    case_number: str
    child_id: str
    balai_code: str
    caseworker_id: int
    ampk_category: AmpkCategory
    stage: CaseStage
    opened_on: date
    closed_on: date | None
    closure_reason: ClosureReason | None
    referral_source: str | None

    @property
    def status(self) -> CaseStatus:
        return CaseStatus.OPEN if self.closed_on is None else CaseStatus.CLOSED


@dataclass(frozen=True)
class StageEvent:
    case_id: int
    stage: CaseStage
    entered_at: datetime
    by_id: int  # the caseworker (staff id) who moved the case


@dataclass(frozen=True)
class ResidentialStay:
    id: int
    case_id: int
    started_on: date
    ended_on: date | None


@dataclass(frozen=True)
class Assessment:
    id: int
    case_id: int
    assessed_on: date
    assessor_id: int  # the caseworker (staff id) who assessed
    risk_level: RiskLevel
    summary: str
    notes: str | None


@dataclass(frozen=True)
class InterventionPlan:
    id: int
    case_id: int
    created_on: date
    setting: InterventionSetting
    goals: str
    notes: str | None


@dataclass(frozen=True)
class NewCase:
    child_id: str
    balai_code: str
    caseworker_id: int
    ampk_category: AmpkCategory
    opened_on: date
    referral_source: str | None


@dataclass(frozen=True)
class NewAssessment:
    case_id: int
    assessed_on: date
    assessor_id: int
    risk_level: RiskLevel
    summary: str
    notes: str | None


@dataclass(frozen=True)
class NewInterventionPlan:
    case_id: int
    created_on: date
    setting: InterventionSetting
    goals: str
    notes: str | None
