"""Balai subgraph: Balai units, ATENSI cases and their stages, the protection flag, batching."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from subgraphs.balai import repository
from subgraphs.balai import tables as t
from subgraphs.balai.service import SPEC
from subgraphs.common.errors import BadUserInput
from subgraphs.common.federation import CATEGORIES
from subgraphs.common.identity import Identity

pytestmark = pytest.mark.anyio

AT = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
TOMORROW = (date.today() + timedelta(days=1)).isoformat()
RUMBAI_NAME = 'Balai Anak "Rumbai" Pekanbaru'
RUMBAI_PHONE = "0761-588812"


RUMBAI_PROVINCES = ("14", "13", "21", "18")


def _staff(staff_id: str, role: str = "balai_caseworker", unit: str = "RUMBAI") -> Identity:
    regions = RUMBAI_PROVINCES if unit == "RUMBAI" else ("15",)
    return Identity(
        subject=f"user-{unit}-{staff_id}",
        role=role,
        agency="balai",
        unit=unit,
        regions=regions,
        purpose="case.management",
        staff_id=staff_id,
        categories=CATEGORIES,
    )


# The seeded roster (_seed_units): Rina is assigned to the RUMBAI cases, Sari supervises RUMBAI,
# Dian works at RUMBAI on none of them, Budi works at ALYATAMA.
RINA = _staff("1")
SARI = _staff("2", role="balai_supervisor")
BUDI = _staff("3", unit="ALYATAMA")
DIAN = _staff("4")
DINSOS = Identity(
    subject="dinsos-pekanbaru",
    role="dinsos_officer",
    agency="dinsos",
    unit="DINSOS-14.71",
    regions=("14.71",),
    purpose="case.management",
    staff_id="DSS-1471-01",
    categories=CATEGORIES,
)


def _case(cid: int, child: str, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": cid,
        "case_number": f"RUMBAI/2025/{cid:06d}",
        "child_id": child,
        "balai_code": "RUMBAI",
        "caseworker_id": 1,
        "ampk_category": "CONFLICT_WITH_LAW",
        "stage": "INTAKE",
        "opened_on": date(2025, 3, 1),
        "closed_on": None,
        "closure_reason": None,
        "referral_source": None,
    }
    values.update(extra)
    return values


async def _continue_id_sequences(db: Any) -> None:
    """Rows seeded with explicit ids leave PostgreSQL's sequences at 1: move them past the ids."""
    if db.dialect != "postgresql":
        return
    async with db.transaction() as conn:
        for table in SPEC.metadata.sorted_tables:
            if "id" in table.c:
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                    )
                )


async def _seed_units(db: Any) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            insert(t.balai),
            [
                {
                    "code": "RUMBAI",
                    "name": RUMBAI_NAME,
                    "city": "Pekanbaru",
                    "region_code": "14.71",
                    "provinces_served": "14,13,21,18",
                    "phone": RUMBAI_PHONE,
                },
                {
                    "code": "ALYATAMA",
                    "name": 'Balai Anak "Alyatama" Jambi',
                    "city": "Jambi",
                    "region_code": "15.71",
                    "provinces_served": "15",
                    "phone": "0741-61234",
                },
            ],
        )
        await conn.execute(
            insert(t.caseworker),
            [
                {"id": 1, "name": "Rina Marlina", "balai_code": "RUMBAI", "is_supervisor": False},
                {"id": 2, "name": "Sari Dewi", "balai_code": "RUMBAI", "is_supervisor": True},
                {"id": 3, "name": "Budi Santoso", "balai_code": "ALYATAMA", "is_supervisor": False},
                {"id": 4, "name": "Dian Lestari", "balai_code": "RUMBAI", "is_supervisor": False},
            ],
        )
    await _continue_id_sequences(db)


async def _seed(db: Any) -> None:
    """ANK1: an open RUMBAI case in INTERVENTION, in residence, and an older closed ALYATAMA case;
    ANK2: a closed case only; ANK3: an open case at INTAKE."""
    await _seed_units(db)
    async with db.transaction() as conn:
        await conn.execute(
            insert(t.atensi_case),
            [
                _case(
                    1,
                    "ANK000000001",
                    stage="INTERVENTION",
                    ampk_category="SEXUAL_CRIME_VICTIM",
                    referral_source="DINSOS",
                ),
                _case(
                    2,
                    "ANK000000001",
                    case_number="ALYATAMA/2023/000004",
                    balai_code="ALYATAMA",
                    caseworker_id=3,
                    stage="AFTERCARE",
                    opened_on=date(2023, 1, 10),
                    closed_on=date(2023, 12, 1),
                    closure_reason="REINTEGRATED",
                ),
                _case(
                    3,
                    "ANK000000002",
                    stage="MONITORING",
                    closed_on=date(2025, 6, 1),
                    closure_reason="LOST_CONTACT",
                ),
                _case(4, "ANK000000003", opened_on=date(2025, 5, 2)),
            ],
        )
        await conn.execute(
            insert(t.stage_event),
            [
                {"case_id": 1, "stage": stage, "entered_at": AT + timedelta(days=i), "by_id": 1}
                for i, stage in enumerate(("INTAKE", "ASSESSMENT", "PLAN", "INTERVENTION"))
            ],
        )
        await conn.execute(
            insert(t.residential_stay),
            [
                {"case_id": 1, "started_on": date(2025, 3, 5), "ended_on": date(2025, 3, 20)},
                {"case_id": 1, "started_on": date(2025, 4, 1), "ended_on": None},
            ],
        )
        await conn.execute(
            insert(t.assessment),
            {
                "case_id": 1,
                "assessed_on": date(2025, 3, 3),
                "assessor_id": 1,
                "risk_level": "HIGH",
                "summary": "Perpetrator lives nearby.",
                "notes": "Mother cooperative.",
            },
        )
        await conn.execute(
            insert(t.intervention_plan),
            {
                "case_id": 1,
                "created_on": date(2025, 3, 10),
                "setting": "RESIDENTIAL",
                "goals": "Safety, trauma counselling, return to school.",
                "notes": None,
            },
        )
    await _continue_id_sequences(db)


async def _count(db: Any, table: Any) -> int:
    async with db.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def _counts(db: Any) -> dict[str, int]:
    return {table.name: await _count(db, table) for table in SPEC.metadata.sorted_tables}


def _codes(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in body["errors"]]


ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Child {
  id
  cases(openOnly: $openOnly) {
    id caseNumber ampkCategory stage status openedOn closedOn closureReason referralSource
    allowedNextStages
    child { id }
    balai { code name phone }
    caseworker { id name isSupervisor }
    stageHistory { stage enteredAt byId }
    residentialStays { id startedOn endedOn }
    assessments { assessedOn assessorId riskLevel summary notes }
    interventionPlans { createdOn setting goals notes }
  }
  protectionFlag { message contacts { balaiName phone } }
} } }"""


def _entities_query(open_only: bool = False) -> str:
    # Inline the argument: the variable would have to be declared on the operation.
    return ENTITIES.replace("$openOnly", "true" if open_only else "false")


def _reps(*ids: str) -> list[dict[str, str]]:
    return [{"__typename": "Child", "id": i} for i in ids]


# --- Child: cases and the flag ----------------------------------------------------------------


async def test_child_cases_newest_first_with_history_and_details(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    data = await client.data(_entities_query(), r=_reps("ANK000000001"))
    (child,) = data["_entities"]
    current, earlier = child["cases"]
    assert current["caseNumber"] == "RUMBAI/2025/000001"
    assert current["ampkCategory"] == "SEXUAL_CRIME_VICTIM"
    assert current["stage"] == "INTERVENTION"
    assert current["status"] == "OPEN"
    assert current["allowedNextStages"] == ["MONITORING"]
    assert current["child"] == {"id": "ANK000000001"}
    assert current["balai"] == {"code": "RUMBAI", "name": RUMBAI_NAME, "phone": RUMBAI_PHONE}
    assert current["caseworker"] == {"id": "1", "name": "Rina Marlina", "isSupervisor": False}
    assert [e["stage"] for e in current["stageHistory"]] == [
        "INTAKE",
        "ASSESSMENT",
        "PLAN",
        "INTERVENTION",
    ]
    assert datetime.fromisoformat(current["stageHistory"][0]["enteredAt"]) == AT
    assert [(s["startedOn"], s["endedOn"]) for s in current["residentialStays"]] == [
        ("2025-03-05", "2025-03-20"),
        ("2025-04-01", None),
    ]
    assert current["assessments"] == [
        {
            "assessedOn": "2025-03-03",
            "assessorId": "1",
            "riskLevel": "HIGH",
            "summary": "Perpetrator lives nearby.",
            "notes": "Mother cooperative.",
        }
    ]
    assert current["interventionPlans"][0]["setting"] == "RESIDENTIAL"

    assert earlier["caseNumber"] == "ALYATAMA/2023/000004"
    assert earlier["status"] == "CLOSED"
    assert earlier["closedOn"] == "2023-12-01"
    assert earlier["closureReason"] == "REINTEGRATED"
    assert earlier["allowedNextStages"] == []
    assert earlier["balai"]["code"] == "ALYATAMA"

    only_open = await client.data(_entities_query(open_only=True), r=_reps("ANK000000001"))
    assert [c["caseNumber"] for c in only_open["_entities"][0]["cases"]] == ["RUMBAI/2025/000001"]


async def test_protection_flag_names_the_balai_and_nothing_else(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    data = await client.data(_entities_query(), r=_reps("ANK000000001", "ANK000000002"))
    open_child, closed_only = data["_entities"]
    flag = open_child["protectionFlag"]
    assert flag["contacts"] == [{"balaiName": RUMBAI_NAME, "phone": RUMBAI_PHONE}]
    assert RUMBAI_NAME in flag["message"] and RUMBAI_PHONE in flag["message"]
    # The closed ALYATAMA case is not an open case: no contact for it.
    assert "Alyatama" not in flag["message"]
    for hidden in ("SEXUAL", "sexual", "INTERVENTION", "Rina", "RUMBAI/2025"):
        assert hidden not in flag["message"]
    assert closed_only["protectionFlag"] is None
    assert [c["status"] for c in closed_only["cases"]] == ["CLOSED"]


async def test_flag_lists_each_balai_once_in_name_order(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed_units(client.db)
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.atensi_case),
            [
                _case(1, "ANK000000009"),
                _case(2, "ANK000000009", case_number="ALYATAMA/2025/000001", balai_code="ALYATAMA"),
                # A data slip (two open cases at one Balai) must not list it twice.
                _case(3, "ANK000000009"),
            ],
        )
    data = await client.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Child { "
        "protectionFlag { contacts { balaiName } } } } }",
        r=_reps("ANK000000009"),
    )
    contacts = data["_entities"][0]["protectionFlag"]["contacts"]
    assert [c["balaiName"] for c in contacts] == ['Balai Anak "Alyatama" Jambi', RUMBAI_NAME]


async def test_entities_unknown_child_has_no_cases_and_no_flag(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    before = client.db.statements_executed
    data = await client.data(_entities_query(), r=_reps("ANK999999999"))
    assert data["_entities"] == [{"id": "ANK999999999", "cases": [], "protectionFlag": None}]
    assert client.db.statements_executed - before == 1  # atensi_case only


async def test_entities_batch_one_query_per_table(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed_units(client.db)
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.atensi_case),
            [
                _case(
                    i,
                    f"ANK{i:09d}",
                    balai_code="RUMBAI" if i % 2 else "ALYATAMA",
                    caseworker_id=1 if i % 2 else 3,
                    closed_on=None if i % 3 else date(2025, 9, 1),
                )
                for i in range(1, 101)
            ],
        )
        await conn.execute(
            insert(t.stage_event),
            [
                {"case_id": i, "stage": "INTAKE", "entered_at": AT, "by_id": 1}
                for i in range(1, 101)
            ],
        )
        await conn.execute(
            insert(t.residential_stay),
            [{"case_id": i, "started_on": date(2025, 3, 2)} for i in range(1, 101)],
        )
        await conn.execute(
            insert(t.assessment),
            [
                {
                    "case_id": i,
                    "assessed_on": date(2025, 3, 2),
                    "assessor_id": 1,
                    "risk_level": "LOW",
                    "summary": f"Assessment {i}",
                }
                for i in range(1, 101)
            ],
        )
        await conn.execute(
            insert(t.intervention_plan),
            [
                {"case_id": i, "created_on": date(2025, 3, 3), "setting": "FAMILY", "goals": "G"}
                for i in range(1, 101)
            ],
        )
    reps = _reps(*(f"ANK{i:09d}" for i in range(1, 101)))
    before = client.db.statements_executed
    data = await client.data(_entities_query(), r=reps)
    executed = client.db.statements_executed - before
    children = data["_entities"]
    assert [c["id"] for c in children] == [f"ANK{i:09d}" for i in range(1, 101)]
    assert [c["cases"][0]["assessments"][0]["summary"] for c in children] == [
        f"Assessment {i}" for i in range(1, 101)
    ]
    assert children[0]["cases"][0]["caseworker"]["name"] == "Rina Marlina"
    assert children[1]["cases"][0]["balai"]["code"] == "ALYATAMA"
    assert children[2]["protectionFlag"] is None  # case 3 is closed
    assert children[3]["protectionFlag"]["contacts"][0]["phone"] == "0741-61234"
    # atensi_case, balai, caseworker, stage_event, residential_stay, assessment, intervention_plan
    assert executed == 7


# --- queries ----------------------------------------------------------------------------------


async def test_balai_and_balai_list(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed_units(client.db)
    data = await client.data(
        """{ balai(code: "RUMBAI") { code name city regionCode provincesServed phone
               caseworkers { id name isSupervisor balai { code } } }
             missing: balai(code: "NOPE") { code }
             balaiList { code } }"""
    )
    rumbai = data["balai"]
    assert rumbai["provincesServed"] == ["14", "13", "21", "18"]
    assert rumbai["city"] == "Pekanbaru"
    assert [(w["name"], w["isSupervisor"]) for w in rumbai["caseworkers"]] == [
        ("Dian Lestari", False),
        ("Rina Marlina", False),
        ("Sari Dewi", True),
    ]
    assert {w["balai"]["code"] for w in rumbai["caseworkers"]} == {"RUMBAI"}
    assert data["missing"] is None
    assert [b["code"] for b in data["balaiList"]] == ["ALYATAMA", "RUMBAI"]

    entities = await client.data(
        'query { _entities(representations: [{__typename: "Balai", code: "ALYATAMA"},'
        ' {__typename: "Balai", code: "NOPE"}]) { ... on Balai { name } } }'
    )
    assert entities["_entities"] == [{"name": 'Balai Anak "Alyatama" Jambi'}, None]


async def test_case_by_id_and_number(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    query = """query($id: ID!, $n: String!) {
      atensiCase(id: $id) { caseNumber child { id } }
      caseByNumber(caseNumber: $n) { id stage } }"""
    data = await client.data(query, id="4", n="alyatama/2023/000004")
    assert data["atensiCase"] == {
        "caseNumber": "RUMBAI/2025/000004",
        "child": {"id": "ANK000000003"},
    }
    assert data["caseByNumber"] == {"id": "2", "stage": "AFTERCARE"}
    for unknown_id in ("999", "abc", "99999999999999"):
        missing = await client.data(query, id=unknown_id, n="RUMBAI/2025/000999")
        assert missing == {"atensiCase": None, "caseByNumber": None}
    body = await client.execute(query, id="1", n="RUMBAI-2025-1")
    assert _codes(body) == [("BAD_USER_INPUT", "caseNumber")]
    assert body["data"]["atensiCase"]["caseNumber"] == "RUMBAI/2025/000001"


LIST = """query($balai: String!, $stage: CaseStage, $open: Boolean!, $worker: ID, $first: Int!,
               $after: String) {
  cases(balaiCode: $balai, stage: $stage, openOnly: $open, caseworkerId: $worker, first: $first,
        after: $after) {
    totalCount nodes { id stage } pageInfo { hasNextPage endCursor } } }"""


async def test_cases_list_filters_and_paginates(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed_units(client.db)
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.atensi_case),
            [
                _case(
                    i,
                    f"ANK{i:09d}",
                    stage="ASSESSMENT" if i % 5 == 0 else "INTAKE",
                    caseworker_id=2 if i % 2 == 0 else 1,
                    closed_on=date(2025, 8, 1) if i > 20 else None,
                )
                for i in range(1, 26)
            ]
            + [
                _case(26, "ANK000000026", case_number="ALYATAMA/2025/000001", balai_code="ALYATAMA")
            ],
        )

    async def page(**overrides: Any) -> dict[str, Any]:
        variables = {"balai": "RUMBAI", "stage": None, "open": True, "worker": None, "first": 20}
        variables.update(overrides)
        return (await client.data(LIST, **variables))["cases"]

    seen: list[str] = []
    after = None
    while True:
        result = await page(first=8, after=after)
        assert result["totalCount"] == 20
        seen += [n["id"] for n in result["nodes"]]
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]
    assert seen == [str(i) for i in range(1, 21)]

    assessment = await page(stage="ASSESSMENT")
    assert [n["id"] for n in assessment["nodes"]] == ["5", "10", "15", "20"]
    assert (await page(open=False))["totalCount"] == 25
    assert (await page(worker="2"))["totalCount"] == 10
    assert (await page(worker="not-a-worker"))["totalCount"] == 0
    assert (await page(balai="ALYATAMA"))["totalCount"] == 1
    assert (await page(balai="NOPE"))["nodes"] == []

    bad_cursor = await client.execute(
        LIST, balai="RUMBAI", open=True, first=5, after="zzz", stage=None, worker=None
    )
    assert _codes(bad_cursor) == [("BAD_USER_INPUT", "after")]
    too_many = await client.execute(LIST, balai="RUMBAI", open=True, first=500)
    assert _codes(too_many) == [("BAD_USER_INPUT", "first")]


# --- openCase ---------------------------------------------------------------------------------

OPEN = """mutation($child: ID!, $balai: String!, $worker: ID!, $category: AmpkCategory!,
                  $on: Date!, $source: String) {
  openCase(childId: $child, balaiCode: $balai, caseworkerId: $worker, ampkCategory: $category,
           openedOn: $on, referralSource: $source) {
    id caseNumber stage status openedOn referralSource allowedNextStages
    balai { code } caseworker { name } stageHistory { stage byId enteredAt } } }"""


def _open_args(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "child": "ANK000000042",
        "balai": "RUMBAI",
        "worker": "1",
        "category": "CONFLICT_WITH_LAW",
        "on": "2025-07-01",
        "source": "POLICE",
    }
    values.update(overrides)
    return values


async def test_open_case_numbers_it_and_records_intake(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(DIAN)
    await _seed(client.db)
    before = datetime.now(UTC)
    data, changes = await client.written(OPEN, **_open_args())
    case = data["openCase"]
    assert changes == [("AtensiCase", case["id"], "opened")]
    assert case["id"] == "5"
    # Cases 1, 3 and 4 are RUMBAI/2025: the next serial follows the highest.
    assert case["caseNumber"] == "RUMBAI/2025/000005"
    assert case["stage"] == "INTAKE"
    assert case["status"] == "OPEN"
    assert case["referralSource"] == "POLICE"
    assert case["allowedNextStages"] == ["ASSESSMENT"]
    assert case["balai"] == {"code": "RUMBAI"}
    assert case["caseworker"] == {"name": "Rina Marlina"}
    (event,) = case["stageHistory"]
    # The actor is the signed-in caseworker (Dian), not the one the case is assigned to (Rina).
    assert (event["stage"], event["byId"]) == ("INTAKE", "4")
    assert datetime.fromisoformat(event["enteredAt"]) >= before

    other_year = await client.data(OPEN, **_open_args(child="ANK000000043", on="2026-01-02"))
    assert other_year["openCase"]["caseNumber"] == "RUMBAI/2026/000001"
    elsewhere = await client.acting(BUDI).data(
        OPEN, **_open_args(balai="ALYATAMA", worker="3", on="2024-02-02", source=None)
    )
    assert elsewhere["openCase"]["caseNumber"] == "ALYATAMA/2024/000001"
    assert elsewhere["openCase"]["referralSource"] is None


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"on": TOMORROW}, "openedOn"),
        ({"worker": "99"}, "caseworkerId"),
        ({"worker": "x"}, "caseworkerId"),
        ({"worker": "3"}, "caseworkerId"),  # works at ALYATAMA, not RUMBAI
        ({"child": "ANK 1; DROP"}, "childId"),
        ({"child": "ANK0000000000000042"}, "childId"),
        ({"source": "   "}, "referralSource"),
        ({"source": "X" * 33}, "referralSource"),
    ],
)
async def test_open_case_rejects_bad_input_and_writes_nothing(
    make_client: Any, override: dict[str, Any], field: str
) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed(client.db)
    before = await _counts(client.db)
    body = await client.execute(OPEN, **_open_args(**override))
    assert _codes(body) == [("BAD_USER_INPUT", field)]
    assert body["data"] is None
    assert "extensions" not in body  # nothing written, nothing reported
    assert await _counts(client.db) == before


async def test_unknown_ampk_category_is_a_validation_error(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed_units(client.db)
    body = await client.execute(OPEN, **_open_args(category="NAUGHTY"))
    assert "NAUGHTY" in body["errors"][0]["message"]
    assert await _count(client.db, t.atensi_case) == 0


async def test_second_open_case_at_the_same_balai_conflicts(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed(client.db)
    before = await _counts(client.db)
    # ANK000000003 has open case 4 at RUMBAI.
    body = await client.execute(OPEN, **_open_args(child="ANK000000003", worker="2"))
    assert _codes(body) == [("CONFLICT", "childId")]
    assert "extensions" not in body
    assert await _counts(client.db) == before
    # At another Balai it may; and ANK000000002's RUMBAI case is closed, so a new one may open.
    await client.acting(BUDI).data(
        OPEN, **_open_args(child="ANK000000003", balai="ALYATAMA", worker="3")
    )
    reopened = await client.data(OPEN, **_open_args(child="ANK000000002"))
    assert reopened["openCase"]["status"] == "OPEN"


async def test_open_case_is_one_transaction(make_client: Any, monkeypatch: Any) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed_units(client.db)

    async def failing_stage(*_args: Any) -> None:
        raise BadUserInput("stage history unavailable", field="openedOn")

    # The case row is written first; failing on the stage event must take it back.
    monkeypatch.setattr(repository, "_record_stage", failing_stage)
    body = await client.execute(OPEN, **_open_args())
    assert _codes(body) == [("BAD_USER_INPUT", "openedOn")]
    assert "extensions" not in body  # rolled back: reported as nothing
    assert await _count(client.db, t.atensi_case) == 0


# --- advanceCase ------------------------------------------------------------------------------

ADVANCE = """mutation($id: ID!, $to: CaseStage!) {
  advanceCase(caseId: $id, toStage: $to) {
    stage allowedNextStages stageHistory { stage byId } } }"""


async def test_advance_case_through_every_stage_and_back_to_intervention(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(SARI)
    await _seed(client.db)
    path = [
        "ASSESSMENT",
        "PLAN",
        "INTERVENTION",
        "MONITORING",
        "INTERVENTION",
        "MONITORING",
        "TERMINATION",
        "AFTERCARE",
    ]
    for stage in path:
        data, changes = await client.written(ADVANCE, id="4", to=stage)
        case = data["advanceCase"]
        assert case["stage"] == stage
        assert changes == [("AtensiCase", "4", f"advanced: {stage}")]
    assert case["allowedNextStages"] == []
    assert [e["stage"] for e in case["stageHistory"]] == path  # the seed gave case 4 no events
    assert {e["byId"] for e in case["stageHistory"]} == {"2"}  # the supervisor, Sari
    in_intervention = await client.data('{ atensiCase(id: "1") { allowedNextStages } }')
    assert in_intervention["atensiCase"]["allowedNextStages"] == ["MONITORING"]


@pytest.mark.parametrize(
    ("case_id", "to"),
    [
        ("4", "PLAN"),  # INTAKE skipping ASSESSMENT
        ("4", "INTAKE"),  # staying put
        ("1", "PLAN"),  # INTERVENTION backwards
        ("1", "AFTERCARE"),  # INTERVENTION far forwards
    ],
)
async def test_invalid_stage_transitions_change_nothing(
    make_client: Any, case_id: str, to: str
) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed(client.db)
    before = await _counts(client.db)
    body = await client.execute(ADVANCE, id=case_id, to=to)
    assert _codes(body) == [("INVALID_TRANSITION", "toStage")]
    assert body["data"] == {"advanceCase": None}
    assert "extensions" not in body
    assert await _counts(client.db) == before
    unchanged = await client.data("query($id: ID!) { atensiCase(id: $id) { stage } }", id=case_id)
    assert unchanged["atensiCase"]["stage"] == ("INTAKE" if case_id == "4" else "INTERVENTION")


async def test_advance_closed_and_unknown(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed(client.db)
    closed = await client.execute(ADVANCE, id="3", to="TERMINATION")
    assert _codes(closed) == [("INVALID_TRANSITION", "caseId")]
    assert await client.execute(ADVANCE, id="404", to="PLAN") == {"data": {"advanceCase": None}}
    bad_enum = await client.execute(ADVANCE, id="4", to="LIMBO")
    assert "LIMBO" in bad_enum["errors"][0]["message"]


# --- addAssessment and addInterventionPlan ----------------------------------------------------

ASSESS = """mutation($id: ID!, $on: Date!, $risk: RiskLevel!, $summary: String!, $notes: String) {
  addAssessment(caseId: $id, assessedOn: $on, riskLevel: $risk, summary: $summary,
                notes: $notes) { id assessedOn assessorId riskLevel summary notes } }"""


async def test_add_assessment(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed(client.db)
    added, changes = await client.written(
        ASSESS, id="4", on="2025-05-03", risk="MEDIUM", summary=" Family conflict. ", notes=None
    )
    assert changes == [("CaseAssessment", "2", "added")]
    assert added["addAssessment"] == {
        "id": "2",
        "assessedOn": "2025-05-03",
        "assessorId": "1",
        "riskLevel": "MEDIUM",
        "summary": "Family conflict.",
        "notes": None,
    }
    case = await client.data('{ atensiCase(id: "4") { assessments { summary } } }')
    assert case["atensiCase"]["assessments"] == [{"summary": "Family conflict."}]


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        ({"on": TOMORROW}, "BAD_USER_INPUT", "assessedOn"),
        ({"on": "2025-05-01"}, "BAD_USER_INPUT", "assessedOn"),  # case 4 opened 2025-05-02
        ({"summary": ""}, "BAD_USER_INPUT", "summary"),
        ({"id": "3"}, "INVALID_TRANSITION", "caseId"),  # closed
    ],
)
async def test_add_assessment_rejects_and_writes_nothing(
    make_client: Any, args: dict[str, Any], code: str, field: str
) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed(client.db)
    variables = {"id": "4", "on": "2025-05-03", "risk": "LOW", "summary": "S", "notes": "n"}
    body = await client.execute(ASSESS, **{**variables, **args})
    assert _codes(body) == [(code, field)]
    assert "extensions" not in body
    assert await _count(client.db, t.assessment) == 1
    unknown = await client.execute(ASSESS, **{**variables, "id": "404"})
    assert unknown == {"data": {"addAssessment": None}}
    bad_enum = await client.execute(ASSESS, **{**variables, "risk": "EXTREME"})
    assert "EXTREME" in bad_enum["errors"][0]["message"]


PLAN = """mutation($id: ID!, $on: Date!, $setting: InterventionSetting!, $goals: String!) {
  addInterventionPlan(caseId: $id, createdOn: $on, setting: $setting, goals: $goals) {
    createdOn setting goals notes } }"""


async def test_add_intervention_plan_only_from_assessment_on(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed(client.db)
    variables = {"id": "4", "on": "2025-05-10", "setting": "FAMILY", "goals": "Reunify."}
    at_intake = await client.execute(PLAN, **variables)
    assert _codes(at_intake) == [("INVALID_TRANSITION", "caseId")]
    assert await _count(client.db, t.intervention_plan) == 1

    await client.data(ADVANCE, id="4", to="ASSESSMENT")
    data, changes = await client.written(PLAN, **variables)
    assert changes == [("InterventionPlan", "2", "added")]
    plan = data["addInterventionPlan"]
    assert plan == {
        "createdOn": "2025-05-10",
        "setting": "FAMILY",
        "goals": "Reunify.",
        "notes": None,
    }
    assert await _count(client.db, t.intervention_plan) == 2

    for args, field in (({"on": TOMORROW}, "createdOn"), ({"on": "2025-01-01"}, "createdOn")):
        body = await client.execute(PLAN, **{**variables, **args})
        assert _codes(body) == [("BAD_USER_INPUT", field)]
    closed = await client.execute(PLAN, **{**variables, "id": "3"})
    assert _codes(closed) == [("INVALID_TRANSITION", "caseId")]
    assert await client.execute(PLAN, **{**variables, "id": "404"}) == {
        "data": {"addInterventionPlan": None}
    }
    assert await _count(client.db, t.intervention_plan) == 2


# --- closeCase --------------------------------------------------------------------------------

CLOSE = """mutation($id: ID!, $on: Date!, $reason: CaseClosureReason!) {
  closeCase(caseId: $id, closedOn: $on, reason: $reason) {
    status closedOn closureReason allowedNextStages residentialStays { endedOn } } }"""


async def test_close_case_ends_the_open_stay(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed(client.db)
    data, changes = await client.written(CLOSE, id="1", on="2025-09-30", reason="TRANSFERRED")
    # The case, and the stay that ended with it (stay 1 had ended before: not this change's).
    assert changes == [("AtensiCase", "1", "closed"), ("ResidentialStay", "2", "ended")]
    closed = data["closeCase"]
    assert closed == {
        "status": "CLOSED",
        "closedOn": "2025-09-30",
        "closureReason": "TRANSFERRED",
        "allowedNextStages": [],
        "residentialStays": [{"endedOn": "2025-03-20"}, {"endedOn": "2025-09-30"}],
    }
    again = await client.execute(CLOSE, id="1", on="2025-10-01", reason="TRANSFERRED")
    assert _codes(again) == [("INVALID_TRANSITION", "caseId")]
    assert "extensions" not in again
    assert (await client.data('{ atensiCase(id: "1") { closedOn } }'))["atensiCase"] == {
        "closedOn": "2025-09-30"
    }


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        ({"on": TOMORROW}, "BAD_USER_INPUT", "closedOn"),
        ({"on": "2025-02-28"}, "BAD_USER_INPUT", "closedOn"),  # before openedOn
        ({"on": "2025-03-25"}, "BAD_USER_INPUT", "closedOn"),  # before the open stay began
        ({"reason": "REINTEGRATED"}, "INVALID_TRANSITION", "reason"),  # still in INTERVENTION
        ({"reason": "GOALS_MET"}, "INVALID_TRANSITION", "reason"),
    ],
)
async def test_close_case_rejects_and_leaves_it_open(
    make_client: Any, args: dict[str, Any], code: str, field: str
) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed(client.db)
    body = await client.execute(
        CLOSE, **{"id": "1", "on": "2025-09-30", "reason": "AGED_OUT", **args}
    )
    assert _codes(body) == [(code, field)]
    case = await client.data('{ atensiCase(id: "1") { status residentialStays { endedOn } } }')
    assert case["atensiCase"] == {
        "status": "OPEN",
        "residentialStays": [{"endedOn": "2025-03-20"}, {"endedOn": None}],
    }


async def test_close_case_as_success_after_termination_and_unknown(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed(client.db)
    for stage in ("MONITORING", "TERMINATION"):
        await client.data(ADVANCE, id="1", to=stage)
    closed, changes = await client.written(CLOSE, id="1", on="2025-10-01", reason="GOALS_MET")
    assert changes == [("AtensiCase", "1", "closed"), ("ResidentialStay", "2", "ended")]
    assert closed["closeCase"]["closureReason"] == "GOALS_MET"
    advance = await client.execute(ADVANCE, id="1", to="AFTERCARE")
    assert _codes(advance) == [("INVALID_TRANSITION", "caseId")]
    assert await client.execute(CLOSE, id="404", on="2025-10-01", reason="AGED_OUT") == {
        "data": {"closeCase": None}
    }


# --- residential stays ------------------------------------------------------------------------

START = """mutation($id: ID!, $on: Date!) {
  startResidentialStay(caseId: $id, startedOn: $on) { id startedOn endedOn } }"""
END = """mutation($id: ID!, $on: Date!) {
  endResidentialStay(stayId: $id, endedOn: $on) { id startedOn endedOn } }"""


async def test_residential_stay_lifecycle(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(RINA)
    await _seed(client.db)
    data, changes = await client.written(START, id="4", on="2025-05-05")
    stay = data["startResidentialStay"]
    assert stay == {"id": "3", "startedOn": "2025-05-05", "endedOn": None}
    assert changes == [("ResidentialStay", "3", "started")]
    twice = await client.execute(START, id="4", on="2025-05-06")
    assert _codes(twice) == [("INVALID_TRANSITION", "caseId")]
    assert "extensions" not in twice

    early = await client.execute(END, id="3", on="2025-05-04")
    assert _codes(early) == [("BAD_USER_INPUT", "endedOn")]
    data, changes = await client.written(END, id="3", on="2025-06-01")
    assert data["endResidentialStay"]["endedOn"] == "2025-06-01"
    assert changes == [("ResidentialStay", "3", "ended")]
    again = await client.execute(END, id="3", on="2025-06-02")
    assert _codes(again) == [("INVALID_TRANSITION", "stayId")]

    overlapping = await client.execute(START, id="4", on="2025-05-20")
    assert _codes(overlapping) == [("BAD_USER_INPUT", "startedOn")]
    assert _codes(await client.execute(START, id="4", on=TOMORROW)) == [
        ("BAD_USER_INPUT", "startedOn")
    ]
    assert _codes(await client.execute(START, id="4", on="2025-05-01")) == [
        ("BAD_USER_INPUT", "startedOn")
    ]
    closed = await client.execute(START, id="3", on="2025-05-20")
    assert _codes(closed) == [("INVALID_TRANSITION", "caseId")]
    assert await _count(client.db, t.residential_stay) == 3

    assert await client.execute(START, id="404", on="2025-05-20") == {
        "data": {"startResidentialStay": None}
    }
    assert await client.execute(END, id="404", on="2025-05-20") == {
        "data": {"endResidentialStay": None}
    }
