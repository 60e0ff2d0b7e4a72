"""Issue 7's seeded cases for the consent rules: planted children 4-6, there at every seed and size."""

from __future__ import annotations

import pytest

from auth.sample_users import SAMPLE_USERS, SAMPLE_USERS_BY_ID
from satu_anak.synthetic.stories import (
    STORIES,
    STORY_BALAI_HISTORY,
    STORY_NOT_FACILITATED,
    STORY_OTHER_BALAI,
    STORY_OUT_OF_REGION,
    STORY_PKH_DROPOUT,
    STORY_UNDOCUMENTED,
)
from satu_anak.synthetic.world import generate
from tests.synthetic.test_world import World, collect

RUMBAI_PROVINCES = ("14", "13", "21", "18")
CHILD_TABLES = ("registry_member", "complaint", "referral", "placement", "atensi_case")


@pytest.fixture(
    scope="module",
    params=[(len(STORIES), 1, 6), (300, 1, 20_000), (300, 20261101, 100), (2_000, 7, 700)],
    ids=lambda p: f"{p[0]}-children-seed-{p[1]}-chunk-{p[2]}",
)
def world(request: pytest.FixtureRequest) -> World:
    children, seed, chunk_size = request.param
    return collect(generate(children, seed, chunk_size=chunk_size))


def _rows(world: World, table: str, child: str) -> list:
    return [row for row in world.tables[table] if row.child_id == child]


def test_the_planted_ids_are_fixed_and_first() -> None:
    assert [s.child_id for s in STORIES] == [f"ANK00000000{n}" for n in range(1, 7)]
    assert STORIES[:3] == (STORY_PKH_DROPOUT, STORY_UNDOCUMENTED, STORY_BALAI_HISTORY)


def test_a_child_in_the_facilitators_region_outside_her_families(world: World) -> None:
    facilitator = SAMPLE_USERS_BY_ID["pkh-fac-pekanbaru"]
    child = world.by("child", "id")[STORY_NOT_FACILITATED.child_id]
    assert any(child.region_code.startswith(r) for r in facilitator.regions)
    assert child.region_code.startswith("14.71.10")
    # Her facilitator record is the sample user's: kecamatan 14.71.10, staff id 1.
    assert world.by("facilitator", "id")[int(facilitator.staff_id)].region_code == "14.71.10"
    assert not _rows(world, "member", child.id)  # in no PKH family, so in none of hers
    families = world.by("beneficiary_family", "id")
    served = {m.child_id for m in world.tables["member"]
              if families[m.family_id].facilitator_id == int(facilitator.staff_id)}  # fmt: skip
    assert STORY_PKH_DROPOUT.child_id in served and child.id not in served
    # Known to Dinsos (DTKS), not to any protection service: nothing the flag would show.
    assert _rows(world, "registry_member", child.id)
    assert not any(_rows(world, t, child.id) for t in CHILD_TABLES[1:])
    assert child.nik is not None


def test_a_child_outside_every_sample_users_region(world: World) -> None:
    child = world.by("child", "id")[STORY_OUT_OF_REGION.child_id]
    assert child.region_code.startswith("53.71")
    for user in SAMPLE_USERS:
        assert not any(child.region_code.startswith(r) for r in user.regions), user.id
    # A Balai's jurisdiction also holds every child with a case there: he has none, nor anything
    # else an agency could attach to him.
    assert not any(_rows(world, t, child.id) for t in CHILD_TABLES)
    assert not _rows(world, "member", child.id)
    assert not _rows(world, "guardian_consent", child.id)
    assert not _rows(world, "break_glass_grant", child.id)


def test_a_child_in_rumbais_provinces_with_a_case_only_at_another_balai(world: World) -> None:
    child = world.by("child", "id")[STORY_OTHER_BALAI.child_id]
    assert child.region_code[:2] in ("14", "13") and child.region_code[:2] in RUMBAI_PROVINCES
    rumbai = SAMPLE_USERS_BY_ID["balai-rumbai-assigned"]
    assert child.region_code[:2] in rumbai.regions  # Rumbai staff find him (identity.basic)
    [case] = _rows(world, "atensi_case", child.id)
    assert case.balai_code == "NAIBONAT" and case.closed_on is not None
    assert case.ampk_category != "CONFLICT_WITH_LAW"  # no SPPA: a plain consent question
    # No basis lets Rumbai read Naibonat's summary: no agreement between them, no consent, no
    # break-glass for him.
    parties: dict[int, set[str]] = {}
    for party in world.tables["agreement_party"]:
        parties.setdefault(party.agreement_id, set()).add(party.party)
    assert any({"RUMBAI", "ALYATAMA"} <= p for p in parties.values())  # why not Alyatama
    assert not any({"RUMBAI", "NAIBONAT"} <= p for p in parties.values())
    assert not _rows(world, "guardian_consent", child.id)
    assert not _rows(world, "break_glass_grant", child.id)
    # No sample Balai user holds Naibonat's cases.
    assert all(u.unit != "NAIBONAT" for u in SAMPLE_USERS)
