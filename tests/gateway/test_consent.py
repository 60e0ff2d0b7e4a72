"""Consent-aware planning over a fixture supergraph with a fake policy: the static pass, a
decision wherever a plan reaches the subject (facts once per request, one batched decision,
fetches narrowed per group of children), absent out-of-jurisdiction children, and denial errors
that are the same however the field is reached."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from typing import Any

import pytest

from auth.purposes import Role
from gateway.config import ConfigError, GatewayConfig
from gateway.consent import ConsentConfig, Denial, RecordDecision, SubjectDecision
from gateway.consent.config import WritePath
from gateway.consent.decide import per_record
from gateway.context import RequestContext
from gateway.engine import Gateway
from gateway.errors import RequestError
from gateway.planner.plan import DecisionNode, fetch_nodes
from tests.gateway.consent_support import CONFIG, FakePolicy, context, fake_subgraphs
from tests.gateway.gateway_support import FakeSubgraphs, supergraph


def _gateway(fakes: FakeSubgraphs, policy: FakePolicy | None = None) -> Gateway:
    return Gateway(
        supergraph("consent.graphql"),
        GatewayConfig(consent=CONFIG),
        client=fakes,
        policy=policy or FakePolicy(),
    )


def _run(
    query: str, role: Role = Role.DINSOS_OFFICER, fakes: FakeSubgraphs | None = None
) -> tuple[dict[str, Any], FakeSubgraphs]:
    fakes = fakes or fake_subgraphs()
    gateway = _gateway(fakes)
    ctx = context(role)
    prepared = gateway.prepare(query, None, ctx)
    return asyncio.run(gateway.execute(prepared, {}, ctx)), fakes


def _errors(response: dict[str, Any]) -> list[tuple[list[Any], str, str, list[str]]]:
    return [
        (
            e["path"],
            e["extensions"]["code"],
            e["extensions"]["category"],
            e["extensions"]["allowedBy"],
        )
        for e in response.get("errors", [])
    ]


def _fetched(fakes: FakeSubgraphs) -> list[set[str]]:
    """The field names of every document sent, except the facts fetches."""
    return [
        set(re.findall(r"\b\w+\b", doc))
        for _, doc, _ in fakes.sent
        if "ConsentFacts" not in doc and "ConsentRequestFacts" not in doc
    ]


def test_a_field_denied_by_the_static_pass_is_never_fetched_and_answers_null_with_its_error() -> (
    None
):
    response, fakes = _run('{ child(id: "A") { name cases { category notes } } }')
    assert response["data"] == {
        "child": {
            "name": "Ani",
            "cases": [
                {"category": "NEGLECT", "notes": None},
                {"category": "VIOLENCE", "notes": None},
            ],
        }
    }
    assert _errors(response) == [
        (["child", "cases", 0, "notes"], "FORBIDDEN", "protection.detail", []),
        (["child", "cases", 1, "notes"], "FORBIDDEN", "protection.detail", []),
    ]
    assert not any("notes" in doc for doc in _fetched(fakes))


def test_the_root_fetch_returns_only_keys_and_every_field_waits_for_the_decision() -> None:
    gateway = _gateway(fake_subgraphs())
    plan = gateway.prepare(
        '{ child(id: "A") { name nik flag } }', None, context(Role.DINSOS_OFFICER)
    ).plan
    root, *rest = fetch_nodes(plan.node)
    assert root.entity_type is None
    # Only the key, and the facts this subgraph holds (no second call for them).
    assert re.findall(r"\b\w+\b", root.operation) == [
        "child",
        "id",
        "A",
        "__typename",
        "id",
        "region",
    ]
    assert "policy.facts" in root.categories
    text = gateway.plan_text(
        '{ child(id: "A") { name nik flag } }', None, context(Role.DINSOS_OFFICER)
    )
    assert text.count('Decide(subject: "Child", path: "child")') == 2
    assert all(node.entity_type == "Child" for node in rest)


def test_facts_are_fetched_once_per_request_per_subgraph_for_every_child_of_the_step() -> None:
    policy = FakePolicy()
    fakes = fake_subgraphs()
    gateway = _gateway(fakes, policy)
    ctx = context(Role.DINSOS_OFFICER)
    prepared = gateway.prepare("{ children { name flag } }", None, ctx)
    asyncio.run(gateway.execute(prepared, {}, ctx))
    facts = [(s, v["representations"]) for s, doc, v in fakes.sent if "ConsentFacts" in doc]
    # The registry's facts came with the list (selected beside the keys); the care subgraph's
    # in one call, with the request's facts (agreements) in the same operation.
    assert [s for s, _ in facts] == ["care"]
    assert all([r["id"] for r in reps] == ["A", "B", "C"] for _, reps in facts)
    assert not any("ConsentRequestFacts" in doc for _, doc, _ in fakes.sent)
    assert any("agreements" in doc for s, doc, _ in fakes.sent if s == "care")
    assert len(policy.decided) == 1 and [f["id"] for f in policy.decided[0]] == ["A", "B", "C"]
    assert policy.decided[0][0] == {"id": "A", "region": "14.71", "openCases": 1}


def test_a_child_out_of_jurisdiction_is_exactly_like_one_that_does_not_exist() -> None:
    missing, _ = _run('{ child(id: "Z") { name } }')
    outside, fakes = _run('{ child(id: "B") { name nik } }')
    assert outside == missing == {"data": {"child": None}}
    # Nothing but its key and facts was ever asked of it.
    assert not any("name" in doc for doc in _fetched(fakes))


def test_in_lists_children_out_of_jurisdiction_are_left_out() -> None:
    response, fakes = _run("{ children { id name } }")
    assert response == {
        "data": {"children": [{"id": "A", "name": "Ani"}, {"id": "C", "name": "Citra"}]}
    }
    sent = [
        v["representations"]
        for s, doc, v in fakes.sent
        if "ConsentFacts" not in doc and "representations" in v
    ]
    assert sent == [[{"__typename": "Child", "id": "A"}, {"__typename": "Child", "id": "C"}]]


def test_children_are_grouped_by_outcome_and_each_group_gets_only_its_allowed_fields() -> None:
    response, fakes = _run("{ children { id flag cases { category } } }", Role.PKH_FACILITATOR)
    assert response["data"] == {
        "children": [
            {"id": "A", "flag": "open case: call Balai Rumbai", "cases": None},
            {"id": "C", "flag": None, "cases": []},
        ]
    }
    assert _errors(response) == [
        (["children", 0, "cases"], "CONSENT_REQUIRED", "protection.summary", ["consent"])
    ]
    care = [
        (doc, v["representations"])
        for s, doc, v in fakes.sent
        if s == "care" and "ConsentFacts" not in doc and "representations" in v
    ]
    by_ids = {tuple(r["id"] for r in reps): doc for doc, reps in care}
    assert set(by_ids) == {("A",), ("C",)}
    assert "cases" not in by_ids[("A",)] and "flag" in by_ids[("A",)]
    assert "cases" in by_ids[("C",)]


@pytest.mark.parametrize(
    "query",
    [
        '{ child(id: "A") { cases { category } } }',
        '{ child(id: "A") { alias: cases { category } } }',
        '{ child(id: "A") { ... on Child { cases { category } } } }',
        '{ child(id: "A") { ...F } } fragment F on Child { cases { category } }',
        '{ child(id: "A") { cases @include(if: true) { category } } }',
    ],
)
def test_the_same_field_gets_the_same_decision_however_it_is_reached(query: str) -> None:
    response, fakes = _run(query, Role.PKH_FACILITATOR)
    (error,) = _errors(response)
    assert error[1:] == ("CONSENT_REQUIRED", "protection.summary", ["consent"])
    assert not any("category" in doc for doc in _fetched(fakes))


def test_a_child_reached_through_a_record_is_decided_about_like_one_looked_up() -> None:
    # Note N1 is about child B, out of jurisdiction: the note shows, its child does not exist.
    response, fakes = _run('{ note(id: "N1") { text child { id name } } }')
    assert response == {"data": {"note": {"text": "seen at school", "child": None}}}
    assert not any("name" in doc for doc in _fetched(fakes))


def test_a_root_list_carrying_a_category_needs_it_by_mandate() -> None:
    allowed, _ = _run('{ cases(office: "X") { category } }', Role.DINSOS_OFFICER)
    assert allowed == {"data": {"cases": [{"category": "NEGLECT"}, {"category": "VIOLENCE"}]}}
    refused, fakes = _run('{ cases(office: "X") { category } }', Role.PKH_FACILITATOR)
    assert refused["data"] is None  # cases is non-null: the denial nulls the whole answer
    assert _errors(refused) == [(["cases"], "FORBIDDEN", "protection.summary", [])]
    assert fakes.sent == []


def test_one_kind_of_caller_s_plan_never_serves_another() -> None:
    gateway = _gateway(fake_subgraphs())
    query = '{ cases(office: "X") { category } }'
    dinsos = gateway.prepare(query, None, context(Role.DINSOS_OFFICER))
    pkh = gateway.prepare(query, None, context(Role.PKH_FACILITATOR))
    assert dinsos is not pkh and pkh.plan.node is None and dinsos.plan.node is not None
    assert gateway.prepare(query, None, context(Role.DINSOS_OFFICER)) is dinsos


def test_a_decision_only_step_fetches_nothing_but_the_facts() -> None:
    gateway = _gateway(fake_subgraphs())
    plan = gateway.prepare('{ child(id: "A") { id } }', None, context(Role.DINSOS_OFFICER)).plan
    decisions = [n for n in plan.node.nodes if isinstance(n, DecisionNode)]  # type: ignore[union-attr]
    assert len(decisions) == 1 and decisions[0].node is None
    response, _ = _run('{ child(id: "A") { id } }')
    assert response == {"data": {"child": {"id": "A"}}}


def test_facts_that_cannot_be_read_withhold_the_children_and_say_so() -> None:
    fakes = fake_subgraphs()
    handlers = dict(fakes.handlers)
    care = handlers["care"]

    def failing(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "ConsentFacts" in document:
            return {"errors": [{"message": "down"}]}
        return care(document, variables)

    handlers["care"] = failing
    response, _ = _run('{ child(id: "A") { name } }', fakes=FakeSubgraphs(handlers))
    assert response["data"] == {"child": None}
    assert [e["extensions"] for e in response["errors"]] == [
        {"code": "FACTS_UNAVAILABLE", "serviceName": "care"}
    ]


def test_facts_fields_cannot_be_selected_by_clients() -> None:
    with pytest.raises(RequestError, match="Cannot query field 'region'"):
        _run('{ child(id: "A") { region } }')


def test_a_consent_configuration_naming_what_the_supergraph_lacks_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"Child\.missing"):
        Gateway(
            supergraph("consent.graphql"),
            GatewayConfig(consent=ConsentConfig("Child", CONFIG.policy, facts=("missing",))),
            policy=FakePolicy(),
        )
    with pytest.raises(ConfigError, match="policy"):
        ConsentConfig.from_mapping({"subject": "Child", "policy": "nowhere"})


@pytest.mark.parametrize(
    "query",
    [
        "{ search { __typename ... on Child { id name } ... on Office { name } } }",
        "{ search { __typename ... on Named { name } ... on Child { id } ... on Office { code } } }",
    ],
)
def test_children_reached_through_a_union_or_an_interface_are_decided_about_too(query: str) -> None:
    response, fakes = _run(query, Role.PKH_FACILITATOR)
    found = response["data"]["search"]
    assert [(f["__typename"], f["name"]) for f in found] == [
        ("Child", "Ani"),
        ("Child", "Citra"),
        ("Office", "Balai Rumbai"),
    ]
    root = fakes.sent[0][1]
    # At first only the key (and the facts this subgraph holds), nothing else of the child.
    assert "... on Child {\n      __typename\n      id\n      region\n    }" in root
    sent = [
        r["id"]
        for s, doc, v in fakes.sent
        if "ConsentFacts" not in doc and "representations" in v
        for r in v["representations"]
    ]
    assert sorted(sent) == ["A", "C"]  # B, out of jurisdiction, is never sent


def test_a_denied_field_reached_through_an_interface_fragment_has_its_subject_s_decision() -> None:
    response, fakes = _run(
        "{ search { ... on Named { name } ... on Child { cases { category } } } }",
        Role.PKH_FACILITATOR,
    )
    for _, doc, variables in fakes.sent:
        if "category" in doc:  # only for C, who has no open case
            assert variables["representations"] == [{"__typename": "Child", "id": "C"}]
    assert _errors(response) == [
        (["search", 0, "cases"], "CONSENT_REQUIRED", "protection.summary", ["consent"])
    ]


def test_records_below_a_child_are_decided_one_by_one() -> None:
    response, fakes = _run('{ child(id: "A") { cases { category notes } } }', Role.BALAI_CASEWORKER)
    assert response["data"] == {
        "child": {
            "cases": [
                {"category": "NEGLECT", "notes": None},
                {"category": None, "notes": None},
            ]
        }
    }
    assert _errors(response) == [
        (
            ["child", "cases", 0, "notes"],
            "ASSIGNMENT_REQUIRED",
            "protection.detail",
            ["assignment"],
        ),
        (
            ["child", "cases", 1, "category"],
            "CONSENT_REQUIRED",
            "protection.summary",
            ["consent", "agreement"],
        ),
        (["child", "cases", 1, "notes"], "FORBIDDEN", "protection.detail", []),
    ]
    # The record's key is fetched so its decision can be found, and never shown unasked.
    assert any("id" in doc and "cases" in doc for doc in _fetched(fakes))


def test_a_gateway_with_a_policy_but_no_authentication_refuses_to_start() -> None:
    from gateway.http import create_gateway_app

    with pytest.raises(ConfigError, match="needs authentication"):
        create_gateway_app(_gateway(fake_subgraphs()))


def test_a_mutation_the_role_may_not_run_is_never_sent() -> None:
    mutation = 'mutation { addNote(childId: "A", text: "visited") { text child { name } } }'
    refused, fakes = _run(mutation, Role.PKH_FACILITATOR)
    assert refused["data"] == {"addNote": None}
    assert [e["extensions"] for e in refused["errors"]] == [{"code": "FORBIDDEN"}]
    assert [e["path"] for e in refused["errors"]] == [["addNote"]]
    assert fakes.sent == []
    # The role that may write gets the answer, its returned child decided like any read.
    done, fakes = _run(mutation, Role.DINSOS_OFFICER)
    assert done == {"data": {"addNote": {"text": "visited", "child": {"name": "Ani"}}}}
    assert any("addNote" in doc for _, doc, _ in fakes.sent)  # after its child's facts


def test_a_lookup_by_a_categorized_attribute_needs_the_category_by_mandate() -> None:
    query = '{ childByNik(nik: "1471000000000001") { id name } }'
    found, _ = _run(query, Role.DINSOS_OFFICER)
    assert found == {"data": {"childByNik": {"id": "A", "name": "Ani"}}}
    refused, fakes = _run(query, Role.PKH_FACILITATOR)
    assert refused["data"] == {"childByNik": None}
    assert _errors(refused) == [(["childByNik"], "FORBIDDEN", "identity.full", [])]
    assert fakes.sent == []


def test_a_child_found_by_an_attribute_the_asker_may_not_read_of_it_is_absent() -> None:
    class NoNikOfC(FakePolicy):
        def decide(self, principal, purpose, subjects, request_facts, categories, now):  # type: ignore[no-untyped-def]
            decisions = super().decide(principal, purpose, subjects, request_facts, categories, now)
            return [
                replace(d, allowed=d.allowed - {"identity.full"}) if s["id"] == "C" else d
                for s, d in zip(subjects, decisions, strict=True)
            ]

    fakes = fake_subgraphs()
    gateway = _gateway(fakes, NoNikOfC())
    ctx = context(Role.DINSOS_OFFICER)
    for nik, expected in (("1471000000000001", {"id": "A"}), ("1471000000000003", None)):
        query = f'{{ childByNik(nik: "{nik}") {{ id }} }}'
        response = asyncio.run(gateway.execute(gateway.prepare(query, None, ctx), {}, ctx))
        assert response == {"data": {"childByNik": expected}}


def test_each_fetch_is_granted_exactly_the_categories_decided_for_it() -> None:
    response, fakes = _run('{ childByNik(nik: "1471000000000001") { name cases { category } } }')
    assert response["data"] == {
        "childByNik": {"name": "Ani", "cases": [{"category": "NEGLECT"}, {"category": "VIOLENCE"}]}
    }
    granted = {
        (service, "ConsentFacts" in doc or "ConsentRequestFacts" in doc): categories
        for (service, doc, _), categories in zip(fakes.sent, fakes.categories, strict=True)
    }
    # The lookup reads identity.full: its root fetch carries it; the facts their own category;
    # each entity fetch what its fields are, as decided.
    roots = [
        c for (s, d, _), c in zip(fakes.sent, fakes.categories, strict=True) if "childByNik" in d
    ]
    assert roots == [frozenset({"identity.full", "policy.facts"})]
    assert granted[("care", True)] == frozenset({"policy.facts"})
    by_doc = {d: c for (s, d, _), c in zip(fakes.sent, fakes.categories, strict=True)}
    assert frozenset({"identity.basic"}) in by_doc.values()
    assert frozenset({"protection.summary"}) in by_doc.values()


def test_a_role_that_sees_nothing_of_any_child_is_refused_without_a_fetch() -> None:
    query = '{ child(id: "A") { name nik cases { category } } office(code: "RUMBAI") { name } }'
    response, fakes = _run(query, Role.AUDITOR)
    assert response["data"] == {"child": None, "office": {"name": "Balai Rumbai"}}
    assert _errors(response) == [
        (["child"], "FORBIDDEN", "identity.basic", []),
        (["child"], "FORBIDDEN", "identity.full", []),
        (["child"], "FORBIDDEN", "protection.summary", []),
    ]
    assert [s for s, _, _ in fakes.sent] == ["registry"]  # the office only
    # The same answer for a child that does not exist.
    missing, _ = _run(query.replace('"A"', '"Z"'), Role.AUDITOR)
    assert missing == response


def test_a_gateway_with_a_policy_keeps_only_the_fields_each_fetch_asked_for() -> None:
    assert _gateway(fake_subgraphs()).executor.keep_only_asked is True


# --- per-record grants ------------------------------------------------------------------------


def _records_sent(fakes: FakeSubgraphs) -> list[tuple[str, object]]:
    """(service, records) for every fetch sent that is not a facts fetch."""
    return [
        (service, records)
        for (service, doc, _), records in zip(fakes.sent, fakes.records, strict=True)
        if "ConsentFacts" not in doc and "ConsentRequestFacts" not in doc
    ]


def test_a_group_s_fetch_is_granted_only_the_records_that_may_be_seen() -> None:
    response, fakes = _run('{ child(id: "A") { cases { category notes } } }', Role.BALAI_CASEWORKER)
    assert response["data"]["child"]["cases"][1] == {"category": None, "notes": None}
    sent = _records_sent(fakes)
    # The root lookup: no restriction; the care fetch of A's cases: K1's summary only (K2 is
    # another Balai's; protection.detail is not fetched at all — no record's decision allows it
    # and the policy took it out of the child's categories).
    assert sent == [("registry", None), ("care", {"protection.summary": frozenset({"K1"})})]
    # Facts fetches never carry a restriction.
    assert all(
        r is None
        for (_, doc, _), r in zip(fakes.sent, fakes.records, strict=True)
        if "ConsentFacts" in doc
    )


def test_without_record_decisions_no_fetch_is_restricted() -> None:
    _, fakes = _run('{ child(id: "A") { name cases { category } } }', Role.DINSOS_OFFICER)
    assert fakes.records and all(r is None for r in fakes.records)


def test_a_group_s_records_are_the_union_over_its_children() -> None:
    class PerChild(FakePolicy):
        def decide(self, principal, purpose, subjects, request_facts, categories, now):  # type: ignore[no-untyped-def]
            decisions = super().decide(principal, purpose, subjects, request_facts, categories, now)
            mine = RecordDecision(frozenset({"protection.summary", "protection.detail"}))
            return [
                replace(d, records={"K3": mine, "K4": RecordDecision(frozenset())})
                if s["id"] == "C"
                else d
                for s, d in zip(subjects, decisions, strict=True)
            ]

    fakes = fake_subgraphs()
    gateway = _gateway(fakes, PerChild())
    ctx = context(Role.BALAI_CASEWORKER)
    query = "{ children { id cases { category } } }"
    asyncio.run(gateway.execute(gateway.prepare(query, None, ctx), {}, ctx))
    (care,) = [(s, r) for s, r in _records_sent(fakes) if s == "care"]
    # A and C have the same outcome: one fetch, granted A's K1 and C's K3 for the summary;
    # protection.detail is not fetched, so not restricted either.
    assert care == ("care", {"protection.summary": frozenset({"K1", "K3"})})
    sent = [v["representations"] for s, doc, v in fakes.sent if s == "care" and "cases" in doc]
    assert sent == [[{"__typename": "Child", "id": "A"}, {"__typename": "Child", "id": "C"}]]


def test_per_record_keys_only_for_categories_decided_per_record_and_fetched() -> None:
    one = SubjectDecision(
        True,
        frozenset({"identity.basic", "protection.summary", "protection.detail"}),
        {},
        records={
            "K1": RecordDecision(frozenset({"protection.summary"})),
            "K2": RecordDecision(frozenset(), {"protection.detail": Denial("protection.detail")}),
        },
    )
    other = SubjectDecision(True, one.allowed, {})  # no records: adds nothing
    fetched = frozenset({"identity.basic", "protection.summary", "protection.detail"})
    assert per_record([one, other], fetched) == {
        "protection.summary": frozenset({"K1"}),
        "protection.detail": frozenset(),
    }
    assert per_record([one], frozenset({"identity.basic"})) is None
    assert per_record([other], fetched) is None


def test_a_subgraph_s_refusal_of_a_withheld_record_leaves_only_the_gateway_s_denial() -> None:
    fakes = fake_subgraphs()
    care = fakes.handlers["care"]

    def refusing(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        # As the balai subgraph does under a per-record grant: K2's summary is refused (and K1's
        # too, here, to show that a refusal of a record the gateway allowed is kept).
        body = care(document, variables)
        if "ConsentFacts" in document or "cases" not in document:
            return body
        errors = []
        for position, case in enumerate(body["data"]["_entities"][0]["cases"]):
            case["category"] = None
            errors.append(
                {
                    "message": "This record's data category is not allowed for this request.",
                    "path": ["_entities", 0, "cases", position, "category"],
                    "extensions": {"code": "FORBIDDEN", "category": "protection.summary"},
                }
            )
        return {"data": body["data"], "errors": errors}

    handlers = {**fakes.handlers, "care": refusing}
    response, _ = _run(
        '{ child(id: "A") { cases { category } } }',
        Role.BALAI_CASEWORKER,
        FakeSubgraphs(handlers),
    )
    assert response["data"] == {"child": {"cases": [{"category": None}, {"category": None}]}}
    assert [(e["path"], e["extensions"]) for e in response["errors"]] == [
        # K1 was granted: the subgraph's refusal is a real failure, reported as it came.
        (
            ["child", "cases", 0, "category"],
            {"code": "FORBIDDEN", "category": "protection.summary", "serviceName": "care"},
        ),
        # K2 was withheld by the gateway's decision: only the gateway's denial.
        (
            ["child", "cases", 1, "category"],
            {
                "code": "CONSENT_REQUIRED",
                "category": "protection.summary",
                "allowedBy": ["consent", "agreement"],
            },
        ),
    ]


# --- records found outside their subject ------------------------------------------------------


def _decisions(plan_node: object) -> list[DecisionNode]:
    found: list[DecisionNode] = []
    stack = [plan_node]
    while stack:
        node = stack.pop()
        if isinstance(node, DecisionNode):
            found.append(node)
        stack.extend(getattr(node, "nodes", ()))
        for name in ("node", "if_clause", "else_clause"):
            inner = getattr(node, name, None)
            if inner is not None and not isinstance(node, DecisionNode):
                stack.append(inner)
    return found


@pytest.mark.parametrize(
    "query",
    [
        '{ case(id: "%s") { category notes } }',
        '{ case(id: "%s") { ... on Case { category notes } } }',
        '{ c: case(id: "%s") { kind: category ...N } } fragment N on Case { notes }',
    ],
)
def test_a_record_looked_up_at_the_root_gets_the_decision_it_gets_through_its_child(
    query: str,
) -> None:
    through_child, _ = _run(
        '{ child(id: "A") { cases { category notes } } }', Role.BALAI_CASEWORKER
    )
    expected = {
        "K1": (
            through_child["data"]["child"]["cases"][0],
            [("ASSIGNMENT_REQUIRED", "protection.detail", ["assignment"])],
        ),
        "K2": (
            through_child["data"]["child"]["cases"][1],
            [
                ("CONSENT_REQUIRED", "protection.summary", ["consent", "agreement"]),
                ("FORBIDDEN", "protection.detail", []),
            ],
        ),
    }
    for key, (case, denials) in expected.items():
        response, fakes = _run(query % key, Role.BALAI_CASEWORKER)
        (answer,) = response["data"].values()
        assert list(answer.values()) == [case["category"], case["notes"]]
        assert sorted(e[1:] for e in _errors(response)) == sorted(denials)
        # Before the decision, only the case's key and its child's key (and facts) are fetched;
        # a case whose decision allows nothing is not fetched again at all.
        first = fakes.sent[0][1]
        assert "category" not in first and "notes" not in first and "child" in first
        later = [doc for doc in _fetched(fakes)[1:]]
        assert ("category" in set().union(*later)) is (key == "K1")
        assert not any("notes" in doc for doc in later)


def test_a_record_of_a_child_out_of_jurisdiction_does_not_exist() -> None:
    unknown, _ = _run('{ case(id: "K404") { category } }', Role.BALAI_CASEWORKER)
    hidden, fakes = _run('{ case(id: "K9") { category child { id } } }', Role.BALAI_CASEWORKER)
    assert hidden == unknown == {"data": {"case": None}}
    assert not any("category" in doc for doc in _fetched(fakes))


def test_a_root_list_of_records_shows_each_record_by_its_own_decision() -> None:
    response, fakes = _run('{ cases(office: "X") { id category } }', Role.BALAI_CASEWORKER)
    assert response["data"] == {
        "cases": [{"id": "K1", "category": "NEGLECT"}, {"id": "K2", "category": None}]
    }
    assert _errors(response) == [
        (
            ["cases", 1, "category"],
            "CONSENT_REQUIRED",
            "protection.summary",
            ["consent", "agreement"],
        )
    ]
    # The one entity fetch of the cases is granted K1 alone.
    assert _records_sent(fakes)[1:] == [("care", {"protection.summary": frozenset({"K1"})})]


def test_a_record_s_child_is_decided_about_as_a_subject() -> None:
    response, _ = _run('{ case(id: "K1") { category child { name nik } } }', Role.DINSOS_OFFICER)
    assert response == {
        "data": {
            "case": {"category": "NEGLECT", "child": {"name": "Ani", "nik": "1471000000000001"}}
        }
    }
    denied, fakes = _run('{ case(id: "K2") { child { name } } }', Role.BALAI_CASEWORKER)
    # K2's summary (which its `child` link is) may not be seen: the link is null with the
    # denial, and nothing of the child it leads to is fetched.
    assert denied["data"] == {"case": {"child": None}}
    assert _errors(denied) == [
        (["case", "child"], "CONSENT_REQUIRED", "protection.summary", ["consent", "agreement"])
    ]
    assert not any("name" in doc for doc in _fetched(fakes))


def test_the_printed_plan_decides_about_a_record_before_fetching_its_fields() -> None:
    gateway = _gateway(fake_subgraphs())
    prepared = gateway.prepare(
        '{ case(id: "K1") { category } }', None, context(Role.BALAI_CASEWORKER)
    )
    (decision,) = _decisions(prepared.plan.node)
    assert decision.record is not None and decision.record.type == "Case"
    assert decision.node is not None and "category" in decision.node.selection_text
    from gateway.planner.plan import print_plan

    printed = print_plan(prepared.plan)
    assert 'Decide(record: "Case", subject: "Child" at "child", path: "case")' in printed
    assert printed.index("Decide(") < printed.index("category")


def test_a_record_type_decided_through_its_subject_must_be_an_entity() -> None:
    config = replace(CONFIG, links={"Note": "child"}, records={"Note": "id"})
    with pytest.raises(ConfigError, match="must be an entity"):
        Gateway(
            supergraph("consent.graphql"),
            GatewayConfig(consent=config),
            client=fake_subgraphs(),
            policy=FakePolicy(),
        )
    wrong_link = replace(CONFIG, links={"Case": "category"})
    with pytest.raises(ConfigError, match="subject must be a field"):
        Gateway(
            supergraph("consent.graphql"),
            GatewayConfig(consent=wrong_link),
            client=fake_subgraphs(),
            policy=FakePolicy(),
        )


def test_records_with_a_subject_link_are_read_from_the_toml_table_form() -> None:
    config = ConsentConfig.from_mapping(
        {
            "subject": "Child",
            "policy": "m:f",
            "records": {"Case": {"key": "id", "subject": "child"}, "Other": "code"},
        }
    )
    assert config.records == {"Case": "id", "Other": "code"}
    assert config.links == {"Case": "child"}
    with pytest.raises(ConfigError):
        ConsentConfig.from_mapping(
            {"subject": "Child", "policy": "m:f", "records": {"Case": {"key": "id"}}}
        )


def test_every_decision_and_every_denial_is_recorded_in_the_request_context() -> None:
    gateway = _gateway(fake_subgraphs())
    ctx = context(Role.BALAI_CASEWORKER)
    query = '{ child(id: "A") { name cases { category notes } } b: child(id: "B") { name } }'
    response = asyncio.run(gateway.execute(gateway.prepare(query, None, ctx), {}, ctx))
    # One decision per child reached (B, out of jurisdiction, is decided too: invisible).
    assert sorted((subject, key, d.visible) for subject, key, d in ctx.decisions) == [
        ("Child", "A", True),
        ("Child", "B", False),
    ]
    # The denials are exactly those the answer carries.
    assert ctx.denials == response["errors"] and len(ctx.denials) == 3
    # A static denial (a field the role can never see) is recorded as well.
    dinsos = context(Role.DINSOS_OFFICER)
    asyncio.run(
        gateway.execute(
            gateway.prepare('{ child(id: "A") { cases { notes } } }', None, dinsos), {}, dinsos
        )
    )
    assert [(d["path"], d["extensions"]["code"]) for d in dinsos.denials] == [
        (["child", "cases", 0, "notes"], "FORBIDDEN"),
        (["child", "cases", 1, "notes"], "FORBIDDEN"),
    ]


# --- writes naming a child --------------------------------------------------------------------


def _write(
    query: str,
    variables: dict[str, Any] | None = None,
    policy: FakePolicy | None = None,
) -> tuple[dict[str, Any], FakeSubgraphs, RequestContext]:
    fakes = fake_subgraphs()
    gateway = _gateway(fakes, policy)
    ctx = context(Role.DINSOS_OFFICER)
    prepared = gateway.prepare(query, None, ctx)
    return asyncio.run(gateway.execute(prepared, variables or {}, ctx)), fakes, ctx


def _mutations(fakes: FakeSubgraphs) -> list[str]:
    return [doc for _, doc, _ in fakes.sent if doc.startswith("mutation")]


NOT_FOUND = {"message": "No such child.", "extensions": {"code": "NOT_FOUND"}}
ADD_NOTE = 'mutation { addNote(childId: "%s", text: "visited") { text child { name } } }'
ADD_NOTE_VARIABLES = (
    "mutation($c: ID!, $t: String!) { addNote(childId: $c, text: $t) { text child { name } } }"
)


def test_a_write_naming_a_child_in_jurisdiction_runs_after_the_child_is_decided_about() -> None:
    for query, variables in (
        (ADD_NOTE % "A", {}),
        (ADD_NOTE_VARIABLES, {"c": "A", "t": "visited"}),
    ):
        response, fakes, ctx = _write(query, variables)
        assert response == {"data": {"addNote": {"text": "visited", "child": {"name": "Ani"}}}}
        (mutation,) = _mutations(fakes)
        docs = [doc for _, doc, _ in fakes.sent]
        # The child's facts were read before the mutation was sent.
        assert any("ConsentFacts" in doc for doc in docs[: docs.index(mutation)])
        # The decision is recorded for the audit like any other.
        subject, key, decision = ctx.decisions[0]
        assert (subject, key, decision.visible) == ("Child", "A", True)


@pytest.mark.parametrize("as_variables", [False, True])
def test_a_write_naming_a_child_out_of_jurisdiction_is_exactly_like_one_naming_no_child(
    as_variables: bool,
) -> None:
    answers = []
    for child in ("B", "ZZZ"):  # B: region 53, out of the asker's; ZZZ: no such child
        if as_variables:
            response, fakes, ctx = _write(ADD_NOTE_VARIABLES, {"c": child, "t": "visited"})
        else:
            response, fakes, ctx = _write(ADD_NOTE % child)
        assert _mutations(fakes) == []  # nothing written
        assert [(k, d.visible) for _, k, d in ctx.decisions] == [(child, False)]
        answers.append(response)
    assert (
        answers[0]
        == answers[1]
        == {"data": {"addNote": None}, "errors": [{**NOT_FOUND, "path": ["addNote"]}]}
    )


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('mutation { fileNote(input: {childId: "%s", text: "t"}) { id } }', {}),
        ('mutation($c: ID!) { fileNote(input: {childId: $c, text: "t"}) { id } }', {"c": "%s"}),
        (
            "mutation($i: NoteInput!) { fileNote(input: $i) { id } }",
            {"i": {"childId": "%s", "text": "t"}},
        ),
    ],
)
def test_a_key_in_an_input_object_is_decided_about_and_a_non_null_write_nulls_the_data(
    query: str, variables: dict[str, Any]
) -> None:
    def filled(child: str) -> tuple[str, dict[str, Any]]:
        values = json.loads(json.dumps(variables).replace("%s", child))
        return (query % child if "%s" in query else query), values

    done, fakes, _ = _write(*filled("A"))
    assert done == {"data": {"fileNote": {"id": "N3"}}}
    assert len(_mutations(fakes)) == 1
    for child in ("B", "ZZZ"):
        refused, fakes, _ = _write(*filled(child))
        # fileNote is non-null: its null makes `data` null, with the one error and no other.
        assert refused == {"data": None, "errors": [{**NOT_FOUND, "path": ["fileNote"]}]}
        assert _mutations(fakes) == []


def test_only_the_fields_naming_a_child_the_asker_may_not_see_are_left_out() -> None:
    response, fakes, _ = _write(
        "mutation {"
        ' a: addNote(childId: "A", text: "one") { text }'
        ' b: addNote(childId: "B", text: "two") { text }'
        ' c: addNote(childId: "C", text: "three") { text } }'
    )
    assert response == {
        "data": {"a": {"text": "one"}, "b": None, "c": {"text": "three"}},
        "errors": [{**NOT_FOUND, "path": ["b"]}],
    }
    (mutation,) = _mutations(fakes)
    assert "a: addNote" in mutation and "c: addNote" in mutation and "two" not in mutation


def test_a_refused_write_leaves_out_the_variables_only_it_used() -> None:
    response, fakes, _ = _write(
        'mutation($b: ID!, $t: String!) { a: addNote(childId: "A", text: "one") { text }'
        " b: addNote(childId: $b, text: $t) { text } }",
        {"b": "B", "t": "two"},
    )
    assert response["data"] == {"a": {"text": "one"}, "b": None}
    ((_, mutation, variables),) = [s for s in fakes.sent if s[1].startswith("mutation")]
    assert "$b" not in mutation and variables == {}


def test_a_skipped_write_names_no_one() -> None:
    response, _, ctx = _write(
        'mutation($s: Boolean!) { addNote(childId: "B", text: "t") @skip(if: $s) { text } }',
        {"s": True},
    )
    assert response == {"data": {}}
    assert ctx.decisions == []


def test_what_a_write_answers_is_decided_on_the_facts_after_it() -> None:
    policy = FakePolicy()
    _, _, ctx = _write(ADD_NOTE % "A", policy=policy)
    # Once before the write, once for the child the mutation returns.
    assert [[f["id"] for f in facts] for facts in policy.decided] == [["A"], ["A"]]
    assert [k for _, k, _ in ctx.decisions] == ["A", "A"]


def test_the_printed_plan_decides_about_the_child_before_the_write() -> None:
    gateway = _gateway(fake_subgraphs())
    printed = gateway.plan_text(
        'mutation { a: addNote(childId: "A", text: "t") { text }'
        ' fileNote(input: {childId: "C", text: "t"}) { id } }',
        None,
        context(Role.DINSOS_OFFICER),
    )
    decide = 'Decide(subject: "Child", write: "a: addNote.childId, fileNote.input.childId")'
    assert decide in printed
    assert printed.index(decide) < printed.index("Facts") < printed.index("a: addNote(")


def test_subject_keys_are_read_through_input_objects_and_lists() -> None:
    from graphql import parse_value
    from graphql.language import ArgumentNode, NameNode

    from gateway.consent.decide import subject_keys
    from gateway.planner.plan import FetchField, WriteSubject

    def keys(value: str, path: tuple[str, ...], variables: dict[str, Any]) -> list[str] | None:
        argument = ArgumentNode(name=NameNode(value=path[0]), value=parse_value(value))
        field = FetchField("f", "f", "Mutation", arguments=(argument,))
        return subject_keys(WriteSubject(field, path), variables)

    assert keys('"A"', ("id",), {}) == ["A"]
    assert keys("7", ("id",), {}) == ["7"]
    assert keys('["A", $b]', ("ids",), {"b": "B"}) == ["A", "B"]
    assert keys('[{id: "A"}, {id: $b}]', ("in", "id"), {"b": "B"}) == ["A", "B"]
    assert keys("null", ("id",), {}) == []
    assert keys("$missing", ("id",), {}) == []
    assert keys("{id: null}", ("in", "id"), {}) == []
    # Values that are no key name no one the asker may see.
    assert keys("true", ("id",), {}) is None
    assert keys('{x: "A"}', ("id",), {}) is None
    assert keys("1.5", ("id",), {}) is None
    assert keys('"A"', ("in", "id"), {}) is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("Mutation.addNote", "write_subjects"),
        (["Mutation.addNote"], "write_subjects"),
        (["Mutation..childId"], "write_subjects"),
        ([1], "write_subjects"),
        (["Mutation.addNote.childId", "Mutation.addNote.childId"], "twice"),
    ],
)
def test_write_subjects_of_the_wrong_shape_are_refused(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ConsentConfig.from_mapping({"subject": "Child", "policy": "m:f", "write_subjects": raw})


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("Query.child.id", "not the supergraph's mutation type"),
        ("Mutation.nothing.childId", "no mutation field nothing"),
        ("Mutation.addNote.child", "has no argument child"),
        ("Mutation.fileNote.input.child", "NoteInput has no input field child"),
        ("Mutation.addNote.childId.id", "ID has no input field id"),
        ("Mutation.fileNote.input", "a key is a scalar, not NoteInput"),
    ],
)
def test_write_subjects_the_supergraph_lacks_stop_the_gateway(path: str, message: str) -> None:
    config = replace(CONFIG, write_subjects=(WritePath.parse(path),))
    with pytest.raises(ConfigError, match=message):
        Gateway(
            supergraph("consent.graphql"),
            GatewayConfig(consent=config),
            client=fake_subgraphs(),
            policy=FakePolicy(),
        )


def test_write_subjects_are_read_from_the_toml_list() -> None:
    config = ConsentConfig.from_mapping(
        {
            "subject": "Child",
            "policy": "m:f",
            "write_subjects": ["Mutation.addNote.childId", "Mutation.fileNote.input.childId"],
        }
    )
    assert [str(w) for w in config.write_subjects] == [
        "Mutation.addNote.childId",
        "Mutation.fileNote.input.childId",
    ]
    assert config.write_subjects[1].path == ("input", "childId")


# --- reads naming a child (read_subjects) ---------------------------------------------------------

NOTES_ABOUT = 'query { notesAbout(childId: "%s") { text } }'


def test_a_read_naming_a_child_is_sent_after_the_child_is_decided_about() -> None:
    response, fakes, ctx = _write(NOTES_ABOUT % "A")
    assert response == {"data": {"notesAbout": []}}
    docs = [doc for _, doc, _ in fakes.sent]
    (read,) = [doc for doc in docs if "notesAbout" in doc]
    # The child's facts were read first, and the decision is recorded for the audit.
    assert any("ConsentFacts" in doc for doc in docs[: docs.index(read)])
    assert [(subject, key, d.visible) for subject, key, d in ctx.decisions] == [
        ("Child", "A", True)
    ]


def test_a_read_naming_a_child_out_of_jurisdiction_is_null_like_one_naming_no_child() -> None:
    answers = []
    for child in ("B", "ZZZ"):  # B: region 53 (and N1 is about B); ZZZ: no such child
        response, fakes, ctx = _write(NOTES_ABOUT % child)
        assert not any("notesAbout" in doc for _, doc, _ in fakes.sent)  # never asked
        assert [(k, d.visible) for _, k, d in ctx.decisions] == [(child, False)]
        answers.append(response)
    # Absent, with no error: as a read of a child that does not exist.
    assert answers[0] == answers[1] == {"data": {"notesAbout": None}}


def test_without_read_subjects_a_read_naming_a_child_is_sent_as_before() -> None:
    """The setting is opt-in: another supergraph's configuration (no read_subjects) keeps plain
    federation — the field is sent with its argument and no subject is decided about."""
    fakes = fake_subgraphs()
    gateway = Gateway(
        supergraph("consent.graphql"),
        GatewayConfig(consent=replace(CONFIG, read_subjects=())),
        client=fakes,
        policy=FakePolicy(),
    )
    ctx = context(Role.DINSOS_OFFICER)
    prepared = gateway.prepare(NOTES_ABOUT % "B", None, ctx)
    response = asyncio.run(gateway.execute(prepared, {}, ctx))
    assert [doc for _, doc, _ in fakes.sent if "notesAbout" in doc]
    assert not any("ConsentFacts" in doc for _, doc, _ in fakes.sent)
    assert ctx.decisions == []
    assert response["data"]["notesAbout"] is not None


def test_a_read_naming_a_child_prints_its_decision_in_the_plan() -> None:
    gateway = _gateway(fake_subgraphs())
    text = gateway.plan_text(NOTES_ABOUT % "A", None, context(Role.DINSOS_OFFICER))
    assert 'Decide(subject: "Child", read: "notesAbout.childId")' in text


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("Mutation.addNote.childId", "not the supergraph's query type"),
        ("Query.nothing.childId", "no query field nothing"),
        ("Query.notesAbout.child", "has no argument child"),
        # Left out, a non-null field would null the whole answer with no error saying why.
        ("Query.cases.office", "cases is non-null"),
    ],
)
def test_read_subjects_the_supergraph_lacks_stop_the_gateway(path: str, message: str) -> None:
    config = replace(CONFIG, read_subjects=(WritePath.parse(path, "read_subjects"),))
    with pytest.raises(ConfigError, match=message):
        Gateway(
            supergraph("consent.graphql"),
            GatewayConfig(consent=config),
            client=fake_subgraphs(),
            policy=FakePolicy(),
        )


def test_read_subjects_are_read_from_the_toml_list() -> None:
    config = ConsentConfig.from_mapping(
        {"subject": "Child", "policy": "m:f", "read_subjects": ["Query.notesAbout.childId"]}
    )
    assert [str(r) for r in config.read_subjects] == ["Query.notesAbout.childId"]
    with pytest.raises(ConfigError, match="read_subjects"):
        ConsentConfig.from_mapping({"subject": "Child", "policy": "m:f", "read_subjects": [1]})


def test_only_one_record_type_may_be_decided_per_record() -> None:
    # Record decisions are named by key alone: a second type could take the first's decisions.
    config = replace(CONFIG, records={"Case": "id", "Note": "id"})
    with pytest.raises(ConfigError, match="one record type"):
        Gateway(
            supergraph("consent.graphql"),
            GatewayConfig(consent=config),
            client=fake_subgraphs(),
            policy=FakePolicy(),
        )


def test_facts_no_rule_reads_for_the_asker_are_not_fetched() -> None:
    policy = FakePolicy()
    policy.unread = frozenset({"openCases"})
    fakes = fake_subgraphs()
    gateway = _gateway(fakes, policy)
    ctx = context(Role.DINSOS_OFFICER)
    response = asyncio.run(
        gateway.execute(gateway.prepare('{ child(id: "A") { name } }', None, ctx), {}, ctx)
    )
    assert response == {"data": {"child": {"name": "Ani"}}}
    # The care subgraph serves only `openCases` among the subject's facts: not asked at all; its
    # request facts (the agreements) still are, by themselves.
    care = [doc for service, doc, _ in fakes.sent if service == "care"]
    assert care and not any("openCases" in doc for doc in care)
    assert any("agreements" in doc for doc in care)
    assert all("openCases" not in facts for facts in policy.decided[0])
