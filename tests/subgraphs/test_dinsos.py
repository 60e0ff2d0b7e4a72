"""Dinsos subgraph, reading: the child as Dinsos knows it, the flag, lookups, lists, batching."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from dinsos_support import CHILD_A, CHILD_B, complaint_row, insert_rows, moment, referral_row, seed
from sqlalchemy import insert

from subgraphs.dinsos import tables as t
from subgraphs.dinsos.service import SPEC

pytestmark = pytest.mark.anyio

ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Child { id
  welfare { status decile kkNumber registeredOn assistance { programme periodStart periodEnd amount }
            active: assistance(activeOn: "2026-01-01") { programme } }
  complaints { id channel receivedAt problemCategory status closedAt
               responses { socialWorkerId action respondedAt notes } referrals { id } }
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
    await seed(client.db)
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
        (complaint_id,) = await insert_rows(
            conn, t.complaint, [complaint_row("ANK000000009", region_code="13.73.01.1001")]
        )
        await insert_rows(
            conn,
            t.referral,
            [
                referral_row(
                    "ANK000000009",
                    complaint_id=complaint_id,
                    target_kind="BALAI",
                    target_code="RUMBAI",
                    status="ACCEPTED",
                    decided_at=moment(3),
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
    await seed(client.db)
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
        await insert_rows(conn, t.complaint, [complaint_row(CHILD_B, status="CLOSED")])
        await insert_rows(
            conn,
            t.referral,
            [referral_row(CHILD_B, target_kind="BALAI", target_code="RUMBAI", status="REJECTED")],
        )
    child = await _entity(client, CHILD_B)
    assert len(child["complaints"]) == 1 and len(child["referrals"]) == 1
    assert child["dinsosProtectionFlag"] is None


async def test_lookups_by_id_and_unknown_ids(make_client: Any) -> None:
    client = await make_client(SPEC)
    await seed(client.db)
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
    await seed(client.db)
    reps = [{"__typename": "Lksa", "id": "3"}, {"__typename": "Lksa", "id": "404"}]
    data = await client.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Lksa { name } } }", r=reps
    )
    assert data["_entities"] == [{"name": "LKSA Harapan Bangsa"}, None]


async def test_lksa_list_by_region_prefix(make_client: Any) -> None:
    client = await make_client(SPEC)
    await seed(client.db)
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
        await insert_rows(
            conn,
            t.complaint,
            [
                complaint_row(
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


# --- batching ---------------------------------------------------------------------------------


async def test_entities_batch_one_query_per_table(make_client: Any) -> None:
    client = await make_client(SPEC)
    children = [f"ANK{i:09d}" for i in range(1, 101)]
    async with client.db.transaction() as conn:
        await insert_rows(
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
        await insert_rows(
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
        await insert_rows(
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
        complaint_ids = await insert_rows(conn, t.complaint, [complaint_row(c) for c in children])
        await insert_rows(
            conn,
            t.case_response,
            [
                {
                    "complaint_id": cid,
                    "social_worker_id": "SP147101",
                    "responded_at": moment(2),
                    "action": "HOME_VISIT",
                    "notes": None,
                }
                for cid in complaint_ids
            ],
        )
        referral_ids = await insert_rows(
            conn,
            t.referral,
            [
                referral_row(c, complaint_id=cid, target_code=str(1 + i % 2))
                for i, (c, cid) in enumerate(zip(children, complaint_ids, strict=True))
            ],
        )
        await insert_rows(
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
