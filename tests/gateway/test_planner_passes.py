"""The planner's two extension points, each proven by a pass written here (none is shipped):
one that removes fields before planning (the future static policy), one that cuts a fetch where
it enters an entity type and continues with an entity fetch (the future facts-and-decision
step). Printed plans over the project's own supergraph are the snapshots."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from graphql import GraphQLList, GraphQLNonNull, GraphQLOutputType, get_named_type

from gateway.engine import Gateway
from gateway.operation import Field, InlineFragment, Operation, Selection
from gateway.planner import PlannerPasses, SubgraphMap
from gateway.planner.fetch_graph import FetchGraph, FetchGroup
from gateway.planner.plan import fetch_nodes, walk_fields
from gateway.planner.selection import FieldSelection, SelectionBuilder
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


class CutAtEntities:
    """Where a fetch selects into an entity type it can also fetch by key, keep only the key
    there and fetch the rest with an entity fetch at that path: the place where a decision
    about those entities can come between the two."""

    name = "cut-at-entities"

    def __call__(self, graph: FetchGraph, subgraphs: SubgraphMap) -> FetchGraph:
        for step in graph.steps:
            for group in list(step):
                root = group.entity_type or graph.root_type
                start = group.root(root) if group.entity_type else group.selections
                self._walk(graph, step, group, start, root, (), subgraphs)
        return graph

    def _walk(
        self,
        graph: FetchGraph,
        step: list[FetchGroup],
        group: FetchGroup,
        node: SelectionBuilder,
        type_name: str,
        path: tuple[str, ...],
        subgraphs: SubgraphMap,
    ) -> None:
        for item in list(node.items.values()):
            if not isinstance(item, FieldSelection):
                self._walk(
                    graph,
                    step,
                    group,
                    item.children,
                    item.type_condition or type_name,
                    path,
                    subgraphs,
                )
                continue
            if item.children is None:
                continue
            definition = subgraphs.field_def(type_name, item.name)
            assert definition is not None
            child_type = get_named_type(definition.type).name
            child_path = path + (item.response_key,) + ("@",) * _list_depth(definition.type)
            keys = [k for k in subgraphs.keys(group.graph, child_type) if k.resolvable]
            if keys and _selects_more_than(item.children, keys[0].selections):
                self._cut(graph, step, group, item, child_type, child_path, keys[0].selections)
            else:
                self._walk(graph, step, group, item.children, child_type, child_path, subgraphs)

    def _cut(
        self,
        graph: FetchGraph,
        step: list[FetchGroup],
        group: FetchGroup,
        item: FieldSelection,
        entity: str,
        path: tuple[str, ...],
        key: tuple[Selection, ...],
    ) -> None:
        assert item.children is not None
        merge_at = group.merge_at + path
        moved = item.children
        entity_fetch = graph.new_group(group.graph, merge_at, entity)
        entity_fetch.depends_on.add(group.id)
        entity_fetch.conditions = group.conditions
        inputs = entity_fetch.inputs.fragment(entity)
        inputs.typename()
        _add_key(inputs, key)
        # The key stays where it was; everything else moves to the entity fetch.
        key_names = {s.name for s in key if isinstance(s, Field)} | {"__typename"}
        entity_fetch.selections.fragment(entity).items.update(
            (k, i)
            for k, i in moved.items.items()
            if not (isinstance(i, FieldSelection) and i.name in key_names and i.children is None)
        )
        kept = SelectionBuilder()
        kept.typename()
        _add_key(kept, key)
        item.children = kept
        step.append(entity_fetch)
        # Fetches below the cut that read keys from the moved part now wait for it.
        for other in step:
            deeper = other.merge_at[: len(merge_at)] == merge_at and len(other.merge_at) > len(
                merge_at
            )
            if group.id in other.depends_on and deeper:
                other.depends_on.add(entity_fetch.id)


def _add_key(node: SelectionBuilder, key: tuple[Selection, ...]) -> None:
    for selection in key:
        assert isinstance(selection, Field) and not selection.selections  # simple keys here
        node.field(selection.response_key, selection.name)


def _selects_more_than(node: SelectionBuilder, key: tuple[Selection, ...]) -> bool:
    names = {s.name for s in key if isinstance(s, Field)} | {"__typename"}
    return any(
        not isinstance(i, FieldSelection) or i.name not in names for i in node.items.values()
    )


def _list_depth(field_type: GraphQLOutputType) -> int:
    depth = 0
    current: Any = field_type
    while isinstance(current, GraphQLNonNull | GraphQLList):
        depth += isinstance(current, GraphQLList)
        current = current.of_type
    return depth


def test_a_fetch_graph_pass_cuts_a_fetch_where_it_enters_an_entity() -> None:
    gateway = Gateway(SUPERGRAPH, passes=PlannerPasses(fetch_graph=(CutAtEntities(),)))
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
    for passes in (PlannerPasses(), PlannerPasses(fetch_graph=(CutAtEntities(),))):
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
