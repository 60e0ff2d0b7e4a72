"""A subgraph's answer as the gateway reads it: the changes a mutation reports
(`extensions.changes`), kept only in the shape subgraphs send them; a hostile or broken
subgraph's extensions are ignored, never an exception."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gateway.client.response import MAX_CHANGE_TEXT, MAX_CHANGES, parse_response

OPENED = {"entity": "AtensiCase", "id": "7", "action": "opened"}
ENDED = {"entity": "ResidentialStay", "id": "3", "action": "ended"}


def _parse(body: Any) -> Any:
    return parse_response("balai", 200, orjson.dumps(body))


def test_the_reported_changes_are_kept_in_order() -> None:
    response = _parse({"data": {"openCase": None}, "extensions": {"changes": [OPENED, ENDED]}})
    assert response.changes == (OPENED, ENDED)
    assert response.data == {"openCase": None} and response.errors == []


def test_an_answer_without_changes_has_none() -> None:
    assert _parse({"data": {"x": 1}}).changes == ()
    assert _parse({"data": {"x": 1}, "extensions": {"tracing": {}}}).changes == ()
    assert _parse({"errors": [{"message": "no"}], "extensions": {"changes": []}}).changes == ()


def test_changes_come_with_errors_too() -> None:
    # A document whose first mutation committed and whose second failed: the first was written.
    response = _parse(
        {"data": None, "errors": [{"message": "no"}], "extensions": {"changes": [OPENED]}}
    )
    assert response.changes == (OPENED,)


@pytest.mark.parametrize(
    "extensions",
    [
        None,
        "changes",
        [OPENED],  # extensions must be an object
        {"changes": None},
        {"changes": "AtensiCase 7 opened"},
        {"changes": OPENED},  # one object, not a list
        {"changes": {"0": OPENED}},
        {"changes": [OPENED] * (MAX_CHANGES + 1)},  # too many: ignored whole
    ],
)
def test_extensions_not_in_the_shape_are_ignored_whole(extensions: Any) -> None:
    response = _parse({"data": {"openCase": None}, "extensions": extensions})
    assert response.changes == ()
    assert response.data == {"openCase": None}  # the answer itself stands


@pytest.mark.parametrize(
    "change",
    [
        None,
        "AtensiCase",
        ["AtensiCase", "7", "opened"],
        {"entity": "AtensiCase", "id": 7, "action": "opened"},  # ids are strings
        {"entity": "AtensiCase", "id": "7"},
        {"entity": None, "id": "7", "action": "opened"},
        {"entity": "AtensiCase", "id": "7", "action": {"nested": "object"}},
        {"entity": "AtensiCase", "id": "7", "action": ["opened"]},
        {"entity": "AtensiCase", "id": "7", "action": True},
        {"entity": "X" * (MAX_CHANGE_TEXT + 1), "id": "7", "action": "opened"},
        {"entity": "AtensiCase", "id": "7" * (MAX_CHANGE_TEXT + 1), "action": "opened"},
        {"entity": "AtensiCase", "id": "7", "action": "o" * (MAX_CHANGE_TEXT + 1)},
    ],
)
def test_a_change_not_in_the_shape_is_left_out(change: Any) -> None:
    response = _parse({"data": {}, "extensions": {"changes": [OPENED, change, ENDED]}})
    assert response.changes == (OPENED, ENDED)


def test_the_limits_are_inclusive_and_extra_keys_are_dropped() -> None:
    longest = {"entity": "E" * MAX_CHANGE_TEXT, "id": "1" * MAX_CHANGE_TEXT, "action": "a"}
    extra = {**OPENED, "subgraph": "dinsos", "payload": {"nik": "1471..."}}
    changes = [longest, extra] + [OPENED] * (MAX_CHANGES - 2)
    response = _parse({"data": {}, "extensions": {"changes": changes}})
    assert len(response.changes) == MAX_CHANGES
    assert response.changes[0] == longest
    # Only the three keys are kept: a subgraph cannot claim to be another one.
    assert response.changes[1] == OPENED


def test_each_parse_has_its_own_changes() -> None:
    content = orjson.dumps({"data": {}, "extensions": {"changes": [OPENED]}})
    first = parse_response("balai", 200, content)
    second = parse_response("balai", 200, content)
    assert first.changes == second.changes
    assert first.changes[0] is not second.changes[0]
