"""PKH and the social registry (DTKS): enrolment, components, verifications, payments, assistance."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any, Final

from satu_anak.synthetic.common import (
    DAYS_PER_YEAR,
    REFERENCE_DAY,
    ChunkDraft,
    Household,
    optional_date,
    phone,
)
from satu_anak.synthetic.names import generate_person_name

# A household's PKH membership: the day it was enrolled, its status, the day it left (or None).
PkhPlan = tuple[int, str, int | None]

# The last four verification periods before the reference date; payments add the current one.
_PERIODS: Final = ((2025, 4), (2026, 1), (2026, 2), (2026, 3))
_PERIOD_END: Final = {
    (y, p): date(y + p // 4, p % 4 * 3 + 1, 1).toordinal() - 1 for y, p in (*_PERIODS, (2026, 4))
}
_STAGES: Final = ((2025, 4), (2026, 1), (2026, 2), (2026, 3), (2026, 4))
_PKH_KINDS: Final = ("EARLY_CHILDHOOD", "SD", "SMP", "SMA")
_PKH_BAND_START: Final = (0, 7, 13, 16)
_PKH_STAGE_AMOUNT: Final = (750_000, 225_000, 375_000, 500_000)  # rupiah per child per tahap
_PKH_YEAR_AMOUNT: Final = tuple(Decimal(a * 4) for a in _PKH_STAGE_AMOUNT)

# Attendance as the percentage of ~60 school days in a quarter: precomputed Decimals, so a
# verification row costs a lookup instead of a Decimal construction.
_ATTENDANCE: Final = {
    (a, d): Decimal(round(100 * a / d, 2)).quantize(Decimal("0.01"))
    for d in range(56, 65)
    for a in range(d + 1)
}
_AMOUNTS: dict[int, Decimal] = {}


def _amount(value: int) -> Decimal:
    cached = _AMOUNTS.get(value)
    if cached is None:
        cached = _AMOUNTS[value] = Decimal(value)
    return cached


class Programmes:
    """Writes one chunk's PKH rows and Dinsos's registry members and assistance."""

    def __init__(self, draft: ChunkDraft) -> None:
        self.state = draft.state
        self.rng, self.rand, self.stamp = draft.rng, draft.rand, draft.stamp
        s, p = draft.rows["dinsos"], draft.rows["pkh"]
        self.members_dtks, self.assistance = s["registry_member"], s["assistance"]
        self.facilitators, self.kpm, self.members = (
            p["facilitator"], p["beneficiary_family"], p["member"],
        )  # fmt: skip
        self.components, self.verifications, self.payments = (
            p["component"], p["verification"], p["payment"],
        )  # fmt: skip

    def plan_pkh(self, hh: Household) -> PkhPlan:
        rand = self.rand
        hi = date(2026, 6, 30).toordinal()
        lo = min(hi - 30, max(date(2012, 1, 1).toordinal(), min(k.birth for k in hh.kids) - 200))
        enrolled = lo + int(rand() * (hi - lo))
        r = rand()
        if r < 0.93:
            return enrolled, "ACTIVE", None
        leave = max(enrolled + 60, date(2025, 10, 1).toordinal() + int(rand() * 365))
        return enrolled, "GRADUATED" if r < 0.97 else "EXITED", min(leave, REFERENCE_DAY - 1)

    def plan_dtks(self) -> int:
        lo = date(2015, 1, 1).toordinal()
        return lo + int(self.rand() * (date(2026, 6, 30).toordinal() - lo))

    def programme_contacts(self, hh: Household, pkh: PkhPlan | None, dtks: int | None) -> None:
        rand = self.rand
        for kid in hh.kids:
            # A baby enters a programme's household list months after birth, with the new KK.
            listed = min(REFERENCE_DAY - 1, kid.birth + 60 + int(rand() * 300))
            if pkh is not None and (pkh[2] is None or kid.birth < pkh[2]):
                kid.contact("PKH", self.stamp(max(pkh[0], listed)))
            if dtks is not None:
                kid.contact("DINSOS", self.stamp(max(dtks, listed)))

    def _facilitator(self, kecamatan: str) -> list[Any]:
        state = self.state
        current = state.facilitators.get(kecamatan)
        if current is None or current[1] <= 0:
            fid = state.next_id("facilitator")
            sex = "F" if self.rand() < 0.55 else "M"
            name = generate_person_name(self.rng, sex, province=kecamatan[:2], generation="parent")
            self.facilitators.append((fid, name, phone(self.rand), kecamatan))
            # A pendamping serves about 250 families (Kemensos ratio), in one kecamatan.
            current = state.facilitators[kecamatan] = [fid, 200 + int(self.rand() * 100), name]
        current[1] -= 1
        return current

    def emit_pkh(
        self,
        hh: Household,
        enrolled: int,
        status: str,
        leave: int | None,
        attendance: dict[tuple[int, int], tuple[int, int]] | None = None,
    ) -> None:
        rand, next_id = self.rand, self.state.next_id
        fid, _left, _name = self._facilitator(hh.desa[:8])
        family_id = next_id("beneficiary_family")
        self.kpm.append((
            family_id, hh.kk, hh.father or hh.mother, hh.desa, fid, date.fromordinal(enrolled),
            status,
        ))  # fmt: skip
        if hh.father is not None:
            self.members.append((next_id("member"), family_id, None, hh.father, "HEAD"))
        relationship = "SPOUSE" if hh.father is not None else "HEAD"
        self.members.append((next_id("member"), family_id, None, hh.mother, relationship))
        # Per tahap: [child components counted (PKH pays at most four), full amount, after sanctions].
        due = [[0, 0, 0] for _ in _STAGES]
        for kid in hh.kids:
            if leave is not None and kid.birth >= leave:
                continue
            member_id = next_id("member")
            name = kid.names_by.get("PKH") or (kid.recorded or {}).get("full_name") or kid.name
            self.members.append((member_id, family_id, kid.id, name, "CHILD"))
            band = 0 if kid.age <= 6 else 1 if kid.age <= 12 else 2 if kid.age <= 15 else 3
            band_start = kid.birth + int(_PKH_BAND_START[band] * DAYS_PER_YEAR)
            start = max(enrolled, band_start)
            spans = [(band, start)]
            if band > 0 and enrolled < band_start:
                spans.insert(
                    0,
                    (
                        band - 1,
                        max(enrolled, kid.birth + int(_PKH_BAND_START[band - 1] * DAYS_PER_YEAR)),
                    ),
                )
            for i, (span_band, since) in enumerate(spans):
                until = spans[i + 1][1] - 1 if i + 1 < len(spans) else leave
                self.components.append((
                    next_id("component"), member_id, _PKH_KINDS[span_band],
                    date.fromordinal(since), optional_date(until),
                ))  # fmt: skip
            struggling = rand() < 0.05
            compliant_in: dict[tuple[int, int], bool] = {}
            for period in _PERIODS:
                end = _PERIOD_END[period]
                if leave is not None and end > leave:
                    break
                kind: int | None = next((k for k, since in reversed(spans) if since <= end), None)
                if kind is None:
                    continue
                forced = attendance.get(period) if attendance else None
                if kind == 0:
                    ok = rand() >= (0.6 if struggling else 0.07)
                    pct, health = None, ok
                else:
                    if forced is not None:
                        attended, days = forced
                    else:
                        days = 56 + int(rand() * 9)
                        threshold = math.ceil(0.85 * days)
                        if rand() >= (0.6 if struggling else 0.07):
                            attended = days - int(rand() * rand() * (days - threshold + 1))
                        else:
                            low = int(days * 0.4)
                            attended = low + int(rand() * (threshold - low))
                    pct, health = _ATTENDANCE[(attended, days)], None
                    ok = attended * 100 >= 85 * days
                compliant_in[period] = ok
                self.verifications.append((
                    next_id("verification"), member_id, period[0], period[1], pct, health, ok,
                    self.stamp(end + 8 + int(rand() * 20)), str(fid),  # the pendamping's staff id
                ))  # fmt: skip
            # Tahap n is paid on the conditions verified in period n-1.
            for i, tahap in enumerate(_STAGES):
                end = _PERIOD_END[tahap]
                kind = next((k for k, since in reversed(spans) if since <= end), None)
                if kind is None or (leave is not None and end > leave) or due[i][0] >= 4:
                    continue
                amount = _PKH_STAGE_AMOUNT[kind]
                due[i][0] += 1
                due[i][1] += amount
                if i == 0 or compliant_in.get(_STAGES[i - 1], True):
                    due[i][2] += amount
        for i, (year, number) in enumerate(_STAGES):
            counted, full, paid = due[i]
            if not counted:
                continue
            end = _PERIOD_END[(year, number)]
            paid_on: date | None = None
            if paid == 0:
                amount, status = full, "WITHHELD"
            elif end >= REFERENCE_DAY:
                amount, status = paid, "PENDING"
            else:
                amount, status = paid, "PAID"
                paid_on = date.fromordinal(end - int(rand() * 20))
            self.payments.append(
                (next_id("payment"), family_id, year, number, _amount(amount), paid_on, status)
            )

    def emit_dtks(self, hh: Household, registered: int, pkh: PkhPlan | None) -> None:
        rand, next_id = self.rand, self.state.next_id
        single_parent = hh.father is None
        for kid in hh.kids:
            on = max(registered, kid.birth)
            updated = on + int(rand() * (REFERENCE_DAY - 1 - on))
            status = "ACTIVE" if pkh is not None or rand() < 0.93 else "INACTIVE"
            kk = None if kid.recorded is not None and rand() < 0.5 else hh.kk
            self.members_dtks.append((
                next_id("registry_member"), kid.id, kk, hh.decile, date.fromordinal(on),
                date.fromordinal(updated), status,
            ))  # fmt: skip
            add = self.assistance.append
            if pkh is not None and (pkh[2] is None or kid.birth < pkh[2]):
                band = 0 if kid.age <= 6 else 1 if kid.age <= 12 else 2 if kid.age <= 15 else 3
                add((next_id("assistance"), kid.id, "PKH", date.fromordinal(max(pkh[0], kid.birth)),
                     optional_date(pkh[2]), _PKH_YEAR_AMOUNT[band]))  # fmt: skip
            if rand() < 0.8:
                add((next_id("assistance"), kid.id, "PBI_JKN", date.fromordinal(on), None, None))
            if hh.decile <= 4 and rand() < 0.55:
                add((next_id("assistance"), kid.id, "SEMBAKO", date(2026, 1, 1), date(2026, 12, 31),
                     _amount(2_400_000)))  # fmt: skip
            if kid.age >= 6 and rand() < 0.45:
                pip = 450_000 if kid.age <= 12 else 750_000 if kid.age <= 15 else 1_800_000
                add((next_id("assistance"), kid.id, "PIP", date(2026, 1, 1), date(2026, 12, 31),
                     _amount(pip)))  # fmt: skip
            if kid.birth < date(2022, 9, 1).toordinal() and rand() < 0.2:
                add((next_id("assistance"), kid.id, "BLT", date(2022, 9, 1), date(2022, 12, 31),
                     _amount(600_000)))  # fmt: skip
            if single_parent and rand() < 0.25:
                add((next_id("assistance"), kid.id, "ATENSI_YAPI", date(2026, 1, 1),
                     date(2026, 12, 31), _amount(2_400_000)))  # fmt: skip
