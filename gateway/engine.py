"""The gateway's core: parse, validate, plan (cached), execute, shape — independent of HTTP."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute_sync,
    parse,
    validate,
    visit,
)
from graphql.execution.values import get_variable_values
from graphql.language import Visitor

from gateway.config import GatewayConfig as GatewayConfig  # part of this module's API
from gateway.executor import JsonObject, PlanExecutor, SubgraphResponse
from gateway.operation import Field, InlineFragment, Operation, OperationError, normalize
from gateway.plan import QueryPlan, print_plan
from gateway.planner import PlanningError, QueryPlanner
from gateway.shaping import ShapeCache, Shaper
from gateway.subgraphs import SubgraphMap
from gateway.supergraph import Supergraph
from gateway.transport import SubgraphTransport


class RequestError(Exception):
    """The request cannot be executed at all: answered with errors and no data."""

    def __init__(self, errors: list[JsonObject]) -> None:
        super().__init__(errors[0]["message"] if errors else "bad request")
        self.errors = errors


@dataclass(frozen=True)
class PreparedOperation:
    document: DocumentNode
    operation: Operation
    plan: QueryPlan
    local_document: DocumentNode | None  # introspection and root __typename, answered here
    # Shaping's field lists, shared across requests; None when @skip/@include make them vary.
    shape_cache: ShapeCache | None = field(default=None, compare=False)

    @property
    def kind(self) -> OperationType:
        return self.operation.kind


def _has_conditions(document: DocumentNode) -> bool:
    """Whether any selection carries @skip or @include (then shaping depends on variables)."""
    found = False

    class Find(Visitor):
        def enter_directive(self, node: DirectiveNode, *_args: object) -> None:
            nonlocal found
            if node.name.value in ("skip", "include"):
                found = True

    visit(document, Find())
    return found


def _depth(selection_set: SelectionSetNode | None, limit: int) -> bool:
    """True when the document nests deeper than `limit` (checked without recursion)."""
    stack: list[tuple[SelectionSetNode, int]] = [(selection_set, 1)] if selection_set else []
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        for selection in current.selections:
            child = getattr(selection, "selection_set", None)
            if child is not None:
                stack.append((child, depth + 1))
    return False


class Gateway:
    def __init__(self, supergraph: Supergraph, config: GatewayConfig | None = None) -> None:
        self.supergraph = supergraph
        self.config = config or GatewayConfig()
        self.api_schema = supergraph.api_schema
        self.planner = QueryPlanner(SubgraphMap(supergraph))
        self._cache: OrderedDict[tuple[str, str | None], PreparedOperation] = OrderedDict()
        self._urls = {
            graph.enum_value: self.config.subgraph_urls.get(graph.name, graph.url)
            for graph in supergraph.graphs.values()
        }
        self._timeouts = {
            graph.enum_value: self.config.subgraph_timeouts[graph.name]
            for graph in supergraph.graphs.values()
            if graph.name in self.config.subgraph_timeouts
        }
        self.transport = SubgraphTransport(self.config.subgraph_timeout)
        self.executor = PlanExecutor(self._fetch)

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await self.transport.start()

    async def close(self) -> None:
        await self.transport.close()

    def subgraph_urls(self) -> dict[str, str]:
        return {self.supergraph.graphs[g].name: url for g, url in self._urls.items()}

    async def subgraphs_ready(self) -> dict[str, bool]:
        """Whether each subgraph answers a trivial query (the readiness probe)."""
        result = {}
        for graph, url in self._urls.items():
            response = await self._post(url, {"query": "{ __typename }"}, {}, limit=2.0)
            result[self.supergraph.graphs[graph].name] = (
                response.errors == [] and response.data is not None
            )
        return result

    # --- preparing ------------------------------------------------------------------------------

    def prepare(self, query: str, operation_name: str | None) -> PreparedOperation:
        key = (query, operation_name)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        prepared = self._prepare(query, operation_name)
        self._cache[key] = prepared
        if len(self._cache) > self.config.plan_cache_size:
            self._cache.popitem(last=False)
        return prepared

    def _prepare(self, query: str, operation_name: str | None) -> PreparedOperation:
        try:
            document = parse(query, max_tokens=self.config.max_tokens)
        except GraphQLError as error:
            raise RequestError([dict(error.formatted)]) from None
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and _depth(
                definition.selection_set, self.config.max_depth
            ):
                raise RequestError(
                    [{"message": f"Query is nested deeper than {self.config.max_depth} levels."}]
                )
        errors = validate(self.api_schema, document)
        if errors:
            raise RequestError([dict(e.formatted) for e in errors])
        try:
            operation = normalize(document, operation_name)
        except OperationError as error:
            raise RequestError([{"message": str(error)}]) from None
        try:
            plan = self.planner.plan(operation)
        except PlanningError as error:
            raise RequestError(
                [{"message": str(error), "extensions": {"code": "QUERY_PLANNING_FAILED"}}]
            ) from None
        return PreparedOperation(
            document,
            operation,
            plan,
            self._local_document(document, operation, plan),
            shape_cache=None if _has_conditions(document) else {},
        )

    def _local_document(
        self, document: DocumentNode, operation: Operation, plan: QueryPlan
    ) -> DocumentNode | None:
        if not plan.local_fields:
            return None
        definition = operation.definition
        local = tuple(
            s
            for s in definition.selection_set.selections
            if isinstance(s, FieldNode) and s.name.value in ("__schema", "__type", "__typename")
        )
        if not local:
            return None
        only = OperationDefinitionNode(
            operation=definition.operation,
            name=definition.name,
            variable_definitions=definition.variable_definitions,
            directives=definition.directives,
            selection_set=SelectionSetNode(selections=local),
        )
        others = tuple(
            d for d in document.definitions if not isinstance(d, OperationDefinitionNode)
        )
        return DocumentNode(definitions=(only, *others))

    def plan_text(self, query: str, operation_name: str | None = None) -> str:
        return print_plan(self.prepare(query, operation_name).plan)

    # --- executing --------------------------------------------------------------------------

    def coerce_variables(
        self, prepared: PreparedOperation, variables: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        coerced = get_variable_values(
            self.api_schema, prepared.operation.variable_definitions, dict(variables or {})
        )
        if isinstance(coerced, list):
            raise RequestError([dict(e.formatted) for e in coerced])
        # Subgraphs get the client's values as sent (JSON), not Python-coerced ones; defaults
        # travel in the subgraph operation's own variable definitions.
        return dict(variables or {})

    async def execute(
        self,
        prepared: PreparedOperation,
        variables: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None = None,
    ) -> JsonObject:
        # The client's values as sent, plus the operation's defaults for those it left out:
        # one view for conditions, introspection, shaping and the subgraphs alike.
        values = _with_defaults(prepared.operation, self.coerce_variables(prepared, variables))
        forwarded = {
            k: v for k, v in (headers or {}).items() if k.lower() in self.config.forward_headers
        }
        execution = await self.executor.run(prepared.plan.node, values, forwarded)
        data = execution.data
        if prepared.local_document is not None:
            local = execute_sync(self.api_schema, prepared.local_document, variable_values=values)
            if local.data:
                data.update(local.data)
            execution.errors.extend(dict(e.formatted) for e in local.errors or ())
        root = self._root_type(prepared.kind)
        shaper = Shaper(
            self.api_schema,
            values,
            prepared.shape_cache,
        )
        shaped = shaper.root(root, _without_local(prepared.operation), data)
        if shaped is not None and prepared.local_document is not None:
            for selection in prepared.operation.selections:
                if isinstance(selection, Field) and selection.name in (
                    "__schema",
                    "__type",
                    "__typename",
                ):
                    shaped[selection.response_key] = data.get(selection.response_key)
        errors = execution.errors or shaper.errors
        response: JsonObject = {}
        if errors:
            response["errors"] = errors
        response["data"] = shaped
        return response

    def _root_type(self, kind: OperationType) -> GraphQLObjectType:
        root = {
            OperationType.QUERY: self.api_schema.query_type,
            OperationType.MUTATION: self.api_schema.mutation_type,
            OperationType.SUBSCRIPTION: self.api_schema.subscription_type,
        }[kind]
        assert root is not None  # validation checked the operation against this schema
        return root

    async def _fetch(
        self,
        graph: str,
        service: str,
        document: str,
        variables: JsonObject,
        headers: Mapping[str, str],
    ) -> SubgraphResponse:
        body: JsonObject = {"query": document}
        if variables:
            body["variables"] = variables
        return await self._post(
            self._urls[graph], body, headers, service=service, limit=self._timeouts.get(graph)
        )

    async def _post(
        self,
        url: str,
        body: JsonObject,
        headers: Mapping[str, str],
        *,
        service: str = "",
        limit: float | None = None,
    ) -> SubgraphResponse:
        # Our planner prints mutations with the `mutation` keyword first: never shared.
        shareable = self.config.deduplicate and not str(body.get("query", "")).lstrip().startswith(
            "mutation"
        )
        return await self.transport.post(
            url, body, headers, service=service or url, timeout=limit, shareable=shareable
        )


def _without_local(operation: Operation) -> tuple[Field | InlineFragment, ...]:
    return tuple(
        s
        for s in operation.selections
        if not (isinstance(s, Field) and s.name in ("__schema", "__type"))
    )


def _with_defaults(operation: Operation, variables: Mapping[str, Any]) -> dict[str, Any]:
    from graphql import value_from_ast_untyped

    result = dict(variables)
    for definition in operation.variable_definitions:
        name = definition.variable.name.value
        if name not in result and definition.default_value is not None:
            result[name] = value_from_ast_untyped(definition.default_value)
    return result
