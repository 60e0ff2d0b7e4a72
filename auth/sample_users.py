"""The development issuer's sample users: one or more per role, placed where the planted stories
happen (README "The planted stories"), so each journey can be walked with a real token.

Staff ids are the ids the seeded records carry (`Facilitator.id`, `Caseworker.id`) for the default
seed (42); names match the seed too. tests/auth/test_sample_users.py checks both against the
generator, so a change to the seed that moves a story shows up there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from auth.principal import ClaimNames
from auth.purposes import ROLE_AGENCY, Role

RUMBAI_PROVINCES: Final = ("14", "13", "21", "18")  # Riau, Sumatera Barat, Kepri, Lampung


@dataclass(frozen=True)
class SampleUser:
    id: str  # the token's `sub`
    role: Role
    name: str
    # The Balai code for Balai staff; `<AGENCY>-<region code>` for a regional office or PKH area.
    unit: str | None
    regions: tuple[str, ...]
    staff_id: str | None
    story: str  # what this user is for, in one line

    def claims(self, names: ClaimNames = ClaimNames()) -> dict[str, object]:
        """The identity claims of this user's access token (without iss, aud and times)."""
        claims: dict[str, object] = {
            names.subject: self.id,
            names.name: self.name,
            names.roles: [self.role.value],
            names.agency: ROLE_AGENCY[self.role].value,
            names.regions: list(self.regions),
        }
        if self.unit is not None:
            claims[names.unit] = self.unit
        if self.staff_id is not None:
            claims[names.staff_id] = self.staff_id
        return claims


SAMPLE_USERS: Final = (
    SampleUser(
        "pkh-fac-pekanbaru", Role.PKH_FACILITATOR, "Zidan Batubara", "PKH-14.71.10", ("14.71.10",),
        "1", "pendamping of ANK000000001's family (kecamatan 14.71.10, Kota Pekanbaru)",
    ),
    SampleUser(
        "pkh-fac-padang", Role.PKH_FACILITATOR, "Mardiana Husna", "PKH-13.71.02", ("13.71.02",),
        "4", "pendamping in another province (Kota Padang, Sumatera Barat): the stories are not hers",
    ),
    SampleUser(
        "pkh-coord-pekanbaru", Role.PKH_COORDINATOR, "Yulia Rahmawati", "PKH-14.71", ("14.71",),
        "PKH-KOR-1471", "coordinator of all PKH families in Kota Pekanbaru (ANK000000001, ANK000000003)",
    ),
    SampleUser(
        "disdukcapil-batam", Role.DISDUKCAPIL_OFFICER, "Hendra Gunawan", "DISDUKCAPIL-21.71",
        ("21.71",), "DUK-2171-01", "civil registry of Kota Batam: resolves ANK000000002",
    ),
    SampleUser(
        "disdukcapil-supervisor-batam", Role.DISDUKCAPIL_SUPERVISOR, "Ratna Sari Dewi",
        "DISDUKCAPIL-21.71", ("21.71",), "DUK-2171-02",
        "supervisor at the civil registry of Kota Batam: undoes identity decisions",
    ),
    SampleUser(
        "dinsos-pekanbaru", Role.DINSOS_OFFICER, "Rahmat Hidayat", "DINSOS-14.71", ("14.71",),
        "DSS-1471-01", "Dinas Sosial Kota Pekanbaru: complaints, referrals, placements there",
    ),
    SampleUser(
        "peksos-pekanbaru", Role.SAKTI_PEKSOS, "Syamsul Ikhsan", "DINSOS-14.71", ("14.71",),
        "SP147104", "Sakti Peksos who responded to both complaints about ANK000000003",
    ),
    SampleUser(
        "balai-rumbai-assigned", Role.BALAI_CASEWORKER, "Syafrida Salsabila", "RUMBAI",
        RUMBAI_PROVINCES, "3", "Rumbai caseworker assigned to the cases of ANK000000001 and ANK000000003",
    ),
    SampleUser(
        "balai-rumbai-unassigned", Role.BALAI_CASEWORKER, "Juliana Hanifah", "RUMBAI",
        RUMBAI_PROVINCES, "2", "Rumbai caseworker assigned to neither planted case",
    ),
    SampleUser(
        "balai-alyatama", Role.BALAI_CASEWORKER, "Wahyuni Sutinah", "ALYATAMA", ("15",), "7",
        "Alyatama (Jambi) caseworker who held ANK000000003's closed case of 2022",
    ),
    SampleUser(
        "balai-rumbai-supervisor", Role.BALAI_SUPERVISOR, "Cahyo Sukardi", "RUMBAI",
        RUMBAI_PROVINCES, "1", "supervisor at Balai Rumbai: every Rumbai case",
    ),
    SampleUser(
        "auditor", Role.AUDITOR, "Dewi Kartika", "INSPEKTORAT-KEMENSOS", (), "ITJ-01",
        "Inspektorat auditor: the access log, no child data",
    ),
    SampleUser(
        "secretariat", Role.DATA_SHARING_SECRETARIAT, "Agus Salim", "SEKRETARIAT", (), "SEK-01",
        "data-sharing secretariat: agreements, no child data",
    ),
)  # fmt: skip

SAMPLE_USERS_BY_ID: Final[Mapping[str, SampleUser]] = {user.id: user for user in SAMPLE_USERS}


def sample_user(role: Role | str, user_id: str | None = None) -> SampleUser:
    """The sample user `user_id`, which must have `role`; without an id, the role's first user.

    Raises LookupError naming what is wrong.
    """
    try:
        wanted = Role(role)
    except ValueError:
        raise LookupError(f"unknown role {role!r}; roles: {', '.join(Role)}") from None
    if user_id is None:
        for candidate in SAMPLE_USERS:
            if candidate.role is wanted:
                return candidate
        raise LookupError(f"no sample user has role {wanted}")
    user = SAMPLE_USERS_BY_ID.get(user_id)
    if user is None:
        raise LookupError(f"no sample user {user_id!r}; users: {', '.join(SAMPLE_USERS_BY_ID)}")
    if user.role is not wanted:
        raise LookupError(f"sample user {user_id!r} has role {user.role}, not {wanted}")
    return user
