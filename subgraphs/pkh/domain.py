"""PKH's domain: KPM families, members, components and the conditionality rules — plain objects."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# PKH began in 2007: no verification can be older.
FIRST_PROGRAMME_YEAR = 2007
PERIODS_PER_YEAR = 4
# Permensos 1/2018: a school-age child attends at least 85 % of school days.
ATTENDANCE_THRESHOLD = Decimal("85")
_HUNDREDTHS = Decimal("0.01")


class FamilyStatus(enum.StrEnum):
    """A KPM's standing in the programme; GRADUATED and EXITED are final."""

    ACTIVE = "ACTIVE"
    GRADUATED = "GRADUATED"  # graduasi: no longer needs the transfer
    EXITED = "EXITED"  # left for any other reason (moved, no longer eligible)


class Relationship(enum.StrEnum):
    HEAD = "HEAD"
    SPOUSE = "SPOUSE"
    CHILD = "CHILD"
    OTHER = "OTHER"


class ComponentKind(enum.StrEnum):
    EARLY_CHILDHOOD = "EARLY_CHILDHOOD"  # 0-6 years: health visits at Posyandu
    SD = "SD"
    SMP = "SMP"
    SMA = "SMA"
    SEVERE_DISABILITY = "SEVERE_DISABILITY"
    ELDERLY = "ELDERLY"


SCHOOL_COMPONENTS = frozenset({ComponentKind.SD, ComponentKind.SMP, ComponentKind.SMA})


class PaymentStatus(enum.StrEnum):
    PAID = "PAID"
    WITHHELD = "WITHHELD"  # conditions not met in the period before the tahap
    PENDING = "PENDING"


@dataclass(frozen=True)
class FacilitatorRecord:
    """A pendamping: the PKH facilitator assigned to a set of families."""

    id: int
    name: str
    phone: str
    region_code: str


@dataclass(frozen=True)
class FamilyRecord:
    """A KPM (Keluarga Penerima Manfaat), the beneficiary family, known by its KK number."""

    id: int
    kk_number: str
    head_name: str
    region_code: str
    facilitator_id: int
    enrolled_on: date
    status: FamilyStatus


@dataclass(frozen=True)
class MemberRecord:
    id: int
    family_id: int
    child_id: str | None
    name: str
    relationship: Relationship


@dataclass(frozen=True)
class ComponentRecord:
    id: int
    member_id: int
    kind: ComponentKind
    started_on: date
    ended_on: date | None

    def covers(self, start: date, end: date) -> bool:
        """Whether the component was held on any day from `start` to `end`."""
        return self.started_on <= end and (self.ended_on is None or self.ended_on >= start)

    def active_on(self, day: date) -> bool:
        return self.covers(day, day)


@dataclass(frozen=True)
class VerificationRecord:
    member_id: int
    year: int
    period: int
    school_attendance_pct: Decimal | None
    health_visits_met: bool | None
    compliant: bool
    recorded_at: datetime
    recorded_by_id: str  # the recording officer's staff id

    @property
    def index(self) -> int:
        return period_index(self.year, self.period)


@dataclass(frozen=True)
class PaymentRecord:
    family_id: int
    year: int
    stage: int
    amount: Decimal
    paid_on: date | None
    status: PaymentStatus


# --- verification periods -----------------------------------------------------------------------


def period_index(year: int, period: int) -> int:
    """Periods numbered without gaps across years, so 'consecutive' is a difference of one."""
    return year * PERIODS_PER_YEAR + period - 1


def period_bounds(year: int, period: int) -> tuple[date, date]:
    """The first and last day of a verification period (a calendar quarter, one per tahap)."""
    start = date(year, 3 * period - 2, 1)
    following = date(year + 1, 1, 1) if period == 4 else date(year, 3 * period + 1, 1)
    return start, date.fromordinal(following.toordinal() - 1)


def period_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


class VerificationRejected(Exception):
    """A verification the rules do not accept; `field` names the input at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class FamilyNotActive(Exception):
    """Verifications are recorded only while the KPM is active: GRADUATED and EXITED are final."""

    def __init__(self, status: FamilyStatus) -> None:
        super().__init__(f"the KPM is {status.value}; verifications are recorded for active ones")
        self.status = status


def check_period(year: int, period: int, today: date) -> None:
    """The period exists and has begun: the current period may be recorded, a later one not."""
    if not 1 <= period <= PERIODS_PER_YEAR:
        raise VerificationRejected("period must be between 1 and 4", "period")
    if year < FIRST_PROGRAMME_YEAR:
        raise VerificationRejected(f"year is before PKH began ({FIRST_PROGRAMME_YEAR})", "year")
    if year > today.year:
        raise VerificationRejected("year is in the future", "year")
    if period_index(year, period) > period_index(*period_of(today)):
        raise VerificationRejected("period is in the future", "period")


def school_attendance(value: float | Decimal) -> Decimal:
    """A percentage to two decimals, so compliance is judged on exactly the value stored."""
    try:
        pct = Decimal(str(value)).quantize(_HUNDREDTHS, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise VerificationRejected(
            "schoolAttendancePct must be a number", "schoolAttendancePct"
        ) from None
    if not pct.is_finite() or not Decimal(0) <= pct <= Decimal(100):
        raise VerificationRejected(
            "schoolAttendancePct must be between 0 and 100", "schoolAttendancePct"
        )
    return pct


@dataclass(frozen=True)
class Assessment:
    school_attendance_pct: Decimal | None
    health_visits_met: bool | None
    compliant: bool


def assess(
    family: FamilyRecord,
    components: Iterable[ComponentRecord],
    year: int,
    period: int,
    school_attendance_pct: Decimal | None,
    health_visits_met: bool | None,
) -> Assessment:
    """Judge one period's conditions against the components the child held in it.

    School components need attendance of at least 85 %, early childhood needs its health
    visits; a child holding both in one period (turning seven mid-quarter) must meet both.
    An input that no held component asks for is refused rather than silently stored.
    """
    if family.status is not FamilyStatus.ACTIVE:
        raise FamilyNotActive(family.status)
    start, end = period_bounds(year, period)
    if end < family.enrolled_on:
        raise VerificationRejected("period ends before the KPM was enrolled", "period")
    held = {c.kind for c in components if c.covers(start, end)}
    school = bool(held & SCHOOL_COMPONENTS)
    early = ComponentKind.EARLY_CHILDHOOD in held
    if not school and not early:
        raise VerificationRejected(
            "the child held no SD, SMP, SMA or early-childhood component in that period", "period"
        )
    if school and school_attendance_pct is None:
        raise VerificationRejected(
            "schoolAttendancePct is required for an SD, SMP or SMA component",
            "schoolAttendancePct",
        )
    if not school and school_attendance_pct is not None:
        raise VerificationRejected(
            "schoolAttendancePct applies only to SD, SMP or SMA components", "schoolAttendancePct"
        )
    if early and health_visits_met is None:
        raise VerificationRejected(
            "healthVisitsMet is required for an early-childhood component", "healthVisitsMet"
        )
    if not early and health_visits_met is not None:
        raise VerificationRejected(
            "healthVisitsMet applies only to the early-childhood component", "healthVisitsMet"
        )
    compliant = (not school or (school_attendance_pct or Decimal(0)) >= ATTENDANCE_THRESHOLD) and (
        not early or bool(health_visits_met)
    )
    return Assessment(school_attendance_pct, health_visits_met, compliant)


# --- compliance over time -----------------------------------------------------------------------


def newest_first(verifications: Iterable[VerificationRecord]) -> list[VerificationRecord]:
    return sorted(verifications, key=lambda v: v.index, reverse=True)


def consecutive_non_compliant(verifications: Sequence[VerificationRecord]) -> int:
    """How many of the most recent recorded periods, back to back, were non-compliant.

    A period with no verification breaks the run: nobody knows whether it was missed.
    """
    run = 0
    expected: int | None = None
    for v in newest_first(verifications):
        if v.compliant or (expected is not None and v.index != expected):
            break
        run += 1
        expected = v.index - 1
    return run


@dataclass(frozen=True)
class ComplianceSummary:
    periods_verified: int
    periods_compliant: int
    latest: VerificationRecord | None
    consecutive_non_compliant: int


def summarize(verifications: Sequence[VerificationRecord]) -> ComplianceSummary:
    ordered = newest_first(verifications)
    return ComplianceSummary(
        periods_verified=len(ordered),
        periods_compliant=sum(1 for v in ordered if v.compliant),
        latest=ordered[0] if ordered else None,
        consecutive_non_compliant=consecutive_non_compliant(ordered),
    )
