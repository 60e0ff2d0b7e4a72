"""The audit record as built from a request context: outcomes, subject ids that are not ids,
free text a client sent, arguments inside root fragments."""

from __future__ import annotations

import hashlib
import hmac
import re

from graphql import parse

from gateway.audit.record import SubjectIds, argument_values, build_record, outcome_of
from gateway.consent.policy import INVISIBLE
from gateway.context import RequestContext
from gateway.operation import normalize

KEY = b"k" * 32
NIK = "1471101405120001"


def context(**fields: object) -> RequestContext:
    found = RequestContext.from_headers({})
    for name, value in fields.items():
        setattr(found, name, value)
    return found


def test_outcomes() -> None:
    ran = ("query", None, "0" * 64)
    assert outcome_of(context(operation=ran), 200) == "answered"
    assert (
        outcome_of(context(operation=ran, error_codes={"FORBIDDEN"}, answered_data=True), 200)
        == "partial"
    )
    assert outcome_of(context(operation=ran, error_codes={"FORBIDDEN"}), 200) == "refused"
    assert outcome_of(context(operation=ran, error_codes={"SUBGRAPH_UNAVAILABLE"}), 200) == "failed"
    assert outcome_of(context(operation=ran, refusal="GRAPHQL_VALIDATION_FAILED"), 200) == "refused"
    assert outcome_of(context(), 401) == "refused"
    assert outcome_of(context(operation=ran), 500) == "failed"


def test_a_subject_key_that_is_no_index_id_is_only_hashed() -> None:
    decided = context(decisions=[("Child", NIK, INVISIBLE), ("Child", "ANK000000005", INVISIBLE)])
    record = build_record(decided, 200, SubjectIds(re.compile("ANK[0-9]{9}"), KEY))
    assert record["children"] == [{"id": "ANK000000005", "found": False}]
    assert record["lookups"] == [
        {"argument": "subject", "hmac": hmac.new(KEY, NIK.encode(), hashlib.sha256).hexdigest()}
    ]
    assert NIK not in str(record)
    # Without a key it is not recorded at all; the default pattern never takes a NIK for an id.
    assert NIK not in str(build_record(decided, 200))


def test_a_purpose_header_that_is_no_purpose_word_is_not_recorded_as_sent() -> None:
    sent = context(headers={"x-satu-anak-purpose": f"lookup {NIK}"})
    assert build_record(sent, 403)["purpose"] == "(not a purpose)"
    assert (
        build_record(context(headers={"x-satu-anak-purpose": "child.protection"}), 403)["purpose"]
        == "child.protection"
    )


def test_arguments_of_root_fields_inside_fragments_are_found() -> None:
    names = frozenset({"Query.childByNik.nik"})
    for document in (
        f'{{ childByNik(nik: "{NIK}") {{ id }} }}',
        f'{{ ... on Query {{ childByNik(nik: "{NIK}") {{ id }} }} }}',
        f'query {{ ...F }} fragment F on Query {{ childByNik(nik: "{NIK}") {{ id }} }}',
        "query($n: String!) { ... { childByNik(nik: $n) { id } } }",
    ):
        operation = normalize(parse(document), None)
        assert argument_values(operation, "Query", {"n": NIK}, names) == [
            ("Query.childByNik.nik", NIK)
        ], document
