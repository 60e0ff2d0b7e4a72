"""Disdukcapil subgraph: the child index, registration, NIK linking, search, batching."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import changes_of
from sqlalchemy import func, insert, select

from resolution.names import normalize_name
from subgraphs.common.identifiers import make_nik
from subgraphs.disdukcapil import tables as t
from subgraphs.disdukcapil.service import SPEC
from tests.subgraphs.sample_identities import FACTS_ONLY, identity_of

pytestmark = pytest.mark.anyio

KK = "1471020101150001"  # Kota Pekanbaru, issued 01-01-2015
NOW = datetime(2026, 1, 1, tzinfo=UTC)

IDENTITY = ("identity.basic", "identity.full")
# Disdukcapil Kota Batam resolving identities: ANK000000002 lives in Batam, ANK000000001 not.
RESOLVER = identity_of("disdukcapil-batam", "identity.resolution", (*IDENTITY, "identity.reports"))
REGISTRAR = identity_of("disdukcapil-batam", "civil.registration", IDENTITY)
# The same office reaching Pekanbaru too: where a test needs both seeded children in jurisdiction.
BOTH_CITIES = identity_of(
    "disdukcapil-batam",
    "identity.resolution",
    (*IDENTITY, "identity.reports"),
    regions=("21.71", "14.71"),
)
DINSOS = identity_of("dinsos-pekanbaru", "child.protection", IDENTITY)
PKH = identity_of("pkh-fac-pekanbaru", "pkh.verification", IDENTITY)
AUDITOR = identity_of("auditor", "audit", ("audit.log",))


def _person(pid: int, name: str, sex: str, born: date, serial: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "nik": make_nik("14.71.02", born, sex, serial),
        "kk_number": KK,
        "full_name": name,
        "normalized_name": normalize_name(name),
        "sex": sex,
        "birth_date": born,
        "birth_place": "Pekanbaru",
        "mother_name": "Sri Wahyuni",
        "father_name": "Bambang",
        "relationship": "CHILD",
        "region_code": "14.71.02.1001",
        "birth_certificate_number": f"1471-LT-{pid:06d}",
        **extra,
    }


def _child(cid: str, name: str, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": cid,
        "nik": None,
        "full_name": name,
        "normalized_name": normalize_name(name),
        "sex": "M",
        "birth_date": date(2014, 5, 1),
        "birth_date_approximate": False,
        "birth_place": None,
        "mother_name": None,
        "father_name": None,
        "region_code": "14.71.02.1001",
        "address": None,
        "kk_number": None,
        "birth_certificate_number": None,
        "kia_status": "NONE",
        "registry_person_id": None,
        "registered_by": "BALAI",
        "registered_at": NOW,
    }
    values.update(extra)
    return values


async def _seed(db: Any) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            insert(t.family),
            {
                "kk_number": KK,
                "head_name": "Bambang",
                "region_code": "14.71.02.1001",
                "address": "Jl. Melati 3",
                "issued_on": date(2015, 1, 1),
            },
        )
        await conn.execute(
            insert(t.person),
            [
                _person(1, "Muhammad Joko Sutrisno", "M", date(2014, 3, 12), 1),
                _person(2, "Siti Aisyah", "F", date(2012, 7, 30), 2),
            ],
        )
        await conn.execute(
            insert(t.child),
            [
                _child(
                    "ANK000000001",
                    "Siti Aisyah",
                    sex="F",
                    nik=make_nik("14.71.02", date(2012, 7, 30), "F", 2),
                    registry_person_id=2,
                    kk_number=KK,
                    birth_certificate_number="1471-LT-000002",
                    birth_date=date(2012, 7, 30),
                ),
                _child(
                    "ANK000000002",
                    "Moehammad Djoko Soetrisno",
                    birth_date_approximate=True,
                    region_code="21.71.01.1002",
                    registered_by="LKSA",
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


CHILD_FIELDS = """
  id nik name sex birthYear kabupatenCode birthDate regionCode documentStatus otherNames
  family { kkNumber headName members { nik name } }
"""


async def test_child_by_id_and_nik_with_family(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    data = await client.data(
        f"query($id: ID!) {{ child(id: $id) {{ {CHILD_FIELDS} }} }}", id="ANK000000001"
    )
    child = data["child"]
    assert child["name"] == "Siti Aisyah"
    assert child["sex"] == "F"
    assert child["birthYear"] == 2012
    assert child["kabupatenCode"] == "14.71"
    assert child["documentStatus"] == "DOCUMENTED"
    assert child["family"]["headName"] == "Bambang"
    assert [m["name"] for m in child["family"]["members"]] == [
        "Muhammad Joko Sutrisno",
        "Siti Aisyah",
    ]

    by_nik = await client.data("query($n: String!) { childByNik(nik: $n) { id } }", n=child["nik"])
    assert by_nik["childByNik"]["id"] == "ANK000000001"


async def test_unknown_ids_are_null_not_errors(make_client: Any) -> None:
    client = await make_client(SPEC)
    unknown_nik = make_nik("14.71.02", date(2010, 1, 1), "M", 9999)
    body = await client.execute(
        'query($n: String!) { child(id: "ANK999999999") { id } childByNik(nik: $n) { id } }',
        n=unknown_nik,
    )
    assert body == {"data": {"child": None, "childByNik": None}}


@pytest.mark.parametrize(
    ("nik", "fragment"),
    [
        ("123", "16 digits"),
        ("147102321399000a", "digits"),
        ("1471023213990001", "date"),  # day 32
        ("1471027202150001", "date"),  # female day 32 (72 - 40)
    ],
)
async def test_invalid_nik_is_bad_user_input(make_client: Any, nik: str, fragment: str) -> None:
    client = await make_client(SPEC)
    body = await client.execute("query($n: String!) { childByNik(nik: $n) { id } }", n=nik)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "nik"
    assert fragment in error["message"].lower()
    assert body["data"] == {"childByNik": None}


async def test_search_matches_old_spelling_and_other_names(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    query = """query($name: String, $region: String, $status: DocumentStatus) {
      searchChildren(name: $name, regionCode: $region, documentStatus: $status, first: 10) {
        totalCount nodes { id } pageInfo { hasNextPage endCursor } } }"""
    modern = await client.data(query, name="Muhammad Joko Sutrisno")
    assert [n["id"] for n in modern["searchChildren"]["nodes"]] == ["ANK000000002"]
    nickname = await client.data(query, name="joko")
    assert nickname["searchChildren"]["totalCount"] == 1
    in_batam = await client.data(query, region="21.71")
    assert [n["id"] for n in in_batam["searchChildren"]["nodes"]] == ["ANK000000002"]
    other_province = await client.data(query, region="14")
    assert [n["id"] for n in other_province["searchChildren"]["nodes"]] == ["ANK000000001"]
    assert await client.error_codes(query, region="21.7") == ["BAD_USER_INPUT"]
    undocumented = await client.data(query, status="UNDOCUMENTED")
    assert [n["id"] for n in undocumented["searchChildren"]["nodes"]] == ["ANK000000002"]


async def test_search_paginates_by_cursor(make_client: Any) -> None:
    client = await make_client(SPEC)
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.child), [_child(f"ANK{i:09d}", f"Anak {i}") for i in range(1, 26)]
        )
    query = """query($after: String) { searchChildren(name: "anak", first: 10, after: $after) {
        nodes { id } pageInfo { hasNextPage endCursor } totalCount } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await client.data(query, after=after))["searchChildren"]
        seen += [n["id"] for n in page["nodes"]]
        assert page["totalCount"] == 25
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"ANK{i:09d}" for i in range(1, 26)]
    codes = await client.error_codes("{ searchChildren(first: 1000) { totalCount } }")
    assert codes == ["BAD_USER_INPUT"]


REGISTER = """mutation($input: RegisterChildInput!) { registerChild(input: $input) {
  id nik name documentStatus registeredBy } }"""

REPORTS = """query($id: ID!) { child(id: $id) {
  otherNames attributeReports { agency attribute value reportedAt } } }"""


async def test_register_child_without_nik_records_reports(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    data, changes = await client.acting(DINSOS).written(
        REGISTER,
        input={
            "fullName": "Udin",
            "sex": "M",
            "regionCode": "14.71.02.1001",
            "birthDate": "2016-02-01",
            "birthDateApproximate": True,
            "otherNames": ["Samsudin"],
        },
    )
    child = data["registerChild"]
    assert child["id"] == "ANK000000003"
    # The audit's record of it: one child registered, whatever the client selected.
    assert changes == [("Child", "ANK000000003", "registered")]
    assert child["nik"] is None
    assert child["documentStatus"] == "UNDOCUMENTED"
    assert child["registeredBy"] == "DINSOS"  # the officer's agency, not an argument
    child = (await client.acting(None).data(REPORTS, id="ANK000000003"))["child"]
    assert child["otherNames"] == ["Samsudin"]
    reported = {(r["attribute"], r["value"]) for r in child["attributeReports"]}
    assert ("fullName", "Udin") in reported
    assert all(r["agency"] == "DINSOS" for r in child["attributeReports"])


async def test_each_mutation_of_a_document_reports_its_change_whatever_was_selected(
    make_client: Any,
) -> None:
    client = (await make_client(SPEC)).acting(DINSOS)
    await _seed(client.db)
    body = await client.execute(
        """mutation($a: RegisterChildInput!, $b: RegisterChildInput!, $bad: RegisterChildInput!) {
          a: registerChild(input: $a) { __typename }
          b: registerChild(input: $b) { __typename }
          bad: registerChild(input: $bad) { id } }""",
        a={"fullName": "Udin", "sex": "M", "regionCode": "14.71"},
        bad={"fullName": "  ", "sex": "M", "regionCode": "14.71"},
        b={"fullName": "Rina", "sex": "F", "regionCode": "14.71"},
    )
    assert [e["path"] for e in body["errors"]] == [["bad"]]
    assert body["data"] is None  # registerChild is non-null: the refusal nulls the answer...
    # ...but the two written stay written, and are reported though no id was selected; the one
    # refused reports nothing.
    assert changes_of(body) == [
        ("Child", "ANK000000003", "registered"),
        ("Child", "ANK000000004", "registered"),
    ]
    assert body["extensions"]["changes"][0] == {
        "entity": "Child",
        "id": "ANK000000003",
        "action": "registered",
    }


async def test_a_query_reports_no_changes(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(DINSOS)
    await _seed(client.db)
    body = await client.execute('{ child(id: "ANK000000001") { id } }')
    assert body == {"data": {"child": {"id": "ANK000000001"}}}


async def test_timestamps_come_back_in_utc_with_their_offset(make_client: Any) -> None:
    # SQLite keeps no offset; the column type writes UTC and reads it back as UTC on both.
    client = await make_client(SPEC)
    wib = timezone(timedelta(hours=7))
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.child),
            _child("ANK000000001", "Dewi", registered_at=datetime(2026, 1, 1, 10, 0, tzinfo=wib)),
        )
    stored = await client.data('{ child(id: "ANK000000001") { registeredAt } }')
    assert stored["child"]["registeredAt"] == "2026-01-01T03:00:00+00:00"

    before = datetime.now(UTC)
    data = await client.acting(DINSOS).data(
        """mutation($input: RegisterChildInput!) { registerChild(input: $input) {
          id registeredAt } }""",
        input={"fullName": "Udin", "sex": "M", "regionCode": "14.71"},
    )
    registered = data["registerChild"]
    reports = (await client.data(REPORTS, id=registered["id"]))["child"]["attributeReports"]
    stamps = [registered["registeredAt"]] + [r["reportedAt"] for r in reports]
    for stamp in stamps:
        at = datetime.fromisoformat(stamp)
        assert at.utcoffset() == timedelta(0), stamp
        assert before - timedelta(seconds=1) <= at <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"birthDate": "2099-01-01"}, "birthDate"),
        ({"regionCode": "99.99"}, "regionCode"),
        ({"regionCode": "14-71"}, "regionCode"),
        ({"fullName": "   "}, "fullName"),
        ({"kkNumber": "12"}, "kkNumber"),
        ({"nik": "1471021203140001", "sex": "F"}, "nik"),  # NIK says male
    ],
)
async def test_register_child_rejects_bad_input_and_writes_nothing(
    make_client: Any, override: dict[str, Any], field: str
) -> None:
    client = await make_client(SPEC)
    payload = {"fullName": "Rina", "sex": "F", "regionCode": "14.71", **override}
    body = await client.acting(
        identity_of("balai-rumbai-assigned", "case.management", IDENTITY)
    ).execute(REGISTER, input=payload)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    search = await client.data("{ searchChildren { totalCount } }")
    assert search["searchChildren"]["totalCount"] == 0


async def test_unknown_enum_is_a_validation_error(make_client: Any) -> None:
    client = await make_client(SPEC)
    body = await client.acting(DINSOS).execute(
        REGISTER, input={"fullName": "A", "sex": "X", "regionCode": "14"}
    )
    assert body["errors"] and "X" in body["errors"][0]["message"]
    assert "data" not in body or body["data"] is None


async def test_register_with_taken_nik_conflicts_and_rolls_back(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    taken = make_nik("14.71.02", date(2012, 7, 30), "F", 2)
    body = await client.acting(REGISTRAR).execute(
        REGISTER,
        input={
            "fullName": "Siti A.",
            "sex": "F",
            "regionCode": "14.71",
            "nik": taken,
            "otherNames": ["Ais"],
        },
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["CONFLICT"]
    assert "extensions" not in body  # rolled back: nothing changed, nothing reported
    names = await client.data('{ searchChildren(name: "ais") { totalCount } }')
    # Only the seeded Siti Aisyah: the failed registration left no other name or report behind.
    assert names["searchChildren"]["totalCount"] == 1


LINK = """mutation($id: ID!, $nik: String!, $reason: String! = "Same person: checked by phone.") {
  linkNik(childId: $id, nik: $nik, reason: $reason) {
  id nik birthDate birthDateApproximate documentStatus otherNames kkNumber } }"""


async def test_link_nik_resolves_an_undocumented_child(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(BOTH_CITIES)
    await _seed(client.db)
    nik = make_nik("14.71.02", date(2014, 3, 12), "M", 1)
    data, changes = await client.written(LINK, id="ANK000000002", nik=nik)
    child = data["linkNik"]
    assert child["nik"] == nik
    # The link is also an identity decision (tests/subgraphs/test_identity_resolution.py).
    assert changes == [("Child", "ANK000000002", "nik linked"), ("IdentityDecision", "1", "LINK")]
    assert child["birthDate"] == "2014-03-12"
    assert child["birthDateApproximate"] is False
    assert child["documentStatus"] == "DOCUMENTED"
    assert child["kkNumber"] == KK
    # The registry spelling differs only by the pre-1972 spelling: no new name to record.
    assert child["otherNames"] == ["Joko"]

    # Linking it again changes nothing, and reports nothing.
    again = await client.execute(LINK, id="ANK000000002", nik=nik)
    assert again["data"]["linkNik"]["nik"] == nik
    assert "extensions" not in again
    # The same NIK cannot go to another child; an unknown child is null.
    other = await client.execute(LINK, id="ANK000000001", nik=nik)
    assert [e["extensions"]["code"] for e in other["errors"]] == ["CONFLICT"]
    assert "extensions" not in other
    missing = await client.execute(LINK, id="ANK000000404", nik=nik)
    assert missing == {"data": {"linkNik": None}}


async def test_link_nik_unknown_to_registry_is_bad_input(make_client: Any) -> None:
    client = (await make_client(SPEC)).acting(RESOLVER)
    await _seed(client.db)
    body = await client.execute(
        LINK, id="ANK000000002", nik=make_nik("14.71.02", date(2014, 3, 12), "M", 77)
    )
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "nik"}


async def test_entities_batch_one_query_per_table(make_client: Any) -> None:
    client = await make_client(SPEC)
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.child), [_child(f"ANK{i:09d}", f"Anak {i}") for i in range(1, 101)]
        )
    reps = [{"__typename": "Child", "id": f"ANK{i:09d}"} for i in range(1, 101)]
    query = """query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Child { id name otherNames attributeReports { value } } } }"""
    before = client.db.statements_executed
    data = await client.data(query, r=reps)
    executed = client.db.statements_executed - before
    assert [e["name"] for e in data["_entities"]] == [f"Anak {i}" for i in range(1, 101)]
    assert executed == 3  # child, child_name, child_attribute_report


async def test_entities_unknown_and_by_nik(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    nik = make_nik("14.71.02", date(2012, 7, 30), "F", 2)
    reps = [{"__typename": "Child", "nik": nik}, {"__typename": "Child", "id": "ANK000000404"}]
    data = await client.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Child { id } } }", r=reps
    )
    assert data["_entities"] == [{"id": "ANK000000001"}, None]


async def test_family_entities_by_kk_number(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    reps = [
        {"__typename": "Family", "kkNumber": KK},
        {"__typename": "Family", "kkNumber": "1471020101150999"},
    ]
    data = await client.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Family { kkNumber headName } } }",
        r=reps,
    )
    assert data["_entities"] == [{"kkNumber": KK, "headName": "Bambang"}, None]


# --- write rights: the actor is the signed-in officer -----------------------------------------


async def _row_counts(db: Any) -> dict[str, int]:
    async with db.connect() as conn:
        return {
            table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in (t.child, t.child_name, t.child_attribute_report)
        }


@pytest.mark.parametrize(
    ("user", "purpose", "agency"),
    [
        ("disdukcapil-batam", "civil.registration", "DISDUKCAPIL"),
        ("dinsos-pekanbaru", "child.protection", "DINSOS"),
        ("peksos-pekanbaru", "case.management", "DINSOS"),
        ("pkh-coord-pekanbaru", "pkh.verification", "PKH"),
        ("balai-rumbai-assigned", "case.management", "BALAI"),
    ],
)
async def test_any_officer_registers_a_child_for_their_own_agency(
    make_client: Any, user: str, purpose: str, agency: str
) -> None:
    client = (await make_client(SPEC)).acting(identity_of(user, purpose, IDENTITY))
    data = await client.data(
        REGISTER, input={"fullName": "Udin", "sex": "M", "regionCode": "14.71.02.1001"}
    )
    assert data["registerChild"]["registeredBy"] == agency
    reports = (await client.acting(None).data(REPORTS, id=data["registerChild"]["id"]))["child"]
    assert {r["agency"] for r in reports["attributeReports"]} == {agency}


@pytest.mark.parametrize(
    "identity",
    [
        None,  # nobody signed in
        AUDITOR,  # the Inspektorat reports no children
        identity_of("secretariat", "data.sharing", ()),
    ],
)
async def test_register_child_refused_writes_nothing(make_client: Any, identity: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    before = await _row_counts(client.db)
    body = await client.acting(identity).execute(
        REGISTER,
        input={"fullName": "Udin", "sex": "M", "regionCode": "14.71", "otherNames": ["Din"]},
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert body["data"] is None
    assert "extensions" not in body
    assert await _row_counts(client.db) == before


@pytest.mark.parametrize(
    "identity",
    [None, DINSOS, PKH, identity_of("balai-rumbai-supervisor", "case.management", IDENTITY)],
)
async def test_link_nik_only_by_disdukcapil(make_client: Any, identity: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    before = await _row_counts(client.db)
    nik = make_nik("14.71.02", date(2014, 3, 12), "M", 1)
    body = await client.acting(identity).execute(LINK, id="ANK000000002", nik=nik)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert body["data"] == {"linkNik": None}
    assert "extensions" not in body
    assert await _row_counts(client.db) == before
    child = (await client.acting(None).data('{ child(id: "ANK000000002") { nik } }'))["child"]
    assert child == {"nik": None}


async def test_link_nik_outside_jurisdiction_answers_as_unknown(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    # Disdukcapil Batam and ANK000000001, who lives in Pekanbaru: as if there were no such child.
    nik = make_nik("14.71.02", date(2014, 3, 12), "M", 1)
    pekanbaru = await client.acting(RESOLVER).execute(LINK, id="ANK000000001", nik=nik)
    unknown = await client.acting(RESOLVER).execute(LINK, id="ANK000000404", nik=nik)
    assert pekanbaru == unknown == {"data": {"linkNik": None}}
    linked = await client.acting(RESOLVER).data(LINK, id="ANK000000002", nik=nik)
    assert linked["linkNik"]["nik"] == nik
    reports = (await client.acting(RESOLVER).data(REPORTS, id="ANK000000002"))["child"]
    assert ("DISDUKCAPIL", "nik", nik) in {
        (r["agency"], r["attribute"], r["value"]) for r in reports["attributeReports"]
    }


# --- policy facts ------------------------------------------------------------------------------

FACTS = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Child { id policyRegion } } }"""


async def test_policy_region_answers_the_gateways_facts_fetch(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    reps = [{"__typename": "Child", "id": i} for i in ("ANK000000001", "ANK000000002")]
    facts = identity_of("balai-rumbai-supervisor", "case.management", FACTS_ONLY)
    data = await client.acting(facts).data(FACTS, r=reps)
    assert data["_entities"] == [
        {"id": "ANK000000001", "policyRegion": "14.71.02.1001"},
        {"id": "ANK000000002", "policyRegion": "21.71.01.1002"},
    ]


@pytest.mark.parametrize("identity", [None, RESOLVER, DINSOS])
async def test_policy_region_refused_without_policy_facts(make_client: Any, identity: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    body = await client.acting(identity).execute(
        FACTS, r=[{"__typename": "Child", "id": "ANK000000001"}]
    )
    assert body["data"] == {"_entities": [{"id": "ANK000000001", "policyRegion": None}]}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_policy_region_is_inaccessible_and_batched(make_client: Any) -> None:
    client = await make_client(SPEC)
    sdl = SPEC.sdl()
    assert "policyRegion: String @inaccessible" in sdl
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.child), [_child(f"ANK{i:09d}", f"Anak {i}") for i in range(1, 51)]
        )
    reps = [{"__typename": "Child", "id": f"ANK{i:09d}"} for i in range(1, 51)]
    facts = identity_of("pkh-coord-pekanbaru", "pkh.verification", FACTS_ONLY)
    before = client.db.statements_executed
    data = await client.acting(facts).data(FACTS, r=reps)
    assert client.db.statements_executed - before == 1
    assert {e["policyRegion"] for e in data["_entities"]} == {"14.71.02.1001"}


# --- reads: jurisdiction, lookups as reads, identity.reports -----------------------------------

SEARCH = """query($name: String, $from: Date, $region: String, $status: DocumentStatus) {
  searchChildren(name: $name, birthDateFrom: $from, regionCode: $region, documentStatus: $status) {
    totalCount nodes { id } } }"""


async def test_roots_outside_jurisdiction_answer_as_unknown(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    batam = client.acting(REGISTRAR)
    siti_nik = make_nik("14.71.02", date(2012, 7, 30), "F", 2)
    unknown_nik = make_nik("14.71.02", date(2010, 1, 1), "M", 9999)
    query = (
        """query($id: ID!, $nik: String!) { child(id: $id) { id } childByNik(nik: $nik) { id } }"""
    )
    # Siti lives in Pekanbaru: for Batam's registry she does not exist.
    outside = await batam.execute(query, id="ANK000000001", nik=siti_nik)
    unknown = await batam.execute(query, id="ANK000000404", nik=unknown_nik)
    assert outside == unknown == {"data": {"child": None, "childByNik": None}}
    inside = await batam.data('{ child(id: "ANK000000002") { id name } }')
    assert inside["child"] == {"id": "ANK000000002", "name": "Moehammad Djoko Soetrisno"}
    pekanbaru = client.acting(DINSOS)
    found = await pekanbaru.data(query, id="ANK000000001", nik=siti_nik)
    assert found == {"child": {"id": "ANK000000001"}, "childByNik": {"id": "ANK000000001"}}


async def test_search_is_filtered_to_jurisdiction_and_counted_after(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    everyone = await client.data(SEARCH)
    assert everyone["searchChildren"]["totalCount"] == 2
    batam = await client.acting(RESOLVER).data(SEARCH)
    assert batam["searchChildren"] == {"totalCount": 1, "nodes": [{"id": "ANK000000002"}]}
    # Asking for a region outside the jurisdiction finds nobody, not an error.
    riau = await client.acting(RESOLVER).data(SEARCH, region="14")
    assert riau["searchChildren"] == {"totalCount": 0, "nodes": []}
    auditor = await client.acting(AUDITOR).data("{ searchChildren { totalCount nodes { id } } }")
    assert auditor["searchChildren"] == {"totalCount": 0, "nodes": []}


@pytest.mark.parametrize(
    ("variables", "category"),
    [
        ({"from": "2010-01-01"}, "identity.full"),
        ({"status": "UNDOCUMENTED"}, "identity.full"),
        ({"region": "21.71.01"}, "identity.full"),  # below the kabupaten: the address
        ({"name": "joko"}, "identity.basic"),
    ],
)
async def test_search_filters_read_their_category(
    make_client: Any, variables: dict[str, Any], category: str
) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    basic_only = identity_of("balai-rumbai-unassigned", "case.management", ("identity.basic",))
    nothing = identity_of("balai-rumbai-unassigned", "case.management", ())
    asker = nothing if category == "identity.basic" else basic_only
    body = await client.acting(asker).execute(SEARCH, **variables)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN", "category": category}
    assert body["data"] is None
    # With the category the same filter is served (within the jurisdiction).
    allowed = await client.acting(BOTH_CITIES).data(SEARCH, **variables)
    assert allowed["searchChildren"]["totalCount"] >= 1


async def test_child_by_nik_reads_identity_full(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    siti_nik = make_nik("14.71.02", date(2012, 7, 30), "F", 2)
    for asker in (
        AUDITOR,
        identity_of("pkh-fac-pekanbaru", "child.protection", ("identity.basic",)),
    ):
        body = await client.acting(asker).execute(
            "query($n: String!) { childByNik(nik: $n) { id } }", n=siti_nik
        )
        assert body["data"] == {"childByNik": None}
        assert [e["extensions"] for e in body["errors"]] == [
            {"code": "FORBIDDEN", "category": "identity.full"}
        ]


async def test_other_names_match_a_search_only_with_identity_reports(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    batam_dinsos = identity_of("dinsos-pekanbaru", "child.protection", IDENTITY, regions=("21.71",))
    async with client.db.transaction() as conn:
        await conn.execute(
            insert(t.child_name),
            {
                "child_id": "ANK000000002",
                "name": "Ucok",
                "normalized_name": "ucok",
                "recorded_by": "LKSA",
            },
        )
    # "Ucok" is only the LKSA's nickname for ANK000000002: searching by it reads identity.reports.
    without = await client.acting(batam_dinsos).data(SEARCH, name="ucok")
    assert without["searchChildren"]["totalCount"] == 0
    with_reports = await client.acting(RESOLVER).data(SEARCH, name="ucok")
    assert with_reports["searchChildren"]["nodes"] == [{"id": "ANK000000002"}]
    # The index's own name is identity.basic: found either way.
    by_index_name = await client.acting(batam_dinsos).data(SEARCH, name="moehammad")
    assert by_index_name["searchChildren"]["totalCount"] == 1


@pytest.mark.parametrize(
    "asker",
    [
        REGISTRAR,  # Disdukcapil, but for civil.registration
        identity_of(
            "dinsos-pekanbaru",
            "child.protection",
            (*IDENTITY, "identity.reports"),
            regions=("21.71",),
        ),
        identity_of(
            "disdukcapil-batam", "identity.resolution", IDENTITY
        ),  # the grant lacks the category
    ],
)
async def test_identity_reports_only_for_disdukcapil_identity_resolution(
    make_client: Any, asker: Any
) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    body = await client.acting(asker).execute(REPORTS, id="ANK000000002")
    assert body["data"] == {"child": {"otherNames": None, "attributeReports": None}}
    assert sorted(e["path"][-1] for e in body["errors"]) == ["attributeReports", "otherNames"]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    allowed = await client.acting(RESOLVER).data(REPORTS, id="ANK000000002")
    assert allowed["child"]["otherNames"] == ["Joko"]
    assert allowed["child"]["attributeReports"] == []


async def test_family_and_registry_roots(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    nik = make_nik("14.71.02", date(2014, 3, 12), "M", 1)
    query = """query($kk: String!, $nik: String!) {
      family(kkNumber: $kk) { kkNumber } registryPerson(nik: $nik) { name } }"""
    dinsos = await client.acting(DINSOS).data(query, kk=KK, nik=nik)
    assert dinsos == {
        "family": {"kkNumber": KK},
        "registryPerson": {"name": "Muhammad Joko Sutrisno"},
    }
    # Batam's registry: the Pekanbaru family does not exist for it.
    batam = await client.acting(REGISTRAR).data(query, kk=KK, nik=nik)
    assert batam == {"family": None, "registryPerson": None}
    # PKH and Balai reach family records through the child, decided per record by the gateway.
    body = await client.acting(PKH).execute(query, kk=KK, nik=nik)
    assert body["data"] == {"family": None, "registryPerson": None}
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}


async def test_another_agencys_nik_is_its_report_not_a_link(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    taken = make_nik("14.71.02", date(2012, 7, 30), "F", 2)  # Siti Aisyah's
    # PKH knows a NIK for the child: recorded as PKH's report, for Disdukcapil to link. No
    # CONFLICT: that would tell PKH whether some child, anywhere, holds this NIK.
    data = await client.acting(PKH).data(
        REGISTER, input={"fullName": "Siti A.", "sex": "F", "regionCode": "14.71", "nik": taken}
    )
    child = data["registerChild"]
    assert (child["nik"], child["documentStatus"], child["registeredBy"]) == (
        None,
        "UNDOCUMENTED",
        "PKH",
    )
    reports = (await client.data(REPORTS, id=child["id"]))["child"]["attributeReports"]
    assert ("PKH", "nik", taken) in {(r["agency"], r["attribute"], r["value"]) for r in reports}
    # Disdukcapil registering with a NIK links it.
    nik = make_nik("14.71.02", date(2014, 3, 12), "M", 1)
    linked = await client.acting(REGISTRAR).data(
        REGISTER, input={"fullName": "Joko", "sex": "M", "regionCode": "14.71", "nik": nik}
    )
    assert linked["registerChild"]["nik"] == nik


async def test_balai_staff_find_a_child_by_index_id_wherever_the_child_lives(
    make_client: Any,
) -> None:
    # A Balai's jurisdiction includes every child with a case there, wherever the child lives;
    # this subgraph holds no cases, so the lookup by index id is left to the gateway's decision.
    client = await make_client(SPEC)
    await _seed(client.db)
    alyatama = client.acting(identity_of("balai-alyatama", "case.management", IDENTITY))
    found = await alyatama.data('{ child(id: "ANK000000001") { id } }')
    assert found == {"child": {"id": "ANK000000001"}}
    # Lists and lookups by attribute stay within the Balai's provinces (Jambi, 15).
    search = await alyatama.data("{ searchChildren { totalCount } }")
    assert search["searchChildren"]["totalCount"] == 0
