"""Disdukcapil's rows: family cards, registry persons, the child index, children recorded without NIK."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import date, datetime
from typing import Final

from resolution.blocking import registry_keys
from satu_anak.synthetic import regions
from satu_anak.synthetic.common import (
    DAYS_PER_YEAR,
    PLACE_LIST,
    PLACES,
    REFERENCE_DAY,
    STREETS,
    ChunkDraft,
    GroundTruth,
    Household,
    Kid,
    optional_date,
    pick_weighted,
)
from satu_anak.synthetic.names import (
    generate_parent_names,
    generate_person_name,
    name_variant,
    nickname,
)
from satu_anak.synthetic.undocumented import (
    AgencyRecord,
    age_estimate_on,
    differs,
    given_token,
    rhyming_name,
)
from subgraphs.common.identifiers import make_kk, make_nik

_DESA_NAME: Final = {d.code: d.name for d in regions.all_desa()}
_KELURAHAN: Final = frozenset(d.code for d in regions.all_desa() if d.is_kelurahan)
# A quarter of the children without NIK are not in the registry; most of those have a
# look-alike there, the classic false link.
_P_IN_REGISTRY: Final = 0.75
# Weights before fallbacks: a child with no registered sibling 1-8 years apart gets a twin or a
# namesake instead, so the shares come out near even.
_NEGATIVES: Final = (("sibling", 0.40), ("twin", 0.20), ("namesake", 0.20), ("unregistered", 0.20))
_OLDEST_BIRTH: Final = date(2008, 11, 2).toordinal()  # 17 on the reference date


class Registry:
    """Writes one chunk's Disdukcapil rows: what the civil registry and the child index hold."""

    def __init__(self, draft: ChunkDraft) -> None:
        self.state = draft.state
        self.rng, self.rand = draft.rng, draft.rand
        self.norm, self.stamp = draft.norm, draft.stamp
        self.ground_truth = draft.ground_truth
        self.agency_record = AgencyRecord(draft.rng)
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
            street = STREETS[int(rand() * len(STREETS))]
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
        # After the loop: a sibling confuser gets its person id in it.
        for kid in hh.kids:
            if kid.recorded is not None:
                self.ground_truth.append(_ground_truth(kid))

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
            "ageEstimate": _age_estimate(kid, rec, at),
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

    def _report(self, kid: Kid, agency: str, at: datetime, values: dict[str, str | None]) -> None:
        next_id = self.state.next_id
        for attribute, value in values.items():
            if value:
                self.reports.append(
                    (next_id("child_attribute_report"), kid.id, agency, attribute, value, at)
                )

    def make_undocumented(self, kid: Kid, hh: Household, documented: Sequence[Kid]) -> None:
        """Record the child as an agency without its NIK would, and decide whether the registry
        knows it; if not, maybe plant its look-alike there (a twin or a namesake) or name the
        registered sibling (among ``documented``) it will be mistaken for."""
        in_registry = self.rand() < _P_IN_REGISTRY
        kid.matched = in_registry
        if not in_registry:
            kid.negative, kid.confuser = self._hard_negative(kid, hh, documented)
        kid.recorded, kinds = self.agency_record.record(kid, hh, in_registry)
        kid.variations = tuple(kinds)

    def _hard_negative(
        self, kid: Kid, hh: Household, documented: Sequence[Kid]
    ) -> tuple[str, Kid | int | None]:
        negative: str = pick_weighted(self.rand, _NEGATIVES)
        if negative == "sibling":
            sibling = self._registered_sibling(kid, documented)
            if sibling is not None:
                return negative, sibling
            negative = "twin" if self.rand() < 0.4 else "namesake"
        if negative == "twin":
            return negative, self._twin(kid, hh)
        if negative == "namesake":
            return negative, self._namesake(kid, hh)
        return "unregistered", None

    def _registered_sibling(self, kid: Kid, documented: Sequence[Kid]) -> Kid | None:
        """A sibling in the registry born 1-8 years apart, with another given name."""
        given = given_token(kid.name)
        apart = [
            k for k in documented
            if DAYS_PER_YEAR <= abs(k.birth - kid.birth) <= 8 * DAYS_PER_YEAR
            and differs(given_token(k.name), given)
        ]  # fmt: skip
        return apart[int(self.rand() * len(apart))] if apart else None

    def _twin(self, kid: Kid, hh: Household) -> int:
        """The child's twin in the registry: same parents, KK, desa and birth day, another name."""
        rand = self.rand
        sex = kid.sex if rand() < 0.6 else ("M" if kid.sex == "F" else "F")
        given = given_token(kid.name)
        twin_given = rhyming_name(given) if sex == kid.sex and rand() < 0.4 else None
        for _ in range(6):
            if twin_given is not None and differs(twin_given, given):
                break
            other = generate_person_name(self.rng, sex, culture=hh.culture)
            twin_given = given_token(other)
        name = kid.name.replace(given, twin_given or f"{given}a", 1)
        pid = self.state.next_id("person")
        nik = self._nik(hh.desa[:8], kid.birth, sex)
        cert = self._cert(hh.desa, kid.birth, pid) if rand() < 0.8 else None
        self._child_person(pid, nik, hh, name, sex, kid.birth, kid.birth_place, cert)
        return pid

    def _namesake(self, kid: Kid, hh: Household) -> int:
        """A child of another family in the same desa with (nearly) the same name, born close."""
        rand, rng = self.rand, self.rng
        name = kid.name
        if rand() < 0.3:
            with suppress(ValueError):
                name = name_variant(rng, kid.name, ["phonetic", "typo", "spacing"])[0]
        birth = kid.birth + int((rand() * 4 - 2) * DAYS_PER_YEAR)
        birth = max(_OLDEST_BIRTH, min(REFERENCE_DAY - 30, birth))
        father, mother = generate_parent_names(rng, hh.culture)
        while not differs(given_token(mother), given_token(hh.mother)):
            mother = generate_person_name(rng, "F", culture=hh.culture, generation="parent")
        mother_birth = birth - int((19 + rand() * 16) * DAYS_PER_YEAR)
        other = Household(
            desa=hh.desa, father=father if rand() < 0.88 else None, mother=mother,
            father_birth=mother_birth - int(rand() * 8 * DAYS_PER_YEAR),
            mother_birth=mother_birth, culture=hh.culture, decile=hh.decile, in_dtks=False,
            in_pkh=False, kids=[Kid(0, kid.sex, name, birth, kid.birth_place)],
        )  # fmt: skip
        self.open_household(other)
        pid = self.state.next_id("person")
        nik = self._nik(hh.desa[:8], birth, kid.sex)
        cert = self._cert(hh.desa, birth, pid) if rand() < 0.8 else None
        self._child_person(pid, nik, other, name, kid.sex, birth, kid.birth_place, cert)
        return pid

    def _child_person(
        self, pid: int, nik: str, hh: Household, name: str, sex: str, birth: int, place: str,
        cert: str | None,
    ) -> None:  # fmt: skip
        day = date.fromordinal(birth)
        self.persons.append((
            pid, nik, hh.kk, name, self.norm(name), sex, day, place, hh.mother, hh.father,
            "CHILD", hh.desa, cert, *registry_keys(name, hh.mother, day),
        ))  # fmt: skip

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


def _ground_truth(kid: Kid) -> GroundTruth:
    confuser = kid.confuser.person_id if isinstance(kid.confuser, Kid) else kid.confuser
    person = kid.person_id if kid.matched else None
    return GroundTruth(kid.id, person, kid.variations, kid.negative, confuser)


def _age_estimate(kid: Kid, rec: dict[str, object], at: datetime) -> str | None:
    """The ``ageEstimate`` report: the child's age on the report's day, blurred as recorded."""
    blur = rec.get("age_blur")
    if not isinstance(blur, int):
        return None
    return str(age_estimate_on(kid.birth, blur, at.date().toordinal()))
