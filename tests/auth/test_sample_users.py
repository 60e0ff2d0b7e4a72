"""The sample users: every role has one, each one's claims make a principal, and each sits where
the planted stories of the default seed (42) put them — checked against the generator itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auth.principal import principal_from_claims
from auth.purposes import Role
from auth.sample_users import SAMPLE_USERS, SAMPLE_USERS_BY_ID, sample_user
from satu_anak.synthetic.protection import ProtectionServices
from satu_anak.synthetic.world import COLUMNS, generate

README = Path(__file__).resolve().parents[2] / "README.md"
SEED, CHILDREN = 42, 300  # the default seed; the stories come first, whatever the size


def test_every_role_has_a_sample_user() -> None:
    assert {user.role for user in SAMPLE_USERS} == set(Role)


def test_sample_user_ids_are_unique_and_their_claims_make_principals() -> None:
    assert len(SAMPLE_USERS_BY_ID) == len(SAMPLE_USERS)
    for user in SAMPLE_USERS:
        principal = principal_from_claims(user.claims())
        assert (principal.subject, principal.role, principal.regions) == (
            user.id,
            user.role,
            user.regions,
        )
        assert (principal.unit, principal.staff_id, principal.name) == (
            user.unit,
            user.staff_id,
            user.name,
        )


def test_a_roles_first_user_or_a_named_one() -> None:
    assert sample_user("pkh_facilitator").id == "pkh-fac-pekanbaru"
    assert sample_user(Role.PKH_FACILITATOR, "pkh-fac-padang").id == "pkh-fac-padang"
    for role, user_id in (("nobody", None), ("auditor", "nobody"), ("auditor", "secretariat")):
        with pytest.raises(LookupError):
            sample_user(role, user_id)


def test_the_readme_lists_every_sample_user() -> None:
    text = README.read_text()
    for user in SAMPLE_USERS:
        assert f"`{user.id}`" in text, user.id


# --- against the seed -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world() -> dict[str, list[dict[str, Any]]]:
    """Chunk 0 of the default world (reference rows and stories), as dicts per table."""
    chunk = next(generate(CHILDREN, SEED))
    return {
        table: [dict(zip(COLUMNS[subgraph][table], row, strict=True)) for row in rows]
        for subgraph, tables in chunk.rows.items()
        for table, rows in tables.items()
    }


def _one(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [row for row in rows if all(row[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def _facilitator_of(world: dict[str, list[dict[str, Any]]], child_id: str) -> int:
    member = _one(world["member"], child_id=child_id)
    family: dict[str, Any] = _one(world["beneficiary_family"], id=member["family_id"])
    return int(family["facilitator_id"])


def test_the_facilitators_are_the_seeded_pendamping(world: dict[str, list[dict[str, Any]]]) -> None:
    pekanbaru, padang = (
        SAMPLE_USERS_BY_ID["pkh-fac-pekanbaru"],
        SAMPLE_USERS_BY_ID["pkh-fac-padang"],
    )
    for user in (pekanbaru, padang):
        row = _one(world["facilitator"], id=int(str(user.staff_id)))
        assert (row["name"], (row["region_code"],)) == (user.name, user.regions)
    assert _facilitator_of(world, "ANK000000001") == int(str(pekanbaru.staff_id))
    assert padang.regions[0][:2] != "14"
    for story in ("ANK000000001", "ANK000000003"):
        assert _facilitator_of(world, story) != int(str(padang.staff_id))


def test_the_pkh_coordinator_covers_the_pkh_stories(world: dict[str, list[dict[str, Any]]]) -> None:
    coordinator = SAMPLE_USERS_BY_ID["pkh-coord-pekanbaru"]
    principal = principal_from_claims(coordinator.claims())
    for story in ("ANK000000001", "ANK000000003"):
        member = _one(world["member"], child_id=story)
        family = _one(world["beneficiary_family"], id=member["family_id"])
        assert principal.covers(family["region_code"])


def test_the_balai_staff_are_the_seeded_caseworkers(world: dict[str, list[dict[str, Any]]]) -> None:
    users = {
        user_id: SAMPLE_USERS_BY_ID[user_id]
        for user_id in (
            "balai-rumbai-assigned",
            "balai-rumbai-unassigned",
            "balai-alyatama",
            "balai-rumbai-supervisor",
        )
    }
    for user in users.values():
        row = _one(world["caseworker"], id=int(str(user.staff_id)))
        assert (row["name"], row["balai_code"]) == (user.name, user.unit)
        assert row["is_supervisor"] is (user.role is Role.BALAI_SUPERVISOR)
        balai = _one(world["balai"], code=user.unit)
        assert user.regions == tuple(balai["provinces_served"].split(","))
    open_rumbai = [
        case
        for case in world["atensi_case"]
        if case["child_id"] in {"ANK000000001", "ANK000000003"}
        and case["balai_code"] == "RUMBAI"
        and case["closed_on"] is None
    ]
    assert len(open_rumbai) == 2
    assigned = int(str(users["balai-rumbai-assigned"].staff_id))
    unassigned = int(str(users["balai-rumbai-unassigned"].staff_id))
    assert all(case["caseworker_id"] == assigned for case in open_rumbai)
    assert all(case["caseworker_id"] != unassigned for case in open_rumbai)
    closed_alyatama = _one(world["atensi_case"], child_id="ANK000000003", balai_code="ALYATAMA")
    assert closed_alyatama["caseworker_id"] == int(str(users["balai-alyatama"].staff_id))


def test_the_sakti_peksos_responded_to_the_planted_complaints(
    world: dict[str, list[dict[str, Any]]],
) -> None:
    peksos = SAMPLE_USERS_BY_ID["peksos-pekanbaru"]
    complaints = [c for c in world["complaint"] if c["child_id"] == "ANK000000003"]
    assert len(complaints) == 2
    responders = {
        response["social_worker_id"]
        for response in world["case_response"]
        if response["complaint_id"] in {c["id"] for c in complaints}
    }
    # Responses record the responder's staff id: "SP" + kabupaten digits + the place on its
    # roster of Sakti Peksos, whose names the roster gives.
    assert responders == {peksos.staff_id}
    roster = ProtectionServices(CHILDREN, SEED).peksos_of("14.71")
    assert peksos.staff_id == f"SP1471{roster.index(peksos.name) + 1:02d}"
    principal = principal_from_claims(peksos.claims())
    assert all(principal.covers(c["region_code"]) for c in complaints)


def test_the_regional_officers_cover_their_stories(world: dict[str, list[dict[str, Any]]]) -> None:
    dukcapil = principal_from_claims(SAMPLE_USERS_BY_ID["disdukcapil-batam"].claims())
    undocumented = _one(world["child"], id="ANK000000002")
    assert undocumented["nik"] is None
    assert dukcapil.covers(undocumented["region_code"])
    dinsos = principal_from_claims(SAMPLE_USERS_BY_ID["dinsos-pekanbaru"].claims())
    assert all(
        dinsos.covers(c["region_code"])
        for c in world["complaint"]
        if c["child_id"] == "ANK000000003"
    )
    assert dinsos.covers(_one(world["child"], id="ANK000000001")["region_code"])
