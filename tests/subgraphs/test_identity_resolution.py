"""Disdukcapil's identity-resolution API: the work queue and its suggestions, a child's and a
typed-in record's registry candidates, the officer's decisions and a supervisor's undo, bad input,
and who may use it — on SQLite and PostgreSQL, through the subgraph's signed-grant gate.

Written against the matcher's contract (resolution.store), not its scores: a test asserts where
the true person ranks or what was recorded, never a probability's value."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from resolution import store
from resolution.blocking import registry_keys
from resolution.names import normalize_name
from subgraphs.common.identifiers import make_nik
from subgraphs.disdukcapil import tables as t
from subgraphs.disdukcapil import work_queue
from subgraphs.disdukcapil.service import SPEC
from tests.subgraphs.sample_identities import identity_of


@pytest.fixture(autouse=True)
def _no_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The queue stops scoring after FILL_SECONDS; on a loaded machine a real second can pass
    before ten children are scored. The count bound is what these tests assert; the time bound
    is tested on its own with a clock of its own (below)."""
    monkeypatch.setattr(work_queue, "FILL_SECONDS", 600.0)


pytestmark = pytest.mark.anyio

IDENTITY = ("identity.basic", "identity.full")
RESOLUTION = (*IDENTITY, "identity.reports")
OFFICER = identity_of("disdukcapil-batam", "identity.resolution", RESOLUTION)
SUPERVISOR = identity_of("disdukcapil-supervisor-batam", "identity.resolution", RESOLUTION)
REGISTRAR = identity_of("disdukcapil-batam", "civil.registration", IDENTITY)
DINSOS = identity_of("dinsos-pekanbaru", "child.protection", IDENTITY, regions=("21.71",))
PKH = identity_of("pkh-coord-pekanbaru", "child.protection", IDENTITY, regions=("21.71",))
BALAI = identity_of("balai-rumbai-assigned", "case.management", IDENTITY)
AUDITOR = identity_of("auditor", "audit", ("audit.log",))

KK_BATAM = "2171090101150001"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
JOKO_BORN = date(2014, 8, 17)
JOKO = make_nik("21.71.09", JOKO_BORN, "M", 1)
SISTER = make_nik("21.71.09", date(2016, 3, 2), "F", 2)
NAMESAKE = make_nik("14.71.02", date(2014, 5, 5), "M", 3)  # Pekanbaru: the registry is national


def _person(pid: int, nik: str, name: str, sex: str, born: date, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": pid,
        "nik": nik,
        "kk_number": KK_BATAM,
        "full_name": name,
        "normalized_name": normalize_name(name),
        "sex": sex,
        "birth_date": born,
        "birth_place": "Batam",
        "mother_name": "Sri Wahyuni",
        "father_name": "Sutrisno",
        "relationship": "CHILD",
        "region_code": "21.71.09.1002",
        "birth_certificate_number": f"2171-LT-{pid:06d}",
    }
    values.update(extra)
    keys = registry_keys(values["full_name"], values["mother_name"], values["birth_date"])
    return {**values, **keys._asdict()}


def _child(cid: str, name: str, registered_by: str, at: datetime, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": cid,
        "nik": None,
        "full_name": name,
        "normalized_name": normalize_name(name),
        "sex": "M",
        "birth_date": None,
        "birth_date_approximate": False,
        "birth_place": None,
        "mother_name": None,
        "father_name": None,
        "region_code": "21.71.01.1002",
        "address": None,
        "kk_number": None,
        "birth_certificate_number": None,
        "kia_status": "NONE",
        "registry_person_id": None,
        "registered_by": registered_by,
        "registered_at": at,
    }
    values.update(extra)
    return values


async def _seed(db: Any) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            insert(t.family),
            {
                "kk_number": KK_BATAM,
                "head_name": "Sutrisno",
                "region_code": "21.71.09.1002",
                "address": "Jl. Batu Aji 7",
                "issued_on": date(2015, 1, 1),
            },
        )
        await conn.execute(
            insert(t.person),
            [
                _person(1, JOKO, "Muhammad Joko Sutrisno", "M", JOKO_BORN),
                _person(2, SISTER, "Siti Aminah", "F", date(2016, 3, 2)),
                _person(
                    3,
                    NAMESAKE,
                    "Muhammad Joko Sutrisno",
                    "M",
                    date(2014, 5, 5),
                    mother_name="Ratna",
                    region_code="14.71.02.1001",
                    birth_place="Pekanbaru",
                    birth_certificate_number=None,
                ),
            ],
        )
        await conn.execute(
            insert(t.child),
            [
                # The LKSA's boy: old spelling, an approximate birth date (the README's story).
                _child(
                    "ANK000000002",
                    "Moehammad Djoko Soetrisno",
                    "LKSA",
                    T0,
                    birth_date=date(2014, 1, 1),
                    birth_date_approximate=True,
                    birth_place="Batam",
                    mother_name="Sri Wahjoeni",
                ),
                # Out of the Batam officer's jurisdiction (Pekanbaru).
                _child("ANK000000001", "Rizky Saputra", "BALAI", T0, region_code="14.71.10.1004"),
                # Documented: not in the queue.
                _child(
                    "ANK000000003",
                    "Siti Aminah",
                    "DINSOS",
                    T0,
                    nik=SISTER,
                    birth_certificate_number="2171-LT-000002",
                    registry_person_id=2,
                ),
                # Known only to Disdukcapil: not the queue's business.
                _child("ANK000000004", "Budi Santoso", "DISDUKCAPIL", T0 + timedelta(days=1)),
                # Registered by Disdukcapil, but PKH reported him too: in the queue.
                _child("ANK000000005", "Agus Salim", "DISDUKCAPIL", T0 + timedelta(days=2)),
                # A NIK without a birth certificate, known to Dinsos.
                _child(
                    "ANK000000006",
                    "Dewi Lestari",
                    "DINSOS",
                    T0 + timedelta(days=3),
                    sex="F",
                    nik=make_nik("21.71.01", date(2013, 2, 2), "F", 9),
                ),
            ],
        )
        await conn.execute(
            insert(t.child_name),
            {
                "child_id": "ANK000000002",
                "name": "Joko",
                "normalized_name": "joko",
                "recorded_by": "LKSA",
            },
        )
        await conn.execute(
            insert(t.child_attribute_report),
            [
                {
                    "child_id": "ANK000000002",
                    "agency": "LKSA",
                    "attribute": "motherName",
                    "value": "Sri Wahjoeni",
                    "reported_at": T0,
                },
                {
                    "child_id": "ANK000000005",
                    "agency": "PKH",
                    "attribute": "fullName",
                    "value": "Agus Salim",
                    "reported_at": T0,
                },
            ],
        )


QUEUE = """query($first: Int!, $after: String, $order: IdentityWorkQueueOrder!,
                 $missing: MissingDocument, $region: String) {
  identityWorkQueue(first: $first, after: $after, orderBy: $order, missing: $missing,
                    regionCode: $region) {
    totalCount pendingCount pageInfo { hasNextPage endCursor }
    nodes { childId missing candidateCount bestScore bestBand suggestionsPending status
            child { id name } }
  }
}"""

CANDIDATES = """query($id: ID!, $top: Int!) { identityCandidates(childId: $id, top: $top) {
  childId modelVersion noMatchProbability
  candidates { score band matchWeight warnings
    person { nik name birthDate regionCode motherName }
    explanation { attribute level weight description recordValue registryValue } }
} }"""

DECISIONS = """query($id: ID!) { identityDecisions(childId: $id) {
  id kind nik score band modelVersion reason decidedBy decidedByName decidedByRole decidedAt
  undoneAt undoneBy undoneByName undoReason active explanation { attribute level }
} }"""

LINK = """mutation($id: ID!, $nik: String!, $reason: String!) {
  linkNik(childId: $id, nik: $nik, reason: $reason) {
    id nik birthDate birthDateApproximate kkNumber documentStatus otherNames } }"""

REJECT = """mutation($id: ID!, $nik: String!, $reason: String!) {
  rejectIdentityCandidate(childId: $id, nik: $nik, reason: $reason) {
    id kind nik childId reason decidedBy decidedByRole active } }"""

REGISTER = """mutation($id: ID!, $reason: String!) {
  startRegistration(childId: $id, reason: $reason) { id kind childId reason active } }"""

UNDO = """mutation($id: ID!, $reason: String!) {
  undoIdentityDecision(decisionId: $id, reason: $reason) {
    id kind active undoneBy undoneByName undoReason } }"""

CHILD = """query($id: ID!) { child(id: $id) {
  nik birthDate birthDateApproximate kkNumber birthCertificateNumber birthPlace motherName
  documentStatus otherNames attributeReports { agency attribute value } } }"""


async def _held(db: Any) -> set[str]:
    """The NIKs of the people marked held (``person.held``)."""
    async with db.connect() as conn:
        return set((await conn.execute(select(t.person.c.nik).where(t.person.c.held))).scalars())


async def _client(make_client: Any, identity: Any = OFFICER) -> Any:
    client = (await make_client(SPEC)).acting(identity)
    await _seed(client.db)
    return client


async def _queue(client: Any, **variables: Any) -> dict[str, Any]:
    arguments = {"first": 20, "order": "OLDEST_FIRST", **variables}
    data = await client.data(QUEUE, **arguments)
    queue: dict[str, Any] = data["identityWorkQueue"]
    return queue


def _niks(data: dict[str, Any]) -> list[str]:
    """The NIKs of the candidates shown with their record."""
    return [c["person"]["nik"] for c in data["identityCandidates"]["candidates"] if c["person"]]


async def _count(db: Any, table: Any) -> int:
    async with db.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


# --- the work queue ----------------------------------------------------------------------------


async def test_the_queue_holds_other_agencies_children_in_jurisdiction_without_documents(
    make_client: Any,
) -> None:
    client = await _client(make_client)
    queue = await _queue(client)
    ids = [n["childId"] for n in queue["nodes"]]
    # Oldest first; not the documented child, not Disdukcapil's own, not Pekanbaru's.
    assert ids == ["ANK000000002", "ANK000000005", "ANK000000006"]
    assert queue["totalCount"] == 3
    by_id = {n["childId"]: n for n in queue["nodes"]}
    assert by_id["ANK000000002"]["missing"] == ["NIK", "BIRTH_CERTIFICATE"]
    assert by_id["ANK000000006"]["missing"] == ["BIRTH_CERTIFICATE"]
    assert by_id["ANK000000002"]["child"] == {
        "id": "ANK000000002",
        "name": "Moehammad Djoko Soetrisno",
    }
    assert {n["status"] for n in queue["nodes"]} == {"UNDECIDED"}
    # Three children are fewer than one request's budget: all scored, none pending.
    assert queue["pendingCount"] == 0
    assert not any(n["suggestionsPending"] for n in queue["nodes"])
    joko = by_id["ANK000000002"]
    assert joko["candidateCount"] >= 1 and 0 <= joko["bestScore"] <= 1
    assert joko["bestBand"] in {"AUTO_SUGGEST", "REVIEW", "UNLIKELY"}
    assert await _count(client.db, t.identity_suggestion_run) == 3

    only_nik = await _queue(client, missing="NIK")
    assert [n["childId"] for n in only_nik["nodes"]] == ["ANK000000002", "ANK000000005"]
    certificate = await _queue(client, missing="BIRTH_CERTIFICATE")
    assert certificate["totalCount"] == 3
    # A region outside the jurisdiction holds no one; counted after the filter.
    elsewhere = await _queue(client, region="14.71")
    assert (elsewhere["totalCount"], elsewhere["nodes"]) == (0, [])
    desa = await _queue(client, region="21.71.01.1002")
    assert desa["totalCount"] == 3


@pytest.mark.parametrize("order", ["OLDEST_FIRST", "BEST_SCORE_DESC", "CANDIDATES_DESC"])
async def test_the_queue_pages_by_cursor_in_every_order(make_client: Any, order: str) -> None:
    client = await _client(make_client)
    everything = await _queue(client, order=order)
    seen, after = [], None
    while True:
        page = await _queue(client, order=order, first=1, after=after)
        seen += [n["childId"] for n in page["nodes"]]
        assert page["totalCount"] == 3
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [n["childId"] for n in everything["nodes"]]
    if order == "BEST_SCORE_DESC":
        scores = [n["bestScore"] if n["bestScore"] is not None else -1 for n in everything["nodes"]]
        assert scores == sorted(scores, reverse=True)


async def test_suggestions_are_filled_a_bounded_number_per_request(make_client: Any) -> None:
    client = await _client(make_client)
    extra = work_queue.FILL_PER_REQUEST + 2
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.child),
            [
                _child(
                    f"ANK0000001{i:02d}", f"Anak Nomor {i}", "BALAI", T0 + timedelta(days=10 + i)
                )
                for i in range(extra)
            ],
        )
    first = await _queue(client, first=100)
    assert first["totalCount"] == 3 + extra
    # One request scores at most FILL_PER_REQUEST children, oldest first; the rest wait.
    assert first["pendingCount"] == 3 + extra - work_queue.FILL_PER_REQUEST
    pending = [n["childId"] for n in first["nodes"] if n["suggestionsPending"]]
    assert pending == [n["childId"] for n in first["nodes"]][-len(pending) :]
    assert all(n["candidateCount"] is None for n in first["nodes"] if n["suggestionsPending"])
    second = await _queue(client, first=100)
    assert second["pendingCount"] == 0


async def test_a_request_starts_no_new_search_after_its_time_budget(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await _client(make_client)
    monkeypatch.setattr(work_queue, "FILL_SECONDS", 1.0)
    # Every reading of the queue's clock is 0.6 s later than the last: the first search starts
    # at 0.6 s (within the second), the next would start at 1.2 s — it is left for later.
    ticks = itertools.count()
    monkeypatch.setattr(work_queue, "time", SimpleNamespace(monotonic=lambda: 0.6 * next(ticks)))
    first = await _queue(client, first=100)
    assert first["totalCount"] == 3
    assert first["pendingCount"] == 2
    monkeypatch.setattr(work_queue, "FILL_SECONDS", 600.0)
    assert (await _queue(client, first=100))["pendingCount"] == 0


async def test_queue_requests_at_once_score_each_child_once_without_error(make_client: Any) -> None:
    client = await _client(make_client)
    arguments = {"first": 20, "order": "BEST_SCORE_DESC"}
    bodies = await asyncio.gather(*(client.execute(QUEUE, **arguments) for _ in range(4)))
    assert all("errors" not in body for body in bodies), bodies
    assert await _count(client.db, t.identity_suggestion_run) == 3


async def test_suggestions_are_recomputed_for_a_new_model_version_or_when_old(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = await _client(make_client)
    await _queue(client)
    monkeypatch.setattr(store, "MODEL_VERSION", "a-newer-model")
    async with client.db.connect() as conn:
        # Stale for the new model: counted as pending until scored again.
        assert await work_queue.count(conn, work_queue.QueueFilter(("21.71",))) == (3, 3)
    async with client.db.transaction() as conn:
        await conn.execute(
            update(t.identity_suggestion_run).values(
                computed_at=datetime.now(UTC) - timedelta(days=30)
            )
        )
    async with client.db.connect() as conn:
        assert await work_queue.count(conn, work_queue.QueueFilter(("21.71",))) == (3, 3)


async def test_bad_queue_arguments_are_bad_user_input(make_client: Any) -> None:
    client = await _client(make_client)
    for variables, field in (
        ({"after": "not-a-cursor"}, "after"),
        ({"region": "21.7"}, "regionCode"),
        ({"region": "99.71"}, "regionCode"),
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
    ):
        body = await client.execute(QUEUE, **{"first": 20, "order": "OLDEST_FIRST", **variables})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", variables
        assert body["errors"][0]["extensions"]["field"] == field


# --- candidates ----------------------------------------------------------------------------------


async def test_candidates_rank_the_registry_person_and_explain_the_score(make_client: Any) -> None:
    client = await _client(make_client)
    data = await client.data(CANDIDATES, id="ANK000000002", top=5)
    answer = data["identityCandidates"]
    assert answer["childId"] == "ANK000000002"
    assert answer["modelVersion"] == store.MODEL_VERSION
    assert 0 <= answer["noMatchProbability"] <= 1
    assert JOKO in _niks(data)
    joko = next(c for c in answer["candidates"] if c["person"]["nik"] == JOKO)
    assert joko["person"]["name"] == "Muhammad Joko Sutrisno"
    assert joko["person"]["birthDate"] == JOKO_BORN.isoformat()
    assert 0 <= joko["score"] <= 1
    assert joko["band"] in {"AUTO_SUGGEST", "REVIEW", "UNLIKELY"}
    for evidence in joko["explanation"]:
        assert set(evidence) == {
            "attribute", "level", "weight", "description", "recordValue", "registryValue",
        }  # fmt: skip
    # Best first among those he could be linked to; then persons other index children hold.
    held = ["HELD_BY_ANOTHER_CHILD" in c["warnings"] for c in answer["candidates"]]
    assert held == sorted(held)
    for group in (False, True):
        scores = [c["score"] for c, h in zip(answer["candidates"], held, strict=True) if h == group]
        assert scores == sorted(scores, reverse=True)
    one = await client.data(CANDIDATES, id="ANK000000002", top=1)
    assert len(one["identityCandidates"]["candidates"]) <= 1


async def test_candidates_of_a_child_outside_jurisdiction_are_null_like_unknown(
    make_client: Any,
) -> None:
    client = await _client(make_client)
    pekanbaru = await client.execute(CANDIDATES, id="ANK000000001", top=5)
    unknown = await client.execute(CANDIDATES, id="ANK000000404", top=5)
    assert pekanbaru == unknown == {"data": {"identityCandidates": None}}
    decisions = await client.execute(DECISIONS, id="ANK000000001")
    assert decisions == {"data": {"identityDecisions": None}}


async def test_candidates_come_from_the_national_registry_not_only_the_officers_region(
    make_client: Any,
) -> None:
    """The family may have moved: a person registered in Pekanbaru is a candidate for a Batam
    child, shown in full to the Batam officer resolving that child when it may be him (not
    UNLIKELY: see below) — while `registryPerson(nik:)`, a free lookup by NIK, stays within the
    officer's region (docs/identity-resolution.md)."""
    client = await _client(make_client)
    await _a_batam_child_like_the_namesake(client.db)
    data = await client.data(CANDIDATES, id="ANK000000008", top=5)
    namesake = [
        c["person"] for c in data["identityCandidates"]["candidates"]
        if c["person"] and c["person"]["nik"] == NAMESAKE
    ]  # fmt: skip
    assert namesake == [
        {
            "nik": NAMESAKE,
            "name": "Muhammad Joko Sutrisno",
            "birthDate": "2014-05-05",
            "regionCode": "14.71.02.1001",
            "motherName": "Ratna",
        }
    ]
    lookup = await client.data("query($n: String!) { registryPerson(nik: $n) { nik } }", n=NAMESAKE)
    assert lookup == {"registryPerson": None}


@pytest.mark.parametrize("top", [0, 21])
async def test_candidates_top_is_bounded(make_client: Any, top: int) -> None:
    client = await _client(make_client)
    body = await client.execute(CANDIDATES, id="ANK000000002", top=top)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "top"}


# --- decisions -----------------------------------------------------------------------------------


async def test_not_this_person_is_not_proposed_again_until_a_supervisor_undoes_it(
    make_client: Any,
) -> None:
    client = await _client(make_client)
    assert JOKO in _niks(await client.data(CANDIDATES, id="ANK000000002", top=5))
    data, changes = await client.written(
        REJECT, id="ANK000000002", nik=JOKO, reason="  The LKSA says his mother is not Sri.  "
    )
    decision = data["rejectIdentityCandidate"]
    assert decision["kind"] == "NOT_THIS_PERSON"
    assert decision["reason"] == "The LKSA says his mother is not Sri."
    assert (decision["decidedBy"], decision["decidedByRole"]) == (
        "disdukcapil-batam",
        "disdukcapil_officer",
    )
    assert changes == [
        ("IdentityDecision", decision["id"], "NOT_THIS_PERSON"),
        ("Child", "ANK000000002", "identity decision: NOT_THIS_PERSON"),
    ]
    assert JOKO not in _niks(await client.data(CANDIDATES, id="ANK000000002", top=20))
    async with client.db.connect() as conn:
        kept = await work_queue.suggestion_niks(conn, ["ANK000000002"])
    assert JOKO not in kept.get("ANK000000002", [])
    queue = await _queue(client)
    assert queue["nodes"][0]["status"] == "CANDIDATES_REJECTED"
    # Marked twice: a conflict, nothing more written.
    again = await client.execute(REJECT, id="ANK000000002", nik=JOKO, reason="again")
    assert again["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "nik"}
    # Linking the rejected person needs the rejection undone first.
    link = await client.execute(LINK, id="ANK000000002", nik=JOKO, reason="it is him")
    assert link["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "nik"}
    assert await _count(client.db, t.identity_decision) == 1

    # The officer may not undo; the supervisor may.
    refused = await client.execute(UNDO, id=decision["id"], reason="mistake")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    supervisor = client.acting(SUPERVISOR)
    undone, undo_changes = await supervisor.written(
        UNDO, id=decision["id"], reason="The mother's name was misread."
    )
    assert undone["undoIdentityDecision"] == {
        "id": decision["id"],
        "kind": "NOT_THIS_PERSON",
        "active": False,
        "undoneBy": "disdukcapil-supervisor-batam",
        "undoneByName": "Ratna Sari Dewi",
        "undoReason": "The mother's name was misread.",
    }
    assert undo_changes == [
        ("IdentityDecision", decision["id"], "undone: NOT_THIS_PERSON"),
        ("Child", "ANK000000002", "identity decision undone"),
    ]
    assert JOKO in _niks(await client.data(CANDIDATES, id="ANK000000002", top=5))
    twice = await supervisor.execute(UNDO, id=decision["id"], reason="again")
    assert twice["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "decisionId"}


async def test_a_link_records_its_decision_and_a_supervisor_undoes_it_exactly(
    make_client: Any,
) -> None:
    client = await _client(make_client)
    before = (await client.data(CHILD, id="ANK000000002"))["child"]
    held = await _held(client.db)  # the NIKs the seeded documented children hold
    assert JOKO not in held
    data, changes = await client.written(
        LINK, id="ANK000000002", nik=JOKO, reason="Same mother, same LKSA intake story."
    )
    # The database marks the person held (a trigger on child): retrieval cuts it first for
    # every other index child.
    assert await _held(client.db) == held | {JOKO}
    linked = data["linkNik"]
    assert (linked["nik"], linked["kkNumber"], linked["documentStatus"]) == (
        JOKO,
        KK_BATAM,
        "DOCUMENTED",
    )
    assert (linked["birthDate"], linked["birthDateApproximate"]) == (JOKO_BORN.isoformat(), False)
    reports = (await client.data(CHILD, id="ANK000000002"))["child"]["attributeReports"]
    assert {"agency": "DISDUKCAPIL", "attribute": "nik", "value": JOKO} in reports
    (decision,) = (await client.data(DECISIONS, id="ANK000000002"))["identityDecisions"]
    assert changes == [
        ("Child", "ANK000000002", "nik linked"),
        ("IdentityDecision", decision["id"], "LINK"),
    ]
    assert decision["kind"] == "LINK" and decision["nik"] == JOKO and decision["active"]
    assert decision["reason"] == "Same mother, same LKSA intake story."
    assert decision["score"] is not None and 0 <= decision["score"] <= 1
    assert decision["modelVersion"] == store.MODEL_VERSION
    assert decision["decidedByName"] == "Hendra Gunawan"
    # Documented now: out of the queue.
    assert "ANK000000002" not in [n["childId"] for n in (await _queue(client))["nodes"]]

    undone, undo_changes = await client.acting(SUPERVISOR).written(
        UNDO, id=decision["id"], reason="Wrong boy: the LKSA had two Jokos."
    )
    assert undone["undoIdentityDecision"]["active"] is False
    assert undo_changes[-1] == ("Child", "ANK000000002", "nik unlinked")
    after = (await client.data(CHILD, id="ANK000000002"))["child"]
    assert after == before  # back to undocumented, exactly as the agencies reported him
    assert await _held(client.db) == held
    queue = await _queue(client)
    assert queue["nodes"][0]["childId"] == "ANK000000002"
    assert queue["nodes"][0]["status"] == "UNDECIDED"
    # The registry person is free again: the same link can be made anew.
    again, _ = await client.written(LINK, id="ANK000000002", nik=JOKO, reason="Checked again.")
    assert again["linkNik"]["nik"] == JOKO
    assert await _held(client.db) == held | {JOKO}
    history = (await client.data(DECISIONS, id="ANK000000002"))["identityDecisions"]
    assert [(d["kind"], d["active"]) for d in history] == [("LINK", True), ("LINK", False)]
    assert history[1]["undoneBy"] == "disdukcapil-supervisor-batam"
    assert history[1]["undoReason"] == "Wrong boy: the LKSA had two Jokos."


async def test_linking_a_person_the_matcher_did_not_rank_records_its_own_score(
    make_client: Any,
) -> None:
    client = await _client(make_client)
    data = await client.data(CANDIDATES, id="ANK000000005", top=20)
    assert SISTER not in _niks(data)  # Agus Salim is no Siti Aminah
    async with client.db.transaction() as conn:  # free the sister's NIK for the test
        await conn.execute(update(t.child).where(t.child.c.id == "ANK000000003").values(nik=None))
    before = (await client.data(CHILD, id="ANK000000005"))["child"]
    data, _ = await client.written(
        LINK, id="ANK000000005", nik=SISTER, reason="Officer's own lookup."
    )
    # Another name: the registry spelling is recorded beside the agencies' one.
    assert data["linkNik"]["otherNames"] == ["Siti Aminah"]
    (decision,) = (await client.data(DECISIONS, id="ANK000000005"))["identityDecisions"]
    assert decision["nik"] == SISTER
    assert decision["score"] is not None  # scored by store.score_pair
    await client.acting(SUPERVISOR).written(UNDO, id=decision["id"], reason="Not her, of course.")
    assert (await client.data(CHILD, id="ANK000000005"))["child"] == before


async def test_a_new_registration_is_decided_once_and_only_without_a_nik(make_client: Any) -> None:
    client = await _client(make_client)
    data, changes = await client.written(
        REGISTER, id="ANK000000005", reason="No candidate; the family never registered."
    )
    decision = data["startRegistration"]
    assert (decision["kind"], decision["childId"], decision["active"]) == (
        "NEW_REGISTRATION",
        "ANK000000005",
        True,
    )
    assert changes[-1] == ("Child", "ANK000000005", "identity decision: NEW_REGISTRATION")
    again = await client.execute(REGISTER, id="ANK000000005", reason="twice")
    assert again["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "childId"}
    has_nik = await client.execute(REGISTER, id="ANK000000006", reason="she has a NIK")
    assert has_nik["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "childId"}
    statuses = {n["childId"]: n["status"] for n in (await _queue(client))["nodes"]}
    assert statuses["ANK000000005"] == "REGISTRATION_STARTED"
    elsewhere = await client.execute(REGISTER, id="ANK000000001", reason="Pekanbaru's")
    assert elsewhere == {"data": {"startRegistration": None}}
    assert await _count(client.db, t.identity_decision) == 1


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001, "his mother\u0000", "bell\u0007"])
async def test_a_decision_needs_a_reason_and_writes_nothing_without_one(
    make_client: Any, reason: str
) -> None:
    """Blank, too long, or with a control character: BAD_USER_INPUT naming `reason`, for each
    of the three decisions, and nothing written."""
    client = await _client(make_client)
    for query, variables in (
        (LINK, {"id": "ANK000000002", "nik": JOKO}),
        (REJECT, {"id": "ANK000000002", "nik": JOKO}),
        (REGISTER, {"id": "ANK000000002"}),
    ):
        body = await client.execute(query, reason=reason, **variables)
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "reason"}
        assert "extensions" not in body
    assert await _count(client.db, t.identity_decision) == 0
    assert (await client.data(CHILD, id="ANK000000002"))["child"]["nik"] is None


async def test_bad_nik_and_unknown_person_are_bad_user_input(make_client: Any) -> None:
    client = await _client(make_client)
    bad = await client.execute(REJECT, id="ANK000000002", nik="2171093213140001", reason="r")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert bad["errors"][0]["extensions"]["field"] == "nik"
    unknown = make_nik("21.71.09", JOKO_BORN, "M", 77)
    body = await client.execute(REJECT, id="ANK000000002", nik=unknown, reason="r")
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "nik"}
    assert await _count(client.db, t.identity_decision) == 0


async def test_undo_of_an_unknown_decision_or_one_outside_jurisdiction_is_null(
    make_client: Any,
) -> None:
    client = await _client(make_client)
    supervisor = client.acting(SUPERVISOR)
    assert await supervisor.execute(UNDO, id="999", reason="r") == {
        "data": {"undoIdentityDecision": None}
    }
    assert await supervisor.execute(UNDO, id="not-a-number", reason="r") == {
        "data": {"undoIdentityDecision": None}
    }
    pekanbaru = client.acting(
        identity_of("disdukcapil-batam", "identity.resolution", RESOLUTION, regions=("14.71",))
    )
    await pekanbaru.written(REGISTER, id="ANK000000001", reason="Registered in Pekanbaru.")
    assert await supervisor.execute(UNDO, id="1", reason="not mine") == {
        "data": {"undoIdentityDecision": None}
    }


# --- a record typed in by hand -------------------------------------------------------------------

MATCH = """query($record: IdentityRecordInput!) { matchIdentity(record: $record) {
  childId modelVersion candidates { score band person { nik } } } }"""


async def test_a_typed_in_record_gets_candidates(make_client: Any) -> None:
    client = await _client(make_client)
    data = await client.data(
        MATCH,
        record={
            "name": "Muhammad Joko Sutrisno",
            "nickname": "Joko",
            "sex": "L",
            "birthYear": 2014,
            "birthPlace": "Batam",
            "regionCode": "21.71",
            "motherName": "Sri Wahyuni",
        },
    )
    answer = data["matchIdentity"]
    assert answer["childId"] is None
    # (A person registered outside the officer's region is listed without `person`: see below.)
    assert JOKO in [c["person"]["nik"] for c in answer["candidates"] if c["person"]]
    blank = await client.data(MATCH, record={})
    assert isinstance(blank["matchIdentity"]["candidates"], list)


async def test_a_typed_in_date_said_to_be_approximate_is_weighed_as_one(make_client: Any) -> None:
    # Joko's name, sex and desa, a date five months after his birthday: written as known, a
    # namesake's date; said to be approximate ("about January 2015"), what approximations do.
    client = await _client(make_client)
    record = {"name": "Muhammad Joko Sutrisno", "sex": "L", "regionCode": "21.71.09.1002"}
    query = """query($record: IdentityRecordInput!) { matchIdentity(record: $record) {
      candidates { score person { nik } explanation { attribute level } } } }"""
    scores = {}
    for approximate in (False, True):
        data = await client.data(
            query,
            record={**record, "birthDate": "2015-01-20", "birthDateApproximate": approximate},
        )
        joko = next(c for c in data["matchIdentity"]["candidates"] if c["person"]["nik"] == JOKO)
        levels = {e["attribute"]: e["level"] for e in joko["explanation"]}
        scores[approximate] = joko["score"], levels["birth_date"]
    assert scores[False][1] == "WITHIN_1_YEAR" and scores[True][1] == "APPROX_WITHIN_1_YEAR"
    assert scores[True][0] > scores[False][0] + 0.2


async def test_a_typed_in_address_is_compared_with_the_registry_familys(make_client: Any) -> None:
    # Joko's family card gives "Jl. Batu Aji 7": the same house however it is written weighs
    # for him, another house of his desa against him; the officer sees both as written.
    client = await _client(make_client)
    record = {"name": "Joko", "sex": "L", "birthYear": 2014, "regionCode": "21.71.09.1002"}
    query = """query($record: IdentityRecordInput!) { matchIdentity(record: $record) {
      candidates { score person { nik }
        explanation { attribute level weight recordValue registryValue } } } }"""
    seen = {}
    for address in ("JALAN BATU AJI NO. 7", "Jl. Merdeka No. 3, RT 7/RW 5", None):
        data = await client.data(query, record={**record, "address": address})
        joko = next(c for c in data["matchIdentity"]["candidates"] if c["person"]["nik"] == JOKO)
        (line,) = [e for e in joko["explanation"] if e["attribute"] == "address"]
        seen[address] = joko["score"], line
    same, other, none = seen.values()
    assert same[1]["level"] == "HOUSE" and same[1]["weight"] > 0
    assert same[1]["recordValue"] == "JALAN BATU AJI NO. 7"
    assert same[1]["registryValue"] == "Jl. Batu Aji 7"
    assert other[1]["level"] == "DIFFERENT" and other[1]["weight"] < 0
    assert none[1]["level"] == "MISSING" and none[1]["weight"] == 0
    assert same[0] > none[0] > other[0]


async def test_an_approximate_date_at_the_calendars_edge_is_answered_not_an_error(
    make_client: Any,
) -> None:
    # A call name and the earliest date a record may carry, said to be approximate: the blocks
    # reach a year either side of it (before 1900 the date is BAD_USER_INPUT, below; the batch
    # file's dates are resolution.blocking's to keep in the calendar).
    client = await _client(make_client)
    record = {"name": "Jiji", "sex": "L", "birthDate": "1900-01-01", "birthDateApproximate": True}
    data = await client.data(MATCH, record=record)
    assert isinstance(data["matchIdentity"]["candidates"], list)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"birthDate": "2014-02-30"}, "birthDate"),
        ({"birthDate": "17-08-2014"}, "birthDate"),
        ({"birthDate": "1899-12-31"}, "birthDate"),
        ({"birthDate": "0001-01-01", "birthDateApproximate": True}, "birthDate"),
        ({"birthDate": (date.today() + timedelta(days=1)).isoformat()}, "birthDate"),
        ({"regionCode": "99.71"}, "regionCode"),
        ({"regionCode": "21.7"}, "regionCode"),
        ({"sex": "X"}, "sex"),
        ({"birthYear": 1850}, "birthYear"),
        ({"birthYear": date.today().year + 1}, "birthYear"),
        ({"birthDate": "2014-08-17", "birthYear": 2015}, "birthYear"),
        ({"ageEstimate": -1}, "ageEstimate"),
        ({"birthYear": 2014, "birthDateApproximate": True}, "birthDateApproximate"),
        ({"name": "x" * 121}, "name"),
        ({"address": "Jl. Sudirman " * 20}, "address"),
        ({"address": "Jl. Sudirman\x00"}, "address"),
    ],
)
async def test_a_typed_in_record_that_cannot_be_right_is_bad_user_input(
    make_client: Any, record: dict[str, Any], field: str
) -> None:
    client = await _client(make_client)
    body = await client.execute(MATCH, record=record)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert body["data"] == {"matchIdentity": None}


# --- who may ---------------------------------------------------------------------------------------

EVERY_FIELD = [
    (QUEUE, {"first": 5, "order": "OLDEST_FIRST"}, "identityWorkQueue"),
    (CANDIDATES, {"id": "ANK000000002", "top": 5}, "identityCandidates"),
    (MATCH, {"record": {"name": "Joko"}}, "matchIdentity"),
    (DECISIONS, {"id": "ANK000000002"}, "identityDecisions"),
    (REJECT, {"id": "ANK000000002", "nik": JOKO, "reason": "r"}, "rejectIdentityCandidate"),
    (REGISTER, {"id": "ANK000000002", "reason": "r"}, "startRegistration"),
    (UNDO, {"id": "1", "reason": "r"}, "undoIdentityDecision"),
]


@pytest.mark.parametrize(
    "identity",
    [DINSOS, PKH, BALAI, AUDITOR, REGISTRAR],
    ids=["dinsos", "pkh", "balai", "auditor", "disdukcapil-civil-registration"],
)
async def test_only_disdukcapil_for_identity_resolution_uses_the_api(
    make_client: Any, identity: Any
) -> None:
    client = await _client(make_client, identity)
    for query, variables, name in EVERY_FIELD:
        body = await client.execute(query, **variables)
        assert body["data"] == {name: None}, name
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", name
        assert "extensions" not in body
    assert await _count(client.db, t.identity_decision) == 0
    assert await _count(client.db, t.identity_suggestion_run) == 0


# --- review: hostile input, decisions at once, index children of other regions ----------------


def _cursor(value: Any, child_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, child_id]).encode()).decode()


@pytest.mark.parametrize(
    ("order", "after"),
    [
        ("BEST_SCORE_DESC", _cursor(10**30, "ANK000000002")),  # out of every column's range
        ("BEST_SCORE_DESC", "W05hTiwgIkFOSzAwMDAwMDAwMiJd"),  # [NaN, "ANK000000002"]
        ("CANDIDATES_DESC", _cursor(0.5, "ANK000000002")),  # a count is a whole number
        ("BEST_SCORE_DESC", _cursor(0.5, "ANK\u0000")),  # a NUL: PostgreSQL's error
        ("OLDEST_FIRST", _cursor("2025-01-01T00:00:00+00:00", "A" * 10_000)),
    ],
)
async def test_a_cursor_that_is_not_ours_is_bad_user_input_never_internal(
    make_client: Any, order: str, after: str
) -> None:
    client = await _client(make_client)
    body = await client.execute(QUEUE, first=5, order=order, after=after)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


@pytest.mark.parametrize("child_id", ["ANK\u0000", "ANK000000002\u0000", "ANK" + "9" * 40, "٣"])
async def test_a_child_id_that_names_no_child_answers_as_an_unknown_one(
    make_client: Any, child_id: str
) -> None:
    client = await _client(make_client)
    for query, variables, name in (
        (CANDIDATES, {"top": 5}, "identityCandidates"),
        (DECISIONS, {}, "identityDecisions"),
        (LINK, {"nik": JOKO, "reason": "r"}, "linkNik"),
        (REJECT, {"nik": JOKO, "reason": "r"}, "rejectIdentityCandidate"),
        (REGISTER, {"reason": "r"}, "startRegistration"),
    ):
        assert await client.execute(query, id=child_id, **variables) == {"data": {name: None}}
    assert await _count(client.db, t.identity_decision) == 0


@pytest.mark.parametrize("decision_id", [str(2**31), "9" * 18, "0", "1\u0000"])
async def test_a_decision_id_that_names_no_decision_answers_as_an_unknown_one(
    make_client: Any, decision_id: str
) -> None:
    client = await _client(make_client)
    await client.written(REGISTER, id="ANK000000002", reason="Not in the registry.")
    supervisor = client.acting(SUPERVISOR)
    body = await supervisor.execute(UNDO, id=decision_id, reason="r")
    assert body == {"data": {"undoIdentityDecision": None}}


async def test_a_reason_may_span_lines_and_hold_tabs(make_client: Any) -> None:
    """The control characters a reason refuses (above) are not line breaks and tabs."""
    client = await _client(make_client)
    multiline = await client.written(REGISTER, id="ANK000000002", reason="line one\nline two\t.")
    assert multiline[0]["startRegistration"]["reason"] == "line one\nline two\t."


async def test_one_child_linked_to_two_persons_at_once_gets_one_link(make_client: Any) -> None:
    """Two officers link the same child to two registry persons at the same moment: one link
    stands, the other is a CONFLICT — never the second overwriting the first's NIK with two
    LINK decisions in force."""
    client = await _client(make_client)
    bodies = await asyncio.gather(
        client.execute(LINK, id="ANK000000002", nik=JOKO, reason="Same mother."),
        client.execute(LINK, id="ANK000000002", nik=NAMESAKE, reason="Same name."),
    )
    linked = [b["data"]["linkNik"]["nik"] for b in bodies if b["data"]["linkNik"]]
    refused = [b["errors"][0]["extensions"] for b in bodies if "errors" in b]
    assert len(linked) == 1
    assert refused == [{"code": "CONFLICT", "field": "childId"}]
    child = await client.data(CHILD, id="ANK000000002")
    assert child["child"]["nik"] == linked[0]
    decisions = (await client.data(DECISIONS, id="ANK000000002"))["identityDecisions"]
    assert [(d["kind"], d["nik"], d["active"]) for d in decisions] == [("LINK", linked[0], True)]


async def test_a_link_does_not_overwrite_a_child_linked_since_it_was_read(
    make_client: Any,
) -> None:
    """The repository's half of the above, without timing: a link written from a stale read
    of the child (no NIK then) finds the child linked and writes nothing."""
    from subgraphs.disdukcapil import repository

    client = await _client(make_client)
    async with client.db.connect() as conn:
        (stale,) = await repository.children_by_id(conn, ["ANK000000002"])
        (namesake,) = await repository.persons_by_nik(conn, [NAMESAKE])
    await client.written(LINK, id="ANK000000002", nik=JOKO, reason="Same mother.")
    with pytest.raises(repository.ChildAlreadyLinked):
        async with client.db.transaction() as conn:
            await repository.link_nik(conn, stale, namesake, "DISDUKCAPIL")
    assert (await client.data(CHILD, id="ANK000000002"))["child"]["nik"] == JOKO


async def test_a_person_rejected_and_linked_at_once_is_not_both(make_client: Any) -> None:
    client = await _client(make_client)
    bodies = await asyncio.gather(
        client.execute(REJECT, id="ANK000000002", nik=JOKO, reason="Not him."),
        client.execute(LINK, id="ANK000000002", nik=JOKO, reason="Him."),
    )
    assert sum("errors" in b for b in bodies) == 1
    assert {b["errors"][0]["extensions"]["code"] for b in bodies if "errors" in b} == {"CONFLICT"}
    decisions = (await client.data(DECISIONS, id="ANK000000002"))["identityDecisions"]
    assert len([d for d in decisions if d["active"]]) == 1


async def _an_index_child_of_pekanbaru_holds(db: Any, nik: str) -> None:
    """A child of the index registered in Pekanbaru (Balai Rumbai's, say: an ABH child's identity
    is for Disdukcapil in jurisdiction only) who is the registry person `nik`."""
    async with db.transaction() as conn:
        await conn.execute(
            insert(t.child),
            _child(
                "ANK000000007",
                "Muhammad Joko Sutrisno",
                "BALAI",
                T0,
                nik=nik,
                region_code="14.71.02.1001",
                registry_person_id=3,
            ),
        )


async def test_a_candidate_who_is_an_index_child_of_another_region_is_not_shown(
    make_client: Any,
) -> None:
    """Outside the officer's region a child does not exist: a registry person who is a child of
    the index registered elsewhere is no candidate for the Batam officer — neither for a Batam
    child nor for a typed-in record (their record, explanation and NIK are that child's
    identity.full) — while the Pekanbaru officer, in whose region the child is, is shown it."""
    client = await _client(make_client)
    await _an_index_child_of_pekanbaru_holds(client.db, NAMESAKE)
    # Retrieval finds the family too (the sister, through the mother): what matters here is
    # that the namesake, another region's index child, is not among them.
    candidates = await client.data(CANDIDATES, id="ANK000000002", top=5)
    assert JOKO in _niks(candidates) and NAMESAKE not in _niks(candidates)
    typed = {"name": "Muhammad Joko Sutrisno"}
    found = await client.data(TYPED_IN, record=typed)
    listed = [c["person"]["nik"] for c in found["matchIdentity"]["candidates"] if c["person"]]
    assert JOKO in listed and NAMESAKE not in json.dumps(found)
    pekanbaru = client.acting(
        identity_of("disdukcapil-batam", "identity.resolution", RESOLUTION, regions=("14.71",))
    )
    shown = await pekanbaru.data(TYPED_IN, record=typed)
    people = [c["person"] for c in shown["matchIdentity"]["candidates"] if c["person"]]
    assert [p["nik"] for p in people] == [NAMESAKE]


TYPED_IN = """query($record: IdentityRecordInput!) { matchIdentity(record: $record, top: 10) {
  candidates { score band person { nik regionCode }
               explanation { attribute level description recordValue registryValue } } } }"""


async def test_a_typed_in_record_shows_persons_of_other_regions_without_their_record(
    make_client: Any,
) -> None:
    """A typed-in record is reached through no child: like registryPerson(nik:), it shows in full
    only persons registered in the officer's region. One registered elsewhere (the family moved)
    is listed with its score, band and how each attribute matched — not its NIK, record or the
    registry's values; registering the child and asking identityCandidates shows it in full,
    recorded under the child, as far as it may be the child (not UNLIKELY)."""
    client = await _client(make_client)
    found = await client.data(TYPED_IN, record={"name": "Muhammad Joko Sutrisno"})
    candidates = found["matchIdentity"]["candidates"]
    assert len(candidates) == 2
    shown = [c for c in candidates if c["person"]]
    withheld = [c for c in candidates if not c["person"]]
    assert [c["person"]["nik"] for c in shown] == [JOKO]
    (elsewhere,) = withheld
    assert elsewhere["band"] and elsewhere["score"] is not None
    assert elsewhere["explanation"]
    for evidence in elsewhere["explanation"]:
        assert evidence["registryValue"] is None
        assert evidence["description"] == evidence["level"]
    assert NAMESAKE not in json.dumps(found)
    # In the officer's region the registry's values are shown (MISSING levels have none).
    assert any(e["registryValue"] is not None for e in shown[0]["explanation"])
    await _a_batam_child_like_the_namesake(client.db)  # registered, with what the counter knew
    through_the_child = await client.data(CANDIDATES, id="ANK000000008", top=5)
    assert NAMESAKE in _niks(through_the_child)


async def test_suggestions_read_before_a_reject_do_not_bring_the_person_back(
    make_client: Any,
) -> None:
    """A queue fill or identityCandidates searches, an officer's "not this person" commits
    meanwhile, then the search's suggestions are stored: the rejected person is not among them."""
    client = await _client(make_client)
    async with client.db.connect() as conn:
        found = await work_queue.candidates_for(conn, "ANK000000002", work_queue.SUGGESTION_TOP)
    assert found is not None and JOKO in [c.person.nik for c in found.candidates]
    await client.written(REJECT, id="ANK000000002", nik=JOKO, reason="Not him.")
    async with client.db.transaction() as conn:
        await work_queue.keep(conn, "ANK000000002", found)
    async with client.db.connect() as conn:
        stored = await work_queue.suggestion_niks(conn, ["ANK000000002"])
    assert JOKO not in stored.get("ANK000000002", [])


async def test_queue_requests_at_once_replacing_old_suggestions_never_deadlock(
    make_client: Any,
) -> None:
    """Requests at once replacing the same children's stale suggestions: each deleting rows the
    other inserted deadlocked on PostgreSQL (an internal error); the child's row is locked first."""
    client = await _client(make_client)
    arguments = {"first": 20, "order": "BEST_SCORE_DESC"}
    for _ in range(4):
        async with client.db.transaction() as conn:
            old = datetime.now(UTC) - work_queue.SUGGESTION_TTL - timedelta(hours=1)
            await conn.execute(update(t.identity_suggestion_run).values(computed_at=old))
        bodies = await asyncio.gather(*(client.execute(QUEUE, **arguments) for _ in range(6)))
        assert all("errors" not in body for body in bodies), bodies
    assert await _count(client.db, t.identity_suggestion_run) == 3


# --- review, second round: no search under the write lock; what the queue counts; the typed-in
# match's bound; out-of-region candidates; NIKs that cannot be linked --------------------------


def _searches_outside_writes(monkeypatch: pytest.MonkeyPatch, db: Any) -> list[bool]:
    """Record, for every matcher search (`store.candidates`, `store.score_pair`), whether one of
    the database's write transactions was open at that moment (on SQLite: the write lock held)."""
    writing = 0
    searched: list[bool] = []
    transaction = db.transaction

    @contextlib.asynccontextmanager
    async def counted() -> Any:
        nonlocal writing
        async with transaction() as conn:
            writing += 1
            try:
                yield conn
            finally:
                writing -= 1

    def watched(search: Any) -> Any:
        async def run(*args: Any, **kwargs: Any) -> Any:
            searched.append(writing > 0)
            return await search(*args, **kwargs)

        return run

    monkeypatch.setattr(db, "transaction", counted)
    monkeypatch.setattr(store, "candidates", watched(store.candidates))
    monkeypatch.setattr(store, "score_pair", watched(store.score_pair))
    return searched


@pytest.mark.parametrize(
    ("query", "variables", "name"),
    [
        (LINK, {"id": "ANK000000002", "nik": JOKO, "reason": "Same mother."}, "linkNik"),
        (LINK, {"id": "ANK000000005", "nik": SISTER, "reason": "Unranked."}, "linkNik"),
        (
            REJECT,
            {"id": "ANK000000002", "nik": JOKO, "reason": "Not him."},
            "rejectIdentityCandidate",
        ),
        (REGISTER, {"id": "ANK000000002", "reason": "Not registered."}, "startRegistration"),
    ],
    ids=["link-ranked", "link-unranked", "reject", "registration"],
)
async def test_a_decision_searches_before_its_write_transaction(
    make_client: Any,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    variables: dict[str, Any],
    name: str,
) -> None:
    """The matcher's search (~100 ms at national scale) runs before the decision's write
    transaction, never inside it: on SQLite that transaction holds the database's write lock."""
    client = await _client(make_client)
    if variables.get("nik") == SISTER:
        async with client.db.transaction() as conn:  # free the sister's NIK for the test
            await conn.execute(
                update(t.child).where(t.child.c.id == "ANK000000003").values(nik=None)
            )
    searched = _searches_outside_writes(monkeypatch, client.db)
    data, _ = await client.written(query, **variables)
    assert data[name] is not None
    assert searched and not any(searched), searched
    (decision,) = (await client.data(DECISIONS, id=variables["id"]))["identityDecisions"]
    if "nik" in variables:
        assert decision["score"] is not None  # the score searched before is the one recorded
        assert decision["modelVersion"] == store.MODEL_VERSION


async def test_a_child_linked_while_a_link_was_being_scored_is_a_conflict(
    make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scored before the lock, re-checked under it: another officer's link committed while this
    one searched wins, and this one is the CONFLICT the API gives a child already linked."""
    from subgraphs.disdukcapil import repository

    client = await _client(make_client)
    search = store.candidates
    raced: list[str] = []

    async def meanwhile(*args: Any, **kwargs: Any) -> Any:
        found = await search(*args, **kwargs)
        if not raced:  # another officer links the child to the namesake while this one searches
            raced.append(NAMESAKE)
            async with client.db.transaction() as conn:
                (child,) = await repository.children_by_id(conn, ["ANK000000002"])
                (namesake,) = await repository.persons_by_nik(conn, [NAMESAKE])
                await repository.link_nik(conn, child, namesake, "DISDUKCAPIL")
        return found

    monkeypatch.setattr(store, "candidates", meanwhile)
    body = await client.execute(LINK, id="ANK000000002", nik=JOKO, reason="Same mother.")
    assert raced == [NAMESAKE]
    assert body["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "childId"}
    assert (await client.data(CHILD, id="ANK000000002"))["child"]["nik"] == NAMESAKE
    assert await _count(client.db, t.identity_decision) == 0


async def _a_batam_child_like_the_namesake(db: Any) -> None:
    """A Batam child (Balai's) whose record is the Pekanbaru namesake's: the namesake is the
    matcher's best candidate for him, far ahead of anyone the Batam officer may be shown."""
    async with db.transaction() as conn:
        await conn.execute(
            insert(t.child),
            _child(
                "ANK000000008",
                "Muhammad Joko Sutrisno",
                "BALAI",
                T0 + timedelta(days=4),
                birth_date=date(2014, 5, 5),
                birth_place="Pekanbaru",
                mother_name="Ratna",
            ),
        )


async def _item(client: Any, child_id: str) -> dict[str, Any]:
    queue = await _queue(client, first=100)
    (item,) = [n for n in queue["nodes"] if n["childId"] == child_id]
    return item


def _visible_best(candidates: dict[str, Any]) -> tuple[float | None, int]:
    """What identityCandidates shows the officer: the best score, and how many are not UNLIKELY."""
    shown = candidates["identityCandidates"]["candidates"]
    best = max((c["score"] for c in shown), default=None)
    return best, sum(1 for c in shown if c["band"] != "UNLIKELY")


async def test_the_queue_counts_no_candidate_the_officer_may_not_be_shown(
    make_client: Any,
) -> None:
    """The queue's stored suggestions are shared by every asker: the namesake, a Pekanbaru index
    child, is neither counted in the Batam child's candidateCount nor his bestScore — those are
    what the Batam officer's identityCandidates shows — while the matcher does rank him first."""
    client = await _client(make_client)
    await _an_index_child_of_pekanbaru_holds(client.db, NAMESAKE)
    await _a_batam_child_like_the_namesake(client.db)
    item = await _item(client, "ANK000000008")
    async with client.db.connect() as conn:
        stored = await work_queue.suggestion_niks(conn, ["ANK000000008"])
    assert NAMESAKE not in stored.get("ANK000000008", [])
    shown = await client.data(CANDIDATES, id="ANK000000008", top=5)
    assert NAMESAKE not in json.dumps(shown)
    best, likely = _visible_best(shown)
    assert item["bestScore"] == pytest.approx(best, abs=0.02) if best is not None else True
    assert item["candidateCount"] <= likely
    # The Pekanbaru officer, in whose region the namesake is, is shown him, ranked first.
    pekanbaru = client.acting(
        identity_of("disdukcapil-batam", "identity.resolution", RESOLUTION, regions=("14.71",))
    )
    typed = {"name": "Muhammad Joko Sutrisno", "birthDate": "2014-05-05", "motherName": "Ratna"}
    theirs = await pekanbaru.data(TYPED_IN, record=typed)
    assert theirs["matchIdentity"]["candidates"][0]["person"]["nik"] == NAMESAKE


async def test_stored_suggestions_listing_a_person_since_made_another_regions_child_are_not_shown(
    make_client: Any,
) -> None:
    """Suggestions stored while the namesake was nobody's, then he becomes a Pekanbaru index
    child (registered there with his NIK, written past the API here): the Batam queue neither
    counts him nor shows the score he gave — the child is pending again and scored anew."""
    client = await _client(make_client)
    await _a_batam_child_like_the_namesake(client.db)
    before = await _item(client, "ANK000000008")
    async with client.db.connect() as conn:
        stored = await work_queue.suggestion_niks(conn, ["ANK000000008"])
    assert stored["ANK000000008"][0] == NAMESAKE  # the shared suggestions list him first
    await _an_index_child_of_pekanbaru_holds(client.db, NAMESAKE)
    after = await _item(client, "ANK000000008")
    assert after["bestScore"] != before["bestScore"]
    shown = await client.data(CANDIDATES, id="ANK000000008", top=5)
    best, likely = _visible_best(shown)
    if not after["suggestionsPending"]:
        assert after["bestScore"] == pytest.approx(best, abs=0.02)
    again = await _item(client, "ANK000000008")
    assert not again["suggestionsPending"]
    assert again["bestScore"] == pytest.approx(best, abs=0.02)
    assert again["candidateCount"] <= likely
    async with client.db.connect() as conn:
        stored = await work_queue.suggestion_niks(conn, ["ANK000000008"])
    assert NAMESAKE not in stored["ANK000000008"]


async def test_a_link_elsewhere_is_not_counted_in_the_queue(make_client: Any) -> None:
    """The Pekanbaru officer links a Pekanbaru child to the namesake through the API after the
    Batam queue stored him as a suggestion: the Batam queue does not answer the count and score
    he made, and scores the child anew without him."""
    client = await _client(make_client)
    await _a_batam_child_like_the_namesake(client.db)
    before = await _item(client, "ANK000000008")
    pekanbaru = client.acting(
        identity_of("disdukcapil-batam", "identity.resolution", RESOLUTION, regions=("14.71",))
    )
    await pekanbaru.written(LINK, id="ANK000000001", nik=NAMESAKE, reason="Same boy.")
    after = await _item(client, "ANK000000008")
    assert after["suggestionsPending"] or after["bestScore"] != before["bestScore"]
    again = await _item(client, "ANK000000008")
    best, _ = _visible_best(await client.data(CANDIDATES, id="ANK000000008", top=5))
    assert again["bestScore"] == pytest.approx(best, abs=0.02)
    async with client.db.connect() as conn:
        stored = await work_queue.suggestion_niks(conn, ["ANK000000008"])
    assert NAMESAKE not in stored.get("ANK000000008", [])


@pytest.mark.parametrize("top", [0, 11, 20])
async def test_a_typed_in_match_lists_at_most_ten_persons(make_client: Any, top: int) -> None:
    """A typed-in record is reached through no child and recorded under none: one request lists
    what the officer needs to find the child (the top 5 by default), at most 10 — not 20 full
    registry records of the region for any record typed."""
    client = await _client(make_client)
    query = """query($record: IdentityRecordInput!, $top: Int!) {
      matchIdentity(record: $record, top: $top) { candidates { score } } }"""
    body = await client.execute(query, record={"name": "Muhammad Joko Sutrisno"}, top=top)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "top"}
    assert body["data"] == {"matchIdentity": None}


async def test_a_typed_in_match_lists_five_by_default(make_client: Any) -> None:
    client = await _client(make_client)
    async with client.db.transaction() as conn:  # a dozen Jokos in the officer's region
        await conn.execute(
            insert(t.person),
            [
                _person(10 + i, make_nik("21.71.09", date(2014, 1 + i, 3), "M", 10 + i),
                        "Muhammad Joko Sutrisno", "M", date(2014, 1 + i, 3))
                for i in range(12)
            ],
        )  # fmt: skip
    default = await client.data(MATCH, record={"name": "Muhammad Joko Sutrisno"})
    assert len(default["matchIdentity"]["candidates"]) == 5
    most = await client.data(TYPED_IN, record={"name": "Muhammad Joko Sutrisno"})
    assert len(most["matchIdentity"]["candidates"]) == 10


async def test_a_candidate_of_another_region_is_shown_in_full_only_if_it_may_be_the_child(
    make_client: Any,
) -> None:
    """Another region's registry record is that family's identity.full; the officer sees it for
    a child of their own region only as far as it may be this child (the family moved): in full
    when the matcher rates it REVIEW or AUTO_SUGGEST, and like a typed-in match's when it rates
    it UNLIKELY — score, band and how each attribute matched, no record, no registry value. A
    made-up child no longer opens any record of the country that does not look like it."""
    client = await _client(make_client)
    await _a_batam_child_like_the_namesake(client.db)
    unlikely = (await client.data(CANDIDATES, id="ANK000000002", top=5))["identityCandidates"]
    withheld = [c for c in unlikely["candidates"] if c["person"] is None]
    assert len(withheld) == 1 and withheld[0]["band"] == "UNLIKELY"
    assert NAMESAKE not in json.dumps(unlikely)
    for evidence in withheld[0]["explanation"]:
        assert evidence["registryValue"] is None
        assert evidence["description"] == evidence["level"]
    # In the officer's region the record is shown whatever its band (the officer's mandate).
    assert SISTER in _niks({"identityCandidates": unlikely})
    likely = await client.data(CANDIDATES, id="ANK000000008", top=5)
    (moved,) = [
        c for c in likely["identityCandidates"]["candidates"]
        if c["person"] and c["person"]["nik"] == NAMESAKE
    ]  # fmt: skip
    assert moved["band"] != "UNLIKELY"
    assert moved["person"]["regionCode"] == "14.71.02.1001"
    # ... and the officer may link him: the family moved.
    linked, _ = await client.written(LINK, id="ANK000000008", nik=NAMESAKE, reason="Moved.")
    assert linked["linkNik"]["nik"] == NAMESAKE


async def test_a_nik_held_by_another_child_answers_as_one_no_registry_person_has(
    make_client: Any,
) -> None:
    """linkNik does not tell whether some index child holds a NIK — in Pekanbaru, or an ABH
    child anywhere, a child that does not exist for the Batam officer: a NIK another child holds
    and one no registry person has get one answer, word for word, and write nothing."""
    client = await _client(make_client)
    await _an_index_child_of_pekanbaru_holds(client.db, NAMESAKE)
    unknown = make_nik("21.71.09", JOKO_BORN, "M", 77)
    answers = [
        await client.execute(LINK, id="ANK000000002", nik=nik, reason="r")
        for nik in (NAMESAKE, SISTER, unknown)  # Pekanbaru's child's, a Batam child's, nobody's
    ]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "nik"}
    assert await _count(client.db, t.identity_decision) == 0


DECIDED = """query($id: ID!) { identityDecisions(childId: $id) {
  nik score band explanation { attribute level description recordValue registryValue } } }"""

REJECT_SHOWN = """mutation($id: ID!, $nik: String!, $reason: String!) {
  rejectIdentityCandidate(childId: $id, nik: $nik, reason: $reason) {
    nik score band explanation { attribute level description recordValue registryValue } } }"""


async def test_a_rejection_shows_no_more_of_another_regions_person_than_the_candidates_did(
    make_client: Any,
) -> None:
    """A rejection records "the evidence the officer saw": for another region's registry person
    the matcher rates UNLIKELY for this child (withheld from identityCandidates), that is how
    each attribute matched, not the registry's values — else rejecting any NIK (they are
    guessable: region, birth date, serial) for a child of one's own reads another region's
    record, which registryPerson(nik:) refuses. Neither the mutation's answer nor the child's
    decisions (another officer's later read) carry them."""
    client = await _client(make_client)
    before = (await client.data(CANDIDATES, id="ANK000000002", top=5))["identityCandidates"]
    (withheld,) = [c for c in before["candidates"] if c["person"] is None]
    assert withheld["band"] == "UNLIKELY"
    rejected, _ = await client.written(REJECT_SHOWN, id="ANK000000002", nik=NAMESAKE, reason="No.")
    decisions = await client.data(DECIDED, id="ANK000000002")
    for decision in (rejected["rejectIdentityCandidate"], *decisions["identityDecisions"]):
        assert decision["nik"] == NAMESAKE  # the officer typed it
        assert decision["explanation"]
        for evidence in decision["explanation"]:
            assert evidence["registryValue"] is None
            assert evidence["description"] == evidence["level"]
        assert "Ratna" not in json.dumps(decision) and "Pekanbaru" not in json.dumps(decision)


async def test_a_rejection_shows_nothing_of_another_regions_index_child(
    make_client: Any,
) -> None:
    """Another region's index child does not exist for the officer: rejecting its NIK for a
    child of one's own records the rejection (a NIK no registry person has is the only other
    answer) with no score, band or evidence of that child — the candidates leave it out before
    ranking, and the decision must not score it on its own either (an oracle of how much a
    made-up child looks like another region's, maybe ABH, child)."""
    client = await _client(make_client)
    await _an_index_child_of_pekanbaru_holds(client.db, NAMESAKE)
    rejected, _ = await client.written(REJECT_SHOWN, id="ANK000000002", nik=NAMESAKE, reason="No.")
    decisions = await client.data(DECIDED, id="ANK000000002")
    for decision in (rejected["rejectIdentityCandidate"], *decisions["identityDecisions"]):
        assert decision["score"] is None and decision["band"] is None
        assert decision["explanation"] == []


async def test_rejecting_another_regions_nik_does_not_tell_whether_a_child_holds_it(
    make_client: Any,
) -> None:
    """A rejection of another region's person the child's candidates did not list is recorded
    unscored whether or not an index child of that region holds the NIK: a score for the one
    and none for the other would say which NIKs belong to children who do not exist for the
    officer (the rule linkNik's one answer keeps)."""
    client = await _client(make_client)
    await _an_index_child_of_pekanbaru_holds(client.db, NAMESAKE)
    free = make_nik("14.71.02", date(2012, 1, 1), "M", 4)
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.person),
            _person(
                4,
                free,
                "Rudi Hartono",
                "M",
                date(2012, 1, 1),
                region_code="14.71.02.1001",
                mother_name="Kartini",
            ),
        )
    listed = await client.data(CANDIDATES, id="ANK000000002", top=5)
    assert not [c for c in listed["identityCandidates"]["candidates"] if c["person"] is None]
    answers = []
    for nik in (NAMESAKE, free):
        data, _ = await client.written(REJECT_SHOWN, id="ANK000000002", nik=nik, reason="No.")
        answers.append({k: v for k, v in data["rejectIdentityCandidate"].items() if k != "nik"})
    assert answers[0] == answers[1] == {"score": None, "band": None, "explanation": []}


async def test_stale_suggestions_are_pending_in_the_order_count_and_cursor_too(
    make_client: Any,
) -> None:
    """A child whose stored suggestions list a person since made another region's index child is
    answered as pending everywhere the stored score could show: its place in a best-score order
    (among the pending, not where the old score put it), pendingCount, and the page's end cursor
    (base64 JSON of the last node's sort value: the score itself)."""
    client = await _client(make_client)
    await _a_batam_child_like_the_namesake(client.db)
    before = await _item(client, "ANK000000008")
    assert before["bestScore"] is not None
    await _an_index_child_of_pekanbaru_holds(client.db, NAMESAKE)
    queue = await _queue(client, first=100, order="BEST_SCORE_DESC")
    nodes = queue["nodes"]
    # Best score first, a node without one (pending, or no candidates) as -1, ties by id.
    keys = [(-(n["bestScore"] if n["bestScore"] is not None else -1), n["childId"]) for n in nodes]
    assert keys == sorted(keys)
    pending = [n["suggestionsPending"] for n in nodes]
    (item,) = [n for n in nodes if n["childId"] == "ANK000000008"]
    assert item["suggestionsPending"] and item["bestScore"] is None
    assert queue["pendingCount"] == sum(pending)
    last = nodes.index(item) + 1
    page = await _queue(client, first=last, order="BEST_SCORE_DESC")
    value, _ = json.loads(base64.urlsafe_b64decode(page["pageInfo"]["endCursor"]))
    assert value != before["bestScore"]


async def test_a_decision_read_by_an_officer_of_a_smaller_region_shows_what_they_may_see(
    make_client: Any,
) -> None:
    """A decision keeps what its decider was shown: a Kepulauan Riau (province) officer rejecting
    a person of Kabupaten Karimun (21.02) for a Batam child sees the record in full; the Batam
    officer reading the child's decisions later is shown what identityCandidates would show them
    — the UNLIKELY person of another kabupaten without the registry's values."""
    client = await _client(make_client)
    elsewhere = make_nik("21.02.01", date(2012, 1, 1), "M", 5)
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.person),
            _person(
                5, elsewhere, "Rudi Hartono", "M", date(2012, 1, 1), region_code="21.02.01.1001",
                mother_name="Kartini", birth_place="Karimun",
            ),
        )  # fmt: skip
    province = client.acting(
        identity_of("disdukcapil-batam", "identity.resolution", RESOLUTION, regions=("21",))
    )
    decided, _ = await province.written(
        REJECT_SHOWN, id="ANK000000002", nik=elsewhere, reason="No."
    )
    assert decided["rejectIdentityCandidate"]["band"] == "UNLIKELY"
    assert "Kartini" in json.dumps(decided)  # in the province officer's region: in full
    (read,) = (await client.data(DECIDED, id="ANK000000002"))["identityDecisions"]
    assert read["nik"] == elsewhere and read["explanation"]
    for evidence in read["explanation"]:
        assert evidence["registryValue"] is None
        assert evidence["description"] == evidence["level"]
    assert "Kartini" not in json.dumps(read) and "Karimun" not in json.dumps(read)
