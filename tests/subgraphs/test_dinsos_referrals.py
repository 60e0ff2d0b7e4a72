"""Dinsos subgraph, referrals and the LKSA placements they lead to: lifecycles and refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from dinsos_support import (
    CHILD_A,
    CHILD_B,
    FUTURE,
    OFFICER,
    count_rows,
    insert_rows,
    moment,
    seed,
)
from sqlalchemy.exc import IntegrityError

from subgraphs.dinsos import domain
from subgraphs.dinsos import tables as t
from subgraphs.dinsos.service import SPEC

pytestmark = pytest.mark.anyio

# --- referChild and updateReferral ------------------------------------------------------------

REFER = """mutation($input: ReferChildInput!) { referChild(input: $input) {
  id status child { id } targetKind targetCode lksa { name } balai { code } complaint { id status }
  requestedAt } }"""


async def test_refer_from_a_complaint_marks_it_referred(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    data, changes = await client.written(
        REFER,
        input={
            "complaintId": "1",
            "targetKind": "BALAI",
            "targetCode": "RUMBAI",
            "reason": "Membutuhkan rehabilitasi sosial lanjutan (ATENSI).",
            "requestedAt": "2026-10-12T09:00:00+07:00",
        },
    )
    referral = data["referChild"]
    assert referral["id"] == "3"
    # The referral made, and the complaint it moved to REFERRED.
    assert changes == [("Referral", "3", "made"), ("Complaint", "1", "status: REFERRED")]
    assert referral["status"] == "REQUESTED"
    assert referral["child"] == {"id": CHILD_A}
    assert referral["balai"] == {"code": "RUMBAI"}
    assert referral["complaint"] == {"id": "1", "status": "REFERRED"}
    assert referral["requestedAt"] == "2026-10-12T02:00:00+00:00"


async def test_refer_directly_to_an_lksa(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    data, changes = await client.written(
        REFER,
        input={
            "childId": CHILD_B,
            "targetKind": "LKSA",
            "targetCode": "3",
            "reason": "Kapasitas LKSA saat ini penuh.",
        },
    )
    referral = data["referChild"]
    assert changes == [("Referral", "3", "made")]  # no complaint to move
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
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
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
    assert "extensions" not in body  # nothing written, nothing reported
    assert await count_rows(client.db, t.referral) == 2
    assert await count_rows(client.db, t.complaint, status="REFERRED") == 0


async def test_refer_from_unknown_complaint_is_null(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    body = await client.execute(
        REFER,
        input={"complaintId": "404", "targetKind": "BALAI", "targetCode": "RUMBAI", "reason": "x"},
    )
    assert body == {"data": {"referChild": None}}
    assert await count_rows(client.db, t.referral) == 2


UPDATE = """mutation($input: UpdateReferralInput!) { updateReferral(input: $input) {
  status decidedAt completedAt revokedAt decisionNote closingNote } }"""


async def test_referral_lifecycle_records_when_and_why(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    data, changes = await client.written(
        UPDATE,
        input={
            "referralId": "1",
            "status": "ACCEPTED",
            "note": "Diterima; kamar tersedia.",
            "at": "2026-10-12T10:00:00+07:00",
        },
    )
    assert changes == [("Referral", "1", "updated: ACCEPTED")]
    accepted = data["updateReferral"]
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
    assert "extensions" not in early
    data, changes = await client.written(
        UPDATE,
        input={
            "referralId": "1",
            "status": "COMPLETED",
            "note": "Anak sudah ditempatkan.",
            "at": "2026-10-14T10:00:00+07:00",
        },
    )
    assert changes == [("Referral", "1", "updated: COMPLETED")]
    completed = data["updateReferral"]
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
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
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
    assert await count_rows(client.db, t.referral, status="REQUESTED") == 1

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
        requested_at=moment(1),
        decided_at=moment(2) if status is not domain.ReferralStatus.REQUESTED else None,
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
        decision = domain.decide_referral(referral, to, moment(5), "catatan")
        assert decision.status is to
    else:
        with pytest.raises(domain.TransitionNotAllowed):
            domain.decide_referral(referral, to, moment(5), "catatan")


# --- startPlacement and endPlacement ----------------------------------------------------------

START = """mutation($input: StartPlacementInput!) { startPlacement(input: $input) {
  id child { id } lksa { id name occupancy } startedOn endedOn referral { id status } } }"""


async def _accept_referral_1(client: Any) -> None:
    await client.data(
        UPDATE, input={"referralId": "1", "status": "ACCEPTED", "at": "2026-10-12T10:00:00+07:00"}
    )


async def test_start_placement_on_an_accepted_referral(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    await _accept_referral_1(client)
    data, changes = await client.written(
        START,
        input={"childId": CHILD_A, "lksaId": "2", "startedOn": "2026-10-13", "referralId": "1"},
    )
    assert changes == [("Placement", "3", "started")]
    placement = data["startPlacement"]
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
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    payload = {"childId": CHILD_A, "lksaId": "3", "startedOn": "2026-10-13", **override}
    body = await client.execute(START, input=payload)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": code, "field": field}
    assert "extensions" not in body
    assert await count_rows(client.db, t.placement) == 2


async def test_a_full_lksa_takes_no_one_more(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    first = {"childId": "ANK000000010", "lksaId": "2", "startedOn": "2026-10-13"}
    await client.data(START, input=first)
    body = await client.execute(START, input={**first, "childId": "ANK000000011"})
    assert body["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "lksaId"}
    assert await count_rows(client.db, t.placement, lksa_id=2) == 1


END = """mutation($input: EndPlacementInput!) { endPlacement(input: $input) {
  id endedOn endReason lksa { occupancy } } }"""


async def test_end_placement_then_place_again(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    before_start = await client.execute(
        END, input={"placementId": "1", "endedOn": "2025-06-30", "reason": "REUNIFIED"}
    )
    assert before_start["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "endedOn"}
    future = await client.execute(
        END, input={"placementId": "1", "endedOn": "2999-01-01", "reason": "REUNIFIED"}
    )
    assert future["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "endedOn"}
    assert await count_rows(client.db, t.placement, end_reason="REUNIFIED") == 1  # the seeded one

    data, changes = await client.written(
        END, input={"placementId": "1", "endedOn": "2026-10-01", "reason": "FOSTER_CARE"}
    )
    assert changes == [("Placement", "1", "ended")]
    ended = data["endPlacement"]
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
    assert "extensions" not in again
    assert await count_rows(client.db, t.placement, end_reason="FOSTER_CARE") == 1

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
    client = (await make_client(SPEC)).acting(OFFICER)
    await seed(client.db)
    with pytest.raises(IntegrityError):
        async with client.db.transaction() as conn:
            await insert_rows(
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
    assert await count_rows(client.db, t.placement, child_id=CHILD_B) == 1
