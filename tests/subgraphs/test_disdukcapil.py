"""Disdukcapil subgraph: the child index, registration, NIK linking, search, batching."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert

from subgraphs.common.identifiers import make_nik
from subgraphs.common.names import normalize_name
from subgraphs.disdukcapil import tables as t
from subgraphs.disdukcapil.service import SPEC

pytestmark = pytest.mark.anyio

KK = "1471020101150001"  # Kota Pekanbaru, issued 01-01-2015
NOW = datetime(2026, 1, 1, tzinfo=UTC)


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
  id nik name documentStatus otherNames attributeReports { agency attribute value } } }"""


async def test_register_child_without_nik_records_reports(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    data = await client.data(
        REGISTER,
        input={
            "reportedBy": "DINSOS",
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
    assert child["nik"] is None
    assert child["documentStatus"] == "UNDOCUMENTED"
    assert child["otherNames"] == ["Samsudin"]
    reported = {(r["attribute"], r["value"]) for r in child["attributeReports"]}
    assert ("fullName", "Udin") in reported
    assert all(r["agency"] == "DINSOS" for r in child["attributeReports"])


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
    data = await client.data(
        """mutation($input: RegisterChildInput!) { registerChild(input: $input) {
          registeredAt attributeReports { reportedAt } } }""",
        input={"reportedBy": "DINSOS", "fullName": "Udin", "sex": "M", "regionCode": "14.71"},
    )
    registered = data["registerChild"]
    stamps = [registered["registeredAt"]] + [
        r["reportedAt"] for r in registered["attributeReports"]
    ]
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
    payload = {
        "reportedBy": "BALAI",
        "fullName": "Rina",
        "sex": "F",
        "regionCode": "14.71",
        **override,
    }
    body = await client.execute(REGISTER, input=payload)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    search = await client.data("{ searchChildren { totalCount } }")
    assert search["searchChildren"]["totalCount"] == 0


async def test_unknown_enum_is_a_validation_error(make_client: Any) -> None:
    client = await make_client(SPEC)
    body = await client.execute(
        REGISTER, input={"reportedBy": "POLICE", "fullName": "A", "sex": "M", "regionCode": "14"}
    )
    assert body["errors"] and "POLICE" in body["errors"][0]["message"]
    assert "data" not in body or body["data"] is None


async def test_register_with_taken_nik_conflicts_and_rolls_back(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    taken = make_nik("14.71.02", date(2012, 7, 30), "F", 2)
    body = await client.execute(
        REGISTER,
        input={
            "reportedBy": "PKH",
            "fullName": "Siti A.",
            "sex": "F",
            "regionCode": "14.71",
            "nik": taken,
            "otherNames": ["Ais"],
        },
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["CONFLICT"]
    names = await client.data('{ searchChildren(name: "ais") { totalCount } }')
    # Only the seeded Siti Aisyah: the failed registration left no other name or report behind.
    assert names["searchChildren"]["totalCount"] == 1


LINK = """mutation($id: ID!, $nik: String!) { linkNik(childId: $id, nik: $nik, reportedBy: DISDUKCAPIL) {
  id nik birthDate birthDateApproximate documentStatus otherNames kkNumber } }"""


async def test_link_nik_resolves_an_undocumented_child(make_client: Any) -> None:
    client = await make_client(SPEC)
    await _seed(client.db)
    nik = make_nik("14.71.02", date(2014, 3, 12), "M", 1)
    child = (await client.data(LINK, id="ANK000000002", nik=nik))["linkNik"]
    assert child["nik"] == nik
    assert child["birthDate"] == "2014-03-12"
    assert child["birthDateApproximate"] is False
    assert child["documentStatus"] == "DOCUMENTED"
    assert child["kkNumber"] == KK
    # The registry spelling differs only by the pre-1972 spelling: no new name to record.
    assert child["otherNames"] == ["Joko"]

    # The same NIK cannot go to another child; an unknown child is null.
    other = await client.execute(LINK, id="ANK000000001", nik=nik)
    assert [e["extensions"]["code"] for e in other["errors"]] == ["CONFLICT"]
    missing = await client.execute(LINK, id="ANK000000404", nik=nik)
    assert missing == {"data": {"linkNik": None}}


async def test_link_nik_unknown_to_registry_is_bad_input(make_client: Any) -> None:
    client = await make_client(SPEC)
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
