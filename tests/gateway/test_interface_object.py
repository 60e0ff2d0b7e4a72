"""@interfaceObject: subgraphs that see an interface as one object type (fixture people.graphql)."""

from __future__ import annotations

from typing import Any

import pytest
from gateway_support import FakeSubgraphs, execute, expect, plan_text

from gateway.errors import PlanningError

PEOPLE = "people.graphql"


def _entities(pick: Any) -> Any:
    """A fake `_entities` resolver: one answer per representation."""

    def handler(_document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"_entities": [pick(r) for r in variables["representations"]]}}

    return handler


OWNER = {
    "1": {"__typename": "Child", "id": "1", "name": "Ayu", "birthDate": "2015-03-01"},
    "2": {"__typename": "Guardian", "id": "2", "name": "Budi", "relation": "father"},
}


def test_owner_hops_to_the_interface_object_with_the_interface_as_typename() -> None:
    assert plan_text(PEOPLE, "{ people { name pkhStatus } }") == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "disdukcapil") {
              {
                people {
                  __typename
                  name
                  id
                }
              }
            },
            Flatten(path: "people.@") {
              Fetch(service: "pkh") {
                {
                  ... on Person {
                    __typename
                    id
                  }
                } =>
                {
                  ... on Person {
                    pkhStatus
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
                    "people": [
                        {k: v for k, v in p.items() if k != "birthDate"} for p in OWNER.values()
                    ]
                }
            },
            "pkh": _entities(lambda r: {"__typename": "Person", "pkhStatus": f"active-{r['id']}"}),
        }
    )
    result = execute(PEOPLE, "{ people { name pkhStatus } }", subgraphs)
    assert result == {
        "data": {
            "people": [
                {"name": "Ayu", "pkhStatus": "active-1"},
                {"name": "Budi", "pkhStatus": "active-2"},
            ]
        }
    }
    # The interfaceObject subgraph knows no Child or Guardian: it is sent the interface's name.
    assert subgraphs.representations("pkh") == [
        [{"__typename": "Person", "id": "1"}, {"__typename": "Person", "id": "2"}]
    ]


def test_type_conditions_under_an_interface_object_ask_the_owner() -> None:
    query = "{ pkhMembers { pkhStatus ... on Child { birthDate } } }"
    assert plan_text(PEOPLE, query) == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "pkh") {
              {
                pkhMembers {
                  __typename
                  pkhStatus
                  id
                }
              }
            },
            Flatten(path: "pkhMembers.@") {
              Fetch(service: "disdukcapil") {
                {
                  ... on Person {
                    __typename
                    id
                  }
                } =>
                {
                  ... on Person {
                    __typename
                    ... on Child {
                      birthDate
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
            "pkh": lambda _d, _v: {
                "data": {
                    "pkhMembers": [
                        {"__typename": "Person", "id": "1", "pkhStatus": "active"},
                        {"__typename": "Person", "id": "2", "pkhStatus": "paused"},
                    ]
                }
            },
            "disdukcapil": _entities(
                lambda r: {
                    k: v for k, v in OWNER[r["id"]].items() if k in ("__typename", "birthDate")
                }
            ),
        }
    )
    assert execute(PEOPLE, query, subgraphs) == {
        "data": {
            "pkhMembers": [
                {"pkhStatus": "active", "birthDate": "2015-03-01"},
                {"pkhStatus": "paused"},
            ]
        }
    }


def test_typename_under_an_interface_object_comes_from_the_owner() -> None:
    plan = plan_text(PEOPLE, "{ pkhMembers { __typename } }")
    assert 'Fetch(service: "disdukcapil")' in plan
    subgraphs = FakeSubgraphs(
        {
            "pkh": lambda _d, _v: {"data": {"pkhMembers": [{"__typename": "Person", "id": "2"}]}},
            "disdukcapil": _entities(lambda r: {"__typename": OWNER[r["id"]]["__typename"]}),
        }
    )
    assert execute(PEOPLE, "{ pkhMembers { kind: __typename } }", subgraphs) == {
        "data": {"pkhMembers": [{"kind": "Guardian"}]}
    }


def test_interface_fields_alone_are_answered_by_the_interface_object() -> None:
    # No type condition and no __typename: one fetch, and the interface's name as __typename
    # is shaped through the interface's own fields.
    assert plan_text(PEOPLE, "{ pkhMembers { id pkhStatus } }").count("Fetch(") == 1
    subgraphs = FakeSubgraphs(
        {
            "pkh": lambda _d, _v: {
                "data": {"pkhMembers": [{"__typename": "Person", "id": "1", "pkhStatus": "active"}]}
            }
        }
    )
    assert execute(PEOPLE, "{ pkhMembers { id pkhStatus } }", subgraphs) == {
        "data": {"pkhMembers": [{"id": "1", "pkhStatus": "active"}]}
    }


def test_requires_inside_an_interface_object_reenters_it_with_the_owner_data() -> None:
    assert plan_text(PEOPLE, "{ pkhMembers { householdSize } }") == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "pkh") {
              {
                pkhMembers {
                  __typename
                  id
                }
              }
            },
            Flatten(path: "pkhMembers.@") {
              Fetch(service: "disdukcapil") {
                {
                  ... on Person {
                    __typename
                    id
                  }
                } =>
                {
                  ... on Person {
                    __typename
                    name
                  }
                }
              },
            },
            Flatten(path: "pkhMembers.@") {
              Fetch(service: "pkh") {
                {
                  ... on Person {
                    __typename
                    id
                    name
                  }
                } =>
                {
                  ... on Person {
                    householdSize
                  }
                }
              },
            },
          },
        }
        """
    )


def test_inherited_field_on_an_implementation_hops_as_the_interface() -> None:
    assert plan_text(PEOPLE, "{ people { ... on Guardian { relation openCases } } }") == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "disdukcapil") {
              {
                people {
                  __typename
                  ... on Guardian {
                    relation
                    __typename
                    id
                  }
                }
              }
            },
            Flatten(path: "people.@") {
              Fetch(service: "balai") {
                {
                  ... on Person {
                    __typename
                    id
                  }
                } =>
                {
                  ... on Person {
                    openCases
                  }
                }
              },
            },
          },
        }
        """
    )


def test_field_behind_a_non_resolvable_interface_object_is_a_planning_error() -> None:
    with pytest.raises(PlanningError, match=r"Record\.note"):
        plan_text(PEOPLE, "{ records { note } }")
