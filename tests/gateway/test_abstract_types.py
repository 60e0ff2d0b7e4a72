"""Unions and interfaces whose members differ per subgraph (fixture welfare.graphql)."""

from __future__ import annotations

import pytest
from gateway_support import expect, plan_text

from gateway.errors import PlanningError


def test_shared_path_keeps_only_members_every_candidate_subgraph_has() -> None:
    # `records` could come from dinsos (payments only) or pkh (payments and visits): a visit
    # fragment would depend on which one is asked, so it is dropped, as other gateways do.
    # `visits` comes from pkh alone, which knows visits.
    query = """
        { child(id: "1") {
            records { ... on Visit { note } ... on Payment { amount } }
            visits { ... on Visit { note } }
        } }
    """
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
            Parallel {
              Flatten(path: "child") {
                Fetch(service: "dinsos") {
                  {
                    ... on Child {
                      __typename
                      id
                    }
                  } =>
                  {
                    ... on Child {
                      records {
                        __typename
                        ... on Payment {
                          amount
                        }
                      }
                    }
                  }
                },
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
                      visits {
                        __typename
                        ... on Visit {
                          note
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


def test_interface_field_is_asked_per_type_where_one_implementation_lost_it() -> None:
    # dinsos serves Benefit.amount on the interface, but not for CashTransfer (overridden by
    # pkh): asking dinsos on the interface would give the stale value.
    assert plan_text("welfare.graphql", "{ benefits { id amount } }") == expect(
        """
        QueryPlan {
          Sequence {
            Fetch(service: "dinsos") {
              {
                benefits {
                  __typename
                  id
                  ... on CashTransfer {
                    __typename
                    id
                  }
                  ... on FoodAid {
                    amount
                  }
                }
              }
            },
            Flatten(path: "benefits.@") {
              Fetch(service: "pkh") {
                {
                  ... on CashTransfer {
                    __typename
                    id
                  }
                } =>
                {
                  ... on CashTransfer {
                    amount
                  }
                }
              },
            },
          },
        }
        """
    )


def test_interface_condition_is_spelled_out_where_the_subgraph_knows_fewer_implementations() -> (
    None
):
    # In pkh only Visit is Dated; Payment is Dated in the supergraph (through dinsos).
    assert plan_text("welfare.graphql", "{ pkhRecords { ... on Dated { date } } }") == expect(
        """
        QueryPlan {
          Fetch(service: "pkh") {
            {
              pkhRecords {
                __typename
                ... on Payment {
                  date
                }
                ... on Visit {
                  date
                }
              }
            }
          },
        }
        """
    )


def test_split_of_an_interface_field_is_served_along_one_route() -> None:
    # balai serves CaseNote.id, dinsos AidNote.id; neither serves both, and the key needed to
    # hop is that very id. Fetching `entry` twice, one branch from each, would merge answers
    # about two different objects: planning fails instead.
    with pytest.raises(PlanningError, match=r"AidNote\.id"):
        plan_text("welfare.graphql", '{ entry(id: "1") { id } }')
    # A condition the client wrote is its own selection, served where it can be.
    assert plan_text(
        "welfare.graphql", '{ entry(id: "1") { ... on CaseNote { id text } } }'
    ) == expect(
        """
        QueryPlan {
          Fetch(service: "balai") {
            {
              entry(id: "1") {
                __typename
                ... on CaseNote {
                  id
                  text
                }
              }
            }
          },
        }
        """
    )


def test_root_subgraph_is_chosen_by_what_it_serves_under_type_conditions() -> None:
    # pkh can return Payment.channel where `recent` provides it; dinsos would need a hop to
    # balai. Only the fields inside the type condition tell them apart.
    assert plan_text("welfare.graphql", "{ recent { ... on Payment { id channel } } }") == expect(
        """
        QueryPlan {
          Fetch(service: "pkh") {
            {
              recent {
                __typename
                ... on Payment {
                  id
                  channel
                }
              }
            }
          },
        }
        """
    )
