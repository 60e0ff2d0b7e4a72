"""Dinsos subgraph, who may do what: write rights, jurisdiction of roots and the complaint queue,
and the policy facts — each allowed and denied, denials writing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from dinsos_support import CHILD_A, OFFICER, PEKSOS, complaint_row, insert_rows, officer, seed
from sqlalchemy import func, select

from subgraphs.common.identity import Identity
from subgraphs.dinsos import tables as t
from subgraphs.dinsos.service import SPEC

pytestmark = pytest.mark.anyio

FACILITATOR = officer("pkh_facilitator", ("14.71.02",), "1", agency="pkh", unit="PKH-14.71.02")
FACILITATOR_PADANG = officer("pkh_facilitator", ("13.71",), "4", agency="pkh", unit="PKH-13.71")
RUMBAI = officer("balai_caseworker", ("14", "13", "21", "18"), "3", agency="balai", unit="RUMBAI")
ALYATAMA = officer("balai_caseworker", ("15",), "7", agency="balai", unit="ALYATAMA")
DUKCAPIL = officer("disdukcapil_officer", ("14.71",), "DUK-1", agency="disdukcapil", unit=None)
PEKSOS_BATAM = officer("sakti_peksos", ("21.71",), "SP217101", unit="DINSOS-21.71")
OFFICER_PADANG = officer(regions=("13.71",), staff_id="DSS-1371", unit="DINSOS-13.71")


async def _counts(db: Any) -> dict[str, int]:
    async with db.connect() as conn:
        return {
            table.name: int(
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            )
            for table in SPEC.metadata.sorted_tables
        }


async def _seeded(make_client: Any, who: Identity | None) -> Any:
    client = (await make_client(SPEC)).acting(who)
    await seed(client.db)
    return client


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


FILE = """mutation($input: FileComplaintInput!) { fileComplaint(input: $input) { id } }"""
RESPOND = """mutation($input: RecordResponseInput!) { recordResponse(input: $input) {
  id responses { socialWorkerId } } }"""
CLOSE = """mutation($id: ID!) { closeComplaint(complaintId: $id) { status } }"""
REFER = """mutation($input: ReferChildInput!) { referChild(input: $input) { id status } }"""
UPDATE = """mutation($input: UpdateReferralInput!) { updateReferral(input: $input) { status } }"""
START = """mutation($input: StartPlacementInput!) { startPlacement(input: $input) { id } }"""
END = """mutation($input: EndPlacementInput!) { endPlacement(input: $input) { endedOn } }"""

COMPLAINT = {
    "childId": CHILD_A,
    "channel": "PSM",
    "receivedAt": "2026-10-20T10:30:00+07:00",
    "regionCode": "14.71.02.1001",
    "problemCategory": "MISTREATMENT_AND_NEGLECT",
    "summary": "Anak tidak bersekolah.",
}

# name -> (document, variables, the field it answers in)
WRITES: dict[str, tuple[str, dict[str, Any], str]] = {
    "file": (FILE, {"input": COMPLAINT}, "fileComplaint"),
    "respond": (
        RESPOND,
        {
            "input": {
                "complaintId": "1",
                "action": "HOME_VISIT",
                "respondedAt": "2026-10-12T08:00:00+07:00",
            }
        },
        "recordResponse",
    ),
    "close": (CLOSE, {"id": "1"}, "closeComplaint"),
    "refer": (
        REFER,
        {
            "input": {
                "complaintId": "1",
                "targetKind": "BALAI",
                "targetCode": "RUMBAI",
                "reason": "ATENSI.",
            }
        },
        "referChild",
    ),
    "update": (
        UPDATE,
        {"input": {"referralId": "1", "status": "ACCEPTED"}},
        "updateReferral",
    ),
    "start": (
        START,
        {"input": {"childId": "ANK000000077", "lksaId": "3", "startedOn": "2026-01-02"}},
        "startPlacement",
    ),
    "end": (
        END,
        {"input": {"placementId": "1", "endedOn": "2026-01-02", "reason": "REUNIFIED"}},
        "endPlacement",
    ),
}

# Who may not, per write (DOMAIN.md "Writes"); FORBIDDEN unless marked "null" (the record lies
# outside the caller's regions, so it answers as an unknown one).
REFUSED: list[tuple[str, Identity | None, str]] = [
    *((name, None, "FORBIDDEN") for name in WRITES),
    ("file", RUMBAI, "FORBIDDEN"),
    ("file", DUKCAPIL, "FORBIDDEN"),
    ("file", FACILITATOR_PADANG, "FORBIDDEN"),  # the complaint's region is not hers
    ("respond", FACILITATOR, "FORBIDDEN"),
    ("respond", RUMBAI, "FORBIDDEN"),
    ("respond", PEKSOS_BATAM, "null"),
    ("respond", officer("sakti_peksos", ("14.71",), None), "FORBIDDEN"),  # no staff id to record
    ("close", FACILITATOR, "FORBIDDEN"),
    ("close", PEKSOS_BATAM, "null"),
    ("refer", FACILITATOR, "FORBIDDEN"),
    ("refer", RUMBAI, "FORBIDDEN"),
    ("refer", PEKSOS_BATAM, "null"),
    ("update", FACILITATOR, "FORBIDDEN"),
    ("update", RUMBAI, "null"),  # referral 1 goes to an LKSA, not to RUMBAI
    ("update", OFFICER_PADANG, "null"),
    ("start", PEKSOS, "FORBIDDEN"),  # placements are the Dinsos officer's
    ("start", FACILITATOR, "FORBIDDEN"),
    ("start", OFFICER_PADANG, "FORBIDDEN"),  # an LKSA outside the officer's regions
    ("end", PEKSOS, "FORBIDDEN"),
    ("end", OFFICER_PADANG, "null"),
]


@pytest.mark.parametrize(("name", "who", "answer"), REFUSED)
async def test_refused_writes_write_nothing(
    make_client: Any, name: str, who: Identity | None, answer: str
) -> None:
    client = await _seeded(make_client, who)
    before = await _counts(client.db)
    document, variables, field = WRITES[name]
    body = await client.execute(document, **variables)
    if answer == "null":
        assert body == {"data": {field: None}}
    else:
        assert _codes(body) == ["FORBIDDEN"]
        assert body["data"] in (None, {field: None})
    assert await _counts(client.db) == before


ALLOWED: list[tuple[str, Identity]] = [
    ("file", OFFICER),
    ("file", PEKSOS),
    ("file", FACILITATOR),
    ("respond", OFFICER),
    ("respond", PEKSOS),
    ("close", PEKSOS),
    ("refer", OFFICER),
    ("refer", PEKSOS),
    ("update", OFFICER),
    ("start", OFFICER),
    ("end", OFFICER),
]


@pytest.mark.parametrize(("name", "who"), ALLOWED)
async def test_allowed_writes(make_client: Any, name: str, who: Identity) -> None:
    client = await _seeded(make_client, who)
    document, variables, field = WRITES[name]
    data = await client.data(document, **variables)
    assert data[field] is not None
    if name == "respond":
        assert data[field]["responses"] == [{"socialWorkerId": who.staff_id}]


async def test_the_receiving_balai_accepts_or_rejects_and_no_more(make_client: Any) -> None:
    client = await _seeded(make_client, OFFICER)
    document, variables, _ = WRITES["refer"]
    referral = (await client.data(document, **variables))["referChild"]
    to_rumbai = {"referralId": referral["id"]}
    elsewhere = await client.acting(ALYATAMA).execute(
        UPDATE, input={**to_rumbai, "status": "ACCEPTED"}
    )
    assert elsewhere == {"data": {"updateReferral": None}}
    rumbai = client.acting(RUMBAI)
    revoke = await rumbai.execute(UPDATE, input={**to_rumbai, "status": "REVOKED", "note": "No."})
    assert _codes(revoke) == ["FORBIDDEN"]
    accepted = await rumbai.data(UPDATE, input={**to_rumbai, "status": "ACCEPTED"})
    assert accepted == {"updateReferral": {"status": "ACCEPTED"}}
    complete = await rumbai.execute(UPDATE, input={**to_rumbai, "status": "COMPLETED"})
    assert _codes(complete) == ["FORBIDDEN"]
    done = await client.data(UPDATE, input={**to_rumbai, "status": "COMPLETED"})
    assert done == {"updateReferral": {"status": "COMPLETED"}}


# --- reads ------------------------------------------------------------------------------------

LOOKUPS = """query($c: ID!, $r: ID!, $p: ID!) {
  complaint(id: $c) { id } referral(id: $r) { id } placement(id: $p) { id } }"""


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        (None, {"complaint": True, "referral1": True, "referral2": True, "placement1": True}),
        # Batam's LKSA holds placement 1; Pekanbaru holds the complaints; referral 2 is direct.
        (OFFICER, {"complaint": True, "referral1": True, "referral2": False, "placement1": True}),
        (PEKSOS, {"complaint": True, "referral1": True, "referral2": False, "placement1": False}),
        (PEKSOS_BATAM,
         {"complaint": False, "referral1": False, "referral2": False, "placement1": True}),
        # The receiving Balai finds the direct referral to it.
        (RUMBAI, {"complaint": True, "referral1": True, "referral2": True, "placement1": True}),
        (ALYATAMA,
         {"complaint": False, "referral1": False, "referral2": False, "placement1": False}),
    ],
)  # fmt: skip
async def test_root_lookups_only_inside_jurisdiction(
    make_client: Any, who: Identity | None, seen: dict[str, bool]
) -> None:
    client = await _seeded(make_client, who)
    first = await client.data(LOOKUPS, c="1", r="1", p="1")
    second = await client.data(LOOKUPS, c="2", r="2", p="2")
    assert (first["complaint"] is not None) is seen["complaint"]
    assert (first["referral"] is not None) is seen["referral1"]
    assert (second["referral"] is not None) is seen["referral2"]
    assert (first["placement"] is not None) is seen["placement1"]
    # Outside jurisdiction is exactly "unknown".
    assert await client.data(LOOKUPS, c="404", r="404", p="404") == {
        "complaint": None,
        "referral": None,
        "placement": None,
    }


QUEUE = """query($r: String!) { complaints(regionCode: $r) { totalCount nodes { regionCode } } }"""


async def test_complaint_queue_only_for_dinsos_and_only_their_regions(make_client: Any) -> None:
    client = await _seeded(make_client, None)
    async with client.db.transaction() as conn:
        await insert_rows(conn, t.complaint, [complaint_row(CHILD_A, region_code="14.08.01.2001")])
    assert (await client.data(QUEUE, r="14"))["complaints"]["totalCount"] == 3
    # The Pekanbaru Sakti Peksos asks for all of Riau: Siak's complaint is not counted.
    queue = (await client.acting(PEKSOS).data(QUEUE, r="14"))["complaints"]
    assert queue["totalCount"] == 2
    assert {n["regionCode"] for n in queue["nodes"]} == {"14.71.02.1001"}
    assert (await client.acting(PEKSOS_BATAM).data(QUEUE, r="14"))["complaints"] == {
        "totalCount": 0,
        "nodes": [],
    }
    assert (await client.acting(OFFICER).data(QUEUE, r="14"))["complaints"]["totalCount"] == 3
    for who in (FACILITATOR, RUMBAI, DUKCAPIL):
        body = await client.acting(who).execute(QUEUE, r="14")
        assert _codes(body) == ["FORBIDDEN"]
        assert body["data"] == {"complaints": None}


# --- policy facts -----------------------------------------------------------------------------

FACTS = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Child {
  id policyDinsos { responderIds conflictWithLaw } } } }"""
GATEWAY = officer(categories=frozenset({"policy.facts"}))


def _reps(*ids: str) -> list[dict[str, str]]:
    return [{"__typename": "Child", "id": i} for i in ids]


async def test_policy_dinsos_for_the_gateways_facts_fetch(make_client: Any) -> None:
    client = await _seeded(make_client, GATEWAY)
    async with client.db.transaction() as conn:
        (abh,) = await insert_rows(
            conn, t.complaint, [complaint_row("ANK000000009", problem_category="CONFLICT_WITH_LAW")]
        )
        await insert_rows(
            conn,
            t.case_response,
            [{"complaint_id": abh, "social_worker_id": "SP147101",
              "responded_at": complaint_row("x")["received_at"], "action": "ASSESSMENT"}],
        )  # fmt: skip
    before = client.db.statements_executed
    data = await client.data(FACTS, r=_reps(CHILD_A, "ANK000000009", "ANK000000404"))
    assert client.db.statements_executed - before == 2  # complaint, case_response
    assert data["_entities"] == [
        {"id": CHILD_A, "policyDinsos": {"responderIds": ["SP147104"], "conflictWithLaw": False}},
        {"id": "ANK000000009",
         "policyDinsos": {"responderIds": ["SP147101"], "conflictWithLaw": True}},
        {"id": "ANK000000404", "policyDinsos": {"responderIds": [], "conflictWithLaw": False}},
    ]  # fmt: skip


@pytest.mark.parametrize("who", [None, OFFICER, PEKSOS], ids=["nobody", "officer", "peksos"])
async def test_policy_dinsos_refused_without_policy_facts(
    make_client: Any, who: Identity | None
) -> None:
    client = await _seeded(make_client, who)
    body = await client.execute(FACTS, r=_reps(CHILD_A))
    assert _codes(body) == ["FORBIDDEN"]
    assert "SP147104" not in str(body)
