"""The planted stories (children 1-6, chunk 0): one child for each journey in DOMAIN.md (1-3) and
three children the consent rules need whatever the seed (4-6: issue 7's seeded cases)."""

from __future__ import annotations

from datetime import date
from typing import Final, NamedTuple

from satu_anak.synthetic.common import Household, Kid
from satu_anak.synthetic.households import Households
from satu_anak.synthetic.names import Culture
from subgraphs.common.ampk import AmpkCategory as A


class Story(NamedTuple):
    child_id: str
    description: str


STORY_PKH_DROPOUT: Final = Story(
    "ANK000000001",
    "PKH boy (SMP component) in Kota Pekanbaru whose school attendance fell under 85 % in the "
    "last two periods, with an open case at Balai Rumbai in stage INTERVENTION.",
)
STORY_UNDOCUMENTED: Final = Story(
    "ANK000000002",
    "Boy without NIK in an LKSA in Kota Batam, recorded as 'Moehammad Djoko Soetrisno' with an "
    "approximate birth date; the registry knows him as 'Muhammad Joko Sutrisno'.",
)
STORY_BALAI_HISTORY: Final = Story(
    "ANK000000003",
    "Girl in Kota Pekanbaru with an open case at Balai Rumbai (ASSESSMENT), two earlier "
    "complaints with Dinsos responses, a completed referral, an ended LKSA placement, a closed "
    "case at Balai Alyatama and PKH membership.",
)
# The consent rules' seeded cases: what the sample users must not see, or see only in part.
STORY_NOT_FACILITATED: Final = Story(
    "ANK000000004",
    "Girl in Bambukuning, kecamatan Tenayan Raya, Kota Pekanbaru (14.71.10: pkh-fac-pekanbaru's "
    "region) whose family is in DTKS but not in PKH: in the facilitator's region, not in her "
    "families.",
)
STORY_OUT_OF_REGION: Final = Story(
    "ANK000000005",
    "Boy in Kota Kupang (53.71, Nusa Tenggara Timur) with no case, complaint or placement: "
    "outside every sample user's region.",
)
STORY_OTHER_BALAI: Final = Story(
    "ANK000000006",
    "Boy in Kabupaten Siak (14.08, Riau: Balai Rumbai's provinces) whose only case is a closed "
    "one at Balai Naibonat (Kupang, 2023-24, mistreatment and neglect): none at Rumbai.",
)
STORIES: Final = (
    STORY_PKH_DROPOUT, STORY_UNDOCUMENTED, STORY_BALAI_HISTORY,
    STORY_NOT_FACILITATED, STORY_OUT_OF_REGION, STORY_OTHER_BALAI,
)  # fmt: skip


def plant_stories(households: Households, seeded: Households) -> None:
    """Write the story children, in the order of STORIES, before any random household.

    Children 1-3 draw from the chunk's random stream, as they always have; 4-6 from ``seeded``'s
    own stream (same rows and state), so the random households after them draw the same numbers
    as before those three were planted: the same people, numbered from 7.
    """
    _pkh_dropout(households)
    _undocumented(households)
    _balai_history(households)
    _not_facilitated(seeded)
    _out_of_region(seeded)
    _other_balai(seeded)


def _pkh_dropout(households: Households) -> None:
    """STORY_PKH_DROPOUT: attendance 92 %, 90 %, then 72 % and 56 %; an open case since May."""
    d = _ordinal
    registry, programmes, protection = (
        households.registry, households.programmes, households.protection,
    )  # fmt: skip
    kid = Kid(1, "M", "Rizky Saputra", d(2012, 5, 14), "Pekanbaru")
    hh = Household("14.71.10.1004", "Syahrial Efendi", "Yusnidar", d(1979, 2, 11),
                   d(1983, 7, 25), Culture.MALAY, 1, True, True, [kid])  # fmt: skip
    registry.open_household(hh)
    pkh, dtks = (d(2019, 3, 1), "ACTIVE", None), d(2018, 6, 1)
    programmes.programme_contacts(hh, pkh, dtks)
    protection.case(kid, "RUMBAI", A.CONFLICT_WITH_LAW, [
        ("INTAKE", d(2026, 5, 18)), ("ASSESSMENT", d(2026, 5, 25)),
        ("PLAN", d(2026, 6, 15)), ("INTERVENTION", d(2026, 7, 6)),
    ], "POLICE", setting="COMMUNITY")  # fmt: skip
    attendance = {
        (2025, 4): (56, 61),
        (2026, 1): (54, 60),
        (2026, 2): (43, 60),
        (2026, 3): (35, 62),
    }
    households.close_household(hh, pkh, dtks, attendance)


def _undocumented(households: Households) -> None:
    """STORY_UNDOCUMENTED: an LKSA in Batam took him in without papers, in old spelling."""
    d = _ordinal
    registry, protection = households.registry, households.protection
    kid = Kid(2, "M", "Muhammad Joko Sutrisno", d(2014, 8, 17), "Batam")
    hh = Household("21.71.09.1002", "Sutrisno", "Sri Wahyuni", d(1981, 4, 2), d(1986, 12, 9),
                   Culture.JAVANESE, 3, False, False, [kid])  # fmt: skip
    registry.open_household(hh)
    lksa_id, lksa_desa = protection.services.lksa_by_kab["21.71"][0]
    protection.placement(kid, lksa_id, lksa_desa, None, d(2025, 2, 10), None, None)
    kid.variations = ("old_spelling", "birth_date_approximate", "no_father")
    kid.recorded = {
        "full_name": "Moehammad Djoko Soetrisno", "birth": d(2014, 1, 1), "approx": True,
        "birth_place": "Batam", "mother": "Sri Wahjoeni", "father": None,
        "region": lksa_desa, "address": None, "kk": None,
    }  # fmt: skip
    households.close_household(hh, None, None)


def _balai_history(households: Households) -> None:
    """STORY_BALAI_HISTORY: Jambi case in 2022, moved to Pekanbaru, LKSA 2023-24, now Rumbai."""
    d = _ordinal
    registry, programmes, protection = (
        households.registry, households.programmes, households.protection,
    )  # fmt: skip
    stamp = protection.stamp
    kid = Kid(3, "F", "Putri Ayu Lestari", d(2010, 2, 10), "Jambi")
    hh = Household("14.71.07.1006", "Hendra", "Rosmawati", d(1976, 8, 30), d(1982, 3, 3),
                   Culture.MALAY, 2, True, True, [kid])  # fmt: skip
    registry.open_household(hh)
    pkh, dtks = (d(2023, 9, 1), "ACTIVE", None), d(2023, 8, 1)
    programmes.programme_contacts(hh, pkh, dtks)
    protection.case(kid, "ALYATAMA", A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE, [
        ("INTAKE", d(2022, 3, 8)), ("ASSESSMENT", d(2022, 3, 14)), ("PLAN", d(2022, 4, 4)),
        ("INTERVENTION", d(2022, 4, 18)), ("MONITORING", d(2022, 9, 5)),
        ("TERMINATION", d(2022, 11, 7)), ("AFTERCARE", d(2022, 11, 21)),
        ("CLOSED", d(2023, 2, 20)),
    ], "POLICE", setting="RESIDENTIAL", closure="REINTEGRATED")  # fmt: skip
    steps = ("HOME_VISIT", "ASSESSMENT", "CASE_CONFERENCE")
    first = protection.complaint(kid, hh, stamp(d(2023, 6, 12)), A.MISTREATMENT_AND_NEGLECT,
                                 "CLOSED", 3, channel="TEPSA", actions=steps)  # fmt: skip
    lksa_id, lksa_desa = protection.services.lksa_by_kab["14.71"][0]
    to_lksa = protection.referral(kid, first, "LKSA", str(lksa_id), "COMPLETED",
                                  stamp(d(2023, 6, 26)), stamp(d(2023, 6, 29)),
                                  stamp(d(2023, 7, 3)))  # fmt: skip
    protection.placement(kid, lksa_id, lksa_desa, to_lksa, d(2023, 7, 3), d(2024, 8, 30),
                         "REUNIFIED")  # fmt: skip
    second = protection.complaint(kid, hh, stamp(d(2026, 9, 22)),
                                  A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE, "REFERRED", 3,
                                  channel="PKSAI", actions=steps)  # fmt: skip
    to_balai = protection.referral(kid, second, "BALAI", "RUMBAI", "COMPLETED",
                                   stamp(d(2026, 10, 1)), stamp(d(2026, 10, 5)),
                                   stamp(d(2026, 10, 12)))  # fmt: skip
    protection.case(kid, "RUMBAI", A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE,
                    [("INTAKE", d(2026, 10, 12)), ("ASSESSMENT", d(2026, 10, 19))],
                    f"DINSOS:{to_balai}")  # fmt: skip
    households.close_household(hh, pkh, dtks)


def _not_facilitated(households: Households) -> None:
    """STORY_NOT_FACILITATED: a poor family next to the facilitator's, but outside PKH."""
    d = _ordinal
    registry, programmes = households.registry, households.programmes
    kid = Kid(4, "F", "Nurul Hidayah", d(2015, 9, 3), "Pekanbaru")
    hh = Household("14.71.10.1005", "Zulkifli", "Dewi Sartika", d(1984, 1, 19), d(1988, 6, 7),
                   Culture.MALAY, 4, True, False, [kid])  # fmt: skip
    registry.open_household(hh)
    dtks = d(2020, 2, 1)
    programmes.programme_contacts(hh, None, dtks)
    households.close_household(hh, None, dtks)


def _out_of_region(households: Households) -> None:
    """STORY_OUT_OF_REGION: a family in Kota Kupang that no sample user's region reaches."""
    d = _ordinal
    registry, programmes = households.registry, households.programmes
    kid = Kid(5, "M", "Yohanes Benu", d(2013, 11, 21), "Kupang")
    hh = Household("53.71.02.1002", "Petrus Benu", "Maria Seran", d(1980, 3, 15),
                   d(1985, 10, 2), Culture.NTT, 5, False, False, [kid])  # fmt: skip
    registry.open_household(hh)
    programmes.programme_contacts(hh, None, None)
    households.close_household(hh, None, None)


def _other_balai(households: Households) -> None:
    """STORY_OTHER_BALAI: Naibonat took his case while the family lived in Kupang; now in Siak."""
    d = _ordinal
    registry, protection = households.registry, households.protection
    kid = Kid(6, "M", "Dimas Pratama", d(2011, 7, 28), "Kupang")
    hh = Household("14.08.01.1002", "Agus Pratama", "Lina Marlina", d(1978, 12, 5),
                   d(1983, 4, 14), Culture.JAVANESE, 6, False, False, [kid])  # fmt: skip
    registry.open_household(hh)
    protection.case(kid, "NAIBONAT", A.MISTREATMENT_AND_NEGLECT, [
        ("INTAKE", d(2023, 8, 14)), ("ASSESSMENT", d(2023, 8, 21)), ("PLAN", d(2023, 9, 11)),
        ("INTERVENTION", d(2023, 9, 25)), ("MONITORING", d(2024, 2, 5)),
        ("TERMINATION", d(2024, 4, 1)), ("CLOSED", d(2024, 4, 29)),
    ], "COMMUNITY", setting="FAMILY", closure="REINTEGRATED")  # fmt: skip
    households.close_household(hh, None, None)


def _ordinal(year: int, month: int, day: int) -> int:
    return date(year, month, day).toordinal()
