"""PKH subgraph: membership, conditionality rules, non-compliance search, recordVerification, batching."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from subgraphs.pkh import domain
from subgraphs.pkh import tables as t
from subgraphs.pkh.service import SPEC
from tests.subgraphs.sample_identities import FACTS_ONLY, identity_of

pytestmark = pytest.mark.anyio

KK_PEKANBARU = "1471020101150001"
KK_GRADUATED = "1471030101160002"
KK_BATAM = "2171010101170003"
NOW = datetime(2026, 10, 10, tzinfo=UTC)
JOKO, PUTRI, RINA, DEDI = "ANK000000001", "ANK000000002", "ANK000000003", "ANK000000004"
JOKO_MEMBER = 3

PKH_READS = ("identity.basic", "identity.full", "pkh.membership", "pkh.compliance")
# The sample pendamping (staff id 1: Rahmawati in this seed), where this seed puts her families.
FACILITATOR = identity_of(
    "pkh-fac-pekanbaru", "pkh.verification", PKH_READS, regions=("14.71.02", "14.71.03")
)
COORDINATOR = identity_of("pkh-coord-pekanbaru", "pkh.verification", PKH_READS)  # Kota Pekanbaru


def _verification(member_id: int, year: int, period: int, **values: Any) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "year": year,
        "period": period,
        "school_attendance_pct": None,
        "health_visits_met": None,
        "recorded_at": NOW,
        "recorded_by_id": "1",  # Rahmawati's staff id
        **values,
    }


async def _seed(db: Any) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            insert(t.facilitator),
            [
                {
                    "id": 1,
                    "name": "Rahmawati",
                    "phone": "0812-7000-1001",
                    "region_code": "14.71.02",
                },
                {"id": 2, "name": "Hendra", "phone": "0812-7000-2002", "region_code": "21.71.01"},
            ],
        )
        family = {"head_name": "Bambang", "facilitator_id": 1, "status": "ACTIVE"}
        await conn.execute(
            insert(t.beneficiary_family),
            [
                {
                    **family,
                    "id": 1,
                    "kk_number": KK_PEKANBARU,
                    "region_code": "14.71.02.1001",
                    "enrolled_on": date(2020, 1, 15),
                },
                {
                    **family,
                    "id": 2,
                    "kk_number": KK_GRADUATED,
                    "head_name": "Yusuf",
                    "region_code": "14.71.03.2002",
                    "enrolled_on": date(2018, 5, 2),
                    "status": "GRADUATED",
                },
                {
                    **family,
                    "id": 3,
                    "kk_number": KK_BATAM,
                    "head_name": "Ahmad",
                    "region_code": "21.71.01.1002",
                    "facilitator_id": 2,
                    "enrolled_on": date(2019, 8, 1),
                },
            ],
        )
        await conn.execute(
            insert(t.member),
            [
                {"id": 1, "family_id": 1, "child_id": None, "name": "Bambang", "relationship": "HEAD"},
                {"id": 2, "family_id": 1, "child_id": None, "name": "Sri Wahyuni", "relationship": "SPOUSE"},
                {"id": 3, "family_id": 1, "child_id": JOKO, "name": "Joko", "relationship": "CHILD"},
                {"id": 4, "family_id": 1, "child_id": PUTRI, "name": "Putri", "relationship": "CHILD"},
                {"id": 5, "family_id": 2, "child_id": RINA, "name": "Rina", "relationship": "CHILD"},
                {"id": 6, "family_id": 3, "child_id": DEDI, "name": "Dedi", "relationship": "CHILD"},
            ],
        )  # fmt: skip
        await conn.execute(
            insert(t.component),
            [
                {"member_id": 3, "kind": "SD", "started_on": date(2020, 1, 15), "ended_on": date(2024, 6, 30)},
                {"member_id": 3, "kind": "SMP", "started_on": date(2024, 7, 1), "ended_on": None},
                {"member_id": 4, "kind": "EARLY_CHILDHOOD", "started_on": date(2021, 3, 1), "ended_on": None},
                {"member_id": 5, "kind": "SD", "started_on": date(2018, 5, 2), "ended_on": date(2026, 3, 31)},
                {"member_id": 6, "kind": "SMA", "started_on": date(2023, 7, 1), "ended_on": None},
            ],
        )  # fmt: skip
        pct = Decimal
        await conn.execute(
            insert(t.verification),
            [
                # Joko: compliant, then three periods running under 85 %.
                _verification(3, 2025, 3, school_attendance_pct=pct("92.50"), compliant=True),
                _verification(3, 2025, 4, school_attendance_pct=pct("80.00"), compliant=False),
                _verification(3, 2026, 1, school_attendance_pct=pct("70.00"), compliant=False),
                _verification(3, 2026, 2, school_attendance_pct=pct("61.25"), compliant=False),
                # Putri: two misses with an unverified period between them: not "running".
                _verification(4, 2026, 1, health_visits_met=False, compliant=False),
                _verification(4, 2026, 3, health_visits_met=False, compliant=False),
                # Rina's KPM graduated: no longer the coordinator's concern.
                _verification(5, 2025, 4, school_attendance_pct=pct("40.00"), compliant=False),
                _verification(5, 2026, 1, school_attendance_pct=pct("41.00"), compliant=False),
                # Dedi in Batam.
                _verification(6, 2026, 1, school_attendance_pct=pct("50.00"), compliant=False),
                _verification(6, 2026, 2, school_attendance_pct=pct("55.00"), compliant=False),
            ],
        )
        await conn.execute(
            insert(t.payment),
            [
                {"family_id": 1, "year": 2026, "stage": 1, "amount": pct("975000.00"), "paid_on": date(2026, 3, 20), "status": "PAID"},
                {"family_id": 1, "year": 2026, "stage": 2, "amount": pct("975000.00"), "paid_on": None, "status": "WITHHELD"},
                {"family_id": 1, "year": 2026, "stage": 3, "amount": pct("975000.00"), "paid_on": None, "status": "PENDING"},
            ],
        )  # fmt: skip


MEMBERSHIP = """
  name
  family { kkNumber status enrolledOn facilitator { id name phone }
           members { name relationship child { id } components { kind } }
           payments { year stage amount paidOn status } }
  components { kind startedOn endedOn active }
  verifications { year period schoolAttendancePct healthVisitsMet compliant recordedById recordedAt }
  latestVerification { year period compliant }
  compliance { periodsVerified periodsCompliant latestCompliant consecutiveNonCompliantPeriods }
"""

ENTITIES = (
    "query($r: [_Any!]!) { _entities(representations: $r) { ... on Child { id pkh { %s } } } }"
)


async def _child_pkh(client: Any, child_id: str) -> Any:
    data = await client.data(ENTITIES % MEMBERSHIP, r=[{"__typename": "Child", "id": child_id}])
    return data["_entities"][0]["pkh"]


# --- Child.pkh and Family.pkh -------------------------------------------------------------------


async def test_child_pkh_membership_and_compliance(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    pkh = await _child_pkh(client, JOKO)
    assert pkh["name"] == "Joko"
    family = pkh["family"]
    assert family["kkNumber"] == KK_PEKANBARU
    assert family["status"] == "ACTIVE"
    assert family["enrolledOn"] == "2020-01-15"
    assert family["facilitator"] == {"id": "1", "name": "Rahmawati", "phone": "0812-7000-1001"}
    assert [(m["name"], m["relationship"]) for m in family["members"]] == [
        ("Bambang", "HEAD"),
        ("Sri Wahyuni", "SPOUSE"),
        ("Joko", "CHILD"),
        ("Putri", "CHILD"),
    ]
    assert [m["child"] for m in family["members"]] == [None, None, {"id": JOKO}, {"id": PUTRI}]
    assert [m["components"] for m in family["members"]][3] == [{"kind": "EARLY_CHILDHOOD"}]
    assert [(p["stage"], p["status"], p["paidOn"]) for p in family["payments"]] == [
        (1, "PAID", "2026-03-20"),
        (2, "WITHHELD", None),
        (3, "PENDING", None),
    ]
    assert Decimal(family["payments"][0]["amount"]) == Decimal("975000")
    assert pkh["components"] == [
        {"kind": "SD", "startedOn": "2020-01-15", "endedOn": "2024-06-30", "active": False},
        {"kind": "SMP", "startedOn": "2024-07-01", "endedOn": None, "active": True},
    ]
    assert [(v["year"], v["period"], v["schoolAttendancePct"]) for v in pkh["verifications"]] == [
        (2026, 2, 61.25),
        (2026, 1, 70.0),
        (2025, 4, 80.0),
        (2025, 3, 92.5),
    ]
    first = pkh["verifications"][0]
    assert first["healthVisitsMet"] is None
    assert first["compliant"] is False
    assert first["recordedById"] == "1"
    assert datetime.fromisoformat(first["recordedAt"]) == NOW
    assert pkh["latestVerification"] == {"year": 2026, "period": 2, "compliant": False}
    assert pkh["compliance"] == {
        "periodsVerified": 4,
        "periodsCompliant": 1,
        "latestCompliant": False,
        "consecutiveNonCompliantPeriods": 3,
    }


async def test_a_gap_breaks_the_non_compliant_run(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    pkh = await _child_pkh(client, PUTRI)
    assert pkh["components"][0]["kind"] == "EARLY_CHILDHOOD"
    assert [v["healthVisitsMet"] for v in pkh["verifications"]] == [False, False]
    assert pkh["compliance"]["consecutiveNonCompliantPeriods"] == 1


async def test_not_a_member_and_unknown_children_have_null_pkh(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    reps = [{"__typename": "Child", "id": i} for i in ("ANK999999999", JOKO, "not-an-id")]
    data = await client.data(ENTITIES % "name", r=reps)
    assert data["_entities"] == [
        {"id": "ANK999999999", "pkh": None},
        {"id": JOKO, "pkh": {"name": "Joko"}},
        {"id": "not-an-id", "pkh": None},
    ]


# --- Child.pkhCompliance: conditionality without the membership ---------------------------------

COMPLIANCE = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Child { id
  pkhCompliance { periodsVerified periodsCompliant latestCompliant consecutiveNonCompliantPeriods }
  pkhLatestVerification { year period schoolAttendancePct healthVisitsMet compliant } } } }"""


async def test_child_pkh_compliance_outside_the_membership(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    reps = [{"__typename": "Child", "id": i} for i in (JOKO, PUTRI, "ANK999999999", "not-an-id")]
    joko, putri, unknown, malformed = (await client.data(COMPLIANCE, r=reps))["_entities"]
    # The same summary as `pkh { compliance }` and `pkh { latestVerification }`.
    assert joko["pkhCompliance"] == (await _child_pkh(client, JOKO))["compliance"]
    assert joko["pkhCompliance"] == {
        "periodsVerified": 4,
        "periodsCompliant": 1,
        "latestCompliant": False,
        "consecutiveNonCompliantPeriods": 3,
    }
    assert joko["pkhLatestVerification"] == {
        "year": 2026,
        "period": 2,
        "schoolAttendancePct": 61.25,
        "healthVisitsMet": None,
        "compliant": False,
    }
    assert putri["pkhCompliance"]["consecutiveNonCompliantPeriods"] == 1
    assert putri["pkhLatestVerification"]["healthVisitsMet"] is False
    # Not a member (or no such child): null, like `pkh`.
    for child in (unknown, malformed):
        assert child["pkhCompliance"] is None and child["pkhLatestVerification"] is None


async def test_a_member_never_verified_has_an_empty_summary(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.member),
            {"id": 7, "family_id": 1, "child_id": "ANK000000007", "name": "Ani", "relationship": "CHILD"},
        )  # fmt: skip
    data = await client.data(COMPLIANCE, r=[{"__typename": "Child", "id": "ANK000000007"}])
    (child,) = data["_entities"]
    assert child["pkhCompliance"] == {
        "periodsVerified": 0,
        "periodsCompliant": 0,
        "latestCompliant": None,
        "consecutiveNonCompliantPeriods": 0,
    }
    assert child["pkhLatestVerification"] is None


async def test_pkh_compliance_needs_only_pkh_compliance_in_the_grant(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    query = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Child {
      pkh { name } pkhCompliance { latestCompliant } pkhLatestVerification { period } } } }"""
    reps = [{"__typename": "Child", "id": JOKO}]
    # A grant with pkh.compliance and without pkh.membership (the membership withheld): the
    # compliance comes back, the membership is refused.
    compliance_only = identity_of(
        "pkh-coord-pekanbaru", "child.protection", ("identity.basic", "pkh.compliance")
    )
    body = await client.acting(compliance_only).execute(query, r=reps)
    assert body["data"]["_entities"] == [
        {
            "pkh": None,
            "pkhCompliance": {"latestCompliant": False},
            "pkhLatestVerification": {"period": 2},
        }
    ]
    assert [(e["path"], e["extensions"]) for e in body["errors"]] == [
        (["_entities", 0, "pkh"], {"code": "FORBIDDEN", "category": "pkh.membership"})
    ]
    # A grant without pkh.compliance: both compliance fields refused, the membership served.
    membership_only = identity_of(
        "pkh-coord-pekanbaru", "child.protection", ("identity.basic", "pkh.membership")
    )
    body = await client.acting(membership_only).execute(query, r=reps)
    assert body["data"]["_entities"] == [
        {"pkh": {"name": "Joko"}, "pkhCompliance": None, "pkhLatestVerification": None}
    ]
    refused = {"code": "FORBIDDEN", "category": "pkh.compliance"}
    assert {e["path"][-1]: e["extensions"] for e in body["errors"]} == {
        "pkhCompliance": refused,
        "pkhLatestVerification": refused,
    }


async def test_family_pkh_by_kk_number(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    reps = [
        {"__typename": "Family", "kkNumber": KK_GRADUATED},
        {"__typename": "Family", "kkNumber": "1471020101150999"},
    ]
    query = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Family {
        kkNumber pkh { headName status regionCode members { name child { id } components { kind endedOn } }
        facilitator { name } payments { stage } } } } }"""
    data = await client.data(query, r=reps)
    graduated, unknown = data["_entities"]
    assert graduated["pkh"] == {
        "headName": "Yusuf",
        "status": "GRADUATED",
        "regionCode": "14.71.03.2002",
        "members": [
            {"name": "Rina", "child": {"id": RINA}, "components": [{"kind": "SD", "endedOn": "2026-03-31"}]}
        ],
        "facilitator": {"name": "Rahmawati"},
        "payments": [],
    }  # fmt: skip
    assert unknown == {"kkNumber": "1471020101150999", "pkh": None}


async def test_facilitator_and_their_families(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    query = """query($id: ID!) { facilitator(id: $id) {
        id name phone regionCode families { kkNumber status } } }"""
    data = await client.data(query, id="1")
    assert data["facilitator"] == {
        "id": "1",
        "name": "Rahmawati",
        "phone": "0812-7000-1001",
        "regionCode": "14.71.02",
        "families": [
            {"kkNumber": KK_PEKANBARU, "status": "ACTIVE"},
            {"kkNumber": KK_GRADUATED, "status": "GRADUATED"},
        ],
    }
    for unknown in ("99", "abc"):
        assert await client.execute(query, id=unknown) == {"data": {"facilitator": None}}


# --- nonCompliantChildren -----------------------------------------------------------------------

NON_COMPLIANT = """query($region: String!, $n: Int, $first: Int, $after: String) {
  nonCompliantChildren(regionCode: $region, consecutivePeriods: $n, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id pkh { name family { facilitator { name phone } }
            compliance { consecutiveNonCompliantPeriods } } } } }"""


async def _non_compliant_ids(client: Any, region: str, n: int) -> list[str]:
    data = await client.data(NON_COMPLIANT, region=region, n=n, first=50)
    return [node["id"] for node in data["nonCompliantChildren"]["nodes"]]


async def test_non_compliant_children_two_periods_running(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    data = await client.data(NON_COMPLIANT, region="14.71", first=20)  # the default: 2
    result = data["nonCompliantChildren"]
    # Putri's misses are not back to back; Rina's KPM graduated; Dedi is in Batam.
    assert result["nodes"] == [
        {
            "id": JOKO,
            "pkh": {
                "name": "Joko",
                "family": {"facilitator": {"name": "Rahmawati", "phone": "0812-7000-1001"}},
                "compliance": {"consecutiveNonCompliantPeriods": 3},
            },
        }
    ]
    assert result["totalCount"] == 1
    assert result["pageInfo"] == {"hasNextPage": False, "endCursor": JOKO}


async def test_non_compliant_children_by_run_length_and_region(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    assert await _non_compliant_ids(client, "14", 1) == [JOKO, PUTRI]
    assert await _non_compliant_ids(client, "14.71.02", 3) == [JOKO]
    assert await _non_compliant_ids(client, "14.71", 4) == []  # 2025 Q3 was compliant
    assert await _non_compliant_ids(client, "21", 2) == [DEDI]
    assert await _non_compliant_ids(client, "14.71.03", 2) == []  # graduated KPM
    assert await _non_compliant_ids(client, "13", 1) == []


async def test_non_compliant_children_paginate(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    first = (await client.data(NON_COMPLIANT, region="14", n=1, first=1))["nonCompliantChildren"]
    assert [n["id"] for n in first["nodes"]] == [JOKO]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": JOKO}
    assert first["totalCount"] == 2
    second = (await client.data(NON_COMPLIANT, region="14", n=1, first=1, after=JOKO))[
        "nonCompliantChildren"
    ]
    assert [n["id"] for n in second["nodes"]] == [PUTRI]
    assert second["pageInfo"] == {"hasNextPage": False, "endCursor": PUTRI}


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"region": "14.7", "n": 2, "first": 10}, "regionCode"),
        ({"region": "99", "n": 2, "first": 10}, "regionCode"),
        ({"region": "14", "n": 0, "first": 10}, "consecutivePeriods"),
        ({"region": "14", "n": 13, "first": 10}, "consecutivePeriods"),
        ({"region": "14", "n": 2, "first": 1000}, "first"),
    ],
)
async def test_non_compliant_children_bad_input(
    make_client: Any, variables: dict[str, Any], field: str
) -> None:
    client = await make_client(SPEC)
    body = await client.execute(NON_COMPLIANT, **variables)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field
    # The field carries a data category, so it is nullable: the error nulls it, not all data.
    assert body["data"] == {"nonCompliantChildren": None}


# --- recordVerification -------------------------------------------------------------------------

RECORD = """mutation($child: ID!, $year: Int!, $period: Int!, $pct: Float, $health: Boolean) {
  recordVerification(childId: $child, year: $year, period: $period, schoolAttendancePct: $pct,
    healthVisitsMet: $health) {
    year period schoolAttendancePct healthVisitsMet compliant recordedById recordedAt } }"""


async def _verification_rows(db: Any) -> list[tuple[Any, ...]]:
    v = t.verification
    async with db.connect() as conn:
        rows = await conn.execute(
            select(
                v.c.member_id,
                v.c.year,
                v.c.period,
                v.c.school_attendance_pct,
                v.c.health_visits_met,
                v.c.compliant,
                v.c.recorded_by_id,
            ).order_by(v.c.member_id, v.c.year, v.c.period)
        )
        return [tuple(row) for row in rows]


async def test_record_verification_for_a_school_component(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    before = datetime.now(UTC)
    data, changes = await client.acting(FACILITATOR).written(
        RECORD, child=JOKO, year=2026, period=3, pct=88.5
    )
    # A verification has no id of its own: the child's, the year and the period name it.
    assert changes == [("PkhVerification", f"{JOKO}/2026/3", "recorded")]
    recorded = data["recordVerification"]
    assert {k: v for k, v in recorded.items() if k != "recordedAt"} == {
        "year": 2026,
        "period": 3,
        "schoolAttendancePct": 88.5,
        "healthVisitsMet": None,
        "compliant": True,
        "recordedById": "1",  # the signed-in pendamping's staff id
    }
    assert datetime.fromisoformat(recorded["recordedAt"]) >= before.replace(microsecond=0)
    pkh = await _child_pkh(client, JOKO)
    assert pkh["latestVerification"] == {"year": 2026, "period": 3, "compliant": True}
    assert pkh["compliance"]["consecutiveNonCompliantPeriods"] == 0
    assert await _non_compliant_ids(client, "14", 2) == []


async def test_record_verification_threshold_and_health_visits(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    pendamping = client.acting(FACILITATOR)
    below = await pendamping.data(RECORD, child=JOKO, year=2026, period=3, pct=84.99)
    assert below["recordVerification"]["compliant"] is False
    # Rounded to the hundredth that is stored, then judged: 84.996 is 85.00, which complies.
    at = await pendamping.data(RECORD, child=JOKO, year=2026, period=3, pct=84.996)
    assert at["recordVerification"]["schoolAttendancePct"] == 85.0
    assert at["recordVerification"]["compliant"] is True
    health = await pendamping.data(RECORD, child=PUTRI, year=2026, period=2, health=True)
    assert health["recordVerification"]["compliant"] is True
    assert health["recordVerification"]["schoolAttendancePct"] is None
    # Filling Putri's unverified period leaves her latest period a miss, now alone.
    pkh = await _child_pkh(client, PUTRI)
    assert [v["period"] for v in pkh["verifications"]] == [3, 2, 1]
    assert pkh["compliance"]["consecutiveNonCompliantPeriods"] == 1


async def test_re_recording_a_period_updates_it(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    corrected, changes = await client.acting(COORDINATOR).written(
        RECORD, child=JOKO, year=2026, period=2, pct=90
    )
    assert corrected["recordVerification"]["compliant"] is True
    assert changes == [("PkhVerification", f"{JOKO}/2026/2", "recorded")]
    rows = [r for r in await _verification_rows(client.db) if r[0] == JOKO_MEMBER]
    assert [(r[1], r[2]) for r in rows] == [(2025, 3), (2025, 4), (2026, 1), (2026, 2)]
    assert rows[-1][3:] == (Decimal("90.00"), None, True, "PKH-KOR-1471")  # the coordinator's id
    pkh = await _child_pkh(client, JOKO)
    assert pkh["compliance"]["consecutiveNonCompliantPeriods"] == 0
    assert await _non_compliant_ids(client, "14", 2) == []


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"period": 0, "pct": 90}, "period"),
        ({"period": 5, "pct": 90}, "period"),
        ({"year": 2006, "pct": 90}, "year"),
        ({"year": date.today().year + 1, "period": 1, "pct": 90}, "year"),
        ({"pct": 100.5}, "schoolAttendancePct"),
        ({"pct": -1}, "schoolAttendancePct"),
        ({"pct": None}, "schoolAttendancePct"),  # SMP needs attendance
        ({"pct": 90, "health": True}, "healthVisitsMet"),  # no early-childhood component
        ({"child": PUTRI, "pct": 90, "health": True}, "schoolAttendancePct"),
        ({"child": PUTRI, "health": None}, "healthVisitsMet"),
        ({"year": 2019, "period": 4, "pct": 90}, "period"),  # before the KPM enrolled
        ({"child": PUTRI, "year": 2020, "period": 4, "health": True}, "period"),  # no component yet
    ],
)
async def test_record_verification_bad_input_writes_nothing(
    make_client: Any, variables: dict[str, Any], field: str
) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    before = await _verification_rows(client.db)
    arguments = {"child": JOKO, "year": 2026, "period": 2, **variables}
    body = await client.acting(FACILITATOR).execute(RECORD, **arguments)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
    assert body["data"] == {"recordVerification": None}
    assert "extensions" not in body  # nothing written, nothing reported
    # Period 2 already holds a verification: a refused correction must leave it as it was.
    assert await _verification_rows(client.db) == before


async def test_record_verification_for_a_graduated_kpm_is_an_invalid_transition(
    make_client: Any,
) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    before = await _verification_rows(client.db)
    body = await client.acting(FACILITATOR).execute(RECORD, child=RINA, year=2026, period=1, pct=95)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INVALID_TRANSITION", "field": "childId"}
    assert "GRADUATED" in error["message"]
    assert await _verification_rows(client.db) == before


async def test_record_verification_for_an_unknown_or_non_member_child_is_forbidden(
    make_client: Any,
) -> None:
    # The same answer as for another pendamping's child: a refusal reveals no membership.
    client = await make_client(SPEC)
    await _seed(client.db)
    for child in ("ANK999999999", "not-an-id", DEDI):
        body = await client.acting(FACILITATOR).execute(
            RECORD, child=child, year=2026, period=1, pct=90
        )
        assert body["data"] == {"recordVerification": None}
        assert [e["extensions"] for e in body["errors"]] == [
            {"code": "FORBIDDEN", "field": "childId"}
        ]
    async with client.db.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(t.verification))).scalar_one()
    assert count == 10


async def test_record_verification_rejects_a_non_integer_period(make_client: Any) -> None:
    client = await make_client(SPEC)
    body = await client.acting(FACILITATOR).execute(
        RECORD, child=JOKO, year=2026, period="two", pct=90
    )
    assert body["errors"] and "Int" in body["errors"][0]["message"]
    assert body.get("data") is None


# --- batching -----------------------------------------------------------------------------------


async def _fifty_kpm(conn: Any) -> None:
    """Fifty KPM of one pendamping, two children each, both non-compliant in 2026's first two
    periods."""
    await conn.execute(
        insert(t.facilitator),
        {"id": 1, "name": "Rahmawati", "phone": "0812", "region_code": "14.71.02"},
    )
    await conn.execute(
        insert(t.beneficiary_family),
        [
            {
                "id": f,
                "kk_number": f"147102010115{f:04d}",
                "head_name": f"Kepala {f}",
                "region_code": "14.71.02.1001",
                "facilitator_id": 1,
                "enrolled_on": date(2020, 1, 1),
                "status": "ACTIVE",
            }
            for f in range(1, 51)
        ],
    )
    await conn.execute(
        insert(t.member),
        [
            {"id": i, "family_id": (i + 1) // 2, "child_id": f"ANK{i:09d}", "name": f"Anak {i}", "relationship": "CHILD"}
            for i in range(1, 101)
        ],
    )  # fmt: skip
    await conn.execute(
        insert(t.verification),
        [
            _verification(i, 2026, p, school_attendance_pct=Decimal("80"), compliant=False)
            for i in range(1, 101)
            for p in (1, 2)
        ],
    )


async def test_entities_batch_one_query_per_table(make_client: Any) -> None:
    client = await make_client(SPEC)
    async with client.db.transaction() as conn:
        await _fifty_kpm(conn)
        # ... plus a head each: households share their queries.
        await conn.execute(
            insert(t.member),
            [
                {"id": 100 + f, "family_id": f, "child_id": None, "name": f"Kepala {f}", "relationship": "HEAD"}
                for f in range(1, 51)
            ],
        )  # fmt: skip
        await conn.execute(
            insert(t.component),
            [
                {"member_id": i, "kind": "SD", "started_on": date(2020, 1, 1), "ended_on": None}
                for i in range(1, 101)
            ],
        )
        await conn.execute(
            insert(t.payment),
            [
                {"family_id": f, "year": 2026, "stage": 1, "amount": Decimal("450000"), "paid_on": None, "status": "PENDING"}
                for f in range(1, 51)
            ],
        )  # fmt: skip
    reps = [{"__typename": "Child", "id": f"ANK{i:09d}"} for i in range(1, 101)]
    before = client.db.statements_executed
    data = await client.data(ENTITIES % MEMBERSHIP, r=reps)
    executed = client.db.statements_executed - before
    entities = data["_entities"]
    assert [e["pkh"]["name"] for e in entities] == [f"Anak {i}" for i in range(1, 101)]
    assert all(len(e["pkh"]["family"]["members"]) == 3 for e in entities)
    assert all(e["pkh"]["compliance"]["consecutiveNonCompliantPeriods"] == 2 for e in entities)
    assert entities[99]["pkh"]["family"]["payments"][0]["status"] == "PENDING"
    # member, beneficiary_family, facilitator, component, verification, payment
    assert executed == 6


async def test_pkh_compliance_batches_one_query_per_table(make_client: Any) -> None:
    client = await make_client(SPEC)
    async with client.db.transaction() as conn:
        await _fifty_kpm(conn)
    # A hundred members and one child in no KPM.
    reps = [{"__typename": "Child", "id": f"ANK{i:09d}"} for i in range(1, 102)]
    before = client.db.statements_executed
    entities = (await client.data(COMPLIANCE, r=reps))["_entities"]
    assert client.db.statements_executed - before == 2  # member, verification
    assert all(e["pkhCompliance"]["consecutiveNonCompliantPeriods"] == 2 for e in entities[:100])
    assert all(e["pkhLatestVerification"]["period"] == 2 for e in entities[:100])
    assert entities[100] == {
        "id": "ANK000000101",
        "pkhCompliance": None,
        "pkhLatestVerification": None,
    }


# --- domain rules -------------------------------------------------------------------------------


def _v(year: int, period: int, compliant: bool) -> domain.VerificationRecord:
    return domain.VerificationRecord(1, year, period, None, compliant, compliant, NOW, "R")


def test_consecutive_non_compliant_counts_back_to_back_periods_across_years() -> None:
    run = [_v(2025, 3, True), _v(2025, 4, False), _v(2026, 1, False)]
    assert domain.consecutive_non_compliant(run) == 2
    assert domain.consecutive_non_compliant([_v(2025, 2, False), _v(2025, 4, False)]) == 1
    assert domain.consecutive_non_compliant([_v(2026, 1, False), _v(2026, 2, True)]) == 0
    assert domain.consecutive_non_compliant([]) == 0


def test_check_period_refuses_a_period_that_has_not_begun() -> None:
    today = date(2026, 5, 10)  # second quarter
    domain.check_period(2026, 2, today)
    with pytest.raises(domain.VerificationRejected) as error:
        domain.check_period(2026, 3, today)
    assert error.value.field == "period"
    with pytest.raises(domain.VerificationRejected) as error:
        domain.check_period(2027, 1, today)
    assert error.value.field == "year"


def test_assess_a_child_holding_school_and_early_childhood_in_one_period() -> None:
    family = domain.FamilyRecord(
        1, KK_PEKANBARU, "Bambang", "14.71.02.1001", 1, date(2020, 1, 1), domain.FamilyStatus.ACTIVE
    )
    turning_seven = [
        domain.ComponentRecord(1, 1, domain.ComponentKind.EARLY_CHILDHOOD, date(2020, 1, 1), date(2026, 7, 14)),
        domain.ComponentRecord(2, 1, domain.ComponentKind.SD, date(2026, 7, 15), None),
    ]  # fmt: skip
    both_met = domain.assess(family, turning_seven, 2026, 3, Decimal("90"), True)
    assert both_met.compliant is True
    one_missed = domain.assess(family, turning_seven, 2026, 3, Decimal("90"), False)
    assert one_missed.compliant is False
    with pytest.raises(domain.VerificationRejected) as error:
        domain.assess(family, turning_seven, 2026, 3, None, True)
    assert error.value.field == "schoolAttendancePct"


def test_school_attendance_is_kept_to_two_decimals() -> None:
    assert domain.school_attendance(84.994) == Decimal("84.99")
    assert domain.school_attendance(84.995) == Decimal("85.00")
    assert domain.period_bounds(2024, 1) == (date(2024, 1, 1), date(2024, 3, 31))
    assert domain.period_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))


# --- write rights: the family's pendamping, or a coordinator of its region ----------------------


@pytest.mark.parametrize(
    "identity",
    [
        FACILITATOR,
        COORDINATOR,
        identity_of("pkh-coord-pekanbaru", "child.protection", PKH_READS, regions=("14",)),
    ],
)
async def test_record_verification_allowed(make_client: Any, identity: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    data = await client.acting(identity).data(RECORD, child=JOKO, year=2026, period=3, pct=90)
    assert data["recordVerification"]["recordedById"] == identity.staff_id
    rows = await _verification_rows(client.db)
    assert (JOKO_MEMBER, 2026, 3, Decimal("90.00"), None, True, identity.staff_id) in rows


@pytest.mark.parametrize(
    "identity",
    [
        None,  # nobody signed in
        identity_of("dinsos-pekanbaru", "child.protection", PKH_READS),
        identity_of("peksos-pekanbaru", "case.management", PKH_READS),
        identity_of("balai-rumbai-supervisor", "case.management", PKH_READS),
        identity_of("disdukcapil-batam", "civil.registration", PKH_READS, regions=("14",)),
        # Another pendamping (staff id 4), even placed in this family's kecamatan.
        identity_of("pkh-fac-padang", "pkh.verification", PKH_READS, regions=("14.71.02",)),
        # A coordinator of another region.
        identity_of("pkh-coord-pekanbaru", "pkh.verification", PKH_READS, regions=("21.71",)),
    ],
)
async def test_record_verification_refused_writes_nothing(make_client: Any, identity: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    before = await _verification_rows(client.db)
    for period in (2, 3):  # a correction and a new period
        body = await client.acting(identity).execute(
            RECORD, child=JOKO, year=2026, period=period, pct=99
        )
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        assert body["data"] == {"recordVerification": None}
        assert "extensions" not in body  # nothing written, nothing reported
    assert await _verification_rows(client.db) == before


# --- policy facts -------------------------------------------------------------------------------

FACTS = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Child { id policyPkh {
  activeMember familyKkNumber familyRegionCode facilitatorId } } } }"""


async def test_policy_pkh_answers_the_gateways_facts_fetch(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    facts = identity_of("balai-rumbai-assigned", "case.management", FACTS_ONLY)
    reps = [{"__typename": "Child", "id": i} for i in (JOKO, RINA, DEDI, "ANK999999999")]
    data = await client.acting(facts).data(FACTS, r=reps)
    assert [e["policyPkh"] for e in data["_entities"]] == [
        {"activeMember": True, "familyKkNumber": KK_PEKANBARU, "familyRegionCode": "14.71.02.1001", "facilitatorId": "1"},
        {"activeMember": False, "familyKkNumber": KK_GRADUATED, "familyRegionCode": "14.71.03.2002", "facilitatorId": "1"},
        {"activeMember": True, "familyKkNumber": KK_BATAM, "familyRegionCode": "21.71.01.1002", "facilitatorId": "2"},
        None,  # in no KPM
    ]  # fmt: skip


@pytest.mark.parametrize("identity", [None, FACILITATOR, COORDINATOR])
async def test_policy_pkh_refused_without_policy_facts(make_client: Any, identity: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    body = await client.acting(identity).execute(FACTS, r=[{"__typename": "Child", "id": JOKO}])
    assert body["data"] == {"_entities": [{"id": JOKO, "policyPkh": None}]}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_policy_pkh_is_inaccessible_and_batched(make_client: Any) -> None:
    client = await make_client(SPEC)
    sdl = SPEC.sdl()
    assert "policyPkh: PkhPolicyFacts @inaccessible" in sdl
    assert "type PkhPolicyFacts @inaccessible" in sdl
    await _seed(client.db)
    reps = [{"__typename": "Child", "id": i} for i in (JOKO, PUTRI, RINA, DEDI)]
    facts = identity_of("pkh-coord-pekanbaru", "pkh.verification", FACTS_ONLY)
    before = client.db.statements_executed
    data = await client.acting(facts).data(FACTS, r=reps)
    assert client.db.statements_executed - before == 2  # member, beneficiary_family
    assert all(e["policyPkh"] for e in data["_entities"])


# --- reads: lists by jurisdiction, the compliance list for PKH roles only -----------------------


@pytest.mark.parametrize(
    "identity",
    [
        identity_of("dinsos-pekanbaru", "child.protection", PKH_READS),
        identity_of("balai-rumbai-assigned", "case.management", PKH_READS),
        identity_of("disdukcapil-batam", "identity.resolution", PKH_READS),
        identity_of("auditor", "audit", ("audit.log",)),
        # A PKH role whose grant does not carry pkh.compliance.
        identity_of("pkh-coord-pekanbaru", "child.protection", ("pkh.membership",)),
    ],
)
async def test_non_compliant_children_only_for_pkh_roles(make_client: Any, identity: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    body = await client.acting(identity).execute(NON_COMPLIANT, region="14", n=1, first=10)
    assert body["data"] == {"nonCompliantChildren": None}
    assert [e["extensions"] for e in body["errors"]] == [
        {"code": "FORBIDDEN", "category": "pkh.compliance"}
    ]


async def test_non_compliant_children_within_the_callers_families_and_region(
    make_client: Any,
) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)

    async def ids(identity: Any, region: str) -> tuple[list[str], int]:
        data = await client.acting(identity).data(NON_COMPLIANT, region=region, n=1, first=1)
        found = data["nonCompliantChildren"]
        return [n["id"] for n in found["nodes"]], found["totalCount"]

    # The coordinator of Kota Pekanbaru asking for all Riau: Pekanbaru's, counted after the filter.
    assert await ids(COORDINATOR, "14") == ([JOKO], 2)
    assert await ids(COORDINATOR, "21") == ([], 0)
    # Rahmawati: her own families only; in Batam only Hendra (staff id 2) sees Dedi.
    assert await ids(FACILITATOR, "14") == ([JOKO], 2)
    padang = identity_of("pkh-fac-padang", "pkh.verification", PKH_READS, regions=("21.71.01",))
    assert await ids(padang, "21") == ([], 0)  # staff id 4: not Dedi's pendamping
    dedi_pendamping = replace(padang, staff_id="2")  # Hendra's staff id
    assert await ids(dedi_pendamping, "21") == ([DEDI], 1)
    # Rahmawati's own families, asked as another pendamping in her kecamatan: none.
    other = identity_of("pkh-fac-padang", "pkh.verification", PKH_READS, regions=("14.71.02",))
    assert await ids(other, "14") == ([], 0)


FAMILIES = """{ facilitator(id: "1") { name families { kkNumber } } }"""


@pytest.mark.parametrize(
    "identity",
    [
        identity_of("balai-rumbai-assigned", "case.management", PKH_READS),
        identity_of("balai-rumbai-supervisor", "child.protection", PKH_READS),
        identity_of("disdukcapil-batam", "identity.resolution", PKH_READS, regions=("14",)),
        identity_of("auditor", "audit", ("audit.log",)),
        identity_of("dinsos-pekanbaru", "child.protection", ("identity.basic",)),  # no category
    ],
)
async def test_facilitator_families_only_for_membership_by_mandate(
    make_client: Any, identity: Any
) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    body = await client.acting(identity).execute(FAMILIES)
    # Who the pendamping is stays visible; the KPM they serve do not.
    assert body["data"] == {"facilitator": {"name": "Rahmawati", "families": None}}
    assert [e["extensions"] for e in body["errors"]] == [
        {"code": "FORBIDDEN", "category": "pkh.membership"}
    ]


async def test_facilitator_families_within_jurisdiction(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)

    async def families(identity: Any) -> list[str]:
        data = await client.acting(identity).data(FAMILIES)
        # The pendamping is an institutional record: every signed-in officer sees who it is.
        assert data["facilitator"]["name"] == "Rahmawati"
        return [f["kkNumber"] for f in data["facilitator"]["families"]]

    both = [KK_PEKANBARU, KK_GRADUATED]
    assert await families(None) == both
    assert await families(FACILITATOR) == both
    assert await families(COORDINATOR) == both
    assert await families(identity_of("dinsos-pekanbaru", "child.protection", PKH_READS)) == both
    kecamatan_02 = identity_of(
        "dinsos-pekanbaru", "child.protection", PKH_READS, regions=("14.71.02",)
    )
    assert await families(kecamatan_02) == [KK_PEKANBARU]
    batam = identity_of("peksos-pekanbaru", "child.protection", PKH_READS, regions=("21.71",))
    assert await families(batam) == []
    other_pendamping = identity_of(
        "pkh-fac-padang", "pkh.verification", PKH_READS, regions=("14.71",)
    )
    assert await families(other_pendamping) == []
