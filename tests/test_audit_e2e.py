"""The audit trail end to end, on the system `satu-anak up` starts (real HTTP, real tokens, the
consent service's real access log in SQLite): one record per request — answered, partial or
refused — written before the answer, naming who, why, which child, what was disclosed on which
legal basis and what withheld; auditors read it through the gateway; the store down means no data
served; two gateways append to one chain without forks or gaps; `satu-anak audit verify` passes
on it and catches tampering on a copy."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from satu_anak.ports import issuer_port, subgraph_ports
from tests.ports import free_base_port
from tests.system_support import System, running_system

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CHILD_QUERY = """query Picture($id: ID!) { child(id: $id) {
  name nik welfare { decile } complaints { status } cases { caseNumber status assessments { riskLevel } }
} }"""


NO_RATE_LIMIT = {"SATU_ANAK_RATE_LIMIT": "off"}


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    # Rate limits off: one test hammers the chain with 300 requests of one user at once (a load
    # test of the log, not of the edge; tests/gateway/test_edge.py tests the limits).
    with running_system(
        tmp_path_factory.mktemp("satu-anak"), free_base_port(33_000), environ=NO_RATE_LIMIT
    ) as running:
        yield running


def entries(system: System) -> list[dict[str, Any]]:
    """The access log's entries as the store holds them (read-only, real SQL)."""
    path = system.data_dir / "audit.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT seq, body FROM audit_entry ORDER BY seq").fetchall()
    assert [seq for seq, _ in rows] == list(range(1, len(rows) + 1))
    return [orjson.loads(body) for _, body in rows]


def raw_log(system: System) -> bytes:
    path = system.data_dir / "audit.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return b"".join(body for (body,) in db.execute("SELECT body FROM audit_entry"))


def post(system: System, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"http://127.0.0.1:{system.base}/graphql", json=body, headers=headers, timeout=30
    )


def user_headers(system: System, user: str, purpose: str) -> dict[str, str]:
    return {"authorization": f"Bearer {system.token(user)}", "x-satu-anak-purpose": purpose}


def satu_anak(system: System, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SATU_ANAK_DATA_DIR": str(system.data_dir)}
    env.pop("SATU_ANAK_AUDIT_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "satu_anak.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_request_leaves_exactly_one_record(system: System) -> None:
    before = len(entries(system))
    dinsos = user_headers(system, "dinsos-pekanbaru", "child.protection")
    responses = {
        "answered": post(system, {"query": "{ balaiList { code } }"}, dinsos),
        "partial": post(
            system, {"query": CHILD_QUERY, "variables": {"id": "ANK000000003"}}, dinsos
        ),
        "bad token": post(
            system, {"query": "{ balaiList { code } }"}, {**dinsos, "authorization": "Bearer x.y.z"}
        ),
        "no token": post(system, {"query": "{ balaiList { code } }"}, {}),
        "purpose": post(
            system,
            {"query": "{ balaiList { code } }"},
            {**dinsos, "x-satu-anak-purpose": "identity.resolution"},
        ),
        "parse error": post(system, {"query": "{ child("}, dinsos),
        "invalid": post(system, {"query": "{ noSuchField }"}, dinsos),
        "get": httpx.get(
            f"http://127.0.0.1:{system.base}/graphql",
            params={"query": "{ balaiList { code } }"},
            headers=dinsos,
            timeout=30,
        ),
    }
    after = entries(system)
    new = after[before:]
    assert len(new) == len(responses)
    by_request = {e["requestId"]: e for e in new}
    ids = {name: r.headers["x-request-id"] for name, r in responses.items()}
    assert set(ids.values()) == set(by_request)
    outcome = {name: by_request[ids[name]]["outcome"] for name in responses}
    assert outcome == {
        "answered": "answered",
        "partial": "partial",  # a Dinsos officer is refused the Balai's assessments
        "bad token": "refused",
        "no token": "refused",
        "purpose": "refused",
        "parse error": "refused",
        "invalid": "refused",
        "get": "answered",
    }
    refused = by_request[ids["bad token"]]
    assert refused["status"] == 401 and refused["principal"] is None
    assert refused["refusal"] == "UNAUTHENTICATED"
    purpose = by_request[ids["purpose"]]
    assert purpose["status"] == 403 and purpose["refusal"] == "PURPOSE_NOT_ALLOWED"
    assert purpose["principal"]["subject"] == "dinsos-pekanbaru"  # refused, but whose it was
    assert by_request[ids["invalid"]]["refusal"] == "GRAPHQL_VALIDATION_FAILED"
    assert by_request[ids["partial"]]["codes"]
    # Which subgraphs were asked; a query changes nothing.
    answered = by_request[ids["answered"]]
    assert answered["subgraphs"] == ["balai"] and "changes" not in answered
    assert "subgraphs" not in refused


def test_a_record_says_who_why_which_child_what_on_which_legal_basis(system: System) -> None:
    # The PKH coordinator sees ANK000000003's case summary on the guardian's consent no. 3; the
    # assessments (protection.detail) are never a PKH role's.
    response = post(
        system,
        {"query": CHILD_QUERY, "variables": {"id": "ANK000000003"}, "operationName": "Picture"},
        user_headers(system, "pkh-coord-pekanbaru", "child.protection"),
    )
    assert response.status_code == 200
    record = next(e for e in entries(system) if e["requestId"] == response.headers["x-request-id"])
    assert record["principal"]["subject"] == "pkh-coord-pekanbaru"
    assert record["principal"]["role"] == "pkh_coordinator"
    assert record["purpose"] == "child.protection"
    assert record["operation"] == {
        "type": "query",
        "name": "Picture",
        "sha256": hashlib.sha256(CHILD_QUERY.encode()).hexdigest(),
    }
    (child,) = record["children"]
    assert child["id"] == "ANK000000003" and child["found"] is True
    assert child["disclosed"]["protection.summary"] == "consent:3"
    assert child["disclosed"]["identity.basic"] == "mandate"
    # Never a PKH role's: removed before planning, for whichever child — recorded for the request.
    assert record["withheld"]["protection.detail"] == "FORBIDDEN"
    assert record["withheld"]["dinsos.complaints"] == "FORBIDDEN"
    assert "withheld" not in child or "protection.detail" not in child["withheld"]
    assert record["outcome"] == "partial"


def test_a_break_glass_use_is_recorded_with_its_grant(system: System) -> None:
    # The seeded grant no. 1: the unassigned Rumbai caseworker on ANK000000001, not reviewed; it
    # lifts the consent cells (the family's social registry, Dinsos complaints), not the
    # assessments (those need the assignment).
    response = post(
        system,
        {"query": CHILD_QUERY, "variables": {"id": "ANK000000001"}},
        user_headers(system, "balai-rumbai-unassigned", "case.management"),
    )
    record = next(e for e in entries(system) if e["requestId"] == response.headers["x-request-id"])
    (child,) = record["children"]
    assert child["disclosed"]["welfare.registry"] == "break_glass:1"
    assert child["disclosed"]["dinsos.complaints"] == "break_glass:1"
    assert child["disclosed"]["protection.summary"] == "mandate"  # Rumbai's own case
    assert child["withheld"]["protection.detail"] == "ASSIGNMENT_REQUIRED"


def test_a_child_outside_jurisdiction_is_recorded_as_not_found(system: System) -> None:
    # ANK000000005 lives in Kota Kupang: not the Pekanbaru officer's.
    response = post(
        system,
        {"query": CHILD_QUERY, "variables": {"id": "ANK000000005"}},
        user_headers(system, "dinsos-pekanbaru", "child.protection"),
    )
    assert response.json()["data"] == {"child": None}
    record = next(e for e in entries(system) if e["requestId"] == response.headers["x-request-id"])
    assert record["children"] == [{"id": "ANK000000005", "found": False}]


def test_a_nik_is_recorded_only_as_a_keyed_hash(system: System) -> None:
    nik = "1471101405120001"
    response = post(
        system,
        {"query": f'{{ childByNik(nik: "{nik}") {{ id }} }}'},
        user_headers(system, "disdukcapil-batam", "identity.resolution"),
    )
    assert response.status_code == 200
    record = next(e for e in entries(system) if e["requestId"] == response.headers["x-request-id"])
    key = (system.data_dir / "audit-lookup-key").read_bytes().strip()
    assert record["lookups"] == [
        {
            "argument": "Query.childByNik.nik",
            "hmac": hmac.new(key, nik.encode(), hashlib.sha256).hexdigest(),
        }
    ]
    # A NIK typed where a child's index id goes is not taken for an id: hashed as well.
    wrong = post(
        system,
        {"query": "query($id: ID!) { child(id: $id) { name } }", "variables": {"id": nik}},
        user_headers(system, "dinsos-pekanbaru", "child.protection"),
    )
    record = next(e for e in entries(system) if e["requestId"] == wrong.headers["x-request-id"])
    assert record["lookups"] == [
        {
            "argument": "Query.child.id",
            "hmac": hmac.new(key, nik.encode(), hashlib.sha256).hexdigest(),
        }
    ]
    assert "children" not in record
    # ...and in a write naming a child, and in a root field inside a fragment.
    until = "2030-01-01T00:00:00+00:00"
    write = post(
        system,
        {
            "query": "mutation($c: ID!, $u: DateTime!) { requestBreakGlass(childId: $c, "
            'justification: "x", expiresAt: $u) { id } }',
            "variables": {"c": nik, "u": until},
        },
        user_headers(system, "dinsos-pekanbaru", "case.management"),
    )
    record = next(e for e in entries(system) if e["requestId"] == write.headers["x-request-id"])
    assert {
        "argument": "subject",
        "hmac": hmac.new(key, nik.encode(), hashlib.sha256).hexdigest(),
    } in record["lookups"]
    assert "children" not in record
    fragment = post(
        system,
        {"query": f'{{ ... on Query {{ childByNik(nik: "{nik}") {{ id }} }} }}'},
        user_headers(system, "disdukcapil-batam", "identity.resolution"),
    )
    record = next(e for e in entries(system) if e["requestId"] == fragment.headers["x-request-id"])
    assert [x["argument"] for x in record["lookups"]] == ["Query.childByNik.nik"]
    assert nik.encode() not in raw_log(system)


ACCESS_LOG = """query($filter: AccessLogFilter, $first: Int!, $after: String) {
  accessLog(filter: $filter, first: $first, after: $after) {
    totalCount hasNextPage endCursor
    nodes { seq requestId actor { subject role } purpose outcome
            children { childId found disclosed { category basis } withheld { category code } } }
  } }"""


def read_log(system: System, **variables: Any) -> dict[str, Any]:
    variables.setdefault("first", 20)
    body = system.body("auditor", "audit", ACCESS_LOG, **variables)
    assert "errors" not in body, body
    log: dict[str, Any] = body["data"]["accessLog"]
    return log


def test_auditors_read_the_log_through_the_gateway_and_are_recorded_too(system: System) -> None:
    post(
        system,
        {"query": CHILD_QUERY, "variables": {"id": "ANK000000003"}},
        user_headers(system, "pkh-coord-pekanbaru", "child.protection"),
    )
    about = [
        e for e in entries(system) if any(c["id"] == "ANK000000003" for c in e.get("children", ()))
    ]
    log = read_log(system, filter={"childId": "ANK000000003"}, first=2)
    assert log["totalCount"] == len(about)
    assert [n["seq"] for n in log["nodes"]] == sorted((e["seq"] for e in about), reverse=True)[:2]
    if log["hasNextPage"]:
        rest = read_log(
            system, filter={"childId": "ANK000000003"}, first=50, after=log["endCursor"]
        )
        assert len(log["nodes"]) + len(rest["nodes"]) == len(about)
    mine = read_log(system, filter={"actor": "pkh-coord-pekanbaru", "basis": "consent:3"})
    assert mine["nodes"] and all(
        n["actor"]["subject"] == "pkh-coord-pekanbaru" for n in mine["nodes"]
    )
    # The auditor's own reads are in the log, as the auditor's, for purpose audit.
    reads = read_log(system, filter={"actor": "auditor"})
    assert reads["totalCount"] >= 3
    assert all(n["purpose"] == "audit" for n in reads["nodes"])
    # Nobody else reads it.
    refused = system.body("dinsos-pekanbaru", "child.protection", "{ accessLog { totalCount } }")
    assert refused["data"] == {"accessLog": None}
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_break_glass_uses_awaiting_review_and_their_review(system: System) -> None:
    post(
        system,
        {"query": CHILD_QUERY, "variables": {"id": "ANK000000001"}},
        user_headers(system, "balai-rumbai-unassigned", "case.management"),
    )
    awaiting = read_log(system, filter={"breakGlassAwaitingReview": True}, first=100)
    assert awaiting["nodes"]
    assert {n["actor"]["subject"] for n in awaiting["nodes"]} == {"balai-rumbai-unassigned"}
    reviewed = system.body(
        "balai-rumbai-supervisor",
        "case.management",
        'mutation { reviewBreakGlass(grantId: "1", decision: APPROVED, note: "checked") { reviewState } }',
    )
    assert reviewed["data"]["reviewBreakGlass"] == {"reviewState": "APPROVED"}, reviewed
    review = entries(system)[-1]
    assert review["principal"]["subject"] == "balai-rumbai-supervisor"
    assert review["operation"]["type"] == "mutation"
    # What it changed, as the consent service reported it (the client selected no id).
    assert review["changes"] == [
        {
            "subgraph": "consent",
            "entity": "BreakGlassGrant",
            "id": "1",
            "action": "reviewed: APPROVED",
        }
    ]
    assert "consent" in review["subgraphs"]
    assert read_log(system, filter={"breakGlassAwaitingReview": True})["totalCount"] == 0


def test_the_audit_store_down_means_no_data_served(system: System) -> None:
    headers = user_headers(system, "dinsos-pekanbaru", "child.protection")
    query = {"query": CHILD_QUERY, "variables": {"id": "ANK000000003"}}
    before = len(entries(system))
    path = system.data_dir / "audit.db"
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE audit_entry RENAME TO audit_entry_away")
    try:
        response = post(system, query, headers)
        assert response.status_code == 503
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
        assert b"ANK000000003" not in response.content
    finally:
        with sqlite3.connect(path) as db:
            db.execute("ALTER TABLE audit_entry_away RENAME TO audit_entry")
    served = post(system, query, headers)
    assert served.status_code == 200 and served.json()["data"]["child"]["name"]
    assert len(entries(system)) == before + 1  # the refused one left nothing half-written


def test_two_gateways_append_to_one_chain_without_forks_or_gaps(
    system: System, tmp_path: Path
) -> None:
    second = _second_gateway(system, tmp_path)
    try:
        before = len(entries(system))
        headers = user_headers(system, "dinsos-pekanbaru", "child.protection")
        ports = (system.base, second[1])

        async def hammer() -> list[httpx.Response]:
            limits = httpx.Limits(max_connections=100)
            async with httpx.AsyncClient(timeout=60, limits=limits) as client:
                return await asyncio.gather(
                    *(
                        client.post(
                            f"http://127.0.0.1:{ports[i % 2]}/graphql",
                            json={
                                "query": CHILD_QUERY,
                                "variables": {"id": f"ANK{1 + i % 40:09d}"},
                            },
                            headers=headers,
                        )
                        for i in range(300)
                    )
                )

        responses = asyncio.run(hammer())
        assert [r.status_code for r in responses] == [200] * 300
        new = entries(system)[before:]  # entries() asserts the seqs have no gap
        assert len(new) == 300
        assert {e["requestId"] for e in new} == {r.headers["x-request-id"] for r in responses}
    finally:
        second[0].terminate()
        second[0].wait(timeout=30)
    checkpoint = tmp_path / "checkpoint.txt"
    made = satu_anak(system, "audit", "checkpoint", "--out", str(checkpoint))
    assert made.returncode == 0, made.stderr
    verified = satu_anak(system, "audit", "verify", "--checkpoint", str(checkpoint))
    assert verified.returncode == 0, verified.stderr
    assert "ok" in verified.stdout


def test_audit_verify_catches_an_altered_record_in_a_copy_of_the_log(
    system: System, tmp_path: Path
) -> None:
    copy = tmp_path / "audit-copy.db"
    with sqlite3.connect(system.data_dir / "audit.db") as source, sqlite3.connect(copy) as target:
        source.backup(target)
    assert satu_anak(system, "audit", "verify", "--database", f"sqlite:///{copy}").returncode == 0
    with sqlite3.connect(copy) as db:
        body = db.execute("SELECT body FROM audit_entry WHERE seq = 2").fetchone()[0]
        db.execute(
            "UPDATE audit_entry SET body = ? WHERE seq = 2",
            (body.replace(b'"outcome":"', b'"outcome":"x'),),
        )
    result = satu_anak(system, "audit", "verify", "--database", f"sqlite:///{copy}")
    assert result.returncode == 1
    assert "record 2: altered" in result.stderr


def _second_gateway(system: System, tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Another gateway process over the same subgraphs and access log, as a second replica."""
    base = free_base_port(36_000)
    ports = subgraph_ports(system.base)
    env = {
        **os.environ,
        "SATU_ANAK_DATA_DIR": str(system.data_dir),
        **NO_RATE_LIMIT,
        "SATU_ANAK_AUTH_ISSUER": f"http://127.0.0.1:{issuer_port(system.base)}",
        "SATU_ANAK_GRANT_KEY": str(system.data_dir / "gateway-grant-key.pem"),
        "SATU_ANAK_AUDIT_URL": f"http://127.0.0.1:{ports['consent']}/audit/append",
        "SATU_ANAK_AUDIT_LOOKUP_KEY": str(system.data_dir / "audit-lookup-key"),
        **{
            f"SATU_ANAK_{name.upper()}_SUBGRAPH_URL": f"http://127.0.0.1:{port}/graphql"
            for name, port in ports.items()
        },
    }
    log = (tmp_path / "gateway2.log").open("w")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "satu_anak.cli", "gateway"),
            *("--config", str(ROOT / "config" / "gateway.toml"), "--port", str(base)),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{base}/health", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError((tmp_path / "gateway2.log").read_text()[-3000:])
        time.sleep(0.2)


GUARDIAN_VIEW = """query($child: ID!) { guardianAccessView(childId: $child) {
  setting { enabled reason setBy }
  entries { agency unit purpose bases categories }
} }"""
SWITCH = """mutation($child: ID!, $on: Boolean!, $reason: String!) {
  setGuardianAccessView(childId: $child, enabled: $on, reason: $reason) { enabled setBy } }"""


def test_the_guardian_view_is_switched_per_child_and_off_for_a_suspected_abuser(
    system: System,
) -> None:
    child = "ANK000000003"
    view = system.body("auditor", "audit", GUARDIAN_VIEW, child=child)
    assert view["data"]["guardianAccessView"] == {"setting": None, "entries": []}  # off by default
    on = system.body(
        "dinsos-pekanbaru",
        "child.protection",
        SWITCH,
        child=child,
        on=True,
        reason="asked by mother",
    )
    assert on["data"]["setGuardianAccessView"] == {"enabled": True, "setBy": "dinsos-pekanbaru"}
    post(
        system,
        {"query": CHILD_QUERY, "variables": {"id": child}},
        user_headers(system, "pkh-coord-pekanbaru", "child.protection"),
    )
    shown = system.body("auditor", "audit", GUARDIAN_VIEW, child=child)["data"][
        "guardianAccessView"
    ]["entries"]
    newest = shown[0]
    # Agency, unit, purpose, kinds of basis and categories — never who or what query.
    assert newest["agency"] == "pkh" and newest["purpose"] == "child.protection"
    assert "consent" in newest["bases"] and "protection.summary" in newest["categories"]
    assert set(newest) == {"agency", "unit", "purpose", "bases", "categories"}
    off = system.body(
        "peksos-pekanbaru",
        "child.protection",
        SWITCH,
        child=child,
        on=False,
        reason="complaint names the mother as the abuser",
    )
    assert off["data"]["setGuardianAccessView"]["enabled"] is False
    hidden = system.body("auditor", "audit", GUARDIAN_VIEW, child=child)["data"][
        "guardianAccessView"
    ]
    assert hidden["entries"] == []
    assert hidden["setting"]["reason"] == "complaint names the mother as the abuser"
    # The switch is a write in the chain like any other, by whom it was made.
    switched = [
        e
        for e in entries(system)
        if e.get("operation", {}).get("type") == "mutation"
        and any(c["id"] == child for c in e.get("children", ()))
        and e["principal"]["subject"] in ("dinsos-pekanbaru", "peksos-pekanbaru")
    ]
    assert len(switched) == 2
    # Each record says what it changed, as the consent service reported it.
    assert [e["changes"] for e in switched] == [
        [{"subgraph": "consent", "entity": "GuardianViewSetting", "id": child, "action": a}]
        for a in ("switched on", "switched off")
    ]
    # Nobody else switches it; a child outside the officer's region is not found.
    pkh = system.body(
        "pkh-coord-pekanbaru", "child.protection", SWITCH, child=child, on=True, reason="x"
    )
    assert pkh["data"] == {"setGuardianAccessView": None}
    assert pkh["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    outside = system.body(
        "dinsos-pekanbaru", "child.protection", SWITCH, child="ANK000000005", on=True, reason="x"
    )
    assert outside["errors"][0]["extensions"]["code"] == "NOT_FOUND"
