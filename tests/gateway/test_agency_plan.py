"""The project's own query, one child across four agencies, over schema/supergraph.graphql.

Owners, from the supergraph's @join__field directives: `child`, `childByNik` and the identity
fields (name … documentStatus, nik, family) are disdukcapil's; `pkh` is pkh's; `welfare`,
`complaints`, `referrals` and `placements` are dinsos's; `cases` and `protectionFlag` are
balai's. Every agency keys Child by `id` (disdukcapil also by `nik`), so each hop carries `id`.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from graphql import parse, validate

from gateway.engine import Gateway
from gateway.supergraph import parse_supergraph

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"

# README.md, "Querying the subgraphs".
PICTURE = """
query Picture($id: ID!) {
  child(id: $id) {                         # disdukcapil: the national child index
    name sex birthYear kabupatenCode documentStatus
    family { kkNumber headName }
    pkh {                                  # pkh
      family { status facilitator { name phone } }
      compliance { consecutiveNonCompliantPeriods latestCompliant }
    }
    welfare { decile status }              # dinsos
    complaints { channel problemCategory status responses { socialWorkerId action } }
    placements { lksa { name } startedOn endedOn }
    cases { caseNumber ampkCategory stage status balai { name } }   # balai
    protectionFlag { message contacts { balaiName phone } }
  }
}
"""

# bench/planning.py's PICTURE: the README's query and a few more fields per agency.
BENCH_PICTURE = """
query Picture($id: ID!) {
  child(id: $id) {
    id name sex birthYear kabupatenCode nik documentStatus
    family { kkNumber headName members { name relationship } }
    pkh { family { status facilitator { name phone } } components { kind }
          compliance { consecutiveNonCompliantPeriods latestCompliant } }
    welfare { decile status assistance { programme } }
    complaints { channel problemCategory status responses { socialWorkerId action } }
    referrals { status targetKind }
    placements { lksa { name } startedOn endedOn }
    cases { caseNumber ampkCategory stage status balai { name phone } caseworker { name } }
    protectionFlag { message contacts { balaiName phone } }
  }
}
"""

# The README's picture, looked up by NIK instead of by national child index ID.
PICTURE_BY_NIK = """
query PictureByNik($nik: String!) {
  childByNik(nik: $nik) {
    name sex birthYear kabupatenCode documentStatus
    family { kkNumber headName }
    pkh {
      family { status facilitator { name phone } }
      compliance { consecutiveNonCompliantPeriods latestCompliant }
    }
    welfare { decile status }
    complaints { channel problemCategory status responses { socialWorkerId action } }
    placements { lksa { name } startedOn endedOn }
    cases { caseNumber ampkCategory stage status balai { name } }
    protectionFlag { message contacts { balaiName phone } }
  }
}
"""


def plan_text(query: str) -> str:
    supergraph = parse_supergraph(SUPERGRAPH.read_text())
    assert validate(supergraph.api_schema, parse(query)) == []
    return Gateway(supergraph).plan_text(query)


def test_one_childs_picture_is_disdukcapil_then_the_other_three_agencies_in_parallel() -> None:
    # One fetch per agency: disdukcapil answers the root and the identity fields and gives the
    # key; pkh, dinsos and balai each get the child once, by `id`, side by side.
    expected = """
        QueryPlan {
          Sequence {
            Fetch(service: "disdukcapil") {
              {
                child(id: $id) {
                  name
                  sex
                  birthYear
                  kabupatenCode
                  documentStatus
                  family {
                    kkNumber
                    headName
                  }
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
                        family {
                          status
                          facilitator {
                            name
                            phone
                          }
                        }
                        compliance {
                          consecutiveNonCompliantPeriods
                          latestCompliant
                        }
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
                    }
                  } =>
                  {
                    ... on Child {
                      welfare {
                        decile
                        status
                      }
                      complaints {
                        channel
                        problemCategory
                        status
                        responses {
                          socialWorkerId
                          action
                        }
                      }
                      placements {
                        lksa {
                          name
                        }
                        startedOn
                        endedOn
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
                        ampkCategory
                        stage
                        status
                        balai {
                          name
                        }
                      }
                      protectionFlag {
                        message
                        contacts {
                          balaiName
                          phone
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
    assert plan_text(PICTURE) == dedent(expected).strip()


def test_bench_picture_adds_fields_to_the_same_four_fetches() -> None:
    # The client asks for `id` itself: the root fetch carries it once, before `__typename`.
    expected = """
        QueryPlan {
          Sequence {
            Fetch(service: "disdukcapil") {
              {
                child(id: $id) {
                  id
                  name
                  sex
                  birthYear
                  kabupatenCode
                  nik
                  documentStatus
                  family {
                    kkNumber
                    headName
                    members {
                      name
                      relationship
                    }
                  }
                  __typename
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
                        family {
                          status
                          facilitator {
                            name
                            phone
                          }
                        }
                        components {
                          kind
                        }
                        compliance {
                          consecutiveNonCompliantPeriods
                          latestCompliant
                        }
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
                    }
                  } =>
                  {
                    ... on Child {
                      welfare {
                        decile
                        status
                        assistance {
                          programme
                        }
                      }
                      complaints {
                        channel
                        problemCategory
                        status
                        responses {
                          socialWorkerId
                          action
                        }
                      }
                      referrals {
                        status
                        targetKind
                      }
                      placements {
                        lksa {
                          name
                        }
                        startedOn
                        endedOn
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
                        ampkCategory
                        stage
                        status
                        balai {
                          name
                          phone
                        }
                        caseworker {
                          name
                        }
                      }
                      protectionFlag {
                        message
                        contacts {
                          balaiName
                          phone
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
    assert plan_text(BENCH_PICTURE) == dedent(expected).strip()


def test_picture_by_nik_hops_to_the_other_agencies_by_id() -> None:
    # Only disdukcapil keys Child by `nik`: the root fetch adds `id` for pkh, dinsos and balai.
    expected = """
        QueryPlan {
          Sequence {
            Fetch(service: "disdukcapil") {
              {
                childByNik(nik: $nik) {
                  name
                  sex
                  birthYear
                  kabupatenCode
                  documentStatus
                  family {
                    kkNumber
                    headName
                  }
                  __typename
                  id
                }
              }
            },
            Parallel {
              Flatten(path: "childByNik") {
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
                        family {
                          status
                          facilitator {
                            name
                            phone
                          }
                        }
                        compliance {
                          consecutiveNonCompliantPeriods
                          latestCompliant
                        }
                      }
                    }
                  }
                },
              },
              Flatten(path: "childByNik") {
                Fetch(service: "dinsos") {
                  {
                    ... on Child {
                      __typename
                      id
                    }
                  } =>
                  {
                    ... on Child {
                      welfare {
                        decile
                        status
                      }
                      complaints {
                        channel
                        problemCategory
                        status
                        responses {
                          socialWorkerId
                          action
                        }
                      }
                      placements {
                        lksa {
                          name
                        }
                        startedOn
                        endedOn
                      }
                    }
                  }
                },
              },
              Flatten(path: "childByNik") {
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
                        ampkCategory
                        stage
                        status
                        balai {
                          name
                        }
                      }
                      protectionFlag {
                        message
                        contacts {
                          balaiName
                          phone
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
    assert plan_text(PICTURE_BY_NIK) == dedent(expected).strip()
