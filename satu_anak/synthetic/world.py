"""A deterministic synthetic population — children, families and what each agency knows — in chunks."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final, NamedTuple

from sqlalchemy import Table

from satu_anak.synthetic import regions
from satu_anak.synthetic.names import (
    Culture,
    VariantKind,
    generate_family_names,
    generate_person_name,
    name_variant,
    nickname,
)
from subgraphs.balai import tables as balai_t
from subgraphs.common.ampk import AmpkCategory as A
from subgraphs.common.identifiers import make_kk, make_nik
from subgraphs.common.names import normalize_name
from subgraphs.dinsos import tables as dinsos_t
from subgraphs.disdukcapil import tables as dukcapil_t
from subgraphs.pkh import tables as pkh_t

__all__ = [
    "CASE_STAGES",
    "COLUMNS",
    "REFERENCE_DATE",
    "STORIES",
    "STORY_BALAI_HISTORY",
    "STORY_PKH_DROPOUT",
    "STORY_UNDOCUMENTED",
    "TABLES",
    "Chunk",
    "GroundTruth",
    "Story",
    "child_id",
    "generate",
]

# Ages and periods are relative to this date, never today(), so a seed always gives the same world.
REFERENCE_DATE: Final = date(2026, 11, 1)


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
STORIES: Final = (STORY_PKH_DROPOUT, STORY_UNDOCUMENTED, STORY_BALAI_HISTORY)

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


class GroundTruth(NamedTuple):
    """Which registry person an undocumented child really is, and how the records differ."""

    child_id: str
    person_id: int | None
    variations: tuple[str, ...]


# Tables per subgraph in foreign-key order; rows are tuples in the order of COLUMNS.
TABLES: Final[dict[str, tuple[Table, ...]]] = {
    "disdukcapil": (
        dukcapil_t.family,
        dukcapil_t.person,
        dukcapil_t.child,
        dukcapil_t.child_name,
        dukcapil_t.child_attribute_report,
    ),
    "dinsos": (
        dinsos_t.lksa,
        dinsos_t.registry_member,
        dinsos_t.assistance,
        dinsos_t.complaint,
        dinsos_t.case_response,
        dinsos_t.referral,
        dinsos_t.placement,
    ),
    "pkh": (
        pkh_t.facilitator,
        pkh_t.beneficiary_family,
        pkh_t.member,
        pkh_t.component,
        pkh_t.verification,
        pkh_t.payment,
    ),
    "balai": (
        balai_t.balai,
        balai_t.caseworker,
        balai_t.atensi_case,
        balai_t.stage_event,
        balai_t.residential_stay,
        balai_t.assessment,
        balai_t.intervention_plan,
    ),
}

# Columns the generator leaves to their default (NULL): what a later lifecycle step writes.
_NOT_GENERATED: Final[dict[str, frozenset[str]]] = {
    "complaint": frozenset({"closed_at"}),
    "referral": frozenset({"revoked_at", "closing_note"}),
}

# The tables' own columns, in their order, less those: a column added to a table makes its rows
# one value short until the generator writes it or it is listed above (the loader and the tests
# refuse rows of the wrong length), so nothing shifts silently.
COLUMNS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    subgraph: {
        table.name: tuple(
            c.name for c in table.columns if c.name not in _NOT_GENERATED.get(table.name, ())
        )
        for table in tables
    }
    for subgraph, tables in TABLES.items()
}

Rows = dict[str, dict[str, list[tuple[Any, ...]]]]


@dataclass
class Chunk:
    """One slice of the world: the rows of every table for children first_child..+children-1."""

    index: int
    first_child: int
    children: int
    rows: Rows
    ground_truth: list[GroundTruth]

    def row_count(self) -> int:
        return sum(len(rows) for tables in self.rows.values() for rows in tables.values())


def child_id(number: int) -> str:
    """The national child index ID of the number-th child: 'ANK' and nine digits."""
    return f"ANK{number:09d}"


def generate(children: int, seed: int, chunk_size: int = 20_000) -> Iterator[Chunk]:
    """The world of ``children`` children, chunk by chunk; chunk 0 holds reference data and stories.

    Same (children, seed, chunk_size) gives identical rows. Integer ids run on across chunks,
    so chunks must be taken in order; only one chunk's rows are held at a time.
    """
    if children < len(STORIES):
        raise ValueError(f"children must be at least {len(STORIES)} (the planted stories)")
    if chunk_size < len(STORIES):
        raise ValueError(f"chunk_size must be at least {len(STORIES)}")
    world = _World(children, seed)
    for index in range(math.ceil(children / chunk_size)):
        first = index * chunk_size + 1
        yield world.chunk(index, first, min(chunk_size, children - first + 1))


# --- constants of the simulation ---------------------------------------------------------

_REF: Final = REFERENCE_DATE.toordinal()
_YEAR: Final = 365.25
_OLDEST_BIRTH: Final = date(2008, 11, 2).toordinal()  # 17 on the reference date
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
_PHONE_PREFIXES: Final = ("0811", "0812", "0813", "0821", "0822", "0852", "0853", "0857", "0878")
_STREETS: Final = (
    "Jl. Sudirman", "Jl. Diponegoro", "Jl. Kartini", "Jl. Merdeka", "Jl. Pattimura",
    "Jl. Sisingamangaraja", "Jl. Hang Tuah", "Jl. Pemuda", "Jl. Cendana", "Gg. Mawar",
    "Gg. Melati", "Gg. Kenanga", "Jl. Kaharuddin Nasution", "Jl. Garuda", "Jl. Kamboja",
    "Jl. Bougenville", "Jl. Rajawali", "Gg. Masjid", "Jl. Lintas Timur", "Jl. Pendidikan",
)  # fmt: skip
_LKSA_NAMES: Final = (
    "Kasih Ibu", "Al-Ikhlas", "Harapan Bangsa", "Nurul Iman", "Bina Insani", "Putra Harapan",
    "Tunas Bangsa", "Al-Hidayah", "Budi Luhur", "Sayap Kasih", "Mutiara Hati", "Darul Aitam",
    "Cahaya Hati", "Santo Yoseph", "Bethesda", "Pelita Kasih", "Amanah", "Permata Hati",
)  # fmt: skip
_UTC = UTC
_D = Decimal


_KIDS_POOR: Final = ((1, 20), (2, 32), (3, 26), (4, 14), (5, 8))
_KIDS: Final = ((1, 30), (2, 38), (3, 22), (4, 8), (5, 2))
_PKH_P: Final = (0.85, 0.85, 0.45, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
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
_COMMON_VARIANTS: Final[tuple[VariantKind, ...]] = (
    "old_spelling", "muhammad_abbrev", "dropped_prefix", "nur_variant", "nickname",
)  # fmt: skip
_AMOUNTS: dict[int, Decimal] = {}
_HOUR: Final = 3600


def _pick_weighted(rand: Callable[[], float], table: tuple[tuple[Any, float], ...]) -> Any:
    r = rand() * sum(w for _, w in table)
    for value, weight in table:
        r -= weight
        if r < 0:
            return value
    return table[-1][0]


def _place_of(kabupaten: str) -> str:
    name = regions.kabupaten_name(kabupaten)
    for prefix in ("Kota Administrasi ", "Kota ", "Kabupaten "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


_PLACES: Final = {k.code: _place_of(k.code) for k in regions.KABUPATEN}
_PLACE_LIST: Final = tuple(_PLACES.values())
_DESA_NAME: Final = {d.code: d.name for d in regions.all_desa()}
_KELURAHAN: Final = frozenset(d.code for d in regions.all_desa() if d.is_kelurahan)

# Attendance as the percentage of ~60 school days in a quarter: precomputed Decimals, so a
# verification row costs a lookup instead of a Decimal construction.
_ATTENDANCE: Final = {
    (a, d): _D(round(100 * a / d, 2)).quantize(_D("0.01"))
    for d in range(56, 65)
    for a in range(d + 1)
}
_STAGE_AMOUNT: Final = {n: _D(n) for n in range(0, 4_000_001, 125_000)}


def _phone(rand: Callable[[], float]) -> str:
    """A random mobile number: synthetic, like everything else here."""
    return f"{_PHONE_PREFIXES[int(rand() * len(_PHONE_PREFIXES))]}{int(rand() * 1e8):08d}"


def _years(birth: int, on: int) -> int:
    b, o = date.fromordinal(birth), date.fromordinal(on)
    return o.year - b.year - ((o.month, o.day) < (b.month, b.day))


def _stamp(ordinal: int, rand: Callable[[], float]) -> datetime:
    """A moment in office hours (08-17 WIB, kept in UTC) of that day."""
    d = date.fromordinal(ordinal)
    return datetime(d.year, d.month, d.day, 1 + int(rand() * 9), int(rand() * 60), tzinfo=_UTC)


class _Kid:
    """A child while its household is built: the truth, what agencies recorded, first contacts."""

    __slots__ = (
        "age", "birth", "birth_place", "cert", "complained", "contacts", "id", "lksa_desa",
        "matched", "name", "names_by", "nik", "person_id", "recorded", "sex", "variations",
    )  # fmt: skip

    def __init__(self, number: int, sex: str, name: str, birth: int, birth_place: str) -> None:
        self.id = child_id(number)
        self.sex = sex
        self.name = name
        self.birth = birth
        self.birth_place = birth_place
        self.age = _years(birth, _REF)
        self.contacts: dict[str, datetime] = {}
        self.names_by: dict[str, str] = {}
        self.person_id: int | None = None
        self.nik: str | None = None
        self.cert: str | None = None
        self.complained = False
        self.lksa_desa: str | None = None
        # Undocumented children only: what the registering agency wrote down (child columns).
        self.recorded: dict[str, Any] | None = None
        self.matched = True
        self.variations: tuple[str, ...] = ()

    def contact(self, agency: str, at: datetime) -> None:
        known = self.contacts.get(agency)
        if known is None or at < known:
            self.contacts[agency] = at


@dataclass
class _Household:
    desa: str
    father: str | None
    mother: str
    father_birth: int
    mother_birth: int
    culture: Culture
    decile: int
    in_dtks: bool
    in_pkh: bool
    kids: list[_Kid]
    kk: str = ""
    address: str = ""
    issued: int = 0


class _World:
    """State that runs across chunks: id counters, NIK/KK serials, facilitators, reference data."""

    def __init__(self, children: int, seed: int) -> None:
        self.children = children
        self.seed = seed
        self.ids: dict[str, int] = {}
        self.nik_serials: dict[str, int] = {}
        self.kk_serials: dict[str, int] = {}
        self.facilitators: dict[str, list[Any]] = {}  # kecamatan -> [id, families left, name]
        self.peksos: dict[str, tuple[str, ...]] = {}
        self._reference()

    # -- reference data: LKSA, Balai, caseworkers (independent of chunk size) --------------

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
            name = f"{prefix} {_LKSA_NAMES[int(rand() * len(_LKSA_NAMES))]} {_PLACES[desa[:5]]}"
            self.lksa_rows.append((i, name, desa, 20 + int(rand() * 60), _phone(rand)))
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
                self.caseworker_rows.append((cw_id, name, code, i % 6 == 0, _phone(rand)))
                self.caseworkers.setdefault(code, []).append((cw_id, name))

    def next_id(self, table: str) -> int:
        value = self.ids.get(table, 0) + 1
        self.ids[table] = value
        return value

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

    def chunk(self, index: int, first: int, count: int) -> Chunk:
        builder = _ChunkBuilder(self, random.Random(f"satu-anak:{self.seed}:{index}"))
        if index == 0:
            builder.reference()
            builder.stories()
        number = first + (len(STORIES) if index == 0 else 0)
        end = first + count
        while number < end:
            number += builder.random_household(number, end - number)
        return Chunk(index, first, count, builder.rows, builder.ground_truth)


def _amount(value: int) -> Decimal:
    cached = _AMOUNTS.get(value)
    if cached is None:
        cached = _AMOUNTS[value] = Decimal(value)
    return cached


def _ordinal(year: int, month: int, day: int) -> int:
    return date(year, month, day).toordinal()


def _day(ordinal: int | None) -> date | None:
    return None if ordinal is None else date.fromordinal(ordinal)


class _ChunkBuilder:
    """Builds one chunk's rows; the world object carries what must continue into the next."""

    def __init__(self, world: _World, rng: random.Random) -> None:
        self.w = world
        self.rng = rng
        self.rand = rng.random
        self.rows: Rows = {sg: {t.name: [] for t in tables} for sg, tables in TABLES.items()}
        self.ground_truth: list[GroundTruth] = []
        self._norm: dict[str, str] = {}
        d, s, p, b = (self.rows[k] for k in ("disdukcapil", "dinsos", "pkh", "balai"))
        self.families, self.persons, self.children = d["family"], d["person"], d["child"]
        self.child_names, self.reports = d["child_name"], d["child_attribute_report"]
        self.members_dtks, self.assistance = s["registry_member"], s["assistance"]
        self.complaints, self.responses = s["complaint"], s["case_response"]
        self.referrals, self.placements = s["referral"], s["placement"]
        self.facilitators, self.kpm, self.members = (
            p["facilitator"],
            p["beneficiary_family"],
            p["member"],
        )
        self.components, self.verifications, self.payments = (
            p["component"], p["verification"], p["payment"],
        )  # fmt: skip
        self.cases, self.stage_events = b["atensi_case"], b["stage_event"]
        self.stays, self.assessments, self.plans = (
            b["residential_stay"], b["assessment"], b["intervention_plan"],
        )  # fmt: skip

    def reference(self) -> None:
        self.rows["dinsos"]["lksa"].extend(self.w.lksa_rows)
        self.rows["balai"]["balai"].extend(self.w.balai_rows)
        self.rows["balai"]["caseworker"].extend(self.w.caseworker_rows)

    def norm(self, name: str) -> str:
        value = self._norm.get(name)
        if value is None:
            value = self._norm[name] = normalize_name(name)
        return value

    def stamp(self, ordinal: int) -> datetime:
        return _stamp(ordinal, self.rand)

    # -- households ------------------------------------------------------------------------

    def random_household(self, number: int, room: int) -> int:
        """One household with at most ``room`` children; returns how many children it has."""
        rand, rng = self.rand, self.rng
        desa = regions.random_desa(rng)
        province = desa[:2]
        decile = 1 + int(rand() ** (1.5 if province == "53" else 1.1) * 10)
        r = rand()
        in_dtks = (decile <= 4 and r < 0.75) or (decile <= 6 and r < 0.1) or r < 0.01
        in_pkh = in_dtks and rand() < _PKH_P[decile - 1]
        planned = _pick_weighted(rand, _KIDS_POOR if decile <= 3 else _KIDS)
        while True:
            mother_birth = _REF - int((20 + rand() * 30) * _YEAR)
            birth = mother_birth + int((19 + rand() * 10) * _YEAR)
            births: list[int] = []
            for _ in range(planned):
                if birth >= _REF:
                    break
                if birth >= _OLDEST_BIRTH:
                    births.append(birth)
                birth += int((1.3 + rand() * 3.7) * _YEAR)
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
        home = _PLACES[desa[:5]]
        kids = []
        for i, birth in enumerate(births):
            if i == 0:
                sex, name = first_sex, names.child
            else:
                sex = "F" if rand() < 0.49 else "M"
                name = generate_person_name(rng, sex, culture=names.culture)
                if family_name and " " in name:
                    name = f"{name.rsplit(' ', 1)[0]} {family_name}"
            place = home if rand() < 0.92 else _PLACE_LIST[int(rand() * len(_PLACE_LIST))]
            kids.append(_Kid(number + i, sex, name, birth, place))
        has_father = rand() < 0.88
        hh = _Household(
            desa=desa,
            father=names.father if has_father else None,
            mother=names.mother,
            father_birth=mother_birth - int(rand() * 8 * _YEAR),
            mother_birth=mother_birth,
            culture=names.culture,
            decile=decile,
            in_dtks=in_dtks,
            in_pkh=in_pkh,
            kids=kids,
        )
        self.open_household(hh)
        pkh = self.plan_pkh(hh) if in_pkh else None
        dtks = self.plan_dtks() if in_dtks else None
        self.programme_contacts(hh, pkh, dtks)
        for kid in kids:
            self.random_events(kid, hh)
            contacts = kid.contacts
            if contacts:
                p = (
                    0.2 if ("LKSA" in contacts or "BALAI" in contacts)
                    else 0.1 if kid.complained else 0.03
                )  # fmt: skip
                if rand() < p:
                    self.make_undocumented(kid, hh, matched=rand() < 0.8)
        self.close_household(hh, pkh, dtks)
        return len(kids)

    def open_household(self, hh: _Household) -> None:
        """The family card and the parents: what exists whatever the agencies know."""
        rand, w = self.rand, self.w
        kecamatan = hh.desa[:8]
        hh.issued = min(_REF - 1, max(k.birth for k in hh.kids) + 14 + int(rand() * 380))
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
            pid = w.next_id("person")
            grandmother = generate_person_name(
                self.rng, "F", culture=hh.culture, generation="parent"
            )
            place = (
                _PLACES[hh.desa[:5]]
                if rand() < 0.6
                else _PLACE_LIST[int(rand() * len(_PLACE_LIST))]
            )
            cert = self._cert(hh.desa, birth, pid) if rand() < 0.45 else None
            self.persons.append((
                pid, self._nik(kecamatan, birth, sex), hh.kk, name, self.norm(name), sex,
                date.fromordinal(birth), place, grandmother, None, relationship, hh.desa, cert,
            ))  # fmt: skip

    def close_household(
        self,
        hh: _Household,
        pkh: tuple[int, str, int | None] | None,
        dtks: int | None,
        attendance: dict[tuple[int, int], tuple[int, int]] | None = None,
    ) -> None:
        """The children: registry persons, index entries, other names, and the programmes."""
        rand, w = self.rand, self.w
        kecamatan = hh.desa[:8]
        for kid in hh.kids:
            if kid.recorded is None or kid.matched:
                kid.person_id = pid = w.next_id("person")
                kid.nik = self._nik(kecamatan, kid.birth, kid.sex)
                has_cert = rand() < (0.9 if kid.recorded is None else 0.5)
                kid.cert = self._cert(hh.desa, kid.birth, pid) if has_cert else None
                self.persons.append((
                    pid, kid.nik, hh.kk, kid.name, self.norm(kid.name), kid.sex,
                    date.fromordinal(kid.birth), kid.birth_place, hh.mother, hh.father, "CHILD",
                    hh.desa, kid.cert,
                ))  # fmt: skip
            if kid.recorded is None:
                self._documented_child(kid, hh)
            else:
                self._undocumented_child(kid)
        if pkh is not None:
            self.emit_pkh(hh, *pkh, attendance=attendance)
        if dtks is not None:
            self.emit_dtks(hh, dtks, pkh)

    def _documented_child(self, kid: _Kid, hh: _Household) -> None:
        rand = self.rand
        # Most births are registered within weeks; a tail of late registrations (akta terlambat).
        delay = 7 + int(rand() * 53) if rand() < 0.75 else 60 + int(rand() * 840)
        kid.contact("DISDUKCAPIL", self.stamp(min(_REF - 1, kid.birth + delay)))
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

    def _other_name(self, kid: _Kid, agency: str, name: str) -> None:
        kid.names_by[agency] = name
        self.child_names.append(
            (self.w.next_id("child_name"), kid.id, name, self.norm(name), agency)
        )

    def _undocumented_child(self, kid: _Kid) -> None:
        rand, rng = self.rand, self.rng
        rec = kid.recorded
        assert rec is not None
        agency, at = min(kid.contacts.items(), key=lambda item: item[1])
        birth = _day(rec["birth"])
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

    def _report(self, kid: _Kid, agency: str, at: datetime, values: dict[str, str | None]) -> None:
        next_id = self.w.next_id
        for attribute, value in values.items():
            if value:
                self.reports.append(
                    (next_id("child_attribute_report"), kid.id, agency, attribute, value, at)
                )

    def make_undocumented(self, kid: _Kid, hh: _Household, matched: bool) -> None:
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
                new = birth - shift if rand() < 0.5 or birth + shift >= _REF else birth + shift
        else:
            kind = "birth_date_year_off"
            year = true.year + 1 if rand() < 0.5 else true.year - 1
            new = date(year, true.month, min(true.day, 28)).toordinal()
            if new >= _REF:
                new = date(true.year - 1, true.month, min(true.day, 28)).toordinal()
        if new >= _REF:
            new = birth - 45
        return new, True, kind

    def _nik(self, kecamatan: str, birth: int, sex: str) -> str:
        day = date.fromordinal(birth)
        nik = make_nik(kecamatan, day, sex, 1)
        serials = self.w.nik_serials
        serial = serials.get(nik, 0) + 1
        serials[nik] = serial
        return nik if serial == 1 else make_nik(kecamatan, day, sex, serial)

    def _kk(self, kecamatan: str, issued: int) -> str:
        day = date.fromordinal(issued)
        kk = make_kk(kecamatan, day, 1)
        serials = self.w.kk_serials
        serial = serials.get(kk, 0) + 1
        serials[kk] = serial
        return kk if serial == 1 else make_kk(kecamatan, day, serial)

    def _cert(self, desa: str, birth: int, person_id: int) -> str:
        d = date.fromordinal(birth)
        late = "LT" if self.rand() < 0.3 else "LU"
        return f"{desa[:2]}{desa[3:5]}-{late}-{d.day:02d}{d.month:02d}{d.year}-{person_id % 9999 + 1:04d}"

    # -- programmes: PKH and the social registry ----------------------------------------------

    def plan_pkh(self, hh: _Household) -> tuple[int, str, int | None]:
        rand = self.rand
        hi = date(2026, 6, 30).toordinal()
        lo = min(hi - 30, max(date(2012, 1, 1).toordinal(), min(k.birth for k in hh.kids) - 200))
        enrolled = lo + int(rand() * (hi - lo))
        r = rand()
        if r < 0.93:
            return enrolled, "ACTIVE", None
        leave = max(enrolled + 60, date(2025, 10, 1).toordinal() + int(rand() * 365))
        return enrolled, "GRADUATED" if r < 0.97 else "EXITED", min(leave, _REF - 1)

    def plan_dtks(self) -> int:
        lo = date(2015, 1, 1).toordinal()
        return lo + int(self.rand() * (date(2026, 6, 30).toordinal() - lo))

    def programme_contacts(
        self, hh: _Household, pkh: tuple[int, str, int | None] | None, dtks: int | None
    ) -> None:
        rand = self.rand
        for kid in hh.kids:
            # A baby enters a programme's household list months after birth, with the new KK.
            listed = min(_REF - 1, kid.birth + 60 + int(rand() * 300))
            if pkh is not None and (pkh[2] is None or kid.birth < pkh[2]):
                kid.contact("PKH", self.stamp(max(pkh[0], listed)))
            if dtks is not None:
                kid.contact("DINSOS", self.stamp(max(dtks, listed)))

    def _facilitator(self, kecamatan: str) -> list[Any]:
        w = self.w
        current = w.facilitators.get(kecamatan)
        if current is None or current[1] <= 0:
            fid = w.next_id("facilitator")
            sex = "F" if self.rand() < 0.55 else "M"
            name = generate_person_name(self.rng, sex, province=kecamatan[:2], generation="parent")
            self.facilitators.append((fid, name, _phone(self.rand), kecamatan))
            # A pendamping serves about 250 families (Kemensos ratio), in one kecamatan.
            current = w.facilitators[kecamatan] = [fid, 200 + int(self.rand() * 100), name]
        current[1] -= 1
        return current

    def emit_pkh(
        self,
        hh: _Household,
        enrolled: int,
        status: str,
        leave: int | None,
        attendance: dict[tuple[int, int], tuple[int, int]] | None = None,
    ) -> None:
        rand, w = self.rand, self.w
        next_id = w.next_id
        fid, _left, facilitator = self._facilitator(hh.desa[:8])
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
            band_start = kid.birth + int(_PKH_BAND_START[band] * _YEAR)
            start = max(enrolled, band_start)
            spans = [(band, start)]
            if band > 0 and enrolled < band_start:
                spans.insert(
                    0, (band - 1, max(enrolled, kid.birth + int(_PKH_BAND_START[band - 1] * _YEAR)))
                )
            for i, (span_band, since) in enumerate(spans):
                until = spans[i + 1][1] - 1 if i + 1 < len(spans) else leave
                self.components.append((
                    next_id("component"), member_id, _PKH_KINDS[span_band],
                    date.fromordinal(since), _day(until),
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
                    self.stamp(end + 8 + int(rand() * 20)), facilitator,
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
            elif end >= _REF:
                amount, status = paid, "PENDING"
            else:
                amount, status = paid, "PAID"
                paid_on = date.fromordinal(end - int(rand() * 20))
            self.payments.append(
                (next_id("payment"), family_id, year, number, _amount(amount), paid_on, status)
            )

    def emit_dtks(
        self, hh: _Household, registered: int, pkh: tuple[int, str, int | None] | None
    ) -> None:
        rand, next_id = self.rand, self.w.next_id
        single_parent = hh.father is None
        for kid in hh.kids:
            on = max(registered, kid.birth)
            updated = on + int(rand() * (_REF - 1 - on))
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
                     _day(pkh[2]), _PKH_YEAR_AMOUNT[band]))  # fmt: skip
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

    # -- protection: complaints, referrals, LKSA placements, ATENSI cases ---------------------

    def random_events(self, kid: _Kid, hh: _Household) -> None:
        rand = self.rand
        if rand() < _CASE_P[kid.age]:
            self._random_case(kid, hh)
        if rand() < (0.008 if hh.decile <= 3 else 0.003):
            self._random_placement(kid, hh)
        if rand() < (0.02 if hh.decile <= 4 else 0.01):
            self._random_complaint(kid, hh)
            if rand() < 0.15:
                self._random_complaint(kid, hh)

    def _random_case(self, kid: _Kid, hh: _Household) -> None:
        rand = self.rand
        earliest = kid.birth + 180
        years = tuple(
            (year, weight)
            for year, weight in _CASE_YEAR_WEIGHT.items()
            if date(year, 12, 31).toordinal() > earliest
        )
        if not years:
            return
        year = _pick_weighted(rand, years)
        lo = max(date(year, 1, 1).toordinal(), earliest)
        hi = min(date(year, 12, 31).toordinal(), _REF - 1)
        if lo > hi:
            return
        opened = lo + int(rand() * (hi - lo + 1))
        age = _years(kid.birth, opened)
        category = _pick_weighted(
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
            source = _pick_weighted(rand, _CASE_SOURCES.get(category, _OTHER_SOURCES))
        length = 60 + rand() * 480
        timeline = []
        for stage, fraction in zip(CASE_STAGES, _TIMELINE_FRACTIONS, strict=True):
            day = opened + int(fraction * length)
            if day >= _REF:
                break
            timeline.append((stage, day))
        self.case(kid, balai, category, timeline, source)

    def case(
        self,
        kid: _Kid,
        balai: str,
        category: str,
        timeline: list[tuple[str, int]],
        source: str | None,
        setting: str | None = None,
        closure: str | None = None,
    ) -> int:
        """An ATENSI case whose stages were entered on the given days (the last is current)."""
        rand, next_id = self.rand, self.w.next_id
        workers = self.w.caseworkers[balai]
        worker_id, worker = workers[int(rand() * len(workers))]
        case_id = next_id("atensi_case")
        opened = timeline[0][1]
        stage, last = timeline[-1]
        closed = stage == "CLOSED"
        if closed:
            # A closed case keeps the stage it reached; closing is its status, not a stage.
            timeline = timeline[:-1]
            stage = timeline[-1][0]
        if closed and closure is None:
            closure = _pick_weighted(rand, _CLOSURES)
            if closure == "AGED_OUT" and _years(kid.birth, last) < 17:
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
                at = datetime.fromtimestamp(previous.timestamp() + _HOUR, _UTC)
            self.stage_events.append((next_id("stage_event"), case_id, name, at, worker))
            previous = at
        days = dict(timeline)
        if "ASSESSMENT" in days:
            on = min(days["ASSESSMENT"] + int(rand() * 5), days.get("PLAN", _REF - 1))
            self.assessments.append((
                next_id("assessment"), case_id, date.fromordinal(on), worker,
                _pick_weighted(rand, _RISKS), _SUMMARY.get(category, _SUMMARY_DEFAULT),
                _ASSESSMENT_NOTES[int(rand() * len(_ASSESSMENT_NOTES))],
            ))  # fmt: skip
        if "PLAN" in days:
            setting = setting or _pick_weighted(rand, _SETTINGS)
            on = min(days["PLAN"] + int(rand() * 4), days.get("INTERVENTION", _REF - 1))
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
                    _day(days.get("MONITORING")),
                ))  # fmt: skip
        kid.contact("BALAI", self.stamp(opened))
        return case_id

    def _random_placement(self, kid: _Kid, hh: _Household) -> None:
        rand = self.rand
        lo = max(date(2019, 1, 1).toordinal(), kid.birth + 365)
        if lo >= _REF - 14:
            return
        started = lo + int(rand() * (_REF - 14 - lo))
        homes = self.w.lksa_by_kab[hh.desa[:5]]
        lksa_id, lksa_desa = homes[int(rand() * len(homes))]
        ended = reason = None
        if _REF - started > 150 and rand() < 0.5:
            ended = started + 60 + int(rand() * min(900, _REF - started - 61))
            reason = _pick_weighted(rand, _PLACEMENT_ENDS)
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
        kid: _Kid,
        lksa_id: int,
        lksa_desa: str,
        referral: int | None,
        started: int,
        ended: int | None,
        reason: str | None,
    ) -> None:
        self.placements.append((
            self.w.next_id("placement"), kid.id, lksa_id, referral, date.fromordinal(started),
            _day(ended), reason,
        ))  # fmt: skip
        if ended is None:
            kid.lksa_desa = lksa_desa
        kid.contact("LKSA", self.stamp(started))

    def _random_complaint(self, kid: _Kid, hh: _Household) -> None:
        rand = self.rand
        lo = max(date(2021, 1, 1).toordinal(), kid.birth + 90)
        if lo >= _REF - 1:
            return
        received = lo + int(rand() * (_REF - 1 - lo))
        category = _pick_weighted(rand, _COMPLAINT_MIX)
        if category == A.CONFLICT_WITH_LAW and _years(kid.birth, received) < 12:
            category = A.MISTREATMENT_AND_NEGLECT
        waited = _REF - received
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
        requested = min(_REF - 2, received + 3 + int(rand() * 20))
        kind = "BALAI" if rand() < 0.5 else "LKSA"
        if kind == "BALAI":
            target = _BALAI_OF_PROVINCE[hh.desa[:2]]
        else:
            homes = self.w.lksa_by_kab[hh.desa[:5]]
            target = str(homes[int(rand() * len(homes))][0])
        decided = self.stamp(min(_REF - 1, requested + 1 + int(rand() * 10)))
        r = rand()
        if _REF - requested < 30:
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
        kid: _Kid,
        hh: _Household,
        received: datetime,
        category: str,
        status: str,
        responses: int,
        channel: str | None = None,
        actions: tuple[str, ...] = (),
    ) -> int:
        rand, next_id = self.rand, self.w.next_id
        complaint_id = next_id("complaint")
        self.complaints.append((
            complaint_id, kid.id, channel or _CHANNELS[int(rand() * len(_CHANNELS))], received,
            kid.lksa_desa or hh.desa, str(category), _SUMMARY.get(category, _SUMMARY_DEFAULT),
            status,
        ))  # fmt: skip
        workers = self.w.peksos_of(hh.desa[:5])
        worker = workers[int(rand() * len(workers))]
        at = received.timestamp()
        limit = datetime(2026, 10, 31, 23, tzinfo=_UTC).timestamp()
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
                    datetime.fromtimestamp(at, _UTC),
                    action,
                    None,
                )
            )
        kid.complained = True
        kid.contact("DINSOS", received)
        return complaint_id

    def referral(
        self,
        kid: _Kid,
        complaint: int | None,
        kind: str,
        target: str,
        status: str,
        requested: datetime,
        decided: datetime | None,
        completed: datetime | None,
        note: str | None = None,
    ) -> int:
        referral_id = self.w.next_id("referral")
        self.referrals.append((
            referral_id, kid.id, complaint, kind, target, _REFERRAL_REASON[kind], status,
            requested, decided, completed, note,
        ))  # fmt: skip
        return referral_id

    # -- the planted stories (ids 1-3, chunk 0) -----------------------------------------------

    def stories(self) -> None:
        d = _ordinal

        # STORY_PKH_DROPOUT: attendance 92 %, 90 %, then 72 % and 56 %; an open case since May.
        kid = _Kid(1, "M", "Rizky Saputra", d(2012, 5, 14), "Pekanbaru")
        hh = _Household("14.71.10.1004", "Syahrial Efendi", "Yusnidar", d(1979, 2, 11),
                        d(1983, 7, 25), Culture.MALAY, 1, True, True, [kid])  # fmt: skip
        self.open_household(hh)
        pkh, dtks = (d(2019, 3, 1), "ACTIVE", None), d(2018, 6, 1)
        self.programme_contacts(hh, pkh, dtks)
        self.case(kid, "RUMBAI", A.CONFLICT_WITH_LAW, [
            ("INTAKE", d(2026, 5, 18)), ("ASSESSMENT", d(2026, 5, 25)),
            ("PLAN", d(2026, 6, 15)), ("INTERVENTION", d(2026, 7, 6)),
        ], "POLICE", setting="COMMUNITY")  # fmt: skip
        attendance = {
            (2025, 4): (56, 61),
            (2026, 1): (54, 60),
            (2026, 2): (43, 60),
            (2026, 3): (35, 62),
        }
        self.close_household(hh, pkh, dtks, attendance)

        # STORY_UNDOCUMENTED: an LKSA in Batam took him in without papers, in old spelling.
        kid = _Kid(2, "M", "Muhammad Joko Sutrisno", d(2014, 8, 17), "Batam")
        hh = _Household("21.71.09.1002", "Sutrisno", "Sri Wahyuni", d(1981, 4, 2), d(1986, 12, 9),
                        Culture.JAVANESE, 3, False, False, [kid])  # fmt: skip
        self.open_household(hh)
        lksa_id, lksa_desa = self.w.lksa_by_kab["21.71"][0]
        self.placement(kid, lksa_id, lksa_desa, None, d(2025, 2, 10), None, None)
        kid.variations = ("old_spelling", "birth_date_approximate")
        kid.recorded = {
            "full_name": "Moehammad Djoko Soetrisno", "birth": d(2014, 1, 1), "approx": True,
            "birth_place": "Batam", "mother": "Sri Wahjoeni", "father": None,
            "region": lksa_desa, "address": None, "kk": None,
        }  # fmt: skip
        self.close_household(hh, None, None)

        # STORY_BALAI_HISTORY: Jambi case in 2022, moved to Pekanbaru, LKSA 2023-24, now Rumbai.
        kid = _Kid(3, "F", "Putri Ayu Lestari", d(2010, 2, 10), "Jambi")
        hh = _Household("14.71.07.1006", "Hendra", "Rosmawati", d(1976, 8, 30), d(1982, 3, 3),
                        Culture.MALAY, 2, True, True, [kid])  # fmt: skip
        self.open_household(hh)
        pkh, dtks = (d(2023, 9, 1), "ACTIVE", None), d(2023, 8, 1)
        self.programme_contacts(hh, pkh, dtks)
        self.case(kid, "ALYATAMA", A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE, [
            ("INTAKE", d(2022, 3, 8)), ("ASSESSMENT", d(2022, 3, 14)), ("PLAN", d(2022, 4, 4)),
            ("INTERVENTION", d(2022, 4, 18)), ("MONITORING", d(2022, 9, 5)),
            ("TERMINATION", d(2022, 11, 7)), ("AFTERCARE", d(2022, 11, 21)),
            ("CLOSED", d(2023, 2, 20)),
        ], "POLICE", setting="RESIDENTIAL", closure="REINTEGRATED")  # fmt: skip
        steps = ("HOME_VISIT", "ASSESSMENT", "CASE_CONFERENCE")
        first = self.complaint(kid, hh, self.stamp(d(2023, 6, 12)), A.MISTREATMENT_AND_NEGLECT,
                               "CLOSED", 3, channel="TEPSA", actions=steps)  # fmt: skip
        lksa_id, lksa_desa = self.w.lksa_by_kab["14.71"][0]
        to_lksa = self.referral(kid, first, "LKSA", str(lksa_id), "COMPLETED",
                                self.stamp(d(2023, 6, 26)), self.stamp(d(2023, 6, 29)),
                                self.stamp(d(2023, 7, 3)))  # fmt: skip
        self.placement(kid, lksa_id, lksa_desa, to_lksa, d(2023, 7, 3), d(2024, 8, 30), "REUNIFIED")
        second = self.complaint(kid, hh, self.stamp(d(2026, 9, 22)), A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE,
                                "REFERRED", 3, channel="PKSAI", actions=steps)  # fmt: skip
        to_balai = self.referral(kid, second, "BALAI", "RUMBAI", "COMPLETED",
                                 self.stamp(d(2026, 10, 1)), self.stamp(d(2026, 10, 5)),
                                 self.stamp(d(2026, 10, 12)))  # fmt: skip
        self.case(kid, "RUMBAI", A.PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE,
                  [("INTAKE", d(2026, 10, 12)), ("ASSESSMENT", d(2026, 10, 19))],
                  f"DINSOS:{to_balai}")  # fmt: skip
        self.close_household(hh, pkh, dtks)
