"""The gateway: its stages wired together once, where it is built — prepare (cached), execute
through the injected subgraph client, shape — independent of HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from graphql import GraphQLObjectType, OperationType, execute_sync, value_from_ast_untyped
from graphql.execution.values import get_variable_values

from gateway import telemetry
from gateway.client import SubgraphClient
from gateway.client.http import HttpSubgraphClient
from gateway.config import GatewayConfig
from gateway.context import RequestContext
from gateway.demand import DemandControl
from gateway.errors import RequestError
from gateway.executor.run import PlanExecutor
from gateway.executor.shape import GuardedShaper, Shaper
from gateway.operation import Field, InlineFragment, Operation
from gateway.planner import PlannerPasses, QueryPlanner, SubgraphMap, print_plan
from gateway.prepare import LOCAL_ROOT_FIELDS, PreparedOperation, Preparer
from gateway.supergraph import Supergraph
from gateway.supergraph.support import refuse_unsupported
from gateway.types import JsonObject

if TYPE_CHECKING:
    from gateway.audit.stage import AuditStage
    from gateway.consent import ConsentPolicy, ConsentStage

__all__ = ["Gateway", "GatewayConfig", "PreparedOperation", "RequestError"]


class Gateway:
    """One supergraph served: built with its configuration and collaborators (the subgraph
    client; the planner's passes), which tests replace with their own."""

    def __init__(
        self,
        supergraph: Supergraph,
        config: GatewayConfig | None = None,
        *,
        client: SubgraphClient | None = None,
        passes: PlannerPasses | None = None,
        policy: ConsentPolicy | None = None,
    ) -> None:
        refuse_unsupported(supergraph)  # never a silently wrong plan (@fromContext)
        self.supergraph = supergraph
        self.config = config or GatewayConfig()
        self.api_schema = supergraph.api_schema
        subgraphs = SubgraphMap(supergraph)
        self.planner = QueryPlanner(subgraphs, passes)
        # Consent-aware planning when configured (`[consent]`; `policy` given by tests or
        # loaded from the configured factory): without it, plans are exactly as before.
        self.consent: ConsentStage | None = None
        if self.config.consent is not None:
            from gateway.consent import ConsentStage

            self.consent = ConsentStage(
                self.config.consent, policy or self.config.consent.load_policy(), subgraphs
            )
        self.demand = DemandControl(supergraph, self.config)  # cost budget: gateway/demand
        self.client: SubgraphClient = client or HttpSubgraphClient(supergraph, self.config)
        keep_only_asked = self.config.keep_only_asked
        if keep_only_asked is None:
            keep_only_asked = self.consent is not None
        # The audit stage when configured (`[audit]`): every request recorded before it is
        # answered (the HTTP edge holds responses; see gateway/audit).
        self.audit: AuditStage | None = None
        if self.config.audit is not None:
            from gateway.audit.stage import AuditStage

            self.audit = AuditStage(self.config.audit, self.config.grant_key, self.api_schema)
        # The audit stage's rule (an answer showing a person shows its identifier) when it has
        # one: refused in preparing, like validation.
        rules = self.audit.rules if self.audit is not None else ()
        self.preparer = Preparer(self.api_schema, self.planner, self.config, self.consent, rules)
        self.executor = PlanExecutor(
            self.client,
            self.consent.decider if self.consent is not None else None,
            keep_only_asked=keep_only_asked,
        )

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await self.client.start()
        if self.audit is not None:
            await self.audit.writer.start()

    async def close(self) -> None:
        if self.audit is not None:
            await self.audit.writer.close()
        await self.client.close()

    async def subgraphs_ready(self) -> dict[str, bool]:
        """Whether each subgraph answers a trivial query (the /health probe)."""
        return await self.client.ready()

    def subgraph_states(self) -> dict[str, str]:
        """Each subgraph's circuit-breaker state as traffic left it (no request sent); empty
        for a client without breakers (tests' own)."""
        states = getattr(self.client, "breaker_states", None)
        return dict(states()) if callable(states) else {}

    # --- preparing ------------------------------------------------------------------------------

    def prepare(
        self, query: str, operation_name: str | None, context: RequestContext | None = None
    ) -> PreparedOperation:
        with telemetry.span("query_planning"):
            prepared = self.preparer.prepare(query, operation_name, context)
        telemetry.note_operation(
            prepared.kind.value, operation_name or prepared.operation.name, query
        )
        return prepared

    def plan_text(
        self,
        query: str,
        operation_name: str | None = None,
        context: RequestContext | None = None,
    ) -> str:
        return print_plan(self.prepare(query, operation_name, context).plan)

    # --- executing --------------------------------------------------------------------------

    def coerce_variables(
        self, prepared: PreparedOperation, variables: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The client's values, checked against the operation's variable definitions."""
        coerced = get_variable_values(
            self.api_schema, prepared.operation.variable_definitions, dict(variables or {})
        )
        if isinstance(coerced, list):
            raise RequestError([dict(e.formatted) for e in coerced], "BAD_USER_INPUT")
        # Subgraphs get the client's values as sent (JSON), not Python-coerced ones.
        return dict(variables or {})

    async def execute(
        self,
        prepared: PreparedOperation,
        variables: Mapping[str, Any] | None,
        context: RequestContext | None = None,
    ) -> JsonObject:
        with telemetry.span("execution"):
            return await self._execute(prepared, variables, context)

    async def _execute(
        self,
        prepared: PreparedOperation,
        variables: Mapping[str, Any] | None,
        context: RequestContext | None,
    ) -> JsonObject:
        context = context or RequestContext.internal()
        # The client's values as sent, plus the operation's defaults for those it left out:
        # one view for conditions, introspection, shaping and the subgraphs alike.
        values = _with_defaults(prepared.operation, self.coerce_variables(prepared, variables))
        # Demand control: refused here, over the budget, before anything is fetched.
        estimate = self.demand.check(prepared.operation, values, prepared.cost_cache)
        execution = await self.executor.run(prepared.plan.node, values, context)
        data = execution.data
        if prepared.local_document is not None:
            local = execute_sync(self.api_schema, prepared.local_document, variable_values=values)
            if local.data:
                data.update(local.data)
            execution.errors.extend(dict(e.formatted) for e in local.errors or ())
        shaper = (
            Shaper(self.api_schema, values, context, prepared.shape_cache)
            if prepared.guard is None
            else GuardedShaper(
                self.api_schema, values, context, prepared.shape_cache, prepared.guard
            )
        )
        shaped = shaper.root(
            self._root_type(prepared.kind), _without_local(prepared.operation), data
        )
        if shaped is not None and prepared.local_document is not None:
            for selection in prepared.operation.selections:
                if isinstance(selection, Field) and selection.name in LOCAL_ROOT_FIELDS:
                    shaped[selection.response_key] = data.get(selection.response_key)
        errors = execution.errors + shaper.errors
        response: JsonObject = {}
        if errors:
            response["errors"] = errors
        response["data"] = shaped
        if self.config.development:  # the measured cost, never in production
            cost = self.demand.report(estimate, prepared.operation, values, shaped)
            response.setdefault("extensions", {})["cost"] = cost
        return response

    def _root_type(self, kind: OperationType) -> GraphQLObjectType:
        root = self.api_schema.get_root_type(kind)
        assert root is not None  # validation checked the operation against this schema
        return root


def _without_local(operation: Operation) -> tuple[Field | InlineFragment, ...]:
    return tuple(
        s
        for s in operation.selections
        if not (isinstance(s, Field) and s.name in ("__schema", "__type"))
    )


def _with_defaults(operation: Operation, variables: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(variables)
    for definition in operation.variable_definitions:
        name = definition.variable.name.value
        if name not in result and definition.default_value is not None:
            result[name] = value_from_ast_untyped(definition.default_value)
    return result
