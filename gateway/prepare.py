"""Preparing an operation: parse, limits, validate, normalize, plan — cached per document and
operation name, so a repeated request goes straight to execution."""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    Node,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
    validate,
)
from graphql.validation import ASTValidationRule

from gateway import telemetry
from gateway.config import GatewayConfig
from gateway.context import RequestContext
from gateway.demand import CostCache
from gateway.errors import QUERY_PLANNING_FAILED, OperationError, PlanningError, RequestError, error
from gateway.executor.shape import ShapeCache
from gateway.limits import OperationLimits, check_limits
from gateway.operation import Field, InlineFragment, Operation, normalize
from gateway.planner import QueryPlanner
from gateway.planner.plan import FetchSelection, QueryPlan, fetch_nodes
from gateway.types import JsonObject

if TYPE_CHECKING:
    from gateway.consent import ConsentStage, _ForRequest
    from gateway.executor.shape import ShapeGuard

LOCAL_ROOT_FIELDS = ("__schema", "__type", "__typename")

GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
# `__schema` or `__type` asked of a gateway that does not answer introspection.
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"


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
    # Demand control's estimates of this operation, by the values of the variables they
    # depend on: kept exactly as long as the plan cache keeps the operation.
    cost_cache: CostCache = field(default_factory=CostCache, compare=False)

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
        rules: Sequence[tuple[type[ASTValidationRule], str]] = (),
    ):
        self.api_schema = api_schema
        # Rules of the configured stages (the audit stage's IDENTIFIER_REQUIRED), each with the
        # code its refusal carries: checked after validation, before anything is planned.
        self.rules = tuple(rules)
        self.planner = planner
        self.config = config
        self.consent = consent
        self.limits = OperationLimits(
            max_depth=config.max_depth,
            max_aliases=config.max_aliases,
            max_root_fields=config.max_root_fields,
            max_selections=config.max_selections,
        )
        introspection = config.introspection
        self.introspection = config.development if introspection is None else introspection
        # The planner's own passes are fixed when it is built; the consent stage's static pass
        # depends on who asks, so its outcome (not the role or the user) joins the key: one
        # kind of caller's plan never serves another.
        # Each entry with its estimated size in bytes; bounded by `plan_cache_bytes`.
        self._cache: OrderedDict[
            tuple[str, str | None, Hashable], tuple[PreparedOperation, int]
        ] = OrderedDict()
        self._cache_bytes = 0

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
            return cached[0]
        telemetry.plan_cache(hit=False)
        prepared = self._prepare(query, operation_name, request)
        size = entry_bytes(query, prepared)
        if size > self.config.plan_cache_bytes:
            return prepared  # larger than the whole budget: used once, never cached
        self._cache[key] = (prepared, size)
        self._cache_bytes += size
        while self._cache_bytes > self.config.plan_cache_bytes:
            _, (_, evicted) = self._cache.popitem(last=False)
            self._cache_bytes -= evicted
        return prepared

    @property
    def cache_bytes(self) -> int:
        """The plan cache's estimated size (the sum of its entries' `entry_bytes`)."""
        return self._cache_bytes

    def _refuse(
        self,
        query: str,
        code: str,
        rules: Sequence[type[ASTValidationRule]] | None = None,
        *,
        hide_suggestions: bool = False,
    ) -> NoReturn:
        """Validation refused the document: validate it again, parsed with locations, so that
        the errors say where (only refused documents pay for this)."""
        located = parse(query, max_tokens=self.config.max_tokens)
        errors = validate(self.api_schema, located, rules, hide_suggestions=hide_suggestions)
        raise RequestError([_coded(e, code) for e in errors], code)

    def _prepare(
        self, query: str, operation_name: str | None, request: _ForRequest | None
    ) -> PreparedOperation:
        # What is cached keeps no token chain: without locations, the AST does not hold every
        # token of the source. Errors need locations; a refused document is parsed again for them.
        try:
            document = parse(query, max_tokens=self.config.max_tokens, no_location=True)
        except GraphQLError as parse_error:  # syntax errors carry their position regardless
            raise RequestError(
                [_coded(parse_error, GRAPHQL_PARSE_FAILED)], GRAPHQL_PARSE_FAILED
            ) from None
        # The limits come first: they are linear in the document, whatever its fragments expand
        # to, and whatever they refuse never reaches validation, normalization or planning.
        check_limits(document, self.limits)
        hide_suggestions = not self.config.development
        if validate(self.api_schema, document, hide_suggestions=hide_suggestions):
            self._refuse(query, GRAPHQL_VALIDATION_FAILED, hide_suggestions=hide_suggestions)
        if not self.introspection and validate(
            self.api_schema, document, [NoSchemaIntrospectionCustomRule]
        ):
            self._refuse(query, INTROSPECTION_DISABLED, [NoSchemaIntrospectionCustomRule])
        for rule, code in self.rules:
            if validate(self.api_schema, document, [rule]):
                self._refuse(query, code, [rule])
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


def _coded(graphql_error: GraphQLError, code: str) -> JsonObject:
    formatted: JsonObject = dict(graphql_error.formatted)
    extensions = formatted.get("extensions")
    formatted["extensions"] = {**(extensions if isinstance(extensions, dict) else {}), "code": code}
    return formatted


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


# Bytes per counted item in a cached entry, measured with tracemalloc on real operations after
# they served a request (fetch texts printed, shaping's field lists filled): docs/limits.md.
_BYTES_PER_AST_NODE = 120
_BYTES_PER_SELECTION = 400
_BYTES_PER_FETCH_SELECTION = 250
_BYTES_PER_ENTRY = 1_500


def entry_bytes(query: str, prepared: PreparedOperation) -> int:
    """An estimate of the memory one cache entry holds: its key's text, the parsed document,
    the normalized operation (and shaping's field lists for it), and the plan."""
    ast_nodes, selections, fetch_selections = entry_counts(prepared)
    return (
        sys.getsizeof(query)
        + _BYTES_PER_ENTRY
        + _BYTES_PER_AST_NODE * ast_nodes
        + _BYTES_PER_SELECTION * selections
        + _BYTES_PER_FETCH_SELECTION * fetch_selections
    )


def entry_counts(prepared: PreparedOperation) -> tuple[int, int, int]:
    """(AST nodes of the document, selections of the normalized operation, selections of the
    plan's fetches), counted without recursion."""
    ast_nodes = 0
    nodes: list[Node] = [prepared.document]
    while nodes:
        node = nodes.pop()
        ast_nodes += 1
        for key in node.keys:
            value = getattr(node, key, None)
            if isinstance(value, Node):
                nodes.append(value)
            elif isinstance(value, tuple | list):
                nodes.extend(v for v in value if isinstance(v, Node))
    selections = 0
    stack: list[Field | InlineFragment] = list(prepared.operation.selections)
    while stack:
        selections += 1
        stack.extend(stack.pop().selections)
    fetch_selections = 0
    for fetch in fetch_nodes(prepared.plan.node):
        found: list[FetchSelection] = [*fetch.selections, *(fetch.requires or ())]
        while found:
            fetch_selections += 1
            fetch_selections_of = found.pop().selections
            found.extend(fetch_selections_of or ())
    return ast_nodes, selections, fetch_selections
