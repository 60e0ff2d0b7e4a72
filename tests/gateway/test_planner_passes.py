"""The planner's two extension points, each proven by a pass: one written here that removes
fields before planning (as the consent stage's static pass does), and the consent stage's cut
(gateway/consent/cut.py) used on its own, which cuts a fetch where it enters `Child` and
continues with an entity fetch. Printed plans over the project's own supergraph are the
snapshots."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from graphql import get_named_type

from gateway.consent.cut import CutAtSubject
from gateway.engine import Gateway
from gateway.operation import InlineFragment, Operation, Selection
from gateway.planner import PlannerPasses, SubgraphMap
from gateway.planner.plan import fetch_nodes, walk_fields
from gateway.supergraph import parse_supergraph
from tests.gateway.gateway_support import FakeSubgraphs, expect

SUPERGRAPH = parse_supergraph(
    (Path(__file__).parents[2] / "schema" / "supergraph.graphql").read_text()
)

PICTURE = """
query Picture($id: ID!) {
  child(id: $id) {
    name
    nik
    pkh { compliance { consecutiveNonCompliantPeriods } }
    cases { caseNumber stage }
    protectionFlag { message }
  }
}
"""


# --- an operation pass: drop every field of some categories before planning ---------------


class DropCategories:
    """Removes the fields whose `@policy` category is in `denied` (and a composite field left
    with nothing selected), as the static policy will for what a role can never see."""

    def __init__(self, *denied: str) -> None:
        self.denied = frozenset(denied)
        self.name = "drop:" + ",".join(sorted(self.denied))

    def __call__(self, operation: Operation, subgraphs: SubgraphMap) -> Operation:
        root = subgraphs.schema.get_root_type(operation.kind)
        assert root is not None
        kept = self._selections(operation.selections, root.name, subgraphs)
        return replace(operation, selections=kept)

    def _selections(
        self, selections: tuple[Selection, ...], parent: str, subgraphs: SubgraphMap
    ) -> tuple[Selection, ...]:
        kept: list[Selection] = []
        for selection in selections:
            if isinstance(selection, InlineFragment):
                inner = self._selections(
                    selection.selections, selection.type_condition or parent, subgraphs
                )
                if inner:
                    kept.append(replace(selection, selections=inner))
                continue
            if subgraphs.category(parent, selection.name) in self.denied:
                continue
            if not selection.selections:
                kept.append(selection)
                continue
            definition = subgraphs.field_def(parent, selection.name)
            assert definition is not None
            inner = self._selections(
                selection.selections, get_named_type(definition.type).name, subgraphs
            )
            if inner:
                kept.append(replace(selection, selections=inner))
        return tuple(kept)


def test_an_operation_pass_removes_fields_before_planning() -> None:
    gateway = Gateway(
        SUPERGRAPH, passes=PlannerPasses(operation=(DropCategories("protection.summary"),))
    )
    # `cases` (protection.summary) is not planned; the Balai is asked only for the flag.
    assert gateway.plan_text(PICTURE) == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "disdukcapil") {
              {
                child(id: $id) {
                  name
                  nik
                  __typename
                  id
                }
              }
            },
            Parallel {
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
                      pkh {
                        compliance {
                          consecutiveNonCompliantPeriods
                        }
                      }
                    }
                  }
                },
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
                      protectionFlag {
                        message
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


def test_a_removed_field_is_never_fetched_and_answers_null() -> None:
    fakes = FakeSubgraphs(
        {
            "disdukcapil": lambda _doc, _v: {
                "data": {"child": {"name": "Budi", "nik": None, "__typename": "Child", "id": "A"}}
            },
            "pkh": lambda _doc, _v: {"data": {"_entities": [{"pkh": None}]}},
            "balai": lambda _doc, _v: {"data": {"_entities": [{"protectionFlag": None}]}},
        }
    )
    gateway = Gateway(
        SUPERGRAPH,
        client=fakes,
        passes=PlannerPasses(operation=(DropCategories("protection.summary"),)),
    )
    prepared = gateway.prepare(PICTURE, None)
    body = asyncio.run(gateway.execute(prepared, {"id": "A"}))
    assert body == {
        "data": {
            "child": {
                "name": "Budi",
                "nik": None,
                "pkh": None,
                "cases": None,
                "protectionFlag": None,
            }
        }
    }
    assert all("cases" not in document for _service, document, _v in fakes.sent)


def test_passes_name_what_their_plans_depend_on() -> None:
    plain = Gateway(SUPERGRAPH).preparer
    narrowed = Gateway(
        SUPERGRAPH, passes=PlannerPasses(operation=(DropCategories("identity.full"),))
    ).preparer
    assert plain.planner.passes.cache_key != narrowed.planner.passes.cache_key


# --- a fetch-graph pass: cut a fetch where it enters an entity type -----------------------
# The consent stage's own cut (gateway/consent/cut.py), used here as a plain planner pass: where
# a fetch selects into `Child` it keeps only the key and continues with an entity fetch.


def test_a_fetch_graph_pass_cuts_a_fetch_where_it_enters_an_entity() -> None:
    gateway = Gateway(SUPERGRAPH, passes=PlannerPasses(fetch_graph=(CutAtSubject("Child"),)))
    # First only the child's key; then, in parallel, the child's own fields and the three
    # agencies: a decision about the child can come between the two steps.
    assert gateway.plan_text(PICTURE) == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "disdukcapil") {
              {
                child(id: $id) {
                  __typename
                  id
                }
              }
            },
            Parallel {
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
                      pkh {
                        compliance {
                          consecutiveNonCompliantPeriods
                        }
                      }
                    }
                  }
                },
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
                      cases {
                        caseNumber
                        stage
                      }
                      protectionFlag {
                        message
                      }
                    }
                  }
                },
              },
              Flatten(path: "child") {
                Fetch(service: "disdukcapil") {
                  {
                    ... on Child {
                      __typename
                      id
                    }
                  } =>
                  {
                    ... on Child {
                      name
                      nik
                    }
                  }
                },
              },
            },
          },
        }
        """
    )


def test_a_cut_plan_answers_like_the_uncut_one() -> None:
    def disdukcapil(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "_entities" in document:
            return {"data": {"_entities": [{"name": "Budi", "nik": "1471010101100001"}]}}
        child = {"__typename": "Child", "id": "A"}
        if "name" in document:
            child |= {"name": "Budi", "nik": "1471010101100001"}
        return {"data": {"child": child}}

    handlers = {
        "disdukcapil": disdukcapil,
        "pkh": lambda _d, _v: {"data": {"_entities": [{"pkh": None}]}},
        "balai": lambda _d, _v: {
            "data": {"_entities": [{"cases": [], "protectionFlag": {"message": "Hubungi Balai"}}]}
        },
    }
    answers = []
    for passes in (PlannerPasses(), PlannerPasses(fetch_graph=(CutAtSubject("Child"),))):
        fakes = FakeSubgraphs(handlers)
        gateway = Gateway(SUPERGRAPH, client=fakes, passes=passes)
        answers.append(asyncio.run(gateway.execute(gateway.prepare(PICTURE, None), {"id": "A"})))
    assert answers[0] == answers[1]
    assert answers[1]["data"]["child"]["name"] == "Budi"


# --- what a fetch node carries ---------------------------------------------------------------


def test_fetch_nodes_carry_each_fields_owner_and_category() -> None:
    plan = Gateway(SUPERGRAPH).prepare(PICTURE, None).plan
    fields = {
        (f.parent_type, f.name): (f.owner, f.category)
        for node in fetch_nodes(plan.node)
        for f in walk_fields(node.selections)
    }
    assert fields[("Query", "child")] == ("DISDUKCAPIL", None)
    assert fields[("Child", "nik")] == ("DISDUKCAPIL", "identity.full")
    assert fields[("Child", "name")] == ("DISDUKCAPIL", "identity.basic")
    assert fields[("Child", "pkh")] == ("PKH", "pkh.membership")
    assert fields[("Child", "cases")] == ("BALAI", "protection.summary")
    assert fields[("Child", "protectionFlag")] == ("BALAI", "protection.flag")
    assert fields[("Child", "__typename")] == (None, None)
