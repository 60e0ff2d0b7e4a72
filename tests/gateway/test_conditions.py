"""@include/@skip with a variable: fetches that exist only for the conditional selection sit in
Condition nodes, and are not made when the condition is false; literal conditions are settled
when planning."""

from __future__ import annotations

from typing import Any

from gateway_support import FakeSubgraphs, execute, expect, plan_text

from gateway.planner.plan import ConditionNode, FetchField, FetchNode, QueryPlan, print_plan

PRODUCTS = [
    {"__typename": "Product", "upc": "1", "name": "Sepatu", "price": 10, "weight": 2},
    {"__typename": "Product", "upc": "2", "name": "Tas", "price": 20, "weight": 3},
]


def _products(document: str, _variables: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"products": [dict(p) for p in PRODUCTS]}}


def _reviews(document: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "_entities": [
                {"reviews": [{"body": f"review of {r['upc']}"}]}
                for r in variables["representations"]
            ]
        }
    }


def _inventory(document: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": {
            "_entities": [
                {"shippingEstimate": r["price"] * r["weight"]} for r in variables["representations"]
            ]
        }
    }


def shop() -> FakeSubgraphs:
    return FakeSubgraphs({"products": _products, "reviews": _reviews, "inventory": _inventory})


def services(subgraphs: FakeSubgraphs) -> list[str]:
    return [service for service, _, _ in subgraphs.sent]


INCLUDE_REVIEWS = "query($v: Boolean!) { products { name reviews @include(if: $v) { body } } }"
SKIP_ESTIMATE = "query($v: Boolean = false) { products { name shippingEstimate @skip(if: $v) } }"


def test_include_on_a_field_from_another_subgraph_wraps_its_fetch() -> None:
    assert plan_text("shop.graphql", INCLUDE_REVIEWS) == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "products") {
              {
                products {
                  name
                  __typename
                  upc
                }
              }
            },
            Include(if: $v) {
              Flatten(path: "products.@") {
                Fetch(service: "reviews") {
                  {
                    ... on Product {
                      __typename
                      upc
                    }
                  } =>
                  {
                    ... on Product {
                      reviews @include(if: $v) {
                        body
                      }
                    }
                  }
                },
              },
            },
          },
        }
        """
    )


def test_skip_on_a_field_with_requires_wraps_the_required_fetch() -> None:
    assert plan_text("shop.graphql", SKIP_ESTIMATE) == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "products") {
              {
                products {
                  name
                  __typename
                  upc
                  price
                  weight
                }
              }
            },
            Skip(if: $v) {
              Flatten(path: "products.@") {
                Fetch(service: "inventory") {
                  {
                    ... on Product {
                      __typename
                      upc
                      price
                      weight
                    }
                  } =>
                  {
                    ... on Product {
                      shippingEstimate @skip(if: $v)
                    }
                  }
                },
              },
            },
          },
        }
        """
    )


def test_include_true_fetches_the_dependent_subgraph() -> None:
    subgraphs = shop()
    assert execute("shop.graphql", INCLUDE_REVIEWS, subgraphs, {"v": True}) == {
        "data": {
            "products": [
                {"name": "Sepatu", "reviews": [{"body": "review of 1"}]},
                {"name": "Tas", "reviews": [{"body": "review of 2"}]},
            ]
        }
    }
    assert services(subgraphs) == ["products", "reviews"]
    assert subgraphs.sent[1][2]["v"] is True  # the directive still travels to the subgraph


def test_include_false_makes_no_fetch_to_the_dependent_subgraph() -> None:
    subgraphs = shop()
    assert execute("shop.graphql", INCLUDE_REVIEWS, subgraphs, {"v": False}) == {
        "data": {"products": [{"name": "Sepatu"}, {"name": "Tas"}]}
    }
    assert services(subgraphs) == ["products"]


def test_skip_follows_the_variable_and_its_default() -> None:
    skipped = shop()
    assert execute("shop.graphql", SKIP_ESTIMATE, skipped, {"v": True}) == {
        "data": {"products": [{"name": "Sepatu"}, {"name": "Tas"}]}
    }
    assert services(skipped) == ["products"]
    # Left out, $v takes the operation's default (false): the estimate is fetched.
    kept = shop()
    assert execute("shop.graphql", SKIP_ESTIMATE, kept) == {
        "data": {
            "products": [
                {"name": "Sepatu", "shippingEstimate": 20},
                {"name": "Tas", "shippingEstimate": 60},
            ]
        }
    }
    assert services(kept) == ["products", "inventory"]


def test_literal_false_include_fetches_nothing_for_the_selection() -> None:
    query = "{ products { name reviews @include(if: false) { body } } }"
    assert plan_text("shop.graphql", query) == expect(
        """
        QueryPlan {
          Fetch(service: "products") {
            {
              products {
                name
              }
            }
          },
        }
        """
    )
    subgraphs = shop()
    assert execute("shop.graphql", query, subgraphs) == {
        "data": {"products": [{"name": "Sepatu"}, {"name": "Tas"}]}
    }
    assert services(subgraphs) == ["products"]


def test_literal_true_skip_drops_the_selection_and_literal_include_true_keeps_it() -> None:
    dropped = plan_text("shop.graphql", "{ products { name shippingEstimate @skip(if: true) } }")
    assert 'Fetch(service: "inventory")' not in dropped
    kept = plan_text("shop.graphql", "{ products { name reviews @include(if: true) { body } } }")
    assert 'Fetch(service: "reviews")' in kept
    assert "Include(" not in kept and "Skip(" not in kept


def test_a_conditional_subtree_over_several_subgraphs_is_one_condition() -> None:
    plan = plan_text(
        "shop.graphql",
        "query($v: Boolean!) { products { name reviews @include(if: $v) "
        "{ body product { shippingEstimate } } } }",
    )
    assert plan.count("Include(if: $v)") == 1
    assert plan.index("Include(if: $v) {\n      Sequence {") < plan.index(
        'Fetch(service: "reviews")'
    )
    assert plan.index("Include(if: $v)") < plan.index('Fetch(service: "inventory")')


def test_a_fetch_also_needed_without_the_condition_stays_unconditional() -> None:
    plan = plan_text(
        "shop.graphql",
        "query($v: Boolean!) { products { name reviews @include(if: $v) { body } "
        "all: reviews { body } } }",
    )
    assert "Include(" not in plan
    assert 'Fetch(service: "reviews")' in plan


def test_conditions_on_fragments_and_two_variables() -> None:
    query = (
        "query($v: Boolean!, $w: Boolean!) { products { name "
        "... @include(if: $v) { reviews { body } } shippingEstimate @include(if: $w) } }"
    )
    plan = plan_text("shop.graphql", query)
    assert "Include(if: $v) {\n" in plan and "Include(if: $w) {\n" in plan
    subgraphs = shop()
    assert execute("shop.graphql", query, subgraphs, {"v": False, "w": True}) == {
        "data": {
            "products": [
                {"name": "Sepatu", "shippingEstimate": 20},
                {"name": "Tas", "shippingEstimate": 60},
            ]
        }
    }
    assert sorted(services(subgraphs)) == ["inventory", "products"]


def test_condition_with_both_branches_prints_then_and_else() -> None:
    def fetch(service: str) -> FetchNode:
        return FetchNode(service, service.upper(), "query", (FetchField("a", "a", "Query"),))

    plan = QueryPlan(ConditionNode("v", fetch("one"), fetch("two")))
    assert print_plan(plan) == expect(
        """
        QueryPlan {
          Condition(if: $v) {
            Then {
              Fetch(service: "one") {
                {
                  a
                }
              },
            } Else {
              Fetch(service: "two") {
                {
                  a
                }
              },
            },
          },
        }
        """
    )
