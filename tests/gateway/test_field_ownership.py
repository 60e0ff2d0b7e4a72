"""A subgraph writes only the fields it was asked for: an answer carrying fields another subgraph
owns is stripped of them (with an error when it would have overwritten what that subgraph
wrote), so a faulty or hostile subgraph cannot change another agency's data. On wherever access
is controlled (`[consent]`), or set explicitly (`keep_only_asked`)."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.config import GatewayConfig
from gateway.engine import Gateway
from tests.gateway.gateway_support import FakeSubgraphs, supergraph


def execute(fixture: str, query: str, subgraphs: FakeSubgraphs, strict: bool = True) -> Any:
    gateway = Gateway(supergraph(fixture), GatewayConfig(keep_only_asked=strict), client=subgraphs)
    return asyncio.run(gateway.execute(gateway.prepare(query, None), {}))


QUERY = '{ child(id: "A") { name flag } }'


def _registry(_document: str, _variables: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"child": {"__typename": "Child", "id": "A", "name": "Ani"}}}


def _care(extra: dict[str, Any]):  # type: ignore[no-untyped-def]
    def answer(_document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return {
            "data": {
                "_entities": [
                    {"__typename": "Child", "flag": "call Balai", **extra}
                    for _ in variables["representations"]
                ]
            }
        }

    return answer


def test_an_entity_answer_cannot_overwrite_a_field_another_subgraph_owns() -> None:
    subgraphs = FakeSubgraphs({"registry": _registry, "care": _care({"name": "Someone Else"})})
    result = execute("consent.graphql", QUERY, subgraphs)
    assert result["data"] == {"child": {"name": "Ani", "flag": "call Balai"}}
    assert [e["extensions"] for e in result["errors"]] == [
        {"code": "DOWNSTREAM_SERVICE_ERROR", "serviceName": "care"}
    ]


def test_fields_nobody_asked_for_are_dropped_without_noise() -> None:
    subgraphs = FakeSubgraphs({"registry": _registry, "care": _care({"openCases": 3})})
    result = execute("consent.graphql", '{ child(id: "A") { flag } }', subgraphs)
    assert result == {"data": {"child": {"flag": "call Balai"}}}


def test_a_root_answer_cannot_write_another_root_field() -> None:
    def registry(_document: str, _variables: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"child": None, "note": {"id": "N1", "text": "forged"}}}

    def care(_document: str, _variables: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"note": {"id": "N1", "text": "real"}}}

    result = execute(
        "consent.graphql",
        '{ note(id: "N1") { text } child(id: "A") { id } }',
        FakeSubgraphs({"registry": registry, "care": care}),
    )
    assert result["data"] == {"note": {"text": "real"}, "child": None}


def test_without_access_control_answers_merge_as_they_come_unless_asked_to_keep_only_asked() -> (
    None
):
    subgraphs = FakeSubgraphs({"registry": _registry, "care": _care({"name": "Someone Else"})})
    loose = execute("consent.graphql", QUERY, subgraphs, strict=False)
    assert loose == {"data": {"child": {"name": "Someone Else", "flag": "call Balai"}}}
    assert Gateway(supergraph("consent.graphql")).executor.keep_only_asked is False
