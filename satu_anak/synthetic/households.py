"""Random households, and the order in which the registry, the programmes and protection learn of them."""

from __future__ import annotations

from datetime import date
from typing import Final

from satu_anak.synthetic import regions
from satu_anak.synthetic.common import (
    DAYS_PER_YEAR,
    PLACE_LIST,
    PLACES,
    REFERENCE_DAY,
    ChunkDraft,
    Household,
    Kid,
    pick_weighted,
)
from satu_anak.synthetic.names import Culture, generate_family_names, generate_person_name
from satu_anak.synthetic.programmes import PkhPlan, Programmes
from satu_anak.synthetic.protection import Protection, ProtectionServices
from satu_anak.synthetic.registry import Registry

_OLDEST_BIRTH: Final = date(2008, 11, 2).toordinal()  # 17 on the reference date
_KIDS_POOR: Final = ((1, 20), (2, 32), (3, 26), (4, 14), (5, 8))
_KIDS: Final = ((1, 30), (2, 38), (3, 22), (4, 8), (5, 2))
_PKH_P: Final = (0.85, 0.85, 0.45, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


class Households:
    """Builds one chunk's households through the agencies' writers, which share its random stream."""

    def __init__(self, draft: ChunkDraft, services: ProtectionServices) -> None:
        self.rng, self.rand = draft.rng, draft.rand
        self.registry = Registry(draft)
        self.programmes = Programmes(draft)
        self.protection = Protection(draft, services)

    def random_household(self, number: int, room: int) -> int:
        """One household with at most ``room`` children; returns how many children it has."""
        rand, rng = self.rand, self.rng
        desa = regions.random_desa(rng)
        province = desa[:2]
        decile = 1 + int(rand() ** (1.5 if province == "53" else 1.1) * 10)
        r = rand()
        in_dtks = (decile <= 4 and r < 0.75) or (decile <= 6 and r < 0.1) or r < 0.01
        in_pkh = in_dtks and rand() < _PKH_P[decile - 1]
        planned = pick_weighted(rand, _KIDS_POOR if decile <= 3 else _KIDS)
        while True:
            mother_birth = REFERENCE_DAY - int((20 + rand() * 30) * DAYS_PER_YEAR)
            birth = mother_birth + int((19 + rand() * 10) * DAYS_PER_YEAR)
            births: list[int] = []
            for _ in range(planned):
                if birth >= REFERENCE_DAY:
                    break
                if birth >= _OLDEST_BIRTH:
                    births.append(birth)
                birth += int((1.3 + rand() * 3.7) * DAYS_PER_YEAR)
            if births:
                break
        births = births[:room]
        first_sex = "F" if rand() < 0.49 else "M"
        names = generate_family_names(rng, first_sex, province=province)
        family_name = None
        if names.culture in (Culture.BATAK, Culture.NTT) and " " in names.child:
            last = names.child.rsplit(" ", 1)[1]
            if names.father.endswith(" " + last):
                family_name = last  # siblings share the marga / fam of the first child
        home = PLACES[desa[:5]]
        kids = []
        for i, birth in enumerate(births):
            if i == 0:
                sex, name = first_sex, names.child
            else:
                sex = "F" if rand() < 0.49 else "M"
                name = generate_person_name(rng, sex, culture=names.culture)
                if family_name and " " in name:
                    name = f"{name.rsplit(' ', 1)[0]} {family_name}"
            place = home if rand() < 0.92 else PLACE_LIST[int(rand() * len(PLACE_LIST))]
            kids.append(Kid(number + i, sex, name, birth, place))
        has_father = rand() < 0.88
        hh = Household(
            desa=desa,
            father=names.father if has_father else None,
            mother=names.mother,
            father_birth=mother_birth - int(rand() * 8 * DAYS_PER_YEAR),
            mother_birth=mother_birth,
            culture=names.culture,
            decile=decile,
            in_dtks=in_dtks,
            in_pkh=in_pkh,
            kids=kids,
        )
        self.registry.open_household(hh)
        pkh = self.programmes.plan_pkh(hh) if in_pkh else None
        dtks = self.programmes.plan_dtks() if in_dtks else None
        self.programmes.programme_contacts(hh, pkh, dtks)
        undocumented = []
        for kid in kids:
            self.protection.random_events(kid, hh)
            contacts = kid.contacts
            if contacts:
                p = (
                    0.2 if ("LKSA" in contacts or "BALAI" in contacts)
                    else 0.1 if kid.complained else 0.03
                )  # fmt: skip
                if rand() < p:
                    undocumented.append(kid)
        documented = [kid for kid in kids if kid not in undocumented]
        for kid in undocumented:
            self.registry.make_undocumented(kid, hh, documented)
        self.close_household(hh, pkh, dtks)
        return len(kids)

    def close_household(
        self,
        hh: Household,
        pkh: PkhPlan | None,
        dtks: int | None,
        attendance: dict[tuple[int, int], tuple[int, int]] | None = None,
    ) -> None:
        """The children: registry persons, index entries, other names, and the programmes."""
        self.registry.register_children(hh)
        if pkh is not None:
            self.programmes.emit_pkh(hh, *pkh, attendance=attendance)
        if dtks is not None:
            self.programmes.emit_dtks(hh, dtks, pkh)
