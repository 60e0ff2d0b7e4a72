"""Identity resolution end to end: `satu-anak up` over freshly seeded data, asked over real HTTP
through the gateway with the sample users' real tokens. The Disdukcapil officer of Kota Batam takes
ANK000000002 (the README's story) from the work queue to a linked NIK without looking anything up
elsewhere; the supervisor undoes it; a record typed in at the counter finds the same person; other
roles are refused the whole API; and each decision is in the access log under the child."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from tests.ports import free_base_port
from tests.system_support import System, running_system

pytestmark = pytest.mark.slow

OFFICER, SUPERVISOR = "disdukcapil-batam", "disdukcapil-supervisor-batam"
RESOLUTION = "identity.resolution"
STORY = "ANK000000002"  # recorded as "Moehammad Djoko Soetrisno"; SIAK: "Muhammad Joko Sutrisno"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("satu-anak"), free_base_port(33_000)) as running:
        yield running


QUEUE = """query($after: String) {
  identityWorkQueue(first: 100, after: $after, orderBy: BEST_SCORE_DESC) {
    totalCount pendingCount pageInfo { hasNextPage endCursor }
    nodes { childId missing candidateCount bestScore bestBand status
            child { name birthYear kabupatenCode otherNames } }
  } }"""

CANDIDATES = """query($id: ID!) { identityCandidates(childId: $id, top: 5) {
  modelVersion noMatchProbability
  candidates { score band matchWeight warnings
    person { nik name birthDate birthPlace motherName regionCode }
    explanation { attribute level weight description recordValue registryValue } }
} }"""

LINK = """mutation($id: ID!, $nik: String!, $reason: String!) {
  linkNik(childId: $id, nik: $nik, reason: $reason) { id nik documentStatus } }"""

DECISIONS = """query($id: ID!) { identityDecisions(childId: $id) {
  id kind nik score band reason decidedBy decidedByRole active undoneBy undoReason
  explanation { attribute level weight } } }"""

UNDO = """mutation($id: ID!, $reason: String!) {
  undoIdentityDecision(decisionId: $id, reason: $reason) { id nik active undoneBy } }"""

CHILD = """query($id: ID!) { child(id: $id) { nik documentStatus } }"""

MATCH = """query($record: IdentityRecordInput!) { matchIdentity(record: $record) {
  candidates { score band person { nik name } } } }"""


def _ok(system: System, user: str, query: str, **variables: Any) -> dict[str, Any]:
    body = system.body(user, RESOLUTION, query, **variables)
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def _story_in_queue(system: System) -> dict[str, Any]:
    """ANK000000002 as the officer's work queue shows it, paging through if need be."""
    after = None
    while True:
        queue = _ok(system, OFFICER, QUEUE, after=after)["identityWorkQueue"]
        for node in queue["nodes"]:
            if node["childId"] == STORY:
                found: dict[str, Any] = node
                return found
        assert queue["pageInfo"]["hasNextPage"], "ANK000000002 is not in the work queue"
        after = queue["pageInfo"]["endCursor"]


def _registry_person(candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """The candidate the seed planted as the boy: his registry name, born 17-08-2014 in Batam."""
    for candidate in candidates:
        person = candidate["person"]  # null: another region's, UNLIKELY (not shown)
        if (
            person
            and person["name"] == "Muhammad Joko Sutrisno"
            and person["birthDate"] == "2014-08-17"
        ):
            return candidate
    raise AssertionError(f"the boy's registry record is not among {candidates}")


def test_the_officer_takes_the_story_child_from_the_queue_to_a_linked_nik(system: System) -> None:
    item = _story_in_queue(system)
    assert item["child"]["name"] == "Moehammad Djoko Soetrisno"
    assert item["child"]["kabupatenCode"] == "21.71"
    assert "NIK" in item["missing"]
    assert item["status"] == "UNDECIDED"
    assert item["candidateCount"] is not None and item["candidateCount"] >= 1

    answer = _ok(system, OFFICER, CANDIDATES, id=STORY)["identityCandidates"]
    assert answer["modelVersion"]
    candidate = _registry_person(answer["candidates"])
    assert 0 <= candidate["score"] <= 1
    assert candidate["person"]["motherName"] == "Sri Wahyuni"
    nik = candidate["person"]["nik"]

    linked = _ok(
        system, OFFICER, LINK, id=STORY, nik=nik, reason="Mother's name and LKSA intake agree."
    )
    assert linked["linkNik"]["nik"] == nik
    assert _ok(system, OFFICER, CHILD, id=STORY)["child"]["nik"] == nik
    (decision,) = _ok(system, OFFICER, DECISIONS, id=STORY)["identityDecisions"]
    assert (decision["kind"], decision["nik"], decision["active"]) == ("LINK", nik, True)
    assert (decision["decidedBy"], decision["decidedByRole"]) == (OFFICER, "disdukcapil_officer")
    assert decision["reason"] == "Mother's name and LKSA intake agree."
    assert decision["score"] == candidate["score"]

    # Only a supervisor undoes it: the officer's attempt is refused before it is sent.
    refused = system.body(OFFICER, RESOLUTION, UNDO, id=decision["id"], reason="mine")
    assert refused["data"] == {"undoIdentityDecision": None}
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    undone = _ok(system, SUPERVISOR, UNDO, id=decision["id"], reason="Checked: another boy.")
    assert undone["undoIdentityDecision"] == {
        "id": decision["id"],
        "nik": nik,
        "active": False,
        "undoneBy": SUPERVISOR,
    }
    assert _ok(system, OFFICER, CHILD, id=STORY)["child"]["nik"] is None
    history = _ok(system, SUPERVISOR, DECISIONS, id=STORY)["identityDecisions"]
    assert [(d["kind"], d["active"], d["undoReason"]) for d in history] == [
        ("LINK", False, "Checked: another boy.")
    ]
    assert _story_in_queue(system)["status"] == "UNDECIDED"


def test_a_record_typed_in_at_the_counter_finds_the_same_person(system: System) -> None:
    record = {
        "name": "Moehammad Djoko Soetrisno",
        "nickname": "Joko",
        "sex": "L",
        "birthYear": 2014,
        "birthPlace": "Batam",
        "regionCode": "21.71",
        "motherName": "Sri Wahjoeni",
    }
    candidates = _ok(system, OFFICER, MATCH, record=record)["matchIdentity"]["candidates"]
    # A person registered outside Batam is listed without `person` (docs/identity-resolution.md).
    assert "Muhammad Joko Sutrisno" in [c["person"]["name"] for c in candidates if c["person"]]
    bad = system.body(OFFICER, RESOLUTION, MATCH, record={"birthDate": "2014-02-30"})
    assert bad["data"] == {"matchIdentity": None}
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert bad["errors"][0]["extensions"]["field"] == "birthDate"


@pytest.mark.parametrize(
    ("user", "purpose", "code"),
    [
        ("dinsos-pekanbaru", "child.protection", "FORBIDDEN"),
        ("pkh-coord-pekanbaru", "child.protection", "FORBIDDEN"),
        ("balai-rumbai-supervisor", "case.management", "FORBIDDEN"),
        ("auditor", "audit", "FORBIDDEN"),
        # Disdukcapil itself, for civil registration: the purpose does not reach identity.reports.
        (OFFICER, "civil.registration", "PURPOSE_NOT_ALLOWED"),
    ],
)
def test_other_roles_and_purposes_are_refused_the_whole_api(
    system: System, user: str, purpose: str, code: str
) -> None:
    for query, variables, name in (
        (QUEUE, {}, "identityWorkQueue"),
        (CANDIDATES, {"id": STORY}, "identityCandidates"),
        (MATCH, {"record": {"name": "Joko"}}, "matchIdentity"),
        (DECISIONS, {"id": STORY}, "identityDecisions"),
    ):
        body = system.body(user, purpose, query, **variables)
        assert body["data"] == {name: None}, (user, name)
        assert body["errors"][0]["extensions"]["code"] == code, (user, name, body["errors"])
        assert body["errors"][0]["extensions"]["category"] == "identity.reports"


DECIDE = [
    ("""mutation { rejectIdentityCandidate(childId: "ANK000000002", nik: "2171091708140001",
                   reason: "r") { id nik } }""", "rejectIdentityCandidate"),
    ("""mutation { startRegistration(childId: "ANK000000002", reason: "r") { id nik } }""",
     "startRegistration"),
    ("""mutation { undoIdentityDecision(decisionId: "1", reason: "r") { id nik } }""",
     "undoIdentityDecision"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("user", "purpose", "code"),
    [
        ("dinsos-pekanbaru", "child.protection", "FORBIDDEN"),
        ("balai-rumbai-supervisor", "case.management", "FORBIDDEN"),
        (OFFICER, "civil.registration", "PURPOSE_NOT_ALLOWED"),
        (SUPERVISOR, "civil.registration", "PURPOSE_NOT_ALLOWED"),
    ],
)
def test_decisions_are_refused_before_they_are_sent(
    system: System, user: str, purpose: str, code: str
) -> None:
    before = _ok(system, SUPERVISOR, DECISIONS, id=STORY)["identityDecisions"]
    for mutation, name in DECIDE:
        body = system.body(user, purpose, mutation)
        assert body["data"] == {name: None}, (user, name)
        # Undoing is a supervisor's: the officer has no right to it under any purpose.
        expected = "FORBIDDEN" if (user, name) == (OFFICER, "undoIdentityDecision") else code
        assert body["errors"][0]["extensions"]["code"] == expected, (user, name, body["errors"])
    assert _ok(system, SUPERVISOR, DECISIONS, id=STORY)["identityDecisions"] == before


def test_a_decision_about_a_child_outside_jurisdiction_is_not_found(system: System) -> None:
    # ANK000000001 lives in Pekanbaru: for Batam's officer there is no such child.
    body = system.body(
        OFFICER,
        RESOLUTION,
        """mutation { startRegistration(childId: "ANK000000001", reason: "not mine") { id nik } }""",
    )
    assert body["data"] == {"startRegistration": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert _ok(system, OFFICER, CANDIDATES, id="ANK000000001") == {"identityCandidates": None}


ACCESS_LOG = """query($filter: AccessLogFilter) { accessLog(filter: $filter, first: 100) {
  nodes { actor { subject role } purpose operationName
          children { childId found } changes { entity id action } } } }"""


def test_a_childs_candidates_are_in_the_access_log_under_the_child(system: System) -> None:
    _ok(
        system,
        OFFICER,
        "query Candidates($id: ID!) { identityCandidates(childId: $id) { modelVersion } }",
        id=STORY,
    )
    _ok(
        system,
        OFFICER,
        'query Elsewhere { identityCandidates(childId: "ANK000000001") { modelVersion } }',
    )
    for child, operation, found in (
        (STORY, "Candidates", True),
        ("ANK000000001", "Elsewhere", False),
    ):
        log = system.body("auditor", "audit", ACCESS_LOG, filter={"childId": child})
        assert "errors" not in log, log
        (entry,) = [e for e in log["data"]["accessLog"]["nodes"] if e["operationName"] == operation]
        assert entry["actor"]["subject"] == OFFICER
        assert entry["children"] == [{"childId": child, "found": found}]


def test_each_decision_is_in_the_access_log_under_the_child(system: System) -> None:
    reason = "Registry has no such boy; the family never registered."
    decided = system.body(
        OFFICER,
        RESOLUTION,
        """mutation Register($id: ID!, $reason: String!) {
          startRegistration(childId: $id, reason: $reason) { id kind nik } }""",
        id=STORY,
        reason=reason,
    )
    assert "errors" not in decided, decided
    decision_id = decided["data"]["startRegistration"]["id"]
    log = system.body("auditor", "audit", ACCESS_LOG, filter={"childId": STORY})
    assert "errors" not in log, log
    entries = [e for e in log["data"]["accessLog"]["nodes"] if e["operationName"] == "Register"]
    assert len(entries) == 1
    (entry,) = entries
    assert entry["actor"] == {"subject": OFFICER, "role": "disdukcapil_officer"}
    assert entry["purpose"] == RESOLUTION
    assert {"childId": STORY, "found": True} in entry["children"]
    assert {"entity": "IdentityDecision", "id": decision_id, "action": "NEW_REGISTRATION"} in [
        {k: c[k] for k in ("entity", "id", "action")} for c in entry["changes"]
    ]


def test_the_nik_a_decision_names_is_in_the_access_log_as_a_keyed_hash(system: System) -> None:
    """Who linked or rejected a registry person can be found with the lookup key; the log alone
    gives no NIK away. (A valid NIK no registry person has: refused, nothing written.)"""
    import hashlib
    import hmac
    import sqlite3

    nik = "2171091708149999"
    key = (system.data_dir / "audit-lookup-key").read_bytes().strip()
    expected = hmac.new(key, nik.encode(), hashlib.sha256).hexdigest()
    for name, mutation in (
        ("Link", "linkNik(childId: $id, nik: $nik, reason: $reason) { id }"),
        ("Reject", "rejectIdentityCandidate(childId: $id, nik: $nik, reason: $reason) { id nik }"),
    ):
        query = f"mutation {name}($id: ID!, $nik: String!, $reason: String!) {{ {mutation} }}"
        body = system.body(OFFICER, RESOLUTION, query, id=STORY, nik=nik, reason="r")
        extensions = body["errors"][0]["extensions"]
        assert (extensions["code"], extensions["field"]) == ("BAD_USER_INPUT", "nik")
    path = system.data_dir / "audit.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        bodies = [body for (body,) in db.execute("SELECT body FROM audit_entry ORDER BY seq")]
    records = [orjson.loads(b) for b in bodies]
    for name, argument in (
        ("Link", "Mutation.linkNik.nik"),
        ("Reject", "Mutation.rejectIdentityCandidate.nik"),
    ):
        record = [r for r in records if r["operation"].get("name") == name][-1]
        assert {"argument": argument, "hmac": expected} in record["lookups"]
    assert not any(nik.encode() in b for b in bodies)


def test_a_typed_in_match_is_in_the_access_log_with_who_asked_and_why(system: System) -> None:
    """Who asked and for which purpose are recorded for a typed-in match — and nothing typed;
    an answer that shows no NIK adds no lookup."""
    import sqlite3

    record = {"name": "Moehammad Djoko Soetrisno", "motherName": "Sri Wahjoeni"}
    _ok(
        system,
        OFFICER,
        "query Counter($record: IdentityRecordInput!) { matchIdentity(record: $record) {"
        " candidates { score } } }",
        record=record,
    )
    log = system.body("auditor", "audit", ACCESS_LOG, filter={"actor": OFFICER})
    assert "errors" not in log, log
    (entry,) = [e for e in log["data"]["accessLog"]["nodes"] if e["operationName"] == "Counter"]
    assert entry["actor"] == {"subject": OFFICER, "role": "disdukcapil_officer"}
    assert entry["purpose"] == RESOLUTION
    path = system.data_dir / "audit.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        bodies = [body for (body,) in db.execute("SELECT body FROM audit_entry")]
    assert not any(b"Wahjoeni" in body for body in bodies)
    (counter,) = [orjson.loads(b) for b in bodies if b'"Counter"' in b]
    assert "lookups" not in counter


def test_the_registry_persons_a_typed_in_match_showed_are_in_the_access_log(
    system: System,
) -> None:
    """Which registry records the officer saw is answerable with the lookup key: each NIK the
    answer showed (`[audit] shown_identifiers`), under its alias too, is in the request's record as
    a keyed hash, once; the persons shown without their record (another region's) are not; the
    log alone gives no NIK away."""
    import hashlib
    import hmac
    import sqlite3

    record = {"name": "Moehammad Djoko Soetrisno", "sex": "L", "birthYear": 2014}
    answer = _ok(
        system,
        OFFICER,
        "query Shown($record: IdentityRecordInput!) { matchIdentity(record: $record, top: 10) {"
        " candidates { band person { nik name } again: person { id: nik } } } }",
        record=record,
    )["matchIdentity"]["candidates"]
    niks = {c["person"]["nik"] for c in answer if c["person"]}
    assert niks, answer  # the boy's record at least (Batam)
    assert {c["again"]["id"] for c in answer if c["again"]} == niks
    key = (system.data_dir / "audit-lookup-key").read_bytes().strip()
    expected = sorted(hmac.new(key, n.encode(), hashlib.sha256).hexdigest() for n in niks)
    path = system.data_dir / "audit.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        bodies = [body for (body,) in db.execute("SELECT body FROM audit_entry ORDER BY seq")]
    (entry,) = [orjson.loads(b) for b in bodies if b'"Shown"' in b]
    assert entry["principal"]["subject"] == OFFICER and entry["purpose"] == RESOLUTION
    shown = [x for x in entry["lookups"] if "shown" in x]
    assert {x["shown"] for x in shown} == {"RegistryPerson.nik"}
    assert sorted(x["hmac"] for x in shown) == expected  # each once, none other
    assert "shownOmitted" not in entry
    assert not any(n.encode() in b for n in niks for b in bodies)


def test_the_niks_a_childs_decisions_showed_are_in_the_access_log(system: System) -> None:
    """A child's decisions name the registry persons decided about: the NIKs `identityDecisions`
    and a supervisor's undo answer (no argument names them) are in those requests' records as
    keyed hashes, like the persons a candidates list showed — "who was shown this person" must
    find the officer who read another's decisions, and the supervisor who undid one."""
    import hashlib
    import hmac
    import sqlite3

    answer = _ok(system, OFFICER, CANDIDATES, id=STORY)["identityCandidates"]["candidates"]
    nik = next(c["person"]["nik"] for c in answer if c["person"])
    rejected = _ok(
        system,
        OFFICER,
        """mutation($id: ID!, $nik: String!, $reason: String!) {
          rejectIdentityCandidate(childId: $id, nik: $nik, reason: $reason) { id nik } }""",
        id=STORY,
        nik=nik,
        reason="Another boy.",
    )["rejectIdentityCandidate"]
    undone = _ok(
        system,
        SUPERVISOR,
        """mutation UndoShown($id: ID!, $reason: String!) {
          undoIdentityDecision(decisionId: $id, reason: $reason) { id person: nik } }""",
        id=rejected["id"],
        reason="Checked: it may be him.",
    )["undoIdentityDecision"]
    assert undone["person"] == nik
    decided = _ok(
        system,
        SUPERVISOR,
        "query DecisionsShown($id: ID!) { identityDecisions(childId: $id) { kind nik } }",
        id=STORY,
    )["identityDecisions"]
    niks = {d["nik"] for d in decided if d["nik"]}
    assert nik in niks
    key = (system.data_dir / "audit-lookup-key").read_bytes().strip()
    path = system.data_dir / "audit.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        bodies = [body for (body,) in db.execute("SELECT body FROM audit_entry ORDER BY seq")]
    for name, shown in (("UndoShown", {nik}), ("DecisionsShown", niks)):
        (entry,) = [orjson.loads(b) for b in bodies if f'"{name}"'.encode() in b]
        hashed = {x["hmac"] for x in entry.get("lookups", ()) if "shown" in x}
        expected = {hmac.new(key, n.encode(), hashlib.sha256).hexdigest() for n in shown}
        assert hashed == expected, name
    assert not any(n.encode() in b for n in niks for b in bodies)


def test_a_registry_person_read_without_its_nik_is_refused_and_recorded(system: System) -> None:
    """The access log names the persons an answer showed by their NIK: a client reading a
    person's record without selecting `nik` would be shown someone no record names, so the
    gateway refuses it before anything runs (IDENTIFIER_REQUIRED, 400 under the GraphQL-over-HTTP
    media type) and records the refusal; with `nik`, the same read is answered and the NIKs it
    showed are in its record."""
    import hashlib
    import hmac
    import sqlite3

    import httpx

    record = {"name": "Moehammad Djoko Soetrisno", "sex": "L", "birthYear": 2014}
    without = """query NoNik($record: IdentityRecordInput!) { matchIdentity(record: $record) {
      candidates { band person { name birthDate motherName } } } }"""
    response = httpx.post(
        f"http://127.0.0.1:{system.base}/graphql",
        json={"query": without, "variables": {"record": record}},
        headers={
            "authorization": f"Bearer {system.token(OFFICER)}",
            "x-satu-anak-purpose": RESOLUTION,
            "accept": "application/graphql-response+json",
        },
        timeout=30,
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "IDENTIFIER_REQUIRED"
    assert error["message"].startswith("RegistryPerson.name is selected without RegistryPerson.nik")
    # Under application/json a request error is 200, as for validation (the spec's legacy rule).
    legacy = system.ask(OFFICER, RESOLUTION, without, {"record": record})
    assert legacy.status_code == 200
    assert legacy.json()["errors"][0]["extensions"]["code"] == "IDENTIFIER_REQUIRED"

    with_nik = without.replace("NoNik", "WithNik").replace("motherName", "motherName nik")
    answer = _ok(system, OFFICER, with_nik, record=record)["matchIdentity"]["candidates"]
    niks = {c["person"]["nik"] for c in answer if c["person"]}
    assert niks and all(c["person"]["name"] for c in answer if c["person"])

    key = (system.data_dir / "audit-lookup-key").read_bytes().strip()
    path = system.data_dir / "audit.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        bodies = [body for (body,) in db.execute("SELECT body FROM audit_entry ORDER BY seq")]
    # Refused in preparing, like a validation refusal: recorded with its code, no operation.
    entries = [orjson.loads(b) for b in bodies]
    refused = [e for e in entries if e.get("refusal") == "IDENTIFIER_REQUIRED"]
    assert [(e["status"], e["outcome"], e["refusal"]) for e in refused] == [
        (400, "refused", "IDENTIFIER_REQUIRED"),
        (200, "refused", "IDENTIFIER_REQUIRED"),
    ]
    assert all(e["principal"]["subject"] == OFFICER and "lookups" not in e for e in refused)
    (answered,) = [e for e in entries if (e.get("operation") or {}).get("name") == "WithNik"]
    assert answered["outcome"] == "answered"
    assert {x["hmac"] for x in answered["lookups"] if "shown" in x} == {
        hmac.new(key, n.encode(), hashlib.sha256).hexdigest() for n in niks
    }
