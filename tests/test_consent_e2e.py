"""Consent end to end: `satu-anak up` (five subgraphs, the development issuer, the gateway with
config/gateway.toml) over freshly seeded data, asked over real HTTP with the sample users' real
signed tokens. For each role and purpose: which categories of the planted children come back and
which are null with which code — no leak, no over-denial; jurisdiction; per-case decisions in one
`cases` list; lookups as reads; SPPA; break-glass; a revocation on the next request; writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.ports import free_base_port
from tests.system_support import System, running_system

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("satu-anak"), free_base_port(31_000)) as running:
        yield running


def _denials(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Denied paths -> (code, category)."""
    return {
        ".".join(map(str, e["path"])): (e["extensions"]["code"], e["extensions"].get("category"))
        for e in body.get("errors", [])
    }


def _errors_at(body: dict[str, Any], path: str) -> list[tuple[str, str, str | None]]:
    """(code, category, serviceName) of every error at `path`: one, where only the gateway
    denied; two, where a subgraph's refusal came back too."""
    return [
        (
            e["extensions"]["code"],
            e["extensions"].get("category"),
            e["extensions"].get("serviceName"),
        )
        for e in body.get("errors", [])
        if ".".join(map(str, e["path"])) == path
    ]


PICTURE = """query($id: ID!) { child(id: $id) {
  name nik birthYear
  welfare { decile }
  pkh { family { kkNumber } compliance { latestCompliant } }
  pkhCompliance { consecutiveNonCompliantPeriods latestCompliant }
  complaints { status }
  cases { caseNumber status ampkCategory assessments { riskLevel } }
  protectionFlag { message }
} }"""

F, P, C, A = "FORBIDDEN", "PURPOSE_NOT_ALLOWED", "CONSENT_REQUIRED", "ASSIGNMENT_REQUIRED"


@pytest.mark.parametrize(
    ("user", "purpose", "child", "shown", "denied"),
    [
        # ANK000000001: in conflict with the law (SPPA), open Rumbai case, PKH family of the
        # Pekanbaru pendamping.
        (
            "pkh-fac-pekanbaru",
            "pkh.verification",
            "ANK000000001",
            # SPPA: no membership (the family list names the family), his compliance all the same.
            {"name", "birthYear", "welfare", "pkhCompliance", "protectionFlag"},
            {
                "nik": (F, "identity.full"),
                "pkh": (F, "pkh.membership"),
                "complaints": (F, "dinsos.complaints"),
                "cases": (P, "protection.summary"),
            },
        ),
        (
            "pkh-fac-pekanbaru",
            "child.protection",
            "ANK000000001",
            {"name", "birthYear", "welfare", "pkhCompliance", "protectionFlag"},
            # SPPA: a plain FORBIDDEN, never naming the rule, whatever consent exists.
            {
                "nik": (F, "identity.full"),
                "pkh": (F, "pkh.membership"),
                "complaints": (F, "dinsos.complaints"),
                "cases": (F, "protection.summary"),
            },
        ),
        (
            "pkh-coord-pekanbaru",
            "child.protection",
            "ANK000000001",
            {"name", "birthYear", "welfare", "pkhCompliance", "protectionFlag"},
            {
                "nik": (F, "identity.full"),
                "pkh": (F, "pkh.membership"),
                "complaints": (F, "dinsos.complaints"),
                "cases": (F, "protection.summary"),
            },
        ),
        (
            "dinsos-pekanbaru",
            "case.management",
            "ANK000000001",
            {"name", "nik", "birthYear", "welfare", "pkh", "complaints", "cases", "protectionFlag"},
            {
                "pkh.compliance": (F, "pkh.compliance"),
                "pkhCompliance": (F, "pkh.compliance"),
                "cases.0.assessments": (C, "protection.detail"),
            },
        ),
        (
            "balai-rumbai-assigned",
            "case.management",
            "ANK000000001",
            {"name", "nik", "birthYear", "pkh", "pkhCompliance", "cases", "protectionFlag"},
            {"welfare": (C, "welfare.registry"), "complaints": (C, "dinsos.complaints")},
        ),
        (
            "balai-rumbai-unassigned",
            "case.management",
            "ANK000000001",
            # The seeded break-glass grant of this caseworker lifts the consent cells.
            {
                "name",
                "nik",
                "birthYear",
                "welfare",
                "complaints",
                "pkh",
                "pkhCompliance",
                "cases",
                "protectionFlag",
            },
            {"cases.0.assessments": (A, "protection.detail")},
        ),
        # ANK000000003: open Rumbai case, closed Alyatama case, complaints answered by the
        # sample Sakti Peksos, consents to PKH for protection.summary.
        (
            "pkh-coord-pekanbaru",
            "child.protection",
            "ANK000000003",
            {
                "name",
                "nik",
                "birthYear",
                "welfare",
                "pkh",
                "pkhCompliance",
                "cases",
                "protectionFlag",
            },
            {
                "complaints": (F, "dinsos.complaints"),
                "cases.0.assessments": (F, "protection.detail"),
                "cases.1.assessments": (F, "protection.detail"),
            },
        ),
        (
            "peksos-pekanbaru",
            "case.management",
            "ANK000000003",
            # A responder to a complaint about the child has protection.detail by mandate.
            {"name", "nik", "birthYear", "welfare", "pkh", "complaints", "cases", "protectionFlag"},
            {"pkh.compliance": (F, "pkh.compliance"), "pkhCompliance": (F, "pkh.compliance")},
        ),
    ],
)
def test_each_role_sees_what_domain_md_says(
    system: System,
    user: str,
    purpose: str,
    child: str,
    shown: set[str],
    denied: dict[str, tuple[str, str]],
) -> None:
    body = system.body(user, purpose, PICTURE, id=child)
    picture = body["data"]["child"]
    assert picture is not None
    assert {k for k, v in picture.items() if v is not None} == shown
    assert _denials(body) == {f"child.{path}": code for path, code in denied.items()}


COMPLIANCE = """query($id: ID!) { child(id: $id) {
  name nik pkh { name family { kkNumber members { name } } }
  pkhCompliance { consecutiveNonCompliantPeriods latestCompliant }
  pkhLatestVerification { year period schoolAttendancePct compliant }
} }"""


@pytest.mark.parametrize(
    ("user", "purpose"),
    [("pkh-fac-pekanbaru", "pkh.verification"), ("pkh-coord-pekanbaru", "child.protection")],
)
def test_pkh_staff_check_an_sppa_childs_compliance_without_his_family(
    system: System, user: str, purpose: str
) -> None:
    # ANK000000001's attendance: 92 % and 90 %, then 72 % and 56 % (stories.py).
    body = system.body(user, purpose, COMPLIANCE, id="ANK000000001")
    assert body["data"]["child"] == {
        "name": "Rizky Saputra",
        "nik": None,
        "pkh": None,
        "pkhCompliance": {"consecutiveNonCompliantPeriods": 2, "latestCompliant": False},
        "pkhLatestVerification": {
            "year": 2026,
            "period": 3,
            "schoolAttendancePct": 56.45,
            "compliant": False,
        },
    }
    assert _denials(body) == {
        "child.nik": (F, "identity.full"),
        "child.pkh": (F, "pkh.membership"),
    }


def test_roles_without_pkh_compliance_are_refused_it(system: System) -> None:
    # The auditor sees no child data: the lookup itself is refused, naming each category asked.
    body = system.body("auditor", "audit", COMPLIANCE, id="ANK000000001")
    assert body["data"] == {"child": None}
    assert (F, "pkh.compliance", None) in _errors_at(body, "child")
    # Disdukcapil sees the child in its region, never his PKH data.
    body = system.body("disdukcapil-batam", "identity.resolution", COMPLIANCE, id="ANK000000002")
    picture = body["data"]["child"]
    assert picture["name"]
    assert picture["pkhCompliance"] is picture["pkhLatestVerification"] is None
    assert _denials(body) == {
        "child.pkh": (F, "pkh.membership"),
        "child.pkhCompliance": (F, "pkh.compliance"),
        "child.pkhLatestVerification": (F, "pkh.compliance"),
    }


def test_a_child_outside_jurisdiction_is_exactly_like_one_that_does_not_exist(
    system: System,
) -> None:
    for user, purpose in (
        ("pkh-fac-padang", "child.protection"),
        ("disdukcapil-batam", "identity.resolution"),
    ):
        outside = system.body(user, purpose, PICTURE, id="ANK000000001")
        missing = system.body(user, purpose, PICTURE, id="ANK999999999")
        assert outside == missing == {"data": {"child": None}}


def test_the_seeded_cases_for_region_and_other_balai(system: System) -> None:
    # ANK000000004: in the Pekanbaru pendamping's kecamatan, not in her families (not in PKH).
    body = system.body("pkh-fac-pekanbaru", "pkh.verification", PICTURE, id="ANK000000004")
    picture, denied = body["data"]["child"], _denials(body)
    assert picture["name"] and picture["welfare"] and picture["nik"] is None
    assert denied["child.nik"] == (F, "identity.full")
    assert denied["child.pkh"] == (F, "pkh.membership")
    # ANK000000005 (Kota Kupang) does not exist for any sample user with a region.
    for user, purpose in (
        ("pkh-fac-pekanbaru", "pkh.verification"),
        ("pkh-coord-pekanbaru", "child.protection"),
        ("disdukcapil-batam", "identity.resolution"),
        ("dinsos-pekanbaru", "case.management"),
        ("balai-rumbai-supervisor", "case.management"),
        ("balai-alyatama", "case.management"),
    ):
        outside = system.body(user, purpose, PICTURE, id="ANK000000005")
        assert outside == {"data": {"child": None}}, user
    # ANK000000006 (Kabupaten Siak, Riau): Rumbai finds him; his only case is Naibonat's, which
    # no agreement of Rumbai's shares (Naibonat is party to none): the case list is refused.
    for user in ("balai-rumbai-assigned", "balai-rumbai-supervisor"):
        body = system.body(user, "case.management", PICTURE, id="ANK000000006")
        picture, denied = body["data"]["child"], _denials(body)
        assert picture["name"] and picture["birthYear"], user
        assert picture["cases"] is None, user
        assert denied["child.cases"] == (C, "protection.summary"), user
        assert denied["child.nik"][1] == "identity.full", user  # no open case at Rumbai
    outside = system.body("balai-alyatama", "case.management", PICTURE, id="ANK000000006")
    assert outside == {"data": {"child": None}}


def test_one_cases_list_holds_cases_decided_one_by_one(system: System) -> None:
    # Rumbai's assigned caseworker: the Rumbai case in full; the Alyatama case's summary
    # through the Rumbai-Alyatama agreement, its detail never.
    body = system.body("balai-rumbai-assigned", "case.management", PICTURE, id="ANK000000003")
    cases = body["data"]["child"]["cases"]
    assert [c["caseNumber"][:6] for c in cases] == ["RUMBAI", "ALYATA"]
    assert cases[0]["assessments"] and cases[1]["assessments"] is None
    assert _denials(body)["child.cases.1.assessments"][0] == F
    # Balai was granted the Alyatama case's summary, not its detail (the grant lists only the
    # Rumbai case for protection.detail): its assessments are refused there and denied here,
    # with the gateway's error alone.
    assert _errors_at(body, "child.cases.1.assessments") == [(F, "protection.detail", None)]
    assert not [e for e in body.get("errors", []) if "serviceName" in e["extensions"]]


def test_the_auditor_gets_every_child_category_forbidden(system: System) -> None:
    body = system.body("auditor", "audit", PICTURE, id="ANK000000003")
    assert body["data"] == {"child": None}
    codes = {(e["extensions"]["code"], e["extensions"]["category"]) for e in body["errors"]}
    assert codes == {
        (F, c)
        for c in (
            "identity.basic",
            "identity.full",
            "welfare.registry",
            "pkh.membership",
            "pkh.compliance",
            "dinsos.complaints",
            "protection.summary",
            "protection.detail",
            "protection.flag",
        )
    }


def test_a_purpose_outside_the_role_is_refused_before_anything(system: System) -> None:
    response = system.ask("pkh-fac-pekanbaru", "case.management", PICTURE, {"id": "ANK000000001"})
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == P


def test_a_lookup_by_nik_reads_identity_full(system: System) -> None:
    nik = system.body("dinsos-pekanbaru", "case.management", PICTURE, id="ANK000000003")
    number = nik["data"]["child"]["nik"]
    query = "query($nik: String!) { childByNik(nik: $nik) { id name } }"
    found = system.body("dinsos-pekanbaru", "case.management", query, nik=number)
    assert found["data"]["childByNik"]["id"] == "ANK000000003"
    # The Padang pendamping may not look up by NIK outside her families: not found, and the
    # same for a NIK that exists and one that does not.
    padang = system.body("pkh-fac-padang", "pkh.verification", query, nik=number)
    assert padang["data"] == {"childByNik": None}


def test_a_write_without_the_right_is_refused_and_writes_nothing(system: System) -> None:
    open_case = """mutation { openCase(childId: "ANK000000003", balaiCode: "RUMBAI",
      caseworkerId: "2", ampkCategory: DISABILITY, openedOn: "2026-12-01") { id } }"""
    refused = system.body("pkh-fac-pekanbaru", "child.protection", open_case)
    assert refused["data"] is None or refused["data"].get("openCase") is None
    assert refused["errors"][0]["extensions"]["code"] == F
    after = system.body("balai-rumbai-supervisor", "case.management", PICTURE, id="ANK000000003")
    assert len(after["data"]["child"]["cases"]) == 2


CASE = "id caseNumber status ampkCategory referralSource assessments { riskLevel }"


def _case_of(system: System, child: str, balai: str) -> tuple[str, str]:
    """(id, case number) of the planted child's case at `balai` (read as the Pekanbaru Dinsos
    officer, who sees every case's summary of a child in his region by mandate)."""
    body = system.body(
        "dinsos-pekanbaru",
        "case.management",
        "query($id: ID!) { child(id: $id) { cases { id caseNumber } } }",
        id=child,
    )
    (found,) = [
        (c["id"], c["caseNumber"])
        for c in body["data"]["child"]["cases"]
        if c["caseNumber"].startswith(balai + "/")
    ]
    return found


def _at(body: dict[str, Any], prefix: str) -> dict[str, tuple[str, str | None]]:
    """The denials below `prefix`, by the rest of their path."""
    return {
        path[len(prefix) :]: denial
        for path, denial in _denials(body).items()
        if path.startswith(prefix)
    }


@pytest.mark.parametrize(
    ("user", "child", "balai"),
    [
        ("balai-rumbai-unassigned", "ANK000000001", "RUMBAI"),
        ("balai-rumbai-unassigned", "ANK000000003", "RUMBAI"),
        ("balai-rumbai-unassigned", "ANK000000003", "ALYATAMA"),
        ("balai-rumbai-assigned", "ANK000000001", "RUMBAI"),
        ("balai-rumbai-assigned", "ANK000000003", "ALYATAMA"),
        ("balai-rumbai-supervisor", "ANK000000001", "RUMBAI"),
        ("balai-alyatama", "ANK000000003", "RUMBAI"),
        ("balai-alyatama", "ANK000000003", "ALYATAMA"),
    ],
)
def test_a_case_looked_up_at_the_root_gets_its_decision_through_the_child(
    system: System, user: str, child: str, balai: str
) -> None:
    case_id, number = _case_of(system, child, balai)
    through = system.body(
        user,
        "case.management",
        f"query($id: ID!) {{ child(id: $id) {{ cases {{ {CASE} }} }} }}",
        id=child,
    )
    (index,) = [i for i, c in enumerate(through["data"]["child"]["cases"]) if c["id"] == case_id]
    expected = through["data"]["child"]["cases"][index]
    expected_denials = _at(through, f"child.cases.{index}.")
    for root, argument in (("atensiCase", case_id), ("caseByNumber", number)):
        name = "id" if root == "atensiCase" else "caseNumber"
        kind = "ID" if root == "atensiCase" else "String"
        body = system.body(
            user,
            "case.management",
            f"query($v: {kind}!) {{ {root}({name}: $v) {{ {CASE} }} }}",
            v=argument,
        )
        assert body["data"][root] == expected, (root, body)
        assert _at(body, f"{root}.") == expected_denials, (root, body)
        # Decided by the gateway before fetching: no subgraph had anything to refuse.
        assert not [e for e in body.get("errors", []) if "serviceName" in e["extensions"]]


def test_a_case_of_a_child_outside_jurisdiction_is_like_an_unknown_case(system: System) -> None:
    case_id, _ = _case_of(system, "ANK000000001", "RUMBAI")
    query = "query($id: ID!) { atensiCase(id: $id) { caseNumber child { id } } }"
    unknown = system.body("balai-alyatama", "case.management", query, id="999999")
    # ANK000000001 has no case at Alyatama and lives outside its province: his case does not
    # exist for Alyatama.
    hidden = system.body("balai-alyatama", "case.management", query, id=case_id)
    assert hidden == unknown == {"data": {"atensiCase": None}}


def test_a_balai_s_case_list_decides_each_case_like_the_child_s_list(system: System) -> None:
    # The unassigned caseworker sees Rumbai's open cases' summaries; the detail of none (he is
    # assigned to none), with ASSIGNMENT_REQUIRED on each, as on a child's own list.
    body = system.body(
        "balai-rumbai-unassigned",
        "case.management",
        'query { cases(balaiCode: "RUMBAI", first: 50) { totalCount nodes { id caseNumber assessments { riskLevel } } } }',
    )
    nodes = body["data"]["cases"]["nodes"]
    assert nodes and all(n["caseNumber"].startswith("RUMBAI/") for n in nodes)
    assert all(n["assessments"] is None for n in nodes)
    denied = _denials(body)
    assert {denied[f"cases.nodes.{i}.assessments"] for i in range(len(nodes))} == {
        (A, "protection.detail")
    }
    # The assigned caseworker gets the detail of her own cases only.
    mine = system.body(
        "balai-rumbai-assigned",
        "case.management",
        'query { cases(balaiCode: "RUMBAI", first: 50) { nodes { id caseworker { name } assessments { riskLevel } } } }',
    )
    shown = [n for n in mine["data"]["cases"]["nodes"] if n["assessments"] is not None]
    assert shown and {n["caseworker"]["name"] for n in shown} == {"Syafrida Salsabila"}


OPEN_CASE = """mutation($child: ID!, $balai: String!, $worker: ID!) {
  openCase(childId: $child, balaiCode: $balai, caseworkerId: $worker, ampkCategory: DISABILITY,
           openedOn: "2025-06-02") { id caseNumber status } }"""
ALYATAMA_CASES = (
    'query { cases(balaiCode: "ALYATAMA", openOnly: false, first: 100) { totalCount } }'
)


def test_a_case_is_not_opened_for_a_child_outside_the_balai_s_jurisdiction(system: System) -> None:
    # ANK000000001 lives in Pekanbaru (Riau, not Alyatama's Jambi) and has no case at Alyatama:
    # he does not exist for Alyatama, and opening a case for him is answered exactly like
    # opening one for an id that does not exist — and nothing is written.
    alyatama = ("balai-alyatama", "case.management")
    before = system.body(*alyatama, ALYATAMA_CASES)["data"]["cases"]["totalCount"]
    answers = [
        system.body(*alyatama, OPEN_CASE, child=child, balai="ALYATAMA", worker="7")
        for child in ("ANK000000001", "ANK999999999")
    ]
    assert (
        answers[0]
        == answers[1]
        == {
            "data": None,  # openCase is non-null
            "errors": [
                {
                    "message": "No such child.",
                    "path": ["openCase"],
                    "extensions": {"code": "NOT_FOUND"},
                }
            ],
        }
    )
    assert system.body(*alyatama, ALYATAMA_CASES)["data"]["cases"]["totalCount"] == before
    seen = system.body(
        "dinsos-pekanbaru",
        "case.management",
        "query($id: ID!) { child(id: $id) { cases { caseNumber } } }",
        id="ANK000000001",
    )
    assert not [c for c in seen["data"]["child"]["cases"] if c["caseNumber"].startswith("ALYATAMA")]


def test_a_case_is_opened_for_a_child_in_the_balai_s_provinces(system: System) -> None:
    # ANK000000006 lives in Siak (Riau: one of Rumbai's provinces); his only case is Naibonat's,
    # closed. What the write answers is decided on the facts after it: the new case is Rumbai's
    # own, assigned to the caseworker who opened it (on the facts before it, the decision named
    # only the Naibonat case, and the new one would show nothing).
    body = system.body(
        "balai-rumbai-assigned",
        "case.management",
        OPEN_CASE,
        child="ANK000000006",
        balai="RUMBAI",
        worker="3",
    )
    assert "errors" not in body, body
    opened = body["data"]["openCase"]
    assert opened["caseNumber"].startswith("RUMBAI/") and opened["status"] == "OPEN"
    cases = system.body(
        "balai-rumbai-assigned",
        "case.management",
        "query($id: ID!) { child(id: $id) { cases { id caseNumber } } }",
        id="ANK000000006",
    )
    assert {"id": opened["id"], "caseNumber": opened["caseNumber"]} in cases["data"]["child"][
        "cases"
    ]


def test_break_glass_is_not_granted_for_a_child_outside_jurisdiction(system: System) -> None:
    # ANK000000005 lives in Kota Kupang, outside the Pekanbaru Dinsos officer's region.
    dinsos = ("dinsos-pekanbaru", "case.management")
    request = """mutation($child: ID!, $until: DateTime!) { requestBreakGlass(childId: $child,
      justification: "child at risk", expiresAt: $until) { id } }"""
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    grants = "query { breakGlassGrants { id } }"
    before = system.body(*dinsos, grants)["data"]["breakGlassGrants"]
    outside = system.body(*dinsos, request, child="ANK000000005", until=until)
    unknown = system.body(*dinsos, request, child="ANK999999999", until=until)
    assert outside == unknown
    assert outside["data"] == {"requestBreakGlass": None}
    assert [e["extensions"]["code"] for e in outside["errors"]] == ["NOT_FOUND"]
    assert system.body(*dinsos, grants)["data"]["breakGlassGrants"] == before


def test_a_revoked_consent_stops_applying_on_the_next_request(system: System) -> None:
    coordinator = ("pkh-coord-pekanbaru", "child.protection")
    before = system.body(*coordinator, PICTURE, id="ANK000000003")
    assert before["data"]["child"]["cases"]
    revoked = system.body(
        *coordinator, 'mutation { revokeConsent(consentId: "3") { id revokedAt } }'
    )
    assert revoked["data"]["revokeConsent"]["revokedAt"], revoked
    after = system.body(*coordinator, PICTURE, id="ANK000000003")
    assert after["data"]["child"]["cases"] is None
    assert _denials(after)["child.cases"] == (C, "protection.summary")


def test_an_ended_agreement_stops_sharing_on_the_next_request(system: System) -> None:
    # Last in this module: it ends the seeded RUMBAI-ALYATAMA agreement for every test after it.
    user = ("balai-rumbai-assigned", "case.management")
    before = system.body(*user, PICTURE, id="ANK000000003")
    assert before["data"]["child"]["cases"][1]["caseNumber"].startswith("ALYATAMA")
    ended = system.body(
        "secretariat", "data.sharing", 'mutation { endAgreement(agreementId: "1") { id } }'
    )
    assert ended["data"]["endAgreement"]["id"] == "1", ended
    after = system.body(*user, PICTURE, id="ANK000000003")
    rumbai, alyatama = after["data"]["child"]["cases"]
    assert rumbai["caseNumber"].startswith("RUMBAI") and rumbai["assessments"]
    assert alyatama["caseNumber"] is None
    assert _denials(after)["child.cases.1.caseNumber"] == (C, "protection.summary")
    # The balai subgraph was granted only the Rumbai case: the Alyatama case's summary never
    # left it, and the answer carries the gateway's denial alone, no downstream refusal.
    for field in ("caseNumber", "status", "ampkCategory"):
        assert alyatama[field] is None
        assert _errors_at(after, f"child.cases.1.{field}") == [(C, "protection.summary", None)]
    assert not [e for e in after.get("errors", []) if "serviceName" in e["extensions"]]
