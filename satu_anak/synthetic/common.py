"""What the world generator's parts share: the reference date, children and households, the chunk draft."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, NamedTuple

from resolution.names import normalize_name
from satu_anak.synthetic import regions
from satu_anak.synthetic.names import Culture

# Ages and periods are relative to this date, never today(), so a seed always gives the same world.
REFERENCE_DATE: Final = date(2026, 11, 1)
REFERENCE_DAY: Final = REFERENCE_DATE.toordinal()
DAYS_PER_YEAR: Final = 365.25

_PHONE_PREFIXES: Final = ("0811", "0812", "0813", "0821", "0822", "0852", "0853", "0857", "0878")

Rows = dict[str, dict[str, list[tuple[Any, ...]]]]


class GroundTruth(NamedTuple):
    """Which registry person an undocumented child really is, and how the records differ."""

    child_id: str
    person_id: int | None  # None: the child is not in the registry
    variations: tuple[str, ...]  # kinds from synthetic.undocumented.VARIATION_KINDS
    negative: str = ""  # no match: sibling, twin, namesake or unregistered (NEGATIVE_KINDS)
    confuser_person_id: int | None = None  # the sibling's, twin's or namesake's registry person


def child_id(number: int) -> str:
    """The national child index ID of the number-th child: 'ANK' and nine digits."""
    return f"ANK{number:09d}"


def pick_weighted(rand: Callable[[], float], table: tuple[tuple[Any, float], ...]) -> Any:
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


# The streets and gangs (alleys) of a town's addresses.
STREETS: Final = (
    "Jl. Sudirman", "Jl. Diponegoro", "Jl. Kartini", "Jl. Merdeka", "Jl. Pattimura",
    "Jl. Sisingamangaraja", "Jl. Hang Tuah", "Jl. Pemuda", "Jl. Cendana", "Gg. Mawar",
    "Gg. Melati", "Gg. Kenanga", "Jl. Kaharuddin Nasution", "Jl. Garuda", "Jl. Kamboja",
    "Jl. Bougenville", "Jl. Rajawali", "Gg. Masjid", "Jl. Lintas Timur", "Jl. Pendidikan",
)  # fmt: skip

# The place name of each kabupaten as a birth certificate or an address would write it.
PLACES: Final = {k.code: _place_of(k.code) for k in regions.KABUPATEN}
PLACE_LIST: Final = tuple(PLACES.values())


def phone(rand: Callable[[], float]) -> str:
    """A random mobile number: synthetic, like everything else here."""
    return f"{_PHONE_PREFIXES[int(rand() * len(_PHONE_PREFIXES))]}{int(rand() * 1e8):08d}"


def age_on(birth: int, on: int) -> int:
    """Full years from day ``birth`` to day ``on`` (both ordinals)."""
    b, o = date.fromordinal(birth), date.fromordinal(on)
    return o.year - b.year - ((o.month, o.day) < (b.month, b.day))


def optional_date(ordinal: int | None) -> date | None:
    return None if ordinal is None else date.fromordinal(ordinal)


class Kid:
    """A child while its household is built: the truth, what agencies recorded, first contacts."""

    __slots__ = (
        "age", "birth", "birth_place", "cert", "complained", "confuser", "contacts", "id",
        "lksa_desa", "matched", "name", "names_by", "negative", "nik", "person_id", "recorded",
        "sex", "variations",
    )  # fmt: skip

    def __init__(self, number: int, sex: str, name: str, birth: int, birth_place: str) -> None:
        self.id = child_id(number)
        self.sex = sex
        self.name = name
        self.birth = birth
        self.birth_place = birth_place
        self.age = age_on(birth, REFERENCE_DAY)
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
        # Not in the registry: which hard negative, and the registry's look-alike (a sibling's
        # Kid, whose person id comes later, or the person id of a generated twin or namesake).
        self.negative = ""
        self.confuser: Kid | int | None = None

    def contact(self, agency: str, at: datetime) -> None:
        known = self.contacts.get(agency)
        if known is None or at < known:
            self.contacts[agency] = at


@dataclass
class Household:
    desa: str
    father: str | None
    mother: str
    father_birth: int
    mother_birth: int
    culture: Culture
    decile: int
    in_dtks: bool
    in_pkh: bool
    kids: list[Kid]
    kk: str = ""
    address: str = ""
    issued: int = 0


class WorldState:
    """What runs on from chunk to chunk: id counters, NIK/KK serials, each kecamatan's pendamping."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.nik_serials: dict[str, int] = {}
        self.kk_serials: dict[str, int] = {}
        self.facilitators: dict[str, list[Any]] = {}  # kecamatan -> [id, families left, name]

    def next_id(self, table: str) -> int:
        value = self.ids.get(table, 0) + 1
        self.ids[table] = value
        return value


class ChunkDraft:
    """One chunk while it is built: its random stream and rows; the state carries on to the next."""

    def __init__(self, state: WorldState, rng: random.Random, rows: Rows) -> None:
        self.state = state
        self.rng = rng
        self.rand = rng.random
        self.rows = rows
        self.ground_truth: list[GroundTruth] = []
        self._norm: dict[str, str] = {}

    def branch(self, rng: random.Random) -> ChunkDraft:
        """A draft writing into the same rows, ground truth and state from another random stream."""
        other = ChunkDraft(self.state, rng, self.rows)
        other.ground_truth = self.ground_truth
        return other

    def norm(self, name: str) -> str:
        value = self._norm.get(name)
        if value is None:
            value = self._norm[name] = normalize_name(name)
        return value

    def stamp(self, ordinal: int) -> datetime:
        """A moment in office hours (08-17 WIB, kept in UTC) of that day."""
        d = date.fromordinal(ordinal)
        rand = self.rand
        return datetime(d.year, d.month, d.day, 1 + int(rand() * 9), int(rand() * 60), tzinfo=UTC)
