"""Fields whose type differs per subgraph (`@join__field(type:)`): plan against the subgraph's."""

from __future__ import annotations

from gateway_support import FakeSubgraphs, execute, expect, plan_text


def test_fragments_follow_the_subgraph_field_type() -> None:
    # In dinsos `lastRecord` is a Payment, not the Record union: the query sent to dinsos is
    # written against that (a condition on another member would be rejected there).
    query = "{ lastRecord { ... on Payment { amount } } }"
    assert plan_text("welfare.graphql", query) == expect(
        """
        QueryPlan {
          Fetch(service: "dinsos") {
            {
              lastRecord {
                __typename
                amount
              }
            }
          },
        }
        """
    )


def test_same_name_fields_of_other_shapes_are_aliased_and_renamed_back() -> None:
    # In pkh Payment.reference is String! and Visit.reference String: one selection set may
    # not ask for both under one name, so the second is aliased and renamed on arrival.
    query = "{ pkhRecords { ... on Payment { reference } ... on Visit { reference } } }"
    assert plan_text("welfare.graphql", query) == expect(
        """
        QueryPlan {
          Fetch(service: "pkh") {
            {
              pkhRecords {
                __typename
                ... on Payment {
                  reference
                }
                ... on Visit {
                  reference__alias_0: reference
                }
              }
            }
          },
        }
        """
    )
    subgraphs = FakeSubgraphs(
        {
            "pkh": lambda _d, _v: {
                "data": {
                    "pkhRecords": [
                        {"__typename": "Payment", "reference": "PAY-1"},
                        {"__typename": "Visit", "reference__alias_0": None},
                    ]
                }
            }
        }
    )
    assert execute("welfare.graphql", query, subgraphs) == {
        "data": {"pkhRecords": [{"reference": "PAY-1"}, {"reference": None}]}
    }
