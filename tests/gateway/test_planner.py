"""Query plans over the shop fixture: printed plans are the reviewed artifact (snapshots)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from graphql import parse, validate

from gateway.engine import Gateway
from gateway.operation import normalize
from gateway.planner import QueryPlanner, SubgraphMap, print_plan
from gateway.supergraph import parse_supergraph

SHOP = Path(__file__).parent / "fixtures" / "shop.graphql"


def plan_for(query: str) -> str:
    supergraph = parse_supergraph(SHOP.read_text())
    assert validate(supergraph.api_schema, parse(query)) == []
    return Gateway(supergraph).plan_text(query)


def plan_with_labels(query: str, labels: frozenset[str]) -> str:
    """The plan with these progressive-override labels active (the gateway runs with none)."""
    supergraph = parse_supergraph(SHOP.read_text())
    document = parse(query)
    assert validate(supergraph.api_schema, document) == []
    return print_plan(QueryPlanner(SubgraphMap(supergraph, labels)).plan(normalize(document)))


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
    assert plan == expect(
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
            Parallel {
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
                      reviews {
                        body
                        product {
                          name
                        }
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


def test_progressive_override_follows_the_active_labels() -> None:
    # Label off: the old owner (products) serves it, in the root fetch.
    assert plan_for("{ products { inStock } }") == expect(
        """
        QueryPlan {
          Fetch(service: "products") {
            {
              products {
                inStock
              }
            }
          },
        }
        """
    )
    # Label on: inventory serves it, through an entity fetch.
    assert plan_with_labels("{ products { inStock } }", frozenset({"percent(50)"})) == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "products") {
              {
                products {
                  __typename
                  upc
                }
              }
            },
            Flatten(path: "products.@") {
              Fetch(service: "inventory") {
                {
                  ... on Product {
                    __typename
                    upc
                  }
                } =>
                {
                  ... on Product {
                    inStock
                  }
                }
              },
            },
          },
        }
        """
    )


def test_union_members_and_aliases_keep_the_client_shape() -> None:
    plan = plan_for(
        '{ search(term: "x") { ... on Product { id label: name } ... on Article { title } } }'
    )
    assert plan == expect(
        """
        QueryPlan {
          Fetch(service: "products") {
            {
              search(term: "x") {
                __typename
                ... on Product {
                  id
                  label: name
                }
                ... on Article {
                  title
                }
              }
            }
          },
        }
        """
    )


def test_mutations_run_in_order() -> None:
    plan = plan_for(
        'mutation { a: addReview(upc: "1", body: "x") { id } b: addReview(upc: "2", body: "y") { id } }'
    )
    # Consecutive fields of one subgraph share a fetch, in the client's order.
    assert plan == expect(
        """
        QueryPlan {
          Fetch(service: "reviews") {
            {
              a: addReview(upc: "1", body: "x") {
                id
              }
              b: addReview(upc: "2", body: "y") {
                id
              }
            }
          },
        }
        """
    )


def test_field_inherited_from_an_interface_object_hops_with_the_interface_key() -> None:
    # Product.reviewCount is defined only on reviews' @interfaceObject Node.
    assert plan_for("{ products { reviewCount } }") == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "products") {
              {
                products {
                  __typename
                  id
                }
              }
            },
            Flatten(path: "products.@") {
              Fetch(service: "reviews") {
                {
                  ... on Node {
                    __typename
                    id
                  }
                } =>
                {
                  ... on Node {
                    reviewCount
                  }
                }
              },
            },
          },
        }
        """
    )
