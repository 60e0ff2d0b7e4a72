"""Objects without a usable key: fetched again along the route from the root or a parent
entity, in a subgraph that serves every step (fixture welfare.graphql)."""

from __future__ import annotations

from gateway_support import FakeSubgraphs, execute, expect, plan_text

WELFARE = "welfare.graphql"


def test_shared_root_value_type_is_fetched_from_each_subgraph_in_parallel() -> None:
    query = '{ region(code: "31") { code dtksHouseholds pkhRecipients } }'
    assert plan_text(WELFARE, query) == expect(
        """
        QueryPlan {
          Parallel {
            Fetch(service: "dinsos") {
              {
                region(code: "31") {
                  code
                  dtksHouseholds
                }
              }
            },
            Fetch(service: "pkh") {
              {
                region(code: "31") {
                  pkhRecipients
                }
              }
            },
          },
        }
        """
    )
    subgraphs = FakeSubgraphs(
        {
            "dinsos": lambda _d, _v: {"data": {"region": {"code": "31", "dtksHouseholds": 7}}},
            "pkh": lambda _d, _v: {"data": {"region": {"pkhRecipients": 3}}},
        }
    )
    assert execute(WELFARE, query, subgraphs) == {
        "data": {"region": {"code": "31", "dtksHouseholds": 7, "pkhRecipients": 3}}
    }


def test_keyless_child_object_is_reached_through_its_parent_entity() -> None:
    query = '{ child(id: "1") { name family { headName caseWorker } } }'
    assert plan_text(WELFARE, query) == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "disdukcapil") {
              {
                child(id: "1") {
                  name
                  family {
                    headName
                  }
                  __typename
                  id
                }
              }
            },
            Flatten(path: "child") {
              Fetch(service: "balai") {
                {
                  ... on Child {
                    __typename
                    id
                  }
                } =>
                {
                  ... on Child {
                    family {
                      caseWorker
                    }
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
            "disdukcapil": lambda _d, _v: {
                "data": {
                    "child": {
                        "__typename": "Child",
                        "id": "1",
                        "name": "Ayu",
                        "family": {"headName": "Budi"},
                    }
                }
            },
            "balai": lambda _d, _v: {"data": {"_entities": [{"family": {"caseWorker": "Sari"}}]}},
        }
    )
    assert execute(WELFARE, query, subgraphs) == {
        "data": {"child": {"name": "Ayu", "family": {"headName": "Budi", "caseWorker": "Sari"}}}
    }
