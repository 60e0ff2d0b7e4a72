"""Demand control's estimator (gateway/demand): Apollo Router's static cost rules, one per test,
over a supergraph our composer makes from a subgraph with `@cost` (imported renamed, as
`@weight`) and `@listSize`; the measured cost of answers; the budget's refusals."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate

from composition import SubgraphSource, compose
from gateway.config import ConfigError, GatewayConfig
from gateway.demand import (
    COST_ESTIMATED_TOO_EXPENSIVE,
    COST_QUERY_PARSE_FAILURE,
    CostCache,
    CostError,
    CostEstimator,
    DemandControl,
)
from gateway.errors import RequestError
from gateway.operation import Operation, normalize
from gateway.supergraph import Supergraph, parse_supergraph

FIXTURE = Path(__file__).parent / "fixtures" / "demand" / "library.graphql"
DEFAULT_LIST_SIZE = 10


@cache
def library() -> Supergraph:
    result = compose([SubgraphSource("library", "http://library", FIXTURE.read_text())])
    assert result.errors == [] and result.supergraph_sdl is not None
    return parse_supergraph(result.supergraph_sdl)


def operation(query: str) -> Operation:
    document = parse(query)
    assert validate(library().api_schema, document) == []
    return normalize(document)


def cost(query: str, variables: dict[str, Any] | None = None) -> float:
    estimator = CostEstimator(library().api_schema, library().costs, DEFAULT_LIST_SIZE)
    return estimator.estimate(operation(query), variables or {})


def actual(query: str, data: dict[str, Any], variables: dict[str, Any] | None = None) -> float:
    estimator = CostEstimator(library().api_schema, library().costs, DEFAULT_LIST_SIZE)
    return estimator.actual(operation(query), variables or {}, data)


def test_the_directives_survive_composition_renamed_import_included() -> None:
    costs = library().costs
    assert costs.types == {"Book": 2.0, "Genre": 7.0}
    assert costs.fields[("Book", "summary")] == 5.0
    assert costs.fields[("Query", "search")] == 4.0
    assert costs.arguments[("Query", "search", "term")] == 3.0
    assert costs.input_fields[("BookInput", "tags")] == 2.0
    assert costs.list_sizes[("Book", "reviews")].assumed_size == 4
    assert costs.list_sizes[("Query", "search")].sized_fields == ("items",)


def test_scalars_cost_nothing_objects_one() -> None:
    assert cost("{ authors { name } }") == DEFAULT_LIST_SIZE * 1
    assert cost("{ top { __typename } }") == 2  # a Book: its type's @cost


def test_slicing_argument_literal() -> None:
    assert cost("{ books(first: 3) { id } }") == 3 * 2


def test_slicing_argument_variable() -> None:
    query = "query ($n: Int) { books(first: $n) { id } }"
    assert cost(query, {"n": 40}) == 40 * 2


def test_slicing_argument_default() -> None:
    assert cost("{ books { id } }") == 5 * 2


def test_slicing_argument_list_length() -> None:
    assert cost('{ byIds(ids: ["a", "b", "c"]) { id } }') == 3 * 2
    assert cost("query ($ids: [ID!]!) { byIds(ids: $ids) { id } }", {"ids": ["a"] * 7}) == 7 * 2


def test_a_missing_slicing_argument_cannot_be_costed() -> None:
    with pytest.raises(CostError):
        cost("{ shelf { id } }")
    with pytest.raises(CostError):  # a variable left out says nothing either
        cost("query ($n: Int) { shelf(limit: $n) { id } }")
    assert cost("{ shelf(limit: 2) { id } }") == 2 * 2


def test_assumed_size() -> None:
    assert cost("{ top { reviews { stars } } }") == 2 + 4 * 1


def test_default_list_size() -> None:
    assert cost("{ top { authors { name } } }") == 2 + DEFAULT_LIST_SIZE * 1


def test_nested_lists_multiply() -> None:
    # books(2) × (Book 2 + authors(10) × (Author 1 + books(10) × Book 2))
    query = "{ books(first: 2) { authors { books { id } } } }"
    assert cost(query) == 2 * (2 + DEFAULT_LIST_SIZE * (1 + DEFAULT_LIST_SIZE * 2))


def test_sized_fields_take_the_slicing_argument() -> None:
    # search: its own @cost 4 + items(first 6) × Book 2; term: its argument's @cost 3
    assert cost('{ search(first: 6, term: "x") { items { id } total } }') == 4 + 6 * 2 + 3
    assert cost("{ search { items { id } } }") == 4 + 10 * 2  # the default first


def test_cost_on_field_and_enum_type() -> None:
    assert cost("{ top { summary genre } }") == 2 + 5 + 7


def test_mutation_base_and_input_costs() -> None:
    query = 'mutation { addBook(input: {title: "t", tags: ["a", "b"]}) { id } }'
    # 10 for a mutation, Book 2, the input object 1 + its tags list 2 + 2 per tag
    assert cost(query) == 10 + 2 + 1 + (2 + 2 * 2)


def test_skipped_selections_cost_nothing() -> None:
    query = "query ($no: Boolean!) { books(first: 3) @skip(if: $no) { id } top { id } }"
    assert cost(query, {"no": True}) == 2
    assert cost(query, {"no": False}) == 3 * 2 + 2


def test_introspection_costs_nothing() -> None:
    assert cost("{ __schema { types { fields { name } } } __typename }") == 0


def test_actual_cost_counts_what_was_answered() -> None:
    query = "{ books(first: 50) { id summary reviews { stars } } }"
    data = {
        "books": [
            {"id": "1", "summary": "s", "reviews": [{"stars": 5}]},
            {"id": "2", "summary": None, "reviews": []},
        ]
    }
    # each Book 2 + summary 5 (null or not: the field was resolved) + each Review 1
    assert actual(query, data) == (2 + 5 + 1) + (2 + 5)
    assert cost(query) == 50 * (2 + 5 + 4)


def test_actual_cost_of_fragments_and_mutations() -> None:
    query = 'mutation { addBook(input: {title: "t"}) { ... on Book { id genre } } }'
    assert actual(query, {"addBook": {"id": "1", "genre": "NOVEL"}}) == 10 + 2 + 7 + 1
    # A null Book still costs its type's @cost (Apollo's rule for null values), plus the input's 1.
    assert actual(query, {"addBook": None}) == 10 + 2 + 1


def demand(**settings: Any) -> DemandControl:
    return DemandControl(library(), GatewayConfig(**settings))


def test_over_the_budget_is_refused_with_the_estimate_and_the_limit() -> None:
    control = demand(max_cost=100)
    assert control.check(operation("{ books(first: 50) { id } }"), {}) is not None
    with pytest.raises(RequestError) as refused:
        control.check(operation("{ books(first: 51) { id } }"), {})
    assert refused.value.code == COST_ESTIMATED_TOO_EXPENSIVE
    (error,) = refused.value.errors
    assert error["extensions"] == {
        "code": COST_ESTIMATED_TOO_EXPENSIVE,
        "cost.estimated": 102.0,
        "cost.max": 100.0,
    }
    assert error["message"] == "query estimated cost 102 exceeded configured maximum 100"


def test_measure_mode_refuses_nothing() -> None:
    control = demand(max_cost=1, cost_mode="measure")
    estimate = control.check(operation("{ books(first: 51) { id } }"), {})
    assert estimate is not None and estimate.estimated == 102
    assert control.check(operation("{ shelf { id } }"), {}) is None


def test_a_missing_slicing_argument_is_refused_in_enforce_mode() -> None:
    with pytest.raises(RequestError) as refused:
        demand().check(operation("{ shelf { id } }"), {})
    assert refused.value.errors[0]["extensions"]["code"] == COST_QUERY_PARSE_FAILURE


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ConfigError):
        demand(cost_mode="strict")
    with pytest.raises(ConfigError):
        demand(max_cost=-1)


def test_settings_from_toml_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text('max_cost = 500\ncost_mode = "measure"\ncost_list_size = 3\n')
    config = GatewayConfig.load(path, {})
    assert (config.max_cost, config.cost_mode, config.cost_list_size) == (500, "measure", 3)
    config = GatewayConfig.load(
        path, {"SATU_ANAK_MAX_COST": "70", "SATU_ANAK_COST_MODE": "enforce"}
    )
    assert (config.max_cost, config.cost_mode) == (70, "enforce")


def test_the_variables_an_estimate_depends_on() -> None:
    estimator = CostEstimator(library().api_schema, library().costs, DEFAULT_LIST_SIZE)
    query = """query ($n: Int, $t: String, $title: ID!, $no: Boolean!, $id: ID!) {
      books(first: $n) @skip(if: $no) { id }
      search(term: $t) { total }
      byIds(ids: [$title]) { id }
      top { authors { books { id } } }
      again: byIds(ids: ["x"]) { reviews { stars } id @include(if: true) }
      one: search(first: 2) { items { id } }
      other: byIds(ids: [$id]) { id }
    }"""
    # byIds' ids are its slicing argument: the list's length counts, so $title does too.
    assert estimator.relevant_variables(operation(query)) == {"n", "t", "no", "title", "id"}
    # A plain scalar argument (no weight, not slicing) is not one.
    assert (
        estimator.relevant_variables(operation("query ($a: ID!) { book(id: $a) { id } }")) == set()
    )
    mutation = "mutation ($in: BookInput!) { addBook(input: $in) { id } }"
    assert estimator.relevant_variables(operation(mutation)) == {"in"}  # an input object


def test_cached_estimates_follow_the_variables() -> None:
    control = demand(max_cost=100)
    query = operation("query ($n: Int) { books(first: $n) { id } }")
    cache = CostCache()
    for n, expected in ((3, 6.0), (40, 80.0), (3, 6.0)):
        estimate = control.check(query, {"n": n}, cache)
        assert estimate is not None and estimate.estimated == expected
    # One estimate per value of the variable it depends on, kept in the operation's cache.
    assert cache.relevant == {"n"}
    assert sorted(cache.estimates.values()) == [6.0, 80.0]
    with pytest.raises(RequestError):
        control.check(query, {"n": 51}, cache)


def test_a_negative_slicing_argument_never_lowers_the_estimate() -> None:
    # A negative `first` must not subtract: the subgraph refuses that one field, but the rest of
    # the operation would run under an estimate the negative count pulled below the budget.
    dear = "b: books(first: 100) { authors { books { id } } }"
    alone = cost("{ " + dear + " }")
    assert cost("{ a: books(first: -1000000) { id } " + dear + " }") >= alone
    query = "query ($n: Int) { a: books(first: $n) { id } " + dear + " }"
    assert cost(query, {"n": -1000000}) >= alone
    assert cost('{ search(first: -50, term: "x") { items { id } } }') >= 0


def test_cached_estimates_keep_neither_the_values_nor_their_size() -> None:
    # The cache is keyed by the values of the variables the estimate depends on; an input object
    # is one of those. Its values (a child's name, a NIK) must not stay in the gateway's memory
    # with the plan, and a large one must not make each of the 64 keys as large as the request:
    # 64 keys of ~1 MB per cached operation, for every operation text a client varies.
    control = demand(max_cost=1_000)
    mutation = operation("mutation ($in: BookInput!) { addBook(input: $in) { id } }")
    cache = CostCache()
    for i in range(3):
        secret = f"3201{i:012d}" + "x" * 100_000
        control.check(mutation, {"in": {"title": secret, "tags": ["a"]}}, cache)
    assert len(cache.estimates) == 3  # each value still has its own estimate
    assert all(len(key) <= 64 for key in cache.estimates)
    assert not any(b"3201" in key for key in cache.estimates)


def test_a_slicing_variable_left_out_takes_the_arguments_default() -> None:
    # GraphQL gives an argument its default when the variable it names is not provided: the
    # subgraph serves `first` 5 (or 10), so the estimate must not refuse the operation as
    # uncostable, nor cache it under the same key as an explicit null.
    assert cost("query ($n: Int) { books(first: $n) { id } }", {}) == 5 * 2
    assert cost("query ($n: Int) { search(first: $n) { items { id } } }", {}) == 4 + 10 * 2
    control = demand(max_cost=100)
    query = operation("query ($n: Int) { books(first: $n) { id } }")
    cache = CostCache()
    estimate = control.check(query, {}, cache)
    assert estimate is not None and estimate.estimated == 10
    with pytest.raises(RequestError):  # an explicit null says nothing: not costable
        control.check(query, {"n": None}, cache)
