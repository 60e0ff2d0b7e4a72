"""Preparing an operation: parse, limits, validate, normalize, plan — cached per document and
operation name, so a repeated request goes straight to execution."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
    validate,
)

from gateway import telemetry
from gateway.config import GatewayConfig
from gateway.context import RequestContext
from gateway.errors import QUERY_PLANNING_FAILED, OperationError, PlanningError, RequestError, error
from gateway.executor.shape import ShapeCache
from gateway.operation import Operation, normalize
from gateway.planner import QueryPlanner
from gateway.planner.plan import QueryPlan

if TYPE_CHECKING:
    from gateway.consent import ConsentStage, _ForRequest
    from gateway.executor.shape import ShapeGuard

LOCAL_ROOT_FIELDS = ("__schema", "__type", "__typename")


@dataclass(frozen=True)
class PreparedOperation:
    document: DocumentNode
    operation: Operation
    plan: QueryPlan
    local_document: DocumentNode | None  # introspection and root __typename, answered here
    # Shaping's field lists, shared across requests; None when @skip/@include make them vary.
    shape_cache: ShapeCache | None = field(default=None, compare=False)
    # The consent rules shaping applies (None without a policy).
    guard: ShapeGuard | None = field(default=None, compare=False)

    @property
    def kind(self) -> OperationType:
        return self.operation.kind


class Preparer:
    """Turns a request's document into a prepared operation; keeps the last ones it made."""

    def __init__(
        self,
        api_schema: GraphQLSchema,
        planner: QueryPlanner,
        config: GatewayConfig,
        consent: ConsentStage | None = None,
    ):
        self.api_schema = api_schema
        self.planner = planner
        self.config = config
        self.consent = consent
        # The planner's own passes are fixed when it is built; the consent stage's static pass
        # depends on who asks, so its outcome (not the role or the user) joins the key: one
        # kind of caller's plan never serves another.
        self._cache: OrderedDict[tuple[str, str | None, Hashable], PreparedOperation] = (
            OrderedDict()
        )

    def prepare(
        self, query: str, operation_name: str | None, context: RequestContext | None = None
    ) -> PreparedOperation:
        """The prepared operation for this request (the context says who asks, for consent)."""
        request = self.consent.for_request(context) if self.consent is not None else None
        key = (query, operation_name, request.static.key if request else None)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            telemetry.plan_cache(hit=True)
            return cached
        telemetry.plan_cache(hit=False)
        prepared = self._prepare(query, operation_name, request)
        self._cache[key] = prepared
        if len(self._cache) > self.config.plan_cache_size:
            self._cache.popitem(last=False)
        return prepared

    def _prepare(
        self, query: str, operation_name: str | None, request: _ForRequest | None
    ) -> PreparedOperation:
        try:
            document = parse(query, max_tokens=self.config.max_tokens)
        except GraphQLError as parse_error:
            raise RequestError([dict(parse_error.formatted)], "GRAPHQL_PARSE_FAILED") from None
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and _deeper_than(
                definition.selection_set, self.config.max_depth
            ):
                raise RequestError(
                    [error(f"Query is nested deeper than {self.config.max_depth} levels.")],
                    "MAX_DEPTH_EXCEEDED",
                )
        errors = validate(self.api_schema, document)
        if errors:
            raise RequestError([dict(e.formatted) for e in errors], "GRAPHQL_VALIDATION_FAILED")
        try:
            operation = normalize(document, operation_name)
        except OperationError as operation_error:
            raise RequestError([error(str(operation_error))]) from None
        try:
            if request is None or self.consent is None:
                plan = self.planner.plan(operation)
            else:
                plan = self.consent.wrap(self.planner.plan(operation, request.passes))
        except PlanningError as planning_error:
            raise RequestError(
                [error(str(planning_error), QUERY_PLANNING_FAILED)], QUERY_PLANNING_FAILED
            ) from None
        return PreparedOperation(
            document,
            operation,
            plan,
            _local_document(document, operation, plan),
            shape_cache=None if operation.has_conditions else {},
            guard=request.guard if request is not None else None,
        )


def _deeper_than(selection_set: SelectionSetNode | None, limit: int) -> bool:
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


def _local_document(
    document: DocumentNode, operation: Operation, plan: QueryPlan
) -> DocumentNode | None:
    """The part of the document the gateway answers itself: introspection, root __typename."""
    if not plan.local_fields:
        return None
    definition = operation.definition
    local = tuple(
        s
        for s in definition.selection_set.selections
        if isinstance(s, FieldNode) and s.name.value in LOCAL_ROOT_FIELDS
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
    others = tuple(d for d in document.definitions if not isinstance(d, OperationDefinitionNode))
    return DocumentNode(definitions=(only, *others))
