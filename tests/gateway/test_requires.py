"""@requires: required fields travel in representations, even back into the same subgraph."""

from __future__ import annotations

from gateway_support import FakeSubgraphs, execute, expect, plan_text


def test_requires_reenters_the_subgraph_that_returned_the_entity() -> None:
    # dinsos returned the child itself, but `kkNumber` reaches dinsos only as a representation.
    assert plan_text("welfare.graphql", '{ dinsosChild(id: "1") { assistance } }') == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "dinsos") {
              {
                dinsosChild(id: "1") {
                  __typename
                  id
                }
              }
            },
            Flatten(path: "dinsosChild") {
              Fetch(service: "disdukcapil") {
                {
                  ... on Child {
                    __typename
                    id
                  }
                } =>
                {
                  ... on Child {
                    kkNumber
                  }
                }
              },
            },
            Flatten(path: "dinsosChild") {
              Fetch(service: "dinsos") {
                {
                  ... on Child {
                    __typename
                    id
                    kkNumber
                  }
                } =>
                {
                  ... on Child {
                    assistance
                  }
                }
              },
            },
          },
        }
        """
    )


def test_required_field_with_arguments_never_merges_with_the_clients_copy() -> None:
    # The client wants one payment, @requires three: both are fetched from pkh in one fetch,
    # the required one under an alias of its own, and sent to dinsos under its field name.
    query = '{ child(id: "1") { eligibility payments(limit: 1) { id } } }'
    assert plan_text("welfare.graphql", query) == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "disdukcapil") {
              {
                child(id: "1") {
                  __typename
                  id
                }
              }
            },
            Flatten(path: "child") {
              Fetch(service: "pkh") {
                {
                  ... on Child {
                    __typename
                    id
                  }
                } =>
                {
                  ... on Child {
                    payments__63223153: payments(limit: 3) {
                      amount
                    }
                    payments(limit: 1) {
                      id
                    }
                  }
                }
              },
            },
            Flatten(path: "child") {
              Fetch(service: "dinsos") {
                {
                  ... on Child {
                    __typename
                    id
                    payments__63223153: payments(limit: 3) {
                      amount
                    }
                  }
                } =>
                {
                  ... on Child {
                    eligibility
                  }
                }
              },
            },
          },
        }
        """
    )
    subgraphs = FakeSubgraphs(
        {
            "disdukcapil": lambda _d, _v: {"data": {"child": {"__typename": "Child", "id": "1"}}},
            "pkh": lambda _d, _v: {
                "data": {
                    "_entities": [
                        {
                            "payments__63223153": [{"amount": 5}, {"amount": 7}, {"amount": 9}],
                            "payments": [{"id": "p1"}],
                        }
                    ]
                }
            },
            "dinsos": lambda _d, v: {
                "data": {
                    "_entities": [
                        {"eligibility": str(sum(p["amount"] for p in r["payments"]))}
                        for r in v["representations"]
                    ]
                }
            },
        }
    )
    assert execute("welfare.graphql", query, subgraphs) == {
        "data": {"child": {"eligibility": "21", "payments": [{"id": "p1"}]}}
    }
    assert subgraphs.representations("dinsos") == [
        [
            {
                "__typename": "Child",
                "id": "1",
                "payments": [{"amount": 5}, {"amount": 7}, {"amount": 9}],
            }
        ]
    ]


def test_fields_without_requires_ride_along_in_the_requires_fetch() -> None:
    # One representation with the key and kkNumber serves both fields: one call to dinsos.
    assert plan_text("welfare.graphql", '{ child(id: "1") { assistance dtksStatus } }') == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "disdukcapil") {
              {
                child(id: "1") {
                  __typename
                  id
                  kkNumber
                }
              }
            },
            Flatten(path: "child") {
              Fetch(service: "dinsos") {
                {
                  ... on Child {
                    __typename
                    id
                    kkNumber
                  }
                } =>
                {
                  ... on Child {
                    assistance
                    dtksStatus
                  }
                }
              },
            },
          },
        }
        """
    )
