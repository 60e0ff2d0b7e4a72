"""What this gateway can serve: supergraph features it reads but does not implement are refused at
start-up with a message naming them, never served with silently wrong plans.

Refused today: `@fromContext` (Federation 2.8 contexts, `join__field(contextArguments:)`). Such an
argument is filled by the router from a field of an ancestor marked `@context`, which takes the
ancestor's data in the plan, a variable per distinct value and an entity fetch per value; this
gateway's planner does none of it and would send the field without its argument. The context spec
is linked `for: SECURITY`, which the link spec says a router that does not support it must refuse.
`@context` alone (no argument reads it) changes no plan and is served.
"""

from __future__ import annotations

from gateway.supergraph.errors import SupergraphError
from gateway.supergraph.reader import Supergraph


def unsupported_features(supergraph: Supergraph) -> list[str]:
    """One line per use of a feature this gateway does not implement (empty: all served)."""
    problems = []
    for (type_name, field_name), joins in sorted(supergraph.fields.items()):
        for join in joins:
            for argument in join.context_arguments:
                graph = supergraph.graphs.get(join.graph or "")
                subgraph = graph.name if graph is not None else join.graph
                problems.append(
                    f"{type_name}.{field_name}(${argument.name}) in subgraph {subgraph!r} takes its "
                    f"value @fromContext {argument.context!r}"
                )
    return problems


def refuse_unsupported(supergraph: Supergraph) -> None:
    """Raise SupergraphError naming every use of a feature this gateway does not implement."""
    problems = unsupported_features(supergraph)
    if problems:
        raise SupergraphError(
            "this gateway does not implement @context/@fromContext (Federation 2.8) and would "
            "plan these fields without their arguments: "
            + "; ".join(problems)
            + ". Compose the supergraph from subgraphs that do not use @fromContext."
        )
