"""Dinsos subgraph: registry, complaints, responses, referrals, LKSA placements, the flag, batching."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from subgraphs.dinsos import domain
from subgraphs.dinsos import tables as t
from subgraphs.dinsos.service import SPEC

pytestmark = pytest.mark.anyio

WIB = timedelta(hours=7)
CHILD_A = "ANK000000001"  # Pekanbaru: in DTKS, complaints, referrals, an ended placement
CHILD_B = "ANK000000002"  # Batam: lives in an LKSA
FUTURE = "2999-01-01T00:00:00+07:00"


def _at(day: int, hour: int = 9, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


async def _insert(conn: Any, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """One row at a time with RETURNING: the database's own ids, so sequences stay right."""
    ids = []
    for row in rows:
        result = await conn.execute(insert(table).returning(table.c.id), row)
        ids.append(int(result.scalar_one()))
    return ids


async def _count(db: Any, table: Table, **where: Any) -> int:
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    async with db.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


def _complaint(child_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "child_id": child_id,
        "channel": "PKSAI",
        "received_at": _at(1),
        "region_code": "14.71.02.1001",
        "problem_category": "MISTREATMENT_AND_NEGLECT",
        "summary": "Anak sering ditinggal tanpa pengasuhan.",
        "status": "RECEIVED",
        **extra,
    }


def _referral(child_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "child_id": child_id,
        "complaint_id": None,
        "target_kind": "LKSA",
        "target_code": "2",
        "reason": "Membutuhkan pengasuhan alternatif sementara.",
        "status": "REQUESTED",
        "requested_at": _at(2),
        **extra,
    }


async def _seed(db: Any) -> None:
    async with db.transaction() as conn:
        await _insert(
            conn,
            t.lksa,
            [
                {
                    "name": "LKSA Kasih Ibu",
                    "region_code": "21.71.01.1002",
                    "capacity": 2,
                    "phone": "0812-7000-0001",
                },
                {
                    "name": "LKSA Nurul Iman",
                    "region_code": "14.71.02.1003",
                    "capacity": 1,
                    "phone": "0812-7000-0002",
                },
                {
                    "name": "LKSA Harapan Bangsa",
                    "region_code": "14.08.01.2001",
                    "capacity": 30,
                    "phone": None,
                },
            ],
        )
        await conn.execute(
            insert(t.dinsos_office),
            {
                "kabupaten_code": "14.71",
                "name": "Dinas Sosial Kota Pekanbaru",
                "phone": "(0761) 5550201",
            },
        )
        await _insert(
            conn,
            t.registry_member,
            [
                {
                    "child_id": CHILD_A,
                    "kk_number": "1471020101150001",
                    "decile": 2,
                    "registered_on": date(2019, 3, 1),
                    "updated_on": date(2026, 2, 1),
                    "status": "ACTIVE",
                }
            ],
        )
        await _insert(
            conn,
            t.assistance,
            [
                {
                    "child_id": CHILD_A,
                    "programme": "PBI_JKN",
                    "period_start": date(2019, 3, 1),
                    "period_end": None,
                    "amount": None,
                },
                {
                    "child_id": CHILD_A,
                    "programme": "BLT",
                    "period_start": date(2022, 9, 1),
                    "period_end": date(2022, 12, 31),
                    "amount": Decimal("600000.00"),
                },
            ],
        )
        # Complaint 1: open, newer; complaint 2: closed, with two responses.
        await _insert(
            conn,
            t.complaint,
            [
                _complaint(CHILD_A, received_at=_at(10), status="RECEIVED"),
                _complaint(
                    CHILD_A,
                    channel="TEPSA",
                    received_at=_at(1, month=3),
                    problem_category="PHYSICAL_OR_PSYCHOLOGICAL_VIOLENCE",
                    status="CLOSED",
                    closed_at=_at(1, month=6),
                ),
            ],
        )
        await _insert(
            conn,
            t.case_response,
            [
                {
                    "complaint_id": 2,
                    "social_worker": "Rahmat Hidayat",
                    "responded_at": _at(3, month=3),
                    "action": "HOME_VISIT",
                    "notes": "Ibu bekerja di luar kota.",
                },
                {
                    "complaint_id": 2,
                    "social_worker": "Rahmat Hidayat",
                    "responded_at": _at(2, month=3),
                    "action": "ASSESSMENT",
                    "notes": None,
                },
            ],
        )
        # Referral 1: active, from complaint 1, to LKSA 2; referral 2: direct, completed, to Balai.
        await _insert(
            conn,
            t.referral,
            [
                _referral(CHILD_A, complaint_id=1, requested_at=_at(11)),
                _referral(
                    CHILD_A,
                    target_kind="BALAI",
                    target_code="RUMBAI",
                    status="COMPLETED",
                    requested_at=_at(5, month=3),
                    decided_at=_at(6, month=3),
                    completed_at=_at(1, month=5),
                ),
            ],
        )
        await _insert(
            conn,
            t.placement,
            [
                {
                    "child_id": CHILD_B,
                    "lksa_id": 1,
                    "referral_id": None,
                    "started_on": date(2025, 7, 1),
                },
                {
                    "child_id": CHILD_A,
                    "lksa_id": 3,
                    "referral_id": None,
                    "started_on": date(2024, 1, 10),
                    "ended_on": date(2024, 8, 1),
                    "end_reason": "REUNIFIED",
                },
            ],
        )


ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Child { id
  welfare { status decile kkNumber registeredOn assistance { programme periodStart periodEnd amount }
            active: assistance(activeOn: "2026-01-01") { programme } }
  complaints { id channel receivedAt problemCategory status closedAt
               responses { socialWorker action respondedAt notes } referrals { id } }
  referrals { id status targetKind targetCode lksa { id name occupancy } balai { code }
              complaint { id } decidedAt completedAt }
  placements { id startedOn endedOn endReason lksa { name regionCode } referral { id } }
  dinsosProtectionFlag { message contacts { kind name phone regionCode balai { code } } }
} } }"""


async def _entity(client: Any, child_id: str) -> dict[str, Any]:
    data = await client.data(ENTITIES, r=[{"__typename": "Child", "id": child_id}])
    entity: dict[str, Any] = data["_entities"][0]
    return entity


async def test_child_as_dinsos_knows_it(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    child = await _entity(client, CHILD_A)

    welfare = child["welfare"]
    assert (welfare["status"], welfare["decile"], welfare["kkNumber"]) == (
        "ACTIVE",
        2,
        "1471020101150001",
    )
    assert [a["programme"] for a in welfare["assistance"]] == ["BLT", "PBI_JKN"]
    assert welfare["assistance"][0]["amount"] == "600000.00"
    assert [a["programme"] for a in welfare["active"]] == ["PBI_JKN"]

    complaints = child["complaints"]
    assert [c["id"] for c in complaints] == ["1", "2"]  # newest first
    assert complaints[0]["receivedAt"] == "2026-10-10T09:00:00+00:00"
    assert complaints[0]["referrals"] == [{"id": "1"}]
    assert complaints[1]["status"] == "CLOSED"
    assert [r["action"] for r in complaints[1]["responses"]] == ["ASSESSMENT", "HOME_VISIT"]

    first, second = child["referrals"]
    assert first["lksa"] == {"id": "2", "name": "LKSA Nurul Iman", "occupancy": 0}
    assert (first["balai"], first["complaint"]) == (None, {"id": "1"})
    assert (second["targetKind"], second["balai"], second["lksa"]) == (
        "BALAI",
        {"code": "RUMBAI"},
        None,
    )
    assert second["completedAt"] == "2026-05-01T09:00:00+00:00"

    (placement,) = child["placements"]
    assert placement["lksa"] == {"name": "LKSA Harapan Bangsa", "regionCode": "14.08.01.2001"}
    assert (placement["endedOn"], placement["endReason"]) == ("2024-08-01", "REUNIFIED")

    flag = child["dinsosProtectionFlag"]
    assert flag["contacts"] == [
        {
            "kind": "DINSOS_OFFICE",
            "name": "Dinas Sosial Kota Pekanbaru",
            "phone": "(0761) 5550201",
            "regionCode": "14.71",
            "balai": None,
        },
        {
            "kind": "LKSA",
            "name": "LKSA Nurul Iman",
            "phone": "0812-7000-0002",
            "regionCode": "14.71.02.1003",
            "balai": None,
        },
    ]
    assert "Dinas Sosial Kota Pekanbaru ((0761) 5550201)" in flag["message"]
    # The flag never tells what the matter is.
    for secret in ("MISTREATMENT", "neglect", "pengasuhan", "RECEIVED", "2026"):
        assert secret.lower() not in flag["message"].lower()


async def test_flag_names_the_balai_and_a_default_office(make_client: Any) -> None:
    client = await make_client(SPEC)
    async with client.db.transaction() as conn:
        (complaint_id,) = await _insert(
            conn, t.complaint, [_complaint("ANK000000009", region_code="13.73.01.1001")]
        )
        await _insert(
            conn,
            t.referral,
            [
                _referral(
                    "ANK000000009",
                    complaint_id=complaint_id,
                    target_kind="BALAI",
                    target_code="RUMBAI",
                    status="ACCEPTED",
                    decided_at=_at(3),
                )
            ],
        )
    flag = (await _entity(client, "ANK000000009"))["dinsosProtectionFlag"]
    assert [(c["kind"], c["name"], c["balai"]) for c in flag["contacts"]] == [
        ("DINSOS_OFFICE", "Dinas Sosial 13.73", None),
        ("BALAI", "RUMBAI", {"code": "RUMBAI"}),
    ]


async def test_entities_for_an_unknown_child_hold_nothing(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    child = await _entity(client, "ANK999999999")
    assert child == {
        "id": "ANK999999999",
        "welfare": None,
        "complaints": [],
        "referrals": [],
        "placements": [],
        "dinsosProtectionFlag": None,
    }


async def test_no_flag_once_everything_is_closed(make_client: Any) -> None:
    client = await make_client(SPEC)
    async with client.db.transaction() as conn:
        await _insert(conn, t.complaint, [_complaint(CHILD_B, status="CLOSED")])
        await _insert(
            conn,
            t.referral,
            [_referral(CHILD_B, target_kind="BALAI", target_code="RUMBAI", status="REJECTED")],
        )
    child = await _entity(client, CHILD_B)
    assert len(child["complaints"]) == 1 and len(child["referrals"]) == 1
    assert child["dinsosProtectionFlag"] is None


async def test_lookups_by_id_and_unknown_ids(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    data = await client.data(
        """{ complaint(id: "1") { child { id } region: regionCode referrals { targetCode } }
             referral(id: "2") { status child { id } }
             placement(id: "1") { child { id } lksa { name occupancy capacity } endedOn }
             lksa(id: "1") { name occupancy } }"""
    )
    assert data["complaint"] == {
        "child": {"id": CHILD_A},
        "region": "14.71.02.1001",
        "referrals": [{"targetCode": "2"}],
    }
    assert data["referral"] == {"status": "COMPLETED", "child": {"id": CHILD_A}}
    assert data["placement"] == {
        "child": {"id": CHILD_B},
        "lksa": {"name": "LKSA Kasih Ibu", "occupancy": 1, "capacity": 2},
        "endedOn": None,
    }
    assert data["lksa"] == {"name": "LKSA Kasih Ibu", "occupancy": 1}
    unknown = await client.execute(
        """{ complaint(id: "999") { id } referral(id: "abc") { id } placement(id: "99999999999") { id }
             lksa(id: "-1") { id } }"""
    )
    assert unknown == {
        "data": {"complaint": None, "referral": None, "placement": None, "lksa": None}
    }


async def test_lksa_entity_reference(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    reps = [{"__typename": "Lksa", "id": "3"}, {"__typename": "Lksa", "id": "404"}]
    data = await client.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Lksa { name } } }", r=reps
    )
    assert data["_entities"] == [{"name": "LKSA Harapan Bangsa"}, None]


async def test_lksa_list_by_region_prefix(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    query = "query($r: String!) { lksaList(regionCode: $r) { name regionCode occupancy } }"
    riau = (await client.data(query, r="14"))["lksaList"]
    assert [lksa["name"] for lksa in riau] == ["LKSA Harapan Bangsa", "LKSA Nurul Iman"]
    batam = (await client.data(query, r="21.71"))["lksaList"]
    assert batam == [{"name": "LKSA Kasih Ibu", "regionCode": "21.71.01.1002", "occupancy": 1}]
    assert (await client.data(query, r="53"))["lksaList"] == []
    assert await client.error_codes(query, r="14.7") == ["BAD_USER_INPUT"]


QUEUE = """query($r: String!, $s: ComplaintStatus, $first: Int!, $after: String) {
  complaints(regionCode: $r, status: $s, first: $first, after: $after) {
    totalCount nodes { id regionCode status } pageInfo { hasNextPage endCursor } } }"""


async def test_complaint_queue_filters_and_paginates(make_client: Any) -> None:
    client = await make_client(SPEC)
    async with client.db.transaction() as conn:
        await _insert(
            conn,
            t.complaint,
            [
                _complaint(
                    f"ANK{i:09d}",
                    region_code="14.71.02.1001" if i % 2 else "14.08.01.2001",
                    status="CLOSED" if i % 5 == 0 else "RECEIVED",
                )
                for i in range(1, 26)
            ],
        )
    seen: list[str] = []
    after = None
    while True:
        page = (await client.data(QUEUE, r="14.71", first=5, after=after))["complaints"]
        assert page["totalCount"] == 13
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [str(i) for i in range(1, 26, 2)]  # oldest first, Pekanbaru only

    closed = (await client.data(QUEUE, r="14", s="CLOSED", first=20))["complaints"]
    assert [n["id"] for n in closed["nodes"]] == ["5", "10", "15", "20", "25"]
    assert (await client.data(QUEUE, r="53", first=5))["complaints"]["totalCount"] == 0

    assert await client.error_codes(QUEUE, r="14.7", first=5) == ["BAD_USER_INPUT"]
    assert await client.error_codes(QUEUE, r="14", first=1000) == ["BAD_USER_INPUT"]
    body = await client.execute(QUEUE, r="14", first=5, after="x1")
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


# --- fileComplaint ----------------------------------------------------------------------------

FILE = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) {
  id child { id } channel receivedAt regionCode problemCategory summary status responses { id } } }"""

COMPLAINT_INPUT = {
    "childId": CHILD_A,
    "channel": "TKSK",
    "receivedAt": "2026-10-20T10:30:00+07:00",
    "regionCode": "14.71.02.1001",
    "problemCategory": "CONFLICT_WITH_LAW",
    "summary": "  Anak berhadapan dengan hukum; keluarga meminta pendampingan. ",
}


async def test_file_complaint(make_client: Any) -> None:
    client = await make_client(SPEC)
    complaint = (await client.data(FILE, input=COMPLAINT_INPUT))["fileComplaint"]
    assert complaint["id"] == "1"
    assert complaint["child"] == {"id": CHILD_A}
    assert complaint["status"] == "RECEIVED"
    assert complaint["summary"] == "Anak berhadapan dengan hukum; keluarga meminta pendampingan."
    # 10:30 WIB is 03:30 UTC: the instant survives, whatever the database.
    assert (
        datetime.fromisoformat(complaint["receivedAt"])
        == datetime(2026, 10, 20, 10, 30, tzinfo=UTC) - WIB
    )
    assert complaint["responses"] == []
    again = await client.data('{ complaint(id: "1") { receivedAt problemCategory } }')
    assert datetime.fromisoformat(again["complaint"]["receivedAt"]).utcoffset() == timedelta(0)
    assert again["complaint"]["problemCategory"] == "CONFLICT_WITH_LAW"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"receivedAt": FUTURE}, "receivedAt"),
        ({"receivedAt": "2026-10-20T10:30:00"}, "receivedAt"),  # no zone: WIB? WITA? WIT?
        ({"regionCode": "99.71"}, "regionCode"),
        ({"regionCode": "14"}, "regionCode"),  # a province is not an office's region
        ({"summary": "   "}, "summary"),
        ({"childId": "ANK-0001"}, "childId"),
    ],
)
async def test_file_complaint_rejects_bad_input_and_writes_nothing(
    make_client: Any, override: dict[str, Any], field: str
) -> None:
    client = await make_client(SPEC)
    body = await client.execute(FILE, input={**COMPLAINT_INPUT, **override})
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert body["data"] is None
    assert await _count(client.db, t.complaint) == 0


async def test_unknown_enum_is_a_validation_error(make_client: Any) -> None:
    client = await make_client(SPEC)
    body = await client.execute(FILE, input={**COMPLAINT_INPUT, "channel": "WHATSAPP"})
    assert "WHATSAPP" in body["errors"][0]["message"]
    assert body.get("data") is None
    assert await _count(client.db, t.complaint) == 0


# --- recordResponse and closeComplaint --------------------------------------------------------

RESPOND = """mutation($input: RecordResponseInput!) { recordResponse(input: $input) {
  id status responses { socialWorker action respondedAt notes } } }"""


def _response(complaint_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "complaintId": complaint_id,
        "socialWorker": "Dewi Lestari",
        "respondedAt": "2026-10-12T08:00:00+07:00",
        "action": "HOME_VISIT",
        "notes": "Keluarga kooperatif.",
        **extra,
    }


async def test_record_response_starts_the_handling(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    complaint = (await client.data(RESPOND, input=_response("1")))["recordResponse"]
    assert complaint["status"] == "IN_RESPONSE"
    assert complaint["responses"] == [
        {
            "socialWorker": "Dewi Lestari",
            "action": "HOME_VISIT",
            "respondedAt": "2026-10-12T01:00:00+00:00",
            "notes": "Keluarga kooperatif.",
        }
    ]
    # A second response keeps it IN_RESPONSE and is listed after the first.
    again = await client.data(
        RESPOND, input=_response("1", action="COUNSELLING", respondedAt="2026-10-13T08:00:00+07:00")
    )
    assert again["recordResponse"]["status"] == "IN_RESPONSE"
    assert [r["action"] for r in again["recordResponse"]["responses"]] == [
        "HOME_VISIT",
        "COUNSELLING",
    ]


@pytest.mark.parametrize(
    ("complaint_id", "override", "code", "field"),
    [
        ("1", {"respondedAt": "2026-10-09T08:00:00+07:00"}, "BAD_USER_INPUT", "respondedAt"),
        ("1", {"respondedAt": FUTURE}, "BAD_USER_INPUT", "respondedAt"),
        ("1", {"socialWorker": ""}, "BAD_USER_INPUT", "socialWorker"),
        ("2", {}, "INVALID_TRANSITION", "complaintId"),  # complaint 2 is closed
    ],
)
async def test_record_response_refusals_write_nothing(
    make_client: Any, complaint_id: str, override: dict[str, Any], code: str, field: str
) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    body = await client.execute(RESPOND, input=_response(complaint_id, **override))
    (error,) = body["errors"]
    assert error["extensions"] == {"code": code, "field": field}
    assert await _count(client.db, t.case_response) == 2
    assert await _count(client.db, t.complaint, status="RECEIVED") == 1


async def test_record_response_on_unknown_complaint_is_null(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    for unknown in ("404", "not-a-number"):
        body = await client.execute(RESPOND, input=_response(unknown))
        assert body == {"data": {"recordResponse": None}}
    assert await _count(client.db, t.case_response) == 2


CLOSE = """mutation($id: ID!, $at: DateTime) { closeComplaint(complaintId: $id, closedAt: $at) {
  status closedAt } }"""


async def test_close_complaint(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    early = await client.execute(CLOSE, id="1", at="2026-10-01T00:00:00+07:00")
    assert early["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "closedAt"}
    closed = (await client.data(CLOSE, id="1", at="2026-10-15T12:00:00+07:00"))["closeComplaint"]
    assert closed == {"status": "CLOSED", "closedAt": "2026-10-15T05:00:00+00:00"}
    assert await client.error_codes(CLOSE, id="1") == ["INVALID_TRANSITION"]
    assert await client.execute(CLOSE, id="404") == {"data": {"closeComplaint": None}}


# --- referChild and updateReferral ------------------------------------------------------------

REFER = """mutation($input: ReferChildInput!) { referChild(input: $input) {
  id status child { id } targetKind targetCode lksa { name } balai { code } complaint { id status }
  requestedAt } }"""


async def test_refer_from_a_complaint_marks_it_referred(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    referral = (
        await client.data(
            REFER,
            input={
                "complaintId": "1",
                "targetKind": "BALAI",
                "targetCode": "RUMBAI",
                "reason": "Membutuhkan rehabilitasi sosial lanjutan (ATENSI).",
                "requestedAt": "2026-10-12T09:00:00+07:00",
            },
        )
    )["referChild"]
    assert referral["id"] == "3"
    assert referral["status"] == "REQUESTED"
    assert referral["child"] == {"id": CHILD_A}
    assert referral["balai"] == {"code": "RUMBAI"}
    assert referral["complaint"] == {"id": "1", "status": "REFERRED"}
    assert referral["requestedAt"] == "2026-10-12T02:00:00+00:00"


async def test_refer_directly_to_an_lksa(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    referral = (
        await client.data(
            REFER,
            input={
                "childId": CHILD_B,
                "targetKind": "LKSA",
                "targetCode": "3",
                "reason": "Kapasitas LKSA saat ini penuh.",
            },
        )
    )["referChild"]
    assert (referral["targetKind"], referral["lksa"], referral["complaint"]) == (
        "LKSA",
        {"name": "LKSA Harapan Bangsa"},
        None,
    )
    requested = datetime.fromisoformat(referral["requestedAt"])
    assert abs(datetime.now(UTC) - requested) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("override", "code", "field"),
    [
        ({"targetCode": "404"}, "BAD_USER_INPUT", "targetCode"),  # no such LKSA
        ({"targetCode": "dua"}, "BAD_USER_INPUT", "targetCode"),
        ({"targetKind": "BALAI", "targetCode": "rumbai pekanbaru"}, "BAD_USER_INPUT", "targetCode"),
        ({"complaintId": None, "childId": None}, "BAD_USER_INPUT", "childId"),
        ({"childId": CHILD_B}, "BAD_USER_INPUT", "childId"),  # complaint 1 is about child A
        ({"requestedAt": "2026-10-09T00:00:00+07:00"}, "BAD_USER_INPUT", "requestedAt"),
        ({"requestedAt": FUTURE}, "BAD_USER_INPUT", "requestedAt"),
        ({"reason": " "}, "BAD_USER_INPUT", "reason"),
        ({"complaintId": "2"}, "INVALID_TRANSITION", "complaintId"),  # closed
        ({"targetCode": "2"}, "CONFLICT", "targetCode"),  # referral 1 is already on its way there
    ],
)
async def test_refer_child_refusals_write_nothing(
    make_client: Any, override: dict[str, Any], code: str, field: str
) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    payload = {
        "complaintId": "1",
        "targetKind": "LKSA",
        "targetCode": "3",
        "reason": "Membutuhkan pengasuhan alternatif sementara.",
        **override,
    }
    body = await client.execute(REFER, input=payload)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": code, "field": field}
    assert await _count(client.db, t.referral) == 2
    assert await _count(client.db, t.complaint, status="REFERRED") == 0


async def test_refer_from_unknown_complaint_is_null(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    body = await client.execute(
        REFER,
        input={"complaintId": "404", "targetKind": "BALAI", "targetCode": "RUMBAI", "reason": "x"},
    )
    assert body == {"data": {"referChild": None}}
    assert await _count(client.db, t.referral) == 2


UPDATE = """mutation($input: UpdateReferralInput!) { updateReferral(input: $input) {
  status decidedAt completedAt revokedAt decisionNote closingNote } }"""


async def test_referral_lifecycle_records_when_and_why(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    accepted = (
        await client.data(
            UPDATE,
            input={
                "referralId": "1",
                "status": "ACCEPTED",
                "note": "Diterima; kamar tersedia.",
                "at": "2026-10-12T10:00:00+07:00",
            },
        )
    )["updateReferral"]
    assert accepted == {
        "status": "ACCEPTED",
        "decidedAt": "2026-10-12T03:00:00+00:00",
        "completedAt": None,
        "revokedAt": None,
        "decisionNote": "Diterima; kamar tersedia.",
        "closingNote": None,
    }
    # Completion must follow the decision.
    early = await client.execute(
        UPDATE,
        input={"referralId": "1", "status": "COMPLETED", "at": "2026-10-12T09:00:00+07:00"},
    )
    assert early["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "at"}
    completed = (
        await client.data(
            UPDATE,
            input={
                "referralId": "1",
                "status": "COMPLETED",
                "note": "Anak sudah ditempatkan.",
                "at": "2026-10-14T10:00:00+07:00",
            },
        )
    )["updateReferral"]
    assert completed["status"] == "COMPLETED"
    assert completed["decidedAt"] == "2026-10-12T03:00:00+00:00"  # the decision is kept
    assert completed["completedAt"] == "2026-10-14T03:00:00+00:00"
    assert (completed["decisionNote"], completed["closingNote"]) == (
        "Diterima; kamar tersedia.",
        "Anak sudah ditempatkan.",
    )
    revoke = await client.execute(
        UPDATE, input={"referralId": "1", "status": "REVOKED", "note": "Salah input."}
    )
    assert revoke["errors"][0]["extensions"] == {"code": "INVALID_TRANSITION", "field": "status"}
    assert "COMPLETED" in revoke["errors"][0]["message"]


async def test_referral_revocation_and_refusals(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    no_note = await client.execute(UPDATE, input={"referralId": "1", "status": "REJECTED"})
    assert no_note["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "note"}
    future = await client.execute(
        UPDATE, input={"referralId": "1", "status": "ACCEPTED", "at": FUTURE}
    )
    assert future["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "at"}
    skip = await client.execute(UPDATE, input={"referralId": "1", "status": "COMPLETED"})
    assert skip["errors"][0]["extensions"] == {"code": "INVALID_TRANSITION", "field": "status"}
    back = await client.execute(UPDATE, input={"referralId": "1", "status": "REQUESTED"})
    assert back["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
    # None of the refusals changed the referral.
    assert await _count(client.db, t.referral, status="REQUESTED") == 1

    revoked = (
        await client.data(
            UPDATE, input={"referralId": "1", "status": "REVOKED", "note": "Keluarga menolak."}
        )
    )["updateReferral"]
    assert revoked["status"] == "REVOKED"
    assert revoked["decidedAt"] is None
    assert revoked["revokedAt"] is not None and revoked["closingNote"] == "Keluarga menolak."
    unknown = await client.execute(UPDATE, input={"referralId": "404", "status": "ACCEPTED"})
    assert unknown == {"data": {"updateReferral": None}}


def _referral_record(status: domain.ReferralStatus) -> domain.Referral:
    return domain.Referral(
        id=1,
        child_id=CHILD_A,
        complaint_id=None,
        target_kind=domain.ReferralTargetKind.BALAI,
        target_code="RUMBAI",
        reason="r",
        status=status,
        requested_at=_at(1),
        decided_at=_at(2) if status is not domain.ReferralStatus.REQUESTED else None,
        completed_at=None,
        revoked_at=None,
        decision_note=None,
        closing_note=None,
        lksa=None,
    )


_ALLOWED = {
    ("REQUESTED", "ACCEPTED"),
    ("REQUESTED", "REJECTED"),
    ("REQUESTED", "REVOKED"),
    ("ACCEPTED", "COMPLETED"),
    ("ACCEPTED", "REVOKED"),
}


@pytest.mark.parametrize("current", list(domain.ReferralStatus))
@pytest.mark.parametrize("to", list(domain.ReferralStatus))
def test_referral_transition_matrix(
    current: domain.ReferralStatus, to: domain.ReferralStatus
) -> None:
    referral = _referral_record(current)
    if (current, to) in _ALLOWED:
        decision = domain.decide_referral(referral, to, _at(5), "catatan")
        assert decision.status is to
    else:
        with pytest.raises(domain.TransitionNotAllowed):
            domain.decide_referral(referral, to, _at(5), "catatan")


# --- startPlacement and endPlacement ----------------------------------------------------------

START = """mutation($input: StartPlacementInput!) { startPlacement(input: $input) {
  id child { id } lksa { id name occupancy } startedOn endedOn referral { id status } } }"""


async def _accept_referral_1(client: Any) -> None:
    await client.data(
        UPDATE, input={"referralId": "1", "status": "ACCEPTED", "at": "2026-10-12T10:00:00+07:00"}
    )


async def test_start_placement_on_an_accepted_referral(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    await _accept_referral_1(client)
    placement = (
        await client.data(
            START,
            input={"childId": CHILD_A, "lksaId": "2", "startedOn": "2026-10-13", "referralId": "1"},
        )
    )["startPlacement"]
    assert placement == {
        "id": "3",
        "child": {"id": CHILD_A},
        "lksa": {"id": "2", "name": "LKSA Nurul Iman", "occupancy": 1},
        "startedOn": "2026-10-13",
        "endedOn": None,
        "referral": {"id": "1", "status": "ACCEPTED"},
    }


@pytest.mark.parametrize(
    ("override", "code", "field"),
    [
        ({"childId": CHILD_B, "lksaId": "3"}, "CONFLICT", "childId"),  # B lives in LKSA 1
        ({"lksaId": "404"}, "BAD_USER_INPUT", "lksaId"),
        ({"lksaId": "x"}, "BAD_USER_INPUT", "lksaId"),
        ({"startedOn": "2999-01-01"}, "BAD_USER_INPUT", "startedOn"),
        ({"childId": ""}, "BAD_USER_INPUT", "childId"),
        ({"lksaId": "2", "referralId": "1"}, "BAD_USER_INPUT", "referralId"),  # not yet accepted
        ({"lksaId": "2", "referralId": "2"}, "BAD_USER_INPUT", "referralId"),  # to a Balai
        ({"referralId": "404"}, "BAD_USER_INPUT", "referralId"),
    ],
)
async def test_start_placement_refusals_write_nothing(
    make_client: Any, override: dict[str, Any], code: str, field: str
) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    payload = {"childId": CHILD_A, "lksaId": "3", "startedOn": "2026-10-13", **override}
    body = await client.execute(START, input=payload)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": code, "field": field}
    assert await _count(client.db, t.placement) == 2


async def test_a_full_lksa_takes_no_one_more(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    first = {"childId": "ANK000000010", "lksaId": "2", "startedOn": "2026-10-13"}
    await client.data(START, input=first)
    body = await client.execute(START, input={**first, "childId": "ANK000000011"})
    assert body["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "lksaId"}
    assert await _count(client.db, t.placement, lksa_id=2) == 1


END = """mutation($input: EndPlacementInput!) { endPlacement(input: $input) {
  id endedOn endReason lksa { occupancy } } }"""


async def test_end_placement_then_place_again(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    before_start = await client.execute(
        END, input={"placementId": "1", "endedOn": "2025-06-30", "reason": "REUNIFIED"}
    )
    assert before_start["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "endedOn"}
    future = await client.execute(
        END, input={"placementId": "1", "endedOn": "2999-01-01", "reason": "REUNIFIED"}
    )
    assert future["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "endedOn"}
    assert await _count(client.db, t.placement, end_reason="REUNIFIED") == 1  # the seeded one

    ended = (
        await client.data(
            END, input={"placementId": "1", "endedOn": "2026-10-01", "reason": "FOSTER_CARE"}
        )
    )["endPlacement"]
    assert ended == {
        "id": "1",
        "endedOn": "2026-10-01",
        "endReason": "FOSTER_CARE",
        "lksa": {"occupancy": 0},
    }
    again = await client.execute(
        END, input={"placementId": "1", "endedOn": "2026-10-02", "reason": "RAN_AWAY"}
    )
    assert again["errors"][0]["extensions"] == {
        "code": "INVALID_TRANSITION",
        "field": "placementId",
    }
    assert await _count(client.db, t.placement, end_reason="FOSTER_CARE") == 1

    # Out of LKSA 1, the child can be placed elsewhere.
    moved = await client.data(
        START, input={"childId": CHILD_B, "lksaId": "3", "startedOn": "2026-10-02"}
    )
    assert moved["startPlacement"]["lksa"]["id"] == "3"
    unknown = await client.execute(
        END, input={"placementId": "404", "endedOn": "2026-10-01", "reason": "REUNIFIED"}
    )
    assert unknown == {"data": {"endPlacement": None}}


async def test_open_placements_are_unique_per_child_in_the_database(make_client: Any) -> None:
    # The partial unique index holds even if two requests pass the check at the same time.
    client = await make_client(SPEC)
    await _seed(client.db)
    with pytest.raises(IntegrityError):
        async with client.db.transaction() as conn:
            await _insert(
                conn,
                t.placement,
                [
                    {
                        "child_id": CHILD_B,
                        "lksa_id": 3,
                        "referral_id": None,
                        "started_on": date(2026, 1, 1),
                    }
                ],
            )
    assert await _count(client.db, t.placement, child_id=CHILD_B) == 1


# --- batching ---------------------------------------------------------------------------------


async def test_entities_batch_one_query_per_table(make_client: Any) -> None:
    client = await make_client(SPEC)
    children = [f"ANK{i:09d}" for i in range(1, 101)]
    async with client.db.transaction() as conn:
        await _insert(
            conn,
            t.lksa,
            [
                {"name": f"LKSA {i}", "region_code": "14.71.02.1003", "capacity": 50, "phone": None}
                for i in range(1, 3)
            ],
        )
        await conn.execute(
            insert(t.dinsos_office),
            {"kabupaten_code": "14.71", "name": "Dinas Sosial Kota Pekanbaru", "phone": None},
        )
        await _insert(
            conn,
            t.registry_member,
            [
                {
                    "child_id": c,
                    "kk_number": None,
                    "decile": 1 + i % 10,
                    "registered_on": date(2020, 1, 1),
                    "updated_on": date(2026, 1, 1),
                    "status": "ACTIVE",
                }
                for i, c in enumerate(children)
            ],
        )
        await _insert(
            conn,
            t.assistance,
            [
                {
                    "child_id": c,
                    "programme": "PKH",
                    "period_start": date(2024, 1, 1),
                    "period_end": None,
                    "amount": None,
                }
                for c in children
            ],
        )
        complaint_ids = await _insert(conn, t.complaint, [_complaint(c) for c in children])
        await _insert(
            conn,
            t.case_response,
            [
                {
                    "complaint_id": cid,
                    "social_worker": "Dewi",
                    "responded_at": _at(2),
                    "action": "HOME_VISIT",
                    "notes": None,
                }
                for cid in complaint_ids
            ],
        )
        referral_ids = await _insert(
            conn,
            t.referral,
            [
                _referral(c, complaint_id=cid, target_code=str(1 + i % 2))
                for i, (c, cid) in enumerate(zip(children, complaint_ids, strict=True))
            ],
        )
        await _insert(
            conn,
            t.placement,
            [
                {
                    "child_id": c,
                    "lksa_id": 1 + i % 2,
                    "referral_id": rid,
                    "started_on": date(2026, 1, 5),
                }
                for i, (c, rid) in enumerate(zip(children, referral_ids, strict=True))
            ],
        )
    reps = [{"__typename": "Child", "id": c} for c in children]
    before = client.db.statements_executed
    data = await client.data(ENTITIES, r=reps)
    executed = client.db.statements_executed - before
    entities = data["_entities"]
    assert [e["id"] for e in entities] == children
    assert [e["welfare"]["decile"] for e in entities[:3]] == [1, 2, 3]
    assert all(len(e["complaints"][0]["responses"]) == 1 for e in entities)
    assert all(e["referrals"][0]["lksa"]["occupancy"] == 50 for e in entities)
    assert all(e["placements"][0]["referral"] is not None for e in entities)
    assert all(len(e["dinsosProtectionFlag"]["contacts"]) == 2 for e in entities)
    # registry_member, assistance, complaint, case_response, referral (+ its LKSA),
    # placement (+ its LKSA), dinsos_office
    assert executed == 7
