"""The person identifiers an answer showed (`[audit] shown_identifiers`): the walk over the answer
by the operation's selections (aliases, fragments, lists, nulls, abstract types), and the stage's
record of them (keyed hashes, each once, bounded with a count of the rest; the settings checked
against the served API at start)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLObjectType, parse

from auth.grant import generate_key_pair
from gateway.audit.config import AuditConfig, AuditConfigError
from gateway.audit.record import build_record
from gateway.audit.shown import shown_values
from gateway.config import GatewayConfig
from gateway.context import RequestContext
from gateway.engine import Gateway
from gateway.operation import normalize
from gateway.supergraph.reader import parse_supergraph
from tests.gateway.audit_schema import AUDIT_TEST_SCHEMA

ROOT = Path(__file__).resolve().parents[2]
KEY = b"k" * 32

SCHEMA = AUDIT_TEST_SCHEMA
NIK = "Person.nik"


def walk(
    document: str, data: dict[str, Any], names: frozenset[str] = frozenset({NIK})
) -> list[str]:
    query = SCHEMA.query_type
    assert isinstance(query, GraphQLObjectType)
    operation = normalize(parse(document), None)
    return [
        value for _name, value in shown_values(SCHEMA, query, operation.selections, data, names)
    ]


def test_values_are_read_by_response_key_aliases_included() -> None:
    data = {"a": {"id": "1471", "nik": "not-a-nik"}, "b": {"nik": "1472"}}
    # `id` is an alias of nik; the key "nik" under `a` is an alias of name: not an identifier.
    assert walk(
        '{ a: person(nik: "x") { id: nik nik: name } b: person(nik: "y") { nik } }', data
    ) == [
        "1471",
        "1472",
    ]


def test_lists_nested_lists_and_nested_objects() -> None:
    data = {
        "people": [{"nik": "1"}, {"nik": "2", "mother": {"nik": "3"}}],
        "families": [[{"members": [{"nik": "4"}]}, None], None, [{"members": None}]],
    }
    document = "{ people { nik mother { nik } } families { members { nik } } }"
    assert walk(document, data) == ["1", "2", "3", "4"]


def test_nulls_and_absent_keys_are_nothing_shown() -> None:
    # A field withheld (null, with its error) or skipped (absent) shows nothing.
    data = {"people": [{"nik": None}, {}, {"nik": "5"}], "code": "1471"}
    assert walk("{ people { nik @skip(if: false) } code }", data) == ["5"]
    assert walk("{ people { nik } }", {"people": None}) == []


def test_a_list_valued_identifier_gives_each_item() -> None:
    names = frozenset({"Person.otherNiks"})
    data = {"people": [{"otherNiks": ["6", None, "7"]}]}
    assert walk("{ people { otherNiks } }", data, names) == ["6", "7"]


def test_fragments_inline_and_named() -> None:
    data = {"people": [{"nik": "8", "x": "9"}]}
    document = """query { people { ...P ... on Person { x: nik } } }
                  fragment P on Person { ... { nik } }"""
    assert walk(document, data) == ["8", "9"]


def test_abstract_types_by_the_fragments_that_may_apply() -> None:
    # A union member's fragment: only Person's nik is an identifier; Family's kk is not.
    data = {"search": [{"nik": "10"}, {"kk": "2171"}], "things": [{"id": "11"}]}
    document = """{ search { ... on Person { nik } ... on Family { kk } }
                    things { ... on Pet { id: nik } } }"""
    assert walk(document, data) == ["10"]  # Pet.nik is not configured
    both = frozenset({NIK, "Pet.nik"})
    assert walk(document, data, both) == ["10", "11"]
    # Without __typename the runtime type is unknown: a key that may be an identifier is taken.
    ambiguous = "{ things { ... on Person { v: nik } ... on Pet { v: name } } }"
    assert walk(ambiguous, {"things": [{"v": "12"}]}) == ["12"]


def test_a_fragment_on_another_type_contributes_nothing() -> None:
    data = {"people": [{"nik": "13"}]}
    assert walk("{ people { ... on Pet { nik } } }", data) == []


# --- the stage, over the real supergraph ------------------------------------------------------


def gateway(tmp_path: Path, **audit: Any) -> Gateway:
    private, public = tmp_path / "grant.pem", tmp_path / "grant.pub.pem"
    if not private.exists():
        generate_key_pair(private, public)
        (tmp_path / "lookup").write_bytes(KEY)
    raw: dict[str, Any] = {
        "url": "http://127.0.0.1:1/audit/append",
        "lookup_key": str(tmp_path / "lookup"),
        "shown_identifiers": ["RegistryPerson.nik"],
        **audit,
    }
    supergraph = parse_supergraph((ROOT / "schema/supergraph.graphql").read_text())
    config = GatewayConfig(audit=AuditConfig.from_mapping(raw), grant_key=str(private))
    return Gateway(supergraph, config)


MATCH = """query($r: IdentityRecordInput!) { matchIdentity(record: $r) {
  candidates { score p: person { nik name } again: person { nik } } } }"""


def hashed(value: str) -> str:
    return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()


def shown(niks: list[str | None]) -> dict[str, Any]:
    candidates = [{"score": 0.5, "p": None if n is None else {"nik": n, "name": "X"}} for n in niks]
    for candidate in candidates:
        candidate["again"] = candidate["p"]
    return {"matchIdentity": {"candidates": candidates}}


def test_each_nik_shown_is_recorded_once_as_a_keyed_hash(tmp_path: Path) -> None:
    served = gateway(tmp_path)
    assert served.audit is not None
    context = RequestContext.from_headers({})
    prepared = served.prepare(MATCH, None, context)
    niks = ["2171010101140001", "2171010101140002", None, "2171010101140001"]
    served.audit.note_shown(prepared, shown(niks), context)
    assert context.lookups == [
        {"shown": "RegistryPerson.nik", "hmac": hashed("2171010101140001")},
        {"shown": "RegistryPerson.nik", "hmac": hashed("2171010101140002")},
    ]
    record = build_record(context, 200, served.audit.ids)
    assert record["lookups"] == context.lookups and "shownOmitted" not in record
    assert "2171010101140001" not in str(record)


def test_past_the_bound_the_rest_are_counted(tmp_path: Path) -> None:
    served = gateway(tmp_path, max_shown=3)
    assert served.audit is not None
    context = RequestContext.from_headers({})
    prepared = served.prepare(MATCH, None, context)
    niks = [f"21710101011400{i:02}" for i in range(8)]
    served.audit.note_shown(prepared, shown([*niks, niks[7]]), context)
    assert [x["hmac"] for x in context.lookups] == [hashed(n) for n in niks[:3]]
    assert build_record(context, 200, served.audit.ids)["shownOmitted"] == 5


def test_nothing_is_walked_or_recorded_without_an_identifier_selected_or_a_key(
    tmp_path: Path,
) -> None:
    served = gateway(tmp_path)
    assert served.audit is not None
    context = RequestContext.from_headers({})
    query = "query($r: IdentityRecordInput!) { matchIdentity(record: $r) { candidates { score } } }"
    served.audit.note_shown(served.prepare(query, None, context), shown(["1"]), context)
    assert context.lookups == []
    unkeyed = gateway(tmp_path, lookup_key=None)
    assert unkeyed.audit is not None
    unkeyed.audit.note_shown(unkeyed.prepare(MATCH, None, context), shown(["1"]), context)
    assert context.lookups == [] and context.shown_omitted == 0
    served.audit.note_shown(served.prepare(MATCH, None, context), None, context)  # data: null
    assert context.lookups == []


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["RegistryPersonn.nik"], "RegistryPersonn is not an object type"),
        (["RegistryPerson.nikk"], "RegistryPerson has no field nikk"),
        (["IdentityCandidate.person"], "not a scalar field"),
        (["IdentityRecordInput.nik"], "not an object type"),
    ],
)
def test_an_identifier_the_api_does_not_have_stops_the_start(
    tmp_path: Path, names: list[str], message: str
) -> None:
    with pytest.raises(AuditConfigError, match=message):
        gateway(tmp_path, shown_identifiers=names)


def test_the_settings_are_checked() -> None:
    for bad in (
        {"shown_identifiers": ["RegistryPerson"]},
        {"shown_identifiers": ["A.b.c"]},
        {"shown_identifiers": "RegistryPerson.nik"},
        {"max_shown": 0},
        {"max_shown": "many"},
    ):
        with pytest.raises(AuditConfigError):
            AuditConfig.from_mapping({"url": "http://x/audit/append", **bad})
    config = AuditConfig.from_mapping({"url": "http://x/a", "shown_identifiers": ["A.b"]})
    assert config.shown_identifiers == frozenset({"A.b"}) and config.max_shown == 100


def test_the_systems_configuration_records_registry_persons_and_decisions_shown() -> None:
    config = GatewayConfig.load(ROOT / "config/gateway.toml", {})
    assert config.audit is not None
    assert config.audit.shown_identifiers == frozenset(
        {"RegistryPerson.nik", "IdentityDecision.nik"}
    )


def test_the_examples_audit_table_once_uncommented_is_valid(tmp_path: Path) -> None:
    text = (ROOT / "gateway.example.toml").read_text()
    head, commented = text.split("# [audit]\n")
    example = tmp_path / "gateway.toml"
    example.write_text(head + "[audit]\n" + "\n".join(x[2:] for x in commented.splitlines()))
    config = GatewayConfig.load(example, {})
    assert config.audit is not None
    assert config.audit.shown_identifiers == frozenset(
        {"RegistryPerson.nik", "IdentityDecision.nik"}
    )
