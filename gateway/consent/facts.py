"""The facts a decision reads, as fetch nodes built once from the configuration: one entity fetch
per subgraph holding facts of the subject, one root fetch per subgraph holding request facts."""

from __future__ import annotations

from collections.abc import Sequence

from graphql import FieldNode, InlineFragmentNode, OperationDefinitionNode, SelectionSetNode, parse

from gateway.config import ConfigError
from gateway.consent.config import ConsentConfig
from gateway.planner.plan import FetchField, FetchFragment, FetchNode, FetchSelection
from gateway.planner.subgraph_map import SubgraphMap


def facts_fetches(config: ConsentConfig, subgraphs: SubgraphMap) -> tuple[FetchNode, ...]:
    """One `_entities` fetch per subgraph that serves some of the subject's facts fields."""
    by_graph = _by_graph(config.facts, config.subject, subgraphs)
    requires = (
        FetchFragment(
            config.subject,
            (
                FetchField("__typename", "__typename", config.subject),
                FetchField(config.key, config.key, config.subject),
            ),
        ),
    )
    return tuple(
        FetchNode(
            service=subgraphs.name_of(graph),
            graph=graph,
            operation_kind="query",
            selections=(FetchFragment(config.subject, tuple(fields)),),
            entity_type=config.subject,
            requires=requires,
            operation_name="ConsentFacts",
            private=True,
        )
        for graph, fields in by_graph.items()
    )


def request_facts_fetches(config: ConsentConfig, subgraphs: SubgraphMap) -> tuple[FetchNode, ...]:
    """One root query per subgraph that serves some of the request facts."""
    query = subgraphs.schema.query_type
    assert query is not None
    by_graph = _by_graph(config.request_facts, query.name, subgraphs)
    return tuple(
        FetchNode(
            service=subgraphs.name_of(graph),
            graph=graph,
            operation_kind="query",
            selections=tuple(fields),
            operation_name="ConsentRequestFacts",
            private=True,
        )
        for graph, fields in by_graph.items()
    )


def _by_graph(
    field_sets: Sequence[str], type_name: str, subgraphs: SubgraphMap
) -> dict[str, list[FetchSelection]]:
    by_graph: dict[str, list[FetchSelection]] = {}
    for field_set in field_sets:
        try:
            document = parse("{ " + field_set + " }")
        except Exception as error:  # graphql-core's GraphQLSyntaxError
            raise ConfigError(f"[consent]: cannot read field set {field_set!r}: {error}") from None
        definition = document.definitions[0]
        assert isinstance(definition, OperationDefinitionNode)
        for node in definition.selection_set.selections:
            if not isinstance(node, FieldNode):
                raise ConfigError(f"[consent]: {field_set!r}: fields only")
            sources = subgraphs.sources(type_name, node.name.value)
            if subgraphs.field_def(type_name, node.name.value) is None or not sources:
                raise ConfigError(
                    f"[consent]: {type_name}.{node.name.value} is not in the supergraph"
                )
            by_graph.setdefault(sources[0], []).append(_field(node, type_name))
    return by_graph


def _field(node: FieldNode, parent: str) -> FetchField:
    return FetchField(
        response_key=(node.alias or node.name).value,
        name=node.name.value,
        parent_type=parent,
        arguments=tuple(node.arguments or ()),
        selections=_selections(node.selection_set),
    )


def _selections(selection_set: SelectionSetNode | None) -> tuple[FetchSelection, ...] | None:
    if selection_set is None:
        return None
    result: list[FetchSelection] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            result.append(_field(node, ""))
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            result.append(FetchFragment(condition, _selections(node.selection_set) or ()))
    return tuple(result)
