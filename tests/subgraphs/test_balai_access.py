"""Balai subgraph, who may do what: write rights, jurisdiction of roots and lists, protection.detail
by assignment, and the policy facts — each allowed and denied, denials writing nothing."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from test_balai import (
    ADVANCE,
    ASSESS,
    BUDI,
    CLOSE,
    DIAN,
    DINSOS,
    END,
    LIST,
    OPEN,
    PLAN,
    RINA,
    SARI,
    START,
    _counts,
    _open_args,
    _reps,
    _seed,
    _staff,
)

from subgraphs.balai.service import SPEC
from subgraphs.common.federation import CATEGORIES
from subgraphs.common.identity import Identity
from tests.subgraphs.sample_identities import identity_of

pytestmark = pytest.mark.anyio

# Each case mutation on a case of Rina's (RUMBAI), with what it returns.
CASE_WRITES = {
    "advanceCase": (ADVANCE, {"id": "4", "to": "ASSESSMENT"}),
    "addAssessment": (
        ASSESS,
        {"id": "4", "on": "2025-05-03", "risk": "LOW", "summary": "S", "notes": None},
    ),
    "addInterventionPlan": (
        PLAN,
        {"id": "1", "on": "2025-03-12", "setting": "FAMILY", "goals": "Reunify."},
    ),
    "closeCase": (CLOSE, {"id": "1", "on": "2025-09-30", "reason": "AGED_OUT"}),
    "startResidentialStay": (START, {"id": "4", "on": "2025-05-05"}),
    "endResidentialStay": (END, {"id": "2", "on": "2025-06-01"}),
}

# Claims RUMBAI supervisor, but the roster says caseworker 1 is no supervisor.
FALSE_SUPERVISOR = _staff("1", role="balai_supervisor")


@pytest.mark.parametrize("mutation", CASE_WRITES)
@pytest.mark.parametrize(
    "who",
    [None, DINSOS, DIAN, FALSE_SUPERVISOR, BUDI, _staff("1", unit="ALYATAMA")],
    ids=["nobody", "dinsos", "unassigned", "false-supervisor", "other-balai", "wrong-unit-claim"],
)
async def test_case_writes_refused_write_nothing(
    make_client: Any, mutation: str, who: Identity | None
) -> None:
    client = (await make_client(SPEC)).acting(who)
    await _seed(client.db)
    before = await _counts(client.db)
    query, variables = CASE_WRITES[mutation]
    body = await client.execute(query, **variables)
    if who is not None and who.unit == "ALYATAMA" and variables["id"] == "4":
        # Another Balai's case outside the caller's jurisdiction (ANK3 has no case at ALYATAMA)
        # answers as an unknown one: null, no error. Case 1's child has one there: FORBIDDEN.
        assert body == {"data": {mutation: None}}
    else:
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        assert body["data"] == {mutation: None}
        assert "RUMBAI" not in str(body["errors"])
    assert await _counts(client.db) == before


@pytest.mark.parametrize("mutation", CASE_WRITES)
@pytest.mark.parametrize("who", [RINA, SARI], ids=["assigned", "supervisor"])
async def test_case_writes_by_the_assigned_caseworker_or_a_supervisor(
    make_client: Any, mutation: str, who: Identity
) -> None:
    client = (await make_client(SPEC)).acting(who)
    await _seed(client.db)
    before = await _counts(client.db)
    query, variables = CASE_WRITES[mutation]
    data = await client.data(query, **variables)
    assert data[mutation] is not None
    assert await _counts(client.db) != before or mutation in ("closeCase", "endResidentialStay")
    if mutation == "addAssessment":
        assert data[mutation]["assessorId"] == who.staff_id


@pytest.mark.parametrize(
    ("who", "args"),
    [
        (None, {}),
        (DINSOS, {}),
        (SARI, {}),  # a supervisor: DOMAIN.md gives openCase to a caseworker
        (BUDI, {}),  # a caseworker of ALYATAMA opening at RUMBAI
        (BUDI, {"balai": "ALYATAMA", "worker": "1"}),  # ... or naming a RUMBAI assignee
        (_staff("99"), {}),  # not on RUMBAI's roster
        (_staff("3"), {}),  # on the roster, but of ALYATAMA
    ],
)
async def test_open_case_refused_writes_nothing(
    make_client: Any, who: Identity | None, args: dict[str, Any]
) -> None:
    client = (await make_client(SPEC)).acting(who)
    await _seed(client.db)
    before = await _counts(client.db)
    body = await client.execute(OPEN, **_open_args(**args))
    codes = [e["extensions"]["code"] for e in body["errors"]]
    # Naming an assignee of another Balai is bad input once the opener may open there.
    assert codes == (["BAD_USER_INPUT"] if args.get("worker") == "1" else ["FORBIDDEN"])
    assert body["data"] is None
    assert await _counts(client.db) == before


# --- reads: jurisdiction, lists, detail -------------------------------------------------------

LOOKUP = """query($id: ID!, $n: String!) {
  atensiCase(id: $id) { id } caseByNumber(caseNumber: $n) { id } }"""


@pytest.mark.parametrize(
    ("who", "case_id", "number", "visible"),
    [
        (BUDI, "2", "ALYATAMA/2023/000004", True),  # own Balai's case
        (BUDI, "1", "RUMBAI/2025/000001", True),  # ANK1 also has a case at ALYATAMA
        (BUDI, "4", "RUMBAI/2025/000004", False),  # ANK3 has none there: out of jurisdiction
        (RINA, "2", "ALYATAMA/2023/000004", True),  # ANK1 has a case at RUMBAI
        (DIAN, "4", "RUMBAI/2025/000004", True),  # own Balai's, even unassigned
        (DINSOS, "1", "RUMBAI/2025/000001", False),  # no child region here: no root lookups
        (None, "4", "RUMBAI/2025/000004", True),  # no identity: as before
    ],
)
async def test_root_lookups_only_inside_jurisdiction(
    make_client: Any, who: Identity | None, case_id: str, number: str, visible: bool
) -> None:
    client = (await make_client(SPEC)).acting(who)
    await _seed(client.db)
    data = await client.data(LOOKUP, id=case_id, n=number)
    expected = {"id": case_id} if visible else None
    assert data == {"atensiCase": expected, "caseByNumber": expected}
    # Out of jurisdiction answers exactly as an unknown case.
    if not visible:
        assert await client.execute(LOOKUP, id="404", n="RUMBAI/2025/000404") == {
            "data": {"atensiCase": None, "caseByNumber": None}
        }


@pytest.mark.parametrize(("who", "allowed"), [(RINA, True), (DIAN, True), (SARI, True),
                                               (BUDI, False), (DINSOS, False)])  # fmt: skip
async def test_a_balais_case_list_is_its_own_staffs(
    make_client: Any, who: Identity, allowed: bool
) -> None:
    client = (await make_client(SPEC)).acting(who)
    await _seed(client.db)
    variables = {"balai": "RUMBAI", "stage": None, "open": True, "worker": None, "first": 20}
    body = await client.execute(LIST, **variables)
    if allowed:
        assert body["data"]["cases"]["totalCount"] == 2
        assert [n["id"] for n in body["data"]["cases"]["nodes"]] == ["1", "4"]
    else:
        assert body["data"] == {"cases": None}
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


DETAIL = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Child {
  cases { id caseNumber assessments { riskLevel } interventionPlans { setting } } } } }"""


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        (RINA, {"1"}),  # assigned to case 1; case 2 is ALYATAMA's
        (SARI, {"1"}),  # supervisor of RUMBAI
        (DIAN, set()),  # RUMBAI, but not assigned
        (BUDI, {"2"}),  # ALYATAMA's assigned caseworker: never RUMBAI's detail
        (None, {"1", "2"}),  # no identity: as before
    ],
)
async def test_protection_detail_only_for_the_cases_own_people(
    make_client: Any, who: Identity | None, sees: set[str]
) -> None:
    client = (await make_client(SPEC)).acting(who)
    await _seed(client.db)
    body = await client.execute(DETAIL, r=_reps("ANK000000001"))
    cases = {c["id"]: c for c in body["data"]["_entities"][0]["cases"]}
    assert {i for i, c in cases.items() if c["assessments"] is not None} == sees
    assert {i for i, c in cases.items() if c["interventionPlans"] is not None} == sees
    assert all(c["caseNumber"] for c in cases.values())  # the summary stays
    denied = [e for e in body.get("errors", [])]
    assert len(denied) == 2 * (2 - len(sees))
    for error in denied:
        assert error["extensions"] == {"code": "FORBIDDEN", "category": "protection.detail"}
    if "1" in sees:
        assert cases["1"]["assessments"] == [{"riskLevel": "HIGH"}]


# --- policy facts -----------------------------------------------------------------------------

FACTS = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Child {
  id policyCases { caseId balaiCode caseworkerId open conflictWithLaw } } } }"""

GATEWAY = dataclasses.replace(RINA, categories=frozenset({"policy.facts"}))


async def test_policy_cases_for_the_gateways_facts_fetch(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(GATEWAY)
    await _seed(client.db)
    before = client.db.statements_executed
    data = await client.data(FACTS, r=_reps("ANK000000001", "ANK000000003", "ANK000000404"))
    assert client.db.statements_executed - before == 1  # atensi_case, once for all children
    first, third, unknown = data["_entities"]
    assert first["policyCases"] == [
        {"caseId": "1", "balaiCode": "RUMBAI", "caseworkerId": "1", "open": True,
         "conflictWithLaw": False},
        {"caseId": "2", "balaiCode": "ALYATAMA", "caseworkerId": "3", "open": False,
         "conflictWithLaw": True},
    ]  # fmt: skip
    assert third["policyCases"] == [
        {"caseId": "4", "balaiCode": "RUMBAI", "caseworkerId": "1", "open": True,
         "conflictWithLaw": True},
    ]  # fmt: skip
    assert unknown == {"id": "ANK000000404", "policyCases": []}


@pytest.mark.parametrize("who", [None, RINA, DINSOS], ids=["nobody", "caseworker", "dinsos"])
async def test_policy_cases_refused_without_policy_facts(
    make_client: Any, who: Identity | None
) -> None:
    client = (await make_client(SPEC)).acting(who)
    await _seed(client.db)
    body = await client.execute(FACTS, r=_reps("ANK000000001"))
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert "RUMBAI" not in str(body)


# --- per-record grants ------------------------------------------------------------------------

SUMMARY_AND_DETAIL = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Child {
  id cases { id caseNumber stageHistory { stage } assessments { riskLevel } } } } }"""


async def test_a_grant_listing_records_limits_each_case_s_fields_to_the_cases_listed(
    make_client: Any,
) -> None:
    # The gateway allowed case 1 (RUMBAI's) and not case 2 (ALYATAMA's): case 2's fields of
    # those categories never leave the subgraph, whatever the grant's categories alone allow.
    granted = dataclasses.replace(
        SARI,  # RUMBAI's supervisor: without the restriction, both cases' summaries
        records={"protection.summary": frozenset({"1"}), "protection.detail": frozenset({"1"})},
        record_types=frozenset({"AtensiCase"}),
    )
    client = (await make_client(SPEC)).acting(granted)
    await _seed(client.db)
    body = await client.execute(SUMMARY_AND_DETAIL, r=_reps("ANK000000001"))
    (child,) = body["data"]["_entities"]
    # Child.cases is protection.summary too, but a Child is no record type of the grant's.
    first, second = child["cases"]
    assert first["caseNumber"] == "RUMBAI/2025/000001" and first["stageHistory"]
    # Below an allowed case, objects with their own ids (assessments) are not records.
    assert first["assessments"] == [{"riskLevel": "HIGH"}]
    assert second == {
        "id": "2",
        "caseNumber": None,
        "stageHistory": None,
        "assessments": None,
    }
    refused = sorted((e["path"][4], e["extensions"]["category"]) for e in body["errors"])
    assert refused == [
        ("assessments", "protection.detail"),
        ("caseNumber", "protection.summary"),
        ("stageHistory", "protection.summary"),
    ]
    assert all(e["extensions"]["code"] == "FORBIDDEN" for e in body["errors"])
    assert all(e["path"][:4] == ["_entities", 0, "cases", 1] for e in body["errors"])


async def test_a_grant_listing_no_record_for_a_category_returns_none_of_it(
    make_client: Any,
) -> None:
    granted = dataclasses.replace(
        SARI,
        records={"protection.summary": frozenset()},
        record_types=frozenset({"AtensiCase"}),
    )
    client = (await make_client(SPEC)).acting(granted)
    await _seed(client.db)
    body = await client.execute(SUMMARY_AND_DETAIL, r=_reps("ANK000000001"))
    cases = body["data"]["_entities"][0]["cases"]
    assert [c["caseNumber"] for c in cases] == [None, None]
    # A category the grant does not restrict per record is judged as before (detail: assigned).
    assert cases[0]["assessments"] == [{"riskLevel": "HIGH"}]


# --- the AtensiCase entity (@key id): what the gateway fetches after deciding about a case -----

# A PKH coordinator in the case's city: not Balai staff, so no case by id here.
PKH = identity_of("pkh-coord-pekanbaru", "child.protection", CATEGORIES)

NUMBERS = {"1": "RUMBAI/2025/000001", "2": "ALYATAMA/2023/000004", "3": "RUMBAI/2025/000003",
           "4": "RUMBAI/2025/000004"}  # fmt: skip

# The entity and the root lookup for the same id, side by side.
ENTITY_AND_ROOT = """query($r: [_Any!]!, $id: ID!) {
  _entities(representations: $r) { ... on AtensiCase { id caseNumber } }
  atensiCase(id: $id) { id caseNumber } }"""


def _case_reps(*ids: str) -> list[dict[str, str]]:
    return [{"__typename": "AtensiCase", "id": i} for i in ids]


@pytest.mark.parametrize(
    ("who", "case_id", "visible"),
    [
        (RINA, "1", True),  # own Balai's, assigned
        (DIAN, "4", True),  # own Balai's, unassigned
        (SARI, "3", True),  # own Balai's, closed
        (BUDI, "2", True),  # own Balai's (ALYATAMA)
        (BUDI, "1", True),  # RUMBAI's, but ANK1 also has a case at ALYATAMA
        (RINA, "2", True),  # ALYATAMA's, and ANK1 has a case at RUMBAI
        (BUDI, "4", False),  # RUMBAI's, ANK3 has no case at ALYATAMA: out of jurisdiction
        (BUDI, "3", False),  # RUMBAI's, ANK2 has none there either
        (DINSOS, "1", False),  # not Balai staff: no case by id
        (PKH, "4", False),
        (None, "4", True),  # no identity: as before
    ],
)
async def test_case_entities_resolve_with_the_root_lookups_visibility(
    make_client: Any, who: Identity | None, case_id: str, visible: bool
) -> None:
    client = (await make_client(SPEC)).acting(who)
    await _seed(client.db)
    data = await client.data(ENTITY_AND_ROOT, r=_case_reps(case_id), id=case_id)
    expected = {"id": case_id, "caseNumber": NUMBERS[case_id]} if visible else None
    assert data == {"_entities": [expected], "atensiCase": expected}
    if not visible:  # exactly as an unknown case: null, no error
        unknown = await client.execute(ENTITY_AND_ROOT, r=_case_reps("404"), id="404")
        assert unknown == {"data": data}


MALFORMED = ["404", "0", "-1", "abc", "", "1.0", "1e3", "\u0661", "2147483648", "99999999999999"]


@pytest.mark.parametrize("who", [None, RINA], ids=["nobody", "caseworker"])
async def test_case_entities_of_unknown_and_malformed_ids_are_null(
    make_client: Any, who: Identity | None
) -> None:
    client = (await make_client(SPEC)).acting(who)
    await _seed(client.db)
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on AtensiCase { id caseNumber } } }"""
    # Case 1 last: the same request does find a case the caller may see.
    data = await client.data(query, r=_case_reps(*MALFORMED, "1"))
    assert data["_entities"] == [None] * len(MALFORMED) + [
        {"id": "1", "caseNumber": "RUMBAI/2025/000001"}
    ]
    for case_id in MALFORMED:  # as the root lookup answers them
        root = await client.data(ENTITY_AND_ROOT, r=_case_reps(case_id), id=case_id)
        assert root == {"_entities": [None], "atensiCase": None}


SUMMARY = """query($r: [_Any!]!) { _entities(representations: $r) { ... on AtensiCase {
  id caseNumber stage child { id } balai { code } stageHistory { stage }
  assessments { riskLevel } } } }"""

ROOT_SUMMARY = """query($id: ID!) { atensiCase(id: $id) {
  id caseNumber stage child { id } balai { code } stageHistory { stage }
  assessments { riskLevel } } }"""


async def test_case_entities_keep_to_the_grants_records(make_client: Any) -> None:
    # The gateway allowed the summary of case 1 only, and the detail of case 4 only: the
    # supervisor, who could otherwise read both cases whole, gets no more of either.
    granted = dataclasses.replace(
        SARI,
        records={"protection.summary": frozenset({"1"}), "protection.detail": frozenset({"4"})},
        record_types=frozenset({"AtensiCase"}),
    )
    client = (await make_client(SPEC)).acting(granted)
    await _seed(client.db)
    body = await client.execute(SUMMARY, r=_case_reps("1", "4"))
    first, fourth = body["data"]["_entities"]
    assert first == {
        "id": "1",
        "caseNumber": "RUMBAI/2025/000001",
        "stage": "INTERVENTION",
        "child": {"id": "ANK000000001"},
        "balai": {"code": "RUMBAI"},
        "stageHistory": [{"stage": s} for s in ("INTAKE", "ASSESSMENT", "PLAN", "INTERVENTION")],
        "assessments": None,  # detail: case 4 only
    }
    assert fourth == {
        "id": "4",
        "caseNumber": None,
        "stage": None,
        "child": None,
        "balai": None,
        "stageHistory": None,
        "assessments": [],  # case 4 has none, and its detail is granted
    }
    refused = sorted((tuple(e["path"]), e["extensions"]["category"]) for e in body["errors"])
    assert refused == [
        (("_entities", 0, "assessments"), "protection.detail"),
        *(
            (("_entities", 1, field), "protection.summary")
            for field in ("balai", "caseNumber", "child", "stage", "stageHistory")
        ),
    ]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert "RUMBAI/2025/000004" not in str(body)
    # The root lookup under the same grant answers each case the same way.
    for index, case_id in enumerate(("1", "4")):
        root = await client.execute(ROOT_SUMMARY, id=case_id)
        assert root["data"]["atensiCase"] == body["data"]["_entities"][index]
        assert sorted(e["path"][1:] for e in root["errors"]) == sorted(
            e["path"][2:] for e in body["errors"] if e["path"][1] == index
        )


@pytest.mark.parametrize(
    ("who", "case_id", "assessments"),
    [
        (RINA, "1", [{"riskLevel": "HIGH"}]),  # the assigned caseworker
        (SARI, "1", [{"riskLevel": "HIGH"}]),  # a supervisor of the case's Balai
        (DIAN, "1", None),  # same Balai, not assigned
        (BUDI, "1", None),  # another Balai (the case is visible to him): never its detail
        (BUDI, "2", []),  # his own, assigned (no assessments recorded)
    ],
)
async def test_case_entity_detail_needs_assignment(
    make_client: Any, who: Identity, case_id: str, assessments: list[Any] | None
) -> None:
    client = (await make_client(SPEC)).acting(who)
    await _seed(client.db)
    query = """query($r: [_Any!]!) { _entities(representations: $r) { ... on AtensiCase {
      id caseNumber assessments { riskLevel } interventionPlans { setting } } } }"""
    body = await client.execute(query, r=_case_reps(case_id))
    (case,) = body["data"]["_entities"]
    assert case["caseNumber"] == NUMBERS[case_id]  # the summary stays
    assert case["assessments"] == assessments
    if assessments is None:
        assert case["interventionPlans"] is None
        assert sorted((e["path"][2], e["extensions"]["code"], e["extensions"]["category"])
                      for e in body["errors"]) == [
            ("assessments", "FORBIDDEN", "protection.detail"),
            ("interventionPlans", "FORBIDDEN", "protection.detail"),
        ]  # fmt: skip
    else:
        assert "errors" not in body
        assert case["interventionPlans"] is not None


async def test_case_entity_fields_outside_the_grants_categories_are_forbidden(
    make_client: Any,
) -> None:
    # The assigned caseworker, under a grant for the summary only: no detail.
    summary_only = dataclasses.replace(RINA, categories=frozenset({"protection.summary"}))
    client = (await make_client(SPEC)).acting(summary_only)
    await _seed(client.db)
    body = await client.execute(SUMMARY, r=_case_reps("1"))
    (case,) = body["data"]["_entities"]
    assert case["caseNumber"] == "RUMBAI/2025/000001" and case["assessments"] is None
    [error] = body["errors"]
    assert error["path"] == ["_entities", 0, "assessments"]
    assert error["extensions"] == {"code": "FORBIDDEN", "category": "protection.detail"}


@pytest.mark.parametrize(
    "categories",
    [frozenset(), frozenset({"identity.basic", "policy.facts"})],
    ids=["none", "no-case-category"],
)
async def test_case_entities_need_a_case_category_in_the_grant(
    make_client: Any, categories: frozenset[str]
) -> None:
    # Only a case's id could come back: the case is not found, exactly like an unknown one.
    client = (await make_client(SPEC)).acting(dataclasses.replace(RINA, categories=categories))
    await _seed(client.db)
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on AtensiCase { id } } }"
    assert await client.execute(query, r=_case_reps("1", "404")) == {
        "data": {"_entities": [None, None]}
    }


@pytest.mark.parametrize(
    ("who", "visible"),
    [(RINA, {"1", "2", "3", "4"}), (BUDI, {"1", "2"}), (DINSOS, set())],
    ids=["rumbai", "alyatama", "dinsos"],
)
async def test_case_entities_are_batched_and_keep_their_order(
    make_client: Any, who: Identity, visible: set[str]
) -> None:
    client = (await make_client(SPEC)).acting(who)
    await _seed(client.db)
    ids = [str(i) for i in range(60, 0, -1)]  # newest first; only 1-4 exist
    reps: list[dict[str, str]] = _case_reps(*ids)
    reps.insert(30, {"__typename": "Balai", "code": "ALYATAMA"})
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
      ... on AtensiCase { id caseNumber } ... on Balai { code } } }"""
    before = client.db.statements_executed
    data = await client.data(query, r=reps)
    executed = client.db.statements_executed - before
    expected: list[Any] = [
        {"id": i, "caseNumber": NUMBERS[i]} if i in visible else None for i in ids
    ]
    expected.insert(30, {"code": "ALYATAMA"})
    assert data["_entities"] == expected
    # atensi_case by id once for all 60, the Balai, and (for another Balai's cases) the cases
    # of their children once: never a query per case.
    assert executed <= 3
