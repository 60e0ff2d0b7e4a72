"""Disdukcapil's rows: family cards, registry persons, the child index, children recorded without NIK."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from resolution.blocking import registry_keys
from satu_anak.synthetic import regions
from satu_anak.synthetic.common import (
    PLACE_LIST,
    PLACES,
    REFERENCE_DAY,
    ChunkDraft,
    GroundTruth,
    Household,
    Kid,
    optional_date,
)
from satu_anak.synthetic.names import VariantKind, generate_person_name, name_variant, nickname
from subgraphs.common.identifiers import make_kk, make_nik

_STREETS: Final = (
    "Jl. Sudirman", "Jl. Diponegoro", "Jl. Kartini", "Jl. Merdeka", "Jl. Pattimura",
    "Jl. Sisingamangaraja", "Jl. Hang Tuah", "Jl. Pemuda", "Jl. Cendana", "Gg. Mawar",
    "Gg. Melati", "Gg. Kenanga", "Jl. Kaharuddin Nasution", "Jl. Garuda", "Jl. Kamboja",
    "Jl. Bougenville", "Jl. Rajawali", "Gg. Masjid", "Jl. Lintas Timur", "Jl. Pendidikan",
)  # fmt: skip
_DESA_NAME: Final = {d.code: d.name for d in regions.all_desa()}
_KELURAHAN: Final = frozenset(d.code for d in regions.all_desa() if d.is_kelurahan)
_COMMON_VARIANTS: Final[tuple[VariantKind, ...]] = (
    "old_spelling", "muhammad_abbrev", "dropped_prefix", "nur_variant", "nickname",
)  # fmt: skip


class Registry:
    """Writes one chunk's Disdukcapil rows: what the civil registry and the child index hold."""

    def __init__(self, draft: ChunkDraft) -> None:
        self.state = draft.state
        self.rng, self.rand = draft.rng, draft.rand
        self.norm, self.stamp = draft.norm, draft.stamp
        self.ground_truth = draft.ground_truth
        d = draft.rows["disdukcapil"]
        self.families, self.persons, self.children = d["family"], d["person"], d["child"]
        self.child_names, self.reports = d["child_name"], d["child_attribute_report"]

    def open_household(self, hh: Household) -> None:
        """The family card and the parents: what exists whatever the agencies know."""
        rand, state = self.rand, self.state
        kecamatan = hh.desa[:8]
        hh.issued = min(REFERENCE_DAY - 1, max(k.birth for k in hh.kids) + 14 + int(rand() * 380))
        hh.kk = self._kk(kecamatan, hh.issued)
        number = 1 + int(rand() * 120)
        if hh.desa in _KELURAHAN:
            street = _STREETS[int(rand() * len(_STREETS))]
            hh.address = (
                f"{street} No. {number}, RT {1 + int(rand() * 9):03d}/RW {1 + int(rand() * 6):03d}, "
                f"{_DESA_NAME[hh.desa]}"
            )
        else:
            hh.address = (
                f"Dusun {'I' * (1 + int(rand() * 3))}, RT {1 + int(rand() * 9):03d}/"
                f"RW {1 + int(rand() * 4):03d}, Desa {_DESA_NAME[hh.desa]}"
            )
        head = hh.father or hh.mother
        self.families.append((hh.kk, head, hh.desa, hh.address, date.fromordinal(hh.issued)))
        parents = [(hh.mother, "F", hh.mother_birth, "HEAD" if hh.father is None else "SPOUSE")]
        if hh.father is not None:
            parents.insert(0, (hh.father, "M", hh.father_birth, "HEAD"))
        for name, sex, birth, relationship in parents:
            pid = state.next_id("person")
            grandmother = generate_person_name(
                self.rng, "F", culture=hh.culture, generation="parent"
            )
            place = (
                PLACES[hh.desa[:5]] if rand() < 0.6 else PLACE_LIST[int(rand() * len(PLACE_LIST))]
            )
            cert = self._cert(hh.desa, birth, pid) if rand() < 0.45 else None
            self.persons.append((
                pid, self._nik(kecamatan, birth, sex), hh.kk, name, self.norm(name), sex,
                date.fromordinal(birth), place, grandmother, None, relationship, hh.desa, cert,
                *registry_keys(name, grandmother, date.fromordinal(birth)),
            ))  # fmt: skip

    def register_children(self, hh: Household) -> None:
        """The children: registry persons, index entries and the names other agencies use."""
        rand, state = self.rand, self.state
        kecamatan = hh.desa[:8]
        for kid in hh.kids:
            if kid.recorded is None or kid.matched:
                kid.person_id = pid = state.next_id("person")
                kid.nik = self._nik(kecamatan, kid.birth, kid.sex)
                has_cert = rand() < (0.9 if kid.recorded is None else 0.5)
                kid.cert = self._cert(hh.desa, kid.birth, pid) if has_cert else None
                self.persons.append((
                    pid, kid.nik, hh.kk, kid.name, self.norm(kid.name), kid.sex,
                    date.fromordinal(kid.birth), kid.birth_place, hh.mother, hh.father, "CHILD",
                    hh.desa, kid.cert, *registry_keys(kid.name, hh.mother, date.fromordinal(kid.birth)),
                ))  # fmt: skip
            if kid.recorded is None:
                self._documented_child(kid, hh)
            else:
                self._undocumented_child(kid)

    def _documented_child(self, kid: Kid, hh: Household) -> None:
        rand = self.rand
        # Most births are registered within weeks; a tail of late registrations (akta terlambat).
        delay = 7 + int(rand() * 53) if rand() < 0.75 else 60 + int(rand() * 840)
        kid.contact("DISDUKCAPIL", self.stamp(min(REFERENCE_DAY - 1, kid.birth + delay)))
        agency, at = min(kid.contacts.items(), key=lambda item: item[1])
        kia = "ISSUED" if kid.age < 17 and rand() < 0.35 else "NONE"
        self.children.append((
            kid.id, kid.nik, kid.name, self.norm(kid.name), kid.sex, date.fromordinal(kid.birth),
            False, kid.birth_place, hh.mother, hh.father, hh.desa, hh.address, hh.kk, kid.cert,
            kia, kid.person_id, agency, at,
        ))  # fmt: skip
        if len(kid.contacts) > 1 and rand() < 0.03:
            others = [a for a in kid.contacts if a != "DISDUKCAPIL"]
            self._other_name(kid, others[int(rand() * len(others))], nickname(self.rng, kid.name))

    def _other_name(self, kid: Kid, agency: str, name: str) -> None:
        kid.names_by[agency] = name
        self.child_names.append(
            (self.state.next_id("child_name"), kid.id, name, self.norm(name), agency)
        )

    def _undocumented_child(self, kid: Kid) -> None:
        rand, rng = self.rand, self.rng
        rec = kid.recorded
        assert rec is not None
        agency, at = min(kid.contacts.items(), key=lambda item: item[1])
        birth = optional_date(rec["birth"])
        self.children.append((
            kid.id, None, rec["full_name"], self.norm(rec["full_name"]), kid.sex, birth,
            rec["approx"], rec["birth_place"], rec["mother"], rec["father"], rec["region"],
            rec["address"], rec["kk"], None, "NONE", None, agency, at,
        ))  # fmt: skip
        values = {
            "fullName": rec["full_name"], "sex": kid.sex, "regionCode": rec["region"],
            "birthDate": birth.isoformat() if birth else None, "birthPlace": rec["birth_place"],
            "motherName": rec["mother"], "fatherName": rec["father"], "address": rec["address"],
            "kkNumber": rec["kk"],
        }  # fmt: skip
        self._report(kid, agency, at, values)
        for other, when in kid.contacts.items():
            if other == agency:
                continue
            name = rec["full_name"]
            if rand() < 0.5:
                if kid.matched and rand() < 0.4:
                    name = kid.name
                else:
                    try:
                        name = name_variant(rng, kid.name)[0]
                    except ValueError:
                        name = nickname(rng, kid.name)
                if name != rec["full_name"]:
                    self._other_name(kid, other, name)
            told = {"fullName": name, "sex": kid.sex, "regionCode": rec["region"]}
            if birth is not None and rand() < 0.7:
                told["birthDate"] = birth.isoformat()
            self._report(kid, other, when, told)
        self.ground_truth.append(
            GroundTruth(kid.id, kid.person_id if kid.matched else None, kid.variations)
        )

    def _report(self, kid: Kid, agency: str, at: datetime, values: dict[str, str | None]) -> None:
        next_id = self.state.next_id
        for attribute, value in values.items():
            if value:
                self.reports.append(
                    (next_id("child_attribute_report"), kid.id, agency, attribute, value, at)
                )

    def make_undocumented(self, kid: Kid, hh: Household, matched: bool) -> None:
        """Record the child as an agency without its NIK would: spelling, birth date, no KK."""
        rand, rng = self.rand, self.rng
        variations: list[str] = []
        name, approx = kid.name, False
        birth: int | None = kid.birth
        kind: str
        if matched:
            mode = rand()
            if mode < 0.75:
                # Mostly the variants officers meet every day; the rarer ones now and then.
                kinds = _COMMON_VARIANTS if rand() < 0.7 else None
                try:
                    name, kind = name_variant(rng, kid.name, kinds)
                except ValueError:
                    try:
                        name, kind = name_variant(rng, kid.name)
                    except ValueError:
                        kind, mode = "", 1.0
                if kind:
                    variations.append(kind)
            if mode >= 0.45:
                birth, approx, kind = self._blur_birth(kid.birth)
                variations.append(kind)
        else:
            if rand() < 0.2:
                name = nickname(rng, kid.name)
            if rand() < 0.5:
                birth, approx, _kind = self._blur_birth(kid.birth)
        kid.matched = matched
        kid.variations = tuple(variations)
        kid.recorded = {
            "full_name": name,
            "birth": birth,
            "approx": approx,
            "birth_place": kid.birth_place if rand() < 0.5 else None,
            "mother": hh.mother if rand() < 0.7 else None,
            "father": hh.father if rand() < 0.35 else None,
            "region": kid.lksa_desa or hh.desa,
            "address": hh.address if kid.lksa_desa is None and rand() < 0.4 else None,
            "kk": hh.kk if "PKH" in kid.contacts and rand() < 0.5 else None,
        }

    def _blur_birth(self, birth: int) -> tuple[int | None, bool, str]:
        rand = self.rand
        r = rand()
        if r < 0.1:
            return None, False, "birth_date_unknown"
        true = date.fromordinal(birth)
        if r < 0.55:
            kind = "birth_date_approximate"
            if rand() < 0.4:
                blurred = date(true.year, 1, 1) if true.month > 1 else date(true.year, 7, 1)
                new = blurred.toordinal()
            else:
                shift = 30 + int(rand() * 210)
                new = (
                    birth - shift
                    if rand() < 0.5 or birth + shift >= REFERENCE_DAY
                    else birth + shift
                )
        else:
            kind = "birth_date_year_off"
            year = true.year + 1 if rand() < 0.5 else true.year - 1
            new = date(year, true.month, min(true.day, 28)).toordinal()
            if new >= REFERENCE_DAY:
                new = date(true.year - 1, true.month, min(true.day, 28)).toordinal()
        if new >= REFERENCE_DAY:
            new = birth - 45
        return new, True, kind

    def _nik(self, kecamatan: str, birth: int, sex: str) -> str:
        day = date.fromordinal(birth)
        nik = make_nik(kecamatan, day, sex, 1)
        serials = self.state.nik_serials
        serial = serials.get(nik, 0) + 1
        serials[nik] = serial
        return nik if serial == 1 else make_nik(kecamatan, day, sex, serial)

    def _kk(self, kecamatan: str, issued: int) -> str:
        day = date.fromordinal(issued)
        kk = make_kk(kecamatan, day, 1)
        serials = self.state.kk_serials
        serial = serials.get(kk, 0) + 1
        serials[kk] = serial
        return kk if serial == 1 else make_kk(kecamatan, day, serial)

    def _cert(self, desa: str, birth: int, person_id: int) -> str:
        d = date.fromordinal(birth)
        late = "LT" if self.rand() < 0.3 else "LU"
        return f"{desa[:2]}{desa[3:5]}-{late}-{d.day:02d}{d.month:02d}{d.year}-{person_id % 9999 + 1:04d}"
