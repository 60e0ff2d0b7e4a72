"""Protection: Dinsos complaints, referrals and LKSA placements, and ATENSI cases at the Balai."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any, Final

from satu_anak.synthetic import regions
from satu_anak.synthetic.common import (
    PLACES,
    REFERENCE_DAY,
    ChunkDraft,
    Household,
    Kid,
    age_on,
    optional_date,
    phone,
    pick_weighted,
)
from satu_anak.synthetic.names import generate_person_name
from subgraphs.common.ampk import AmpkCategory as A

# ATENSI steps (Permensos 7/2022) in order; CLOSED marks a case whose aftercare has ended.
CASE_STAGES: Final = (
    "INTAKE",
    "ASSESSMENT",
    "PLAN",
    "INTERVENTION",
    "MONITORING",
    "TERMINATION",
    "AFTERCARE",
    "CLOSED",  # not a stage: the timeline's last entry, when the case was closed
)

_BALAI_OF_PROVINCE: Final = {
    "14": "RUMBAI", "13": "RUMBAI", "21": "RUMBAI", "18": "RUMBAI",
    "15": "ALYATAMA", "53": "NAIBONAT", "31": "HANDAYANI",
}  # fmt: skip
_BALAI: Final = (
    ("RUMBAI", "Balai Rehabilitasi Sosial Anak 'Rumbai' Pekanbaru", "Pekanbaru",
     "14.71.12.1004", "14,13,21,18", "(0761) 5550101"),
    ("ALYATAMA", "Balai Rehabilitasi Sosial Anak 'Alyatama' Jambi", "Jambi",
     "15.71.01.1004", "15", "(0741) 5550102"),
    ("NAIBONAT", "Balai Rehabilitasi Sosial Anak 'Naibonat' Kupang", "Kupang",
     "53.01.06.1003", "53", "(0380) 5550103"),
    ("HANDAYANI", "Balai Rehabilitasi Sosial Anak 'Handayani' Jakarta", "Jakarta",
     "31.75.07", "31", "(021) 5550104"),
)  # fmt: skip

_CASE_P: Final = tuple(
    0.002 if a <= 4 else 0.005 if a <= 9 else 0.008 if a <= 13 else 0.016 for a in range(18)
)
_CASE_YEAR_WEIGHT: Final = {2022: 1.0, 2023: 1.2, 2024: 1.45, 2025: 1.7, 2026: 1.95}
# Category weights by age at opening: in conflict with the law only from 12 (UU 11/2012).
_CASE_MIX: Final = (
    ((A.MISTREATMENT_AND_NEGLECT, 30), (A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE, 25),
     (A.SEXUAL_CRIME_VICTIM, 8), (A.DISABILITY, 20), (A.EMERGENCY, 5), (A.HIV_AIDS, 2),
     (A.PARENTAL_STIGMA, 6)),
    ((A.SEXUAL_CRIME_VICTIM, 14), (A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE, 22),
     (A.MISTREATMENT_AND_NEGLECT, 18), (A.DISABILITY, 14), (A.ECONOMIC_OR_SEXUAL_EXPLOITATION, 6),
     (A.ABDUCTION_SALE_TRAFFICKING, 2), (A.PORNOGRAPHY, 2), (A.DEVIANT_SOCIAL_BEHAVIOUR, 8),
     (A.EMERGENCY, 3), (A.PARENTAL_STIGMA, 3), (A.MINORITY_OR_ISOLATED, 1), (A.HIV_AIDS, 1)),
    ((A.CONFLICT_WITH_LAW, 60), (A.SEXUAL_CRIME_VICTIM, 16), (A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE, 8),
     (A.MISTREATMENT_AND_NEGLECT, 5), (A.DRUG_ABUSE_VICTIM, 7), (A.DEVIANT_SOCIAL_BEHAVIOUR, 6),
     (A.ECONOMIC_OR_SEXUAL_EXPLOITATION, 4), (A.ABDUCTION_SALE_TRAFFICKING, 3), (A.PORNOGRAPHY, 2),
     (A.DISABILITY, 2), (A.TERRORISM_NETWORK, 0.3), (A.EMERGENCY, 0.7)),
)  # fmt: skip
_COMPLAINT_MIX: Final = (
    (A.MISTREATMENT_AND_NEGLECT, 25), (A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE, 22),
    (A.SEXUAL_CRIME_VICTIM, 12), (A.ECONOMIC_OR_SEXUAL_EXPLOITATION, 10), (A.CONFLICT_WITH_LAW, 6),
    (A.DEVIANT_SOCIAL_BEHAVIOUR, 6), (A.DRUG_ABUSE_VICTIM, 4), (A.ABDUCTION_SALE_TRAFFICKING, 2),
    (A.PORNOGRAPHY, 2), (A.DISABILITY, 5), (A.EMERGENCY, 4), (A.PARENTAL_STIGMA, 2),
)  # fmt: skip
_SUMMARY: Final[dict[str, str]] = {
    A.MISTREATMENT_AND_NEGLECT: "Anak sering ditinggal tanpa pengasuhan dan tidak bersekolah.",
    A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE: "Dugaan kekerasan fisik/psikis terhadap anak di rumah.",
    A.SEXUAL_CRIME_VICTIM: "Dugaan kekerasan seksual terhadap anak; perlu pendampingan segera.",
    A.CONFLICT_WITH_LAW: "Anak berhadapan dengan hukum; keluarga meminta pendampingan.",
    A.ECONOMIC_OR_SEXUAL_EXPLOITATION: "Anak bekerja di jalan hingga larut malam.",
    A.DRUG_ABUSE_VICTIM: "Anak diduga menyalahgunakan zat adiktif.",
    A.DEVIANT_SOCIAL_BEHAVIOUR: "Anak sering bolos dan terlibat perkelahian kelompok.",
    A.DISABILITY: "Anak penyandang disabilitas belum mendapat layanan.",
    A.ABDUCTION_SALE_TRAFFICKING: "Dugaan anak dibawa keluar daerah untuk dipekerjakan.",
}
_SUMMARY_DEFAULT: Final = "Laporan masyarakat tentang anak yang memerlukan perlindungan khusus."
_GOALS: Final = {
    "FAMILY": "Penguatan pengasuhan keluarga; anak kembali bersekolah.",
    "COMMUNITY": "Pendampingan berbasis komunitas; anak kembali bersekolah.",
    "RESIDENTIAL": "Pengasuhan sementara di balai; terapi psikososial; reunifikasi keluarga.",
}
_RESPONSE_ACTIONS: Final = (
    "HOME_VISIT", "ASSESSMENT", "COUNSELLING", "FAMILY_MEDIATION", "CASE_CONFERENCE", "MONITORING",
)  # fmt: skip
_CHANNELS: Final = ("PKSAI", "PKSAI", "PKSAI", "PSM", "PSM", "TKSK", "TKSK", "TEPSA", "TEPSA")
_LKSA_NAMES: Final = (
    "Kasih Ibu", "Al-Ikhlas", "Harapan Bangsa", "Nurul Iman", "Bina Insani", "Putra Harapan",
    "Tunas Bangsa", "Al-Hidayah", "Budi Luhur", "Sayap Kasih", "Mutiara Hati", "Darul Aitam",
    "Cahaya Hati", "Santo Yoseph", "Bethesda", "Pelita Kasih", "Amanah", "Permata Hati",
)  # fmt: skip
_CASE_MIX_BY_SEX: Final = {
    (group, sex): tuple(
        (c, w * (0.25 if (sex, c) == ("F", A.CONFLICT_WITH_LAW) else 1.0)
         * (0.35 if (sex, c) == ("M", A.SEXUAL_CRIME_VICTIM) else 1.0))
        for c, w in mix
    )
    for group, mix in enumerate(_CASE_MIX)
    for sex in ("F", "M")
}  # fmt: skip
_CASE_SOURCES: Final = {
    A.CONFLICT_WITH_LAW: (("POLICE", 55), ("COURT", 30), ("COMMUNITY", 15)),
    A.SEXUAL_CRIME_VICTIM: (("POLICE", 40), ("HOSPITAL", 15), ("COMMUNITY", 30), ("SCHOOL", 15)),
}
_OTHER_SOURCES: Final = (
    ("COMMUNITY", 45), ("SCHOOL", 20), ("LKSA", 10), ("HOSPITAL", 10), ("SELF", 15),
)  # fmt: skip
_TIMELINE_FRACTIONS: Final = (0.0, 0.05, 0.15, 0.25, 0.7, 0.85, 0.92, 1.0)
_CLOSURES: Final = (
    ("REINTEGRATED", 55), ("GOALS_MET", 20), ("TRANSFERRED", 10), ("AGED_OUT", 5), ("WITHDRAWN", 10),
)  # fmt: skip
_SETTINGS: Final = (("FAMILY", 45), ("COMMUNITY", 20), ("RESIDENTIAL", 35))
_RISKS: Final = (("LOW", 30), ("MEDIUM", 45), ("HIGH", 25))
_ASSESSMENT_NOTES: Final = (
    "Keluarga kooperatif.", "Ibu bekerja di luar kota; anak diasuh nenek.",
    "Anak putus sekolah sejak kelas 6.", "Perlu pemeriksaan psikolog.", None,
)  # fmt: skip
_PLACEMENT_ENDS: Final = (
    ("REUNIFIED", 50), ("FOSTER_CARE", 10), ("TRANSFERRED", 15), ("RAN_AWAY", 10), ("ADOPTED", 5),
    ("INDEPENDENT", 10),
)  # fmt: skip
_REFERRAL_REASON: Final = {
    "BALAI": "Membutuhkan rehabilitasi sosial lanjutan (ATENSI).",
    "LKSA": "Membutuhkan pengasuhan alternatif sementara.",
}
_REJECTIONS: Final = (
    "Tidak memenuhi kriteria layanan.", "Kapasitas penuh; dirujuk ulang ke lembaga lain.",
)  # fmt: skip
_HOUR: Final = 3600


def peksos_staff_id(kabupaten: str, index: int) -> str:
    """A Sakti Peksos's staff id: "SP", the kabupaten's digits, the place on its roster (from 1).

    E.g. SP147104, the fourth Sakti Peksos of Kota Pekanbaru (14.71); responses record it."""
    return f"SP{kabupaten.replace('.', '')}{index + 1:02d}"


class ProtectionServices:
    """The LKSA, the Balai and their caseworkers, each kabupaten's peksos: the same in every chunk."""

    def __init__(self, children: int, seed: int) -> None:
        self.children = children
        self.seed = seed
        self.peksos: dict[str, tuple[str, ...]] = {}
        self._reference()

    def _reference(self) -> None:
        rng = random.Random(f"satu-anak:{self.seed}:reference")
        rand = rng.random
        self.lksa_rows: list[tuple[Any, ...]] = []
        self.lksa_by_kab: dict[str, list[tuple[int, str]]] = {}
        desa_by_kab: dict[str, list[str]] = {}
        for d in regions.all_desa():
            desa_by_kab.setdefault(d.code[:5], []).append(d.code)
        # One LKSA in every kabupaten, then more where people are; about 25 placements each.
        spots = [
            rng.choice(desa_by_kab[k.code]) for k in regions.KABUPATEN if k.code in desa_by_kab
        ]
        spots += [
            regions.random_desa(rng) for _ in range(max(0, self.children // 5000 - len(spots)))
        ]
        for i, desa in enumerate(spots, start=1):
            prefix = "Panti Asuhan" if rand() < 0.5 else "LKSA"
            name = f"{prefix} {_LKSA_NAMES[int(rand() * len(_LKSA_NAMES))]} {PLACES[desa[:5]]}"
            self.lksa_rows.append((i, name, desa, 20 + int(rand() * 60), phone(rand)))
            self.lksa_by_kab.setdefault(desa[:5], []).append((i, desa))
        self.balai_rows = [tuple(b) for b in _BALAI]
        share: dict[str, int] = {}
        for _ in range(5000):
            code = _BALAI_OF_PROVINCE[regions.random_desa(rng)[:2]]
            share[code] = share.get(code, 0) + 1
        self.caseworker_rows: list[tuple[Any, ...]] = []
        self.caseworkers: dict[str, list[tuple[int, str]]] = {}
        for code, _name, _city, region, *_rest in _BALAI:
            # A peksos carries about 40 cases over the five simulated years.
            count = max(5, round(self.children * 0.007 * share.get(code, 0) / 5000 / 40))
            for i in range(count):
                cw_id = len(self.caseworker_rows) + 1
                sex = "F" if rand() < 0.6 else "M"
                name = generate_person_name(rng, sex, province=region[:2], generation="parent")
                self.caseworker_rows.append((cw_id, name, code, i % 6 == 0, phone(rand)))
                self.caseworkers.setdefault(code, []).append((cw_id, name))

    def peksos_of(self, kabupaten: str) -> tuple[str, ...]:
        names = self.peksos.get(kabupaten)
        if names is None:
            rng = random.Random(f"satu-anak:{self.seed}:peksos:{kabupaten}")
            names = tuple(
                generate_person_name(rng, "F" if rng.random() < 0.6 else "M", province=kabupaten[:2],
                                     generation="parent")
                for _ in range(6)
            )  # fmt: skip
            self.peksos[kabupaten] = names
        return names


class Protection:
    """Writes one chunk's complaints, responses, referrals, placements and ATENSI cases."""

    def __init__(self, draft: ChunkDraft, services: ProtectionServices) -> None:
        self.state, self.services = draft.state, services
        self.rand, self.stamp = draft.rand, draft.stamp
        self.rows = draft.rows
        s, b = draft.rows["dinsos"], draft.rows["balai"]
        self.complaints, self.responses = s["complaint"], s["case_response"]
        self.referrals, self.placements = s["referral"], s["placement"]
        self.cases, self.stage_events = b["atensi_case"], b["stage_event"]
        self.stays, self.assessments, self.plans = (
            b["residential_stay"], b["assessment"], b["intervention_plan"],
        )  # fmt: skip

    def reference(self) -> None:
        """The reference rows, once, in chunk 0: every LKSA, Balai and caseworker."""
        services = self.services
        self.rows["dinsos"]["lksa"].extend(services.lksa_rows)
        self.rows["balai"]["balai"].extend(services.balai_rows)
        self.rows["balai"]["caseworker"].extend(services.caseworker_rows)

    def random_events(self, kid: Kid, hh: Household) -> None:
        rand = self.rand
        if rand() < _CASE_P[kid.age]:
            self._random_case(kid, hh)
        if rand() < (0.008 if hh.decile <= 3 else 0.003):
            self._random_placement(kid, hh)
        if rand() < (0.02 if hh.decile <= 4 else 0.01):
            self._random_complaint(kid, hh)
            if rand() < 0.15:
                self._random_complaint(kid, hh)

    def _random_case(self, kid: Kid, hh: Household) -> None:
        rand = self.rand
        earliest = kid.birth + 180
        years = tuple(
            (year, weight)
            for year, weight in _CASE_YEAR_WEIGHT.items()
            if date(year, 12, 31).toordinal() > earliest
        )
        if not years:
            return
        year = pick_weighted(rand, years)
        lo = max(date(year, 1, 1).toordinal(), earliest)
        hi = min(date(year, 12, 31).toordinal(), REFERENCE_DAY - 1)
        if lo > hi:
            return
        opened = lo + int(rand() * (hi - lo + 1))
        age = age_on(kid.birth, opened)
        category = pick_weighted(
            rand, _CASE_MIX_BY_SEX[(0 if age < 6 else 1 if age < 12 else 2, kid.sex)]
        )
        balai = _BALAI_OF_PROVINCE[hh.desa[:2]]
        if rand() < 0.35:
            received = opened - 10 - int(rand() * 50)
            complaint = self.complaint(kid, hh, self.stamp(received), category, "REFERRED", 2)
            requested = received + 2 + int(rand() * 5)
            referral = self.referral(
                kid, complaint, "BALAI", balai, "COMPLETED", self.stamp(requested),
                self.stamp(requested + 1 + int(rand() * 3)), self.stamp(opened),
            )  # fmt: skip
            source = f"DINSOS:{referral}"
        else:
            source = pick_weighted(rand, _CASE_SOURCES.get(category, _OTHER_SOURCES))
        length = 60 + rand() * 480
        timeline = []
        for stage, fraction in zip(CASE_STAGES, _TIMELINE_FRACTIONS, strict=True):
            day = opened + int(fraction * length)
            if day >= REFERENCE_DAY:
                break
            timeline.append((stage, day))
        self.case(kid, balai, category, timeline, source)

    def case(
        self,
        kid: Kid,
        balai: str,
        category: str,
        timeline: list[tuple[str, int]],
        source: str | None,
        setting: str | None = None,
        closure: str | None = None,
    ) -> int:
        """An ATENSI case whose stages were entered on the given days (the last is current)."""
        rand, next_id = self.rand, self.state.next_id
        workers = self.services.caseworkers[balai]
        worker_id, _worker = workers[int(rand() * len(workers))]
        case_id = next_id("atensi_case")
        opened = timeline[0][1]
        stage, last = timeline[-1]
        closed = stage == "CLOSED"
        if closed:
            # A closed case keeps the stage it reached; closing is its status, not a stage.
            timeline = timeline[:-1]
            stage = timeline[-1][0]
        if closed and closure is None:
            closure = pick_weighted(rand, _CLOSURES)
            if closure == "AGED_OUT" and age_on(kid.birth, last) < 17:
                closure = "REINTEGRATED"
        self.cases.append((
            case_id, f"{balai}/{date.fromordinal(opened).year}/{case_id:06d}", kid.id, balai,
            worker_id, str(category), stage, date.fromordinal(opened),
            date.fromordinal(last) if closed else None,
            closure if closed else None, source,
        ))  # fmt: skip
        previous: datetime | None = None
        for name, day in timeline:
            at = self.stamp(day)
            if previous is not None and at <= previous:
                at = datetime.fromtimestamp(previous.timestamp() + _HOUR, UTC)
            self.stage_events.append((next_id("stage_event"), case_id, name, at, worker_id))
            previous = at
        days = dict(timeline)
        if "ASSESSMENT" in days:
            on = min(days["ASSESSMENT"] + int(rand() * 5), days.get("PLAN", REFERENCE_DAY - 1))
            self.assessments.append((
                next_id("assessment"), case_id, date.fromordinal(on), worker_id,
                pick_weighted(rand, _RISKS), _SUMMARY.get(category, _SUMMARY_DEFAULT),
                _ASSESSMENT_NOTES[int(rand() * len(_ASSESSMENT_NOTES))],
            ))  # fmt: skip
        if "PLAN" in days:
            setting = setting or pick_weighted(rand, _SETTINGS)
            on = min(days["PLAN"] + int(rand() * 4), days.get("INTERVENTION", REFERENCE_DAY - 1))
            self.plans.append(
                (
                    next_id("intervention_plan"),
                    case_id,
                    date.fromordinal(on),
                    setting,
                    _GOALS[setting],
                    None,
                )
            )
            if setting == "RESIDENTIAL" and "INTERVENTION" in days:
                self.stays.append((
                    next_id("residential_stay"), case_id, date.fromordinal(days["INTERVENTION"]),
                    optional_date(days.get("MONITORING")),
                ))  # fmt: skip
        kid.contact("BALAI", self.stamp(opened))
        return case_id

    def _random_placement(self, kid: Kid, hh: Household) -> None:
        rand = self.rand
        lo = max(date(2019, 1, 1).toordinal(), kid.birth + 365)
        if lo >= REFERENCE_DAY - 14:
            return
        started = lo + int(rand() * (REFERENCE_DAY - 14 - lo))
        homes = self.services.lksa_by_kab[hh.desa[:5]]
        lksa_id, lksa_desa = homes[int(rand() * len(homes))]
        ended = reason = None
        if REFERENCE_DAY - started > 150 and rand() < 0.5:
            ended = started + 60 + int(rand() * min(900, REFERENCE_DAY - started - 61))
            reason = pick_weighted(rand, _PLACEMENT_ENDS)
        referral = None
        if rand() < 0.45:
            received = started - 20 - int(rand() * 60)
            category = (A.MISTREATMENT_AND_NEGLECT, A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE,
                        A.ECONOMIC_OR_SEXUAL_EXPLOITATION)[int(rand() * 3)]  # fmt: skip
            status = "CLOSED" if ended is not None else "REFERRED"
            complaint = self.complaint(kid, hh, self.stamp(received), category, status, 2)
            requested = received + 3 + int(rand() * 7)
            referral = self.referral(
                kid, complaint, "LKSA", str(lksa_id), "COMPLETED", self.stamp(requested),
                self.stamp(requested + 1 + int(rand() * 3)), self.stamp(started),
            )  # fmt: skip
        self.placement(kid, lksa_id, lksa_desa, referral, started, ended, reason)

    def placement(
        self,
        kid: Kid,
        lksa_id: int,
        lksa_desa: str,
        referral: int | None,
        started: int,
        ended: int | None,
        reason: str | None,
    ) -> None:
        self.placements.append((
            self.state.next_id("placement"), kid.id, lksa_id, referral, date.fromordinal(started),
            optional_date(ended), reason,
        ))  # fmt: skip
        if ended is None:
            kid.lksa_desa = lksa_desa
        kid.contact("LKSA", self.stamp(started))

    def _random_complaint(self, kid: Kid, hh: Household) -> None:
        rand = self.rand
        lo = max(date(2021, 1, 1).toordinal(), kid.birth + 90)
        if lo >= REFERENCE_DAY - 1:
            return
        received = lo + int(rand() * (REFERENCE_DAY - 1 - lo))
        category = pick_weighted(rand, _COMPLAINT_MIX)
        if category == A.CONFLICT_WITH_LAW and age_on(kid.birth, received) < 12:
            category = A.MISTREATMENT_AND_NEGLECT
        waited = REFERENCE_DAY - received
        r = rand()
        if waited < 14:
            status = "RECEIVED" if r < 0.5 else "IN_RESPONSE"
        elif waited < 90:
            status = "IN_RESPONSE" if r < 0.45 else "REFERRED" if r < 0.65 else "CLOSED"
        else:
            status = "CLOSED" if r < 0.78 else "REFERRED"
        responses = 0 if status == "RECEIVED" else 1 + int(rand() * 3)
        complaint = self.complaint(kid, hh, self.stamp(received), category, status, responses)
        if status != "REFERRED":
            return
        requested = min(REFERENCE_DAY - 2, received + 3 + int(rand() * 20))
        kind = "BALAI" if rand() < 0.5 else "LKSA"
        if kind == "BALAI":
            target = _BALAI_OF_PROVINCE[hh.desa[:2]]
        else:
            homes = self.services.lksa_by_kab[hh.desa[:5]]
            target = str(homes[int(rand() * len(homes))][0])
        decided = self.stamp(min(REFERENCE_DAY - 1, requested + 1 + int(rand() * 10)))
        r = rand()
        if REFERENCE_DAY - requested < 30:
            outcome, note = ("REQUESTED", None) if r < 0.55 else ("ACCEPTED", None)
        elif r < 0.65:
            outcome, note = "REJECTED", _REJECTIONS[int(rand() * len(_REJECTIONS))]
        else:
            outcome, note = "REVOKED", "Dicabut: keluarga memilih pengasuhan kerabat."
        self.referral(
            kid, complaint, kind, target, outcome, self.stamp(requested),
            None if outcome == "REQUESTED" else decided, None, note,
        )  # fmt: skip

    def complaint(
        self,
        kid: Kid,
        hh: Household,
        received: datetime,
        category: str,
        status: str,
        responses: int,
        channel: str | None = None,
        actions: tuple[str, ...] = (),
    ) -> int:
        rand, next_id = self.rand, self.state.next_id
        complaint_id = next_id("complaint")
        self.complaints.append((
            complaint_id, kid.id, channel or _CHANNELS[int(rand() * len(_CHANNELS))], received,
            kid.lksa_desa or hh.desa, str(category), _SUMMARY.get(category, _SUMMARY_DEFAULT),
            status,
        ))  # fmt: skip
        kabupaten = hh.desa[:5]
        workers = self.services.peksos_of(kabupaten)
        worker = peksos_staff_id(kabupaten, int(rand() * len(workers)))
        at = received.timestamp()
        limit = datetime(2026, 10, 31, 23, tzinfo=UTC).timestamp()
        for i in range(len(actions) or responses):
            at += (1 + int(rand() * 9)) * 86400 + int(rand() * 4) * _HOUR
            if at >= limit:
                break
            action = (
                actions[i] if actions else _RESPONSE_ACTIONS[int(rand() * len(_RESPONSE_ACTIONS))]
            )
            self.responses.append(
                (
                    next_id("case_response"),
                    complaint_id,
                    worker,
                    datetime.fromtimestamp(at, UTC),
                    action,
                    None,
                )
            )
        kid.complained = True
        kid.contact("DINSOS", received)
        return complaint_id

    def referral(
        self,
        kid: Kid,
        complaint: int | None,
        kind: str,
        target: str,
        status: str,
        requested: datetime,
        decided: datetime | None,
        completed: datetime | None,
        note: str | None = None,
    ) -> int:
        referral_id = self.state.next_id("referral")
        self.referrals.append((
            referral_id, kid.id, complaint, kind, target, _REFERRAL_REASON[kind], status,
            requested, decided, completed, note,
        ))  # fmt: skip
        return referral_id
