"""Query plans over the shop fixture: printed plans are the reviewed artifact (snapshots)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from graphql import parse, validate

from gateway.operation import normalize
from gateway.plan import print_plan
from gateway.planner import QueryPlanner
from gateway.subgraphs import SubgraphMap
from gateway.supergraph import parse_supergraph

FIXTURES = Path(__file__).parent / "fixtures"


def plan_for(query: str, labels: frozenset[str] = frozenset()) -> str:
    supergraph = parse_supergraph((FIXTURES / "shop.graphql").read_text())
    document = parse(query)
    assert validate(supergraph.api_schema, document) == []
    planner = QueryPlanner(SubgraphMap(supergraph, labels))
    return print_plan(planner.plan(normalize(document)))


def expect(text: str) -> str:
    return textwrap.dedent(text).strip()


def test_single_subgraph_query_is_one_fetch() -> None:
    assert plan_for("{ products { upc name } }") == expect(
        """
        QueryPlan {
          Fetch(service: "products") {
            {
              products {
                upc
                name
              }
            }
          },
        }
        """
    )


def test_requires_sends_required_fields_in_the_representation() -> None:
    assert plan_for("{ products { shippingEstimate } }") == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "products") {
              {
                products {
                  __typename
                  upc
                  price
                  weight
                }
              }
            },
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
                    shippingEstimate
                  }
                }
              },
            },
          },
        }
        """
    )


def test_provides_saves_a_hop_and_parallel_entity_fetches() -> None:
    plan = plan_for("{ products { name shippingEstimate reviews { body product { name } } } }")
    # `product { name }` is provided by reviews: no fetch goes back to products for it.
    assert plan.count('Fetch(service: "products")') == 1
    assert "Parallel {" in plan
    assert 'Flatten(path: "products.@")' in plan


def test_progressive_override_follows_the_active_labels() -> None:
    off = plan_for("{ products { inStock } }")
    assert 'Fetch(service: "inventory")' not in off  # label off: the old owner serves it
    on = plan_for("{ products { inStock } }", frozenset({"percent(50)"}))
    assert 'Fetch(service: "inventory")' in on


def test_union_members_and_aliases_keep_the_client_shape() -> None:
    plan = plan_for(
        '{ search(term: "x") { ... on Product { id label: name } ... on Article { title } } }'
    )
    assert "label: name" in plan
    assert "... on Article" in plan


def test_mutations_run_in_order() -> None:
    plan = plan_for(
        'mutation { a: addReview(upc: "1", body: "x") { id } b: addReview(upc: "2", body: "y") { id } }'
    )
    assert (
        plan.count('Fetch(service: "reviews")') == 1
    )  # consecutive fields of one subgraph share a fetch
    assert "a: addReview" in plan and "b: addReview" in plan


def test_field_inherited_from_an_interface_object_hops_with_the_interface_key() -> None:
    # Product.reviewCount is defined only on reviews' @interfaceObject Node.
    plan = plan_for("{ products { reviewCount } }")
    assert 'Flatten(path: "products.@")' in plan
    assert 'Fetch(service: "reviews")' in plan
    assert "... on Node {\n" in plan
