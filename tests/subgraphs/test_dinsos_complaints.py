"""Dinsos subgraph, complaints: filing one, recording responses, closing it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dinsos_support import CHILD_A, FUTURE, OFFICER, PEKSOS, count_rows, seed

from subgraphs.dinsos import tables as t
from subgraphs.dinsos.service import SPEC

pytestmark = pytest.mark.anyio

WIB = timedelta(hours=7)


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
    client = (await make_client(SPEC)).acting(OFFICER)
    data, changes = await client.written(FILE, input=COMPLAINT_INPUT)
    complaint = data["fileComplaint"]
    assert complaint["id"] == "1"
    assert changes == [("Complaint", "1", "filed")]
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
    client = (await make_client(SPEC)).acting(OFFICER)
    body = await client.execute(FILE, input={**COMPLAINT_INPUT, **override})
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert body["data"] is None
    assert "extensions" not in body  # nothing written, nothing reported
    assert await count_rows(client.db, t.complaint) == 0


async def test_unknown_enum_is_a_validation_error(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(OFFICER)
    body = await client.execute(FILE, input={**COMPLAINT_INPUT, "channel": "WHATSAPP"})
    assert "WHATSAPP" in body["errors"][0]["message"]
    assert body.get("data") is None
    assert await count_rows(client.db, t.complaint) == 0


# --- recordResponse and closeComplaint --------------------------------------------------------

RESPOND = """mutation($input: RecordResponseInput!) { recordResponse(input: $input) {
  id status responses { socialWorkerId action respondedAt notes } } }"""


def _response(complaint_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "complaintId": complaint_id,
        "respondedAt": "2026-10-12T08:00:00+07:00",
        "action": "HOME_VISIT",
        "notes": "Keluarga kooperatif.",
        **extra,
    }


async def test_record_response_starts_the_handling(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(PEKSOS)
    await seed(client.db)
    data, changes = await client.written(RESPOND, input=_response("1"))
    complaint = data["recordResponse"]
    assert complaint["status"] == "IN_RESPONSE"
    # The response written, and the complaint it moved (the seed holds responses 1 and 2).
    assert changes == [("CaseResponse", "3", "recorded"), ("Complaint", "1", "status: IN_RESPONSE")]
    assert complaint["responses"] == [
        {
            "socialWorkerId": "SP147104",  # the signed-in Sakti Peksos
            "action": "HOME_VISIT",
            "respondedAt": "2026-10-12T01:00:00+00:00",
            "notes": "Keluarga kooperatif.",
        }
    ]
    # A second response keeps it IN_RESPONSE and is listed after the first.
    again, changes = await client.written(
        RESPOND, input=_response("1", action="COUNSELLING", respondedAt="2026-10-13T08:00:00+07:00")
    )
    assert changes == [("CaseResponse", "4", "recorded")]  # the complaint's status stays
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
        ("2", {}, "INVALID_TRANSITION", "complaintId"),  # complaint 2 is closed
    ],
)
async def test_record_response_refusals_write_nothing(
    make_client: Any, complaint_id: str, override: dict[str, Any], code: str, field: str
) -> None:
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    body = await client.execute(RESPOND, input=_response(complaint_id, **override))
    (error,) = body["errors"]
    assert error["extensions"] == {"code": code, "field": field}
    assert "extensions" not in body
    assert await count_rows(client.db, t.case_response) == 2
    assert await count_rows(client.db, t.complaint, status="RECEIVED") == 1


async def test_record_response_on_unknown_complaint_is_null(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    for unknown in ("404", "not-a-number"):
        body = await client.execute(RESPOND, input=_response(unknown))
        assert body == {"data": {"recordResponse": None}}
    assert await count_rows(client.db, t.case_response) == 2


CLOSE = """mutation($id: ID!, $at: DateTime) { closeComplaint(complaintId: $id, closedAt: $at) {
  status closedAt } }"""


async def test_close_complaint(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    early = await client.execute(CLOSE, id="1", at="2026-10-01T00:00:00+07:00")
    assert early["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "closedAt"}
    assert "extensions" not in early
    data, changes = await client.written(CLOSE, id="1", at="2026-10-15T12:00:00+07:00")
    assert data["closeComplaint"] == {"status": "CLOSED", "closedAt": "2026-10-15T05:00:00+00:00"}
    assert changes == [("Complaint", "1", "closed")]
    assert await client.error_codes(CLOSE, id="1") == ["INVALID_TRANSITION"]
    assert await client.execute(CLOSE, id="404") == {"data": {"closeComplaint": None}}
