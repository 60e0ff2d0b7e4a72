"""Runs a query plan: fetches through the subgraph client (batched, in parallel), merges the
answers into one data tree, and re-paths subgraph errors to where they belong in the response."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from gateway.client import SubgraphClient
from gateway.conditions import holds
from gateway.context import RequestContext
from gateway.errors import DOWNSTREAM_SERVICE_ERROR
from gateway.executor.merge import deep_merge, rename_keys, strip_unasked
from gateway.executor.representations import collect, representation
from gateway.planner.plan import (
    ConditionNode,
    DecisionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    SequenceNode,
)
from gateway.types import JsonObject, Path, ResponsePath

_MISSING = object()


@dataclass
class Execution:
    data: JsonObject = field(default_factory=dict)
    errors: list[JsonObject] = field(default_factory=list)


class Decider(Protocol):
    """Runs a plan's Decision nodes (the consent stage): facts, decision, narrowed fetches."""

    async def run(self, node: DecisionNode, run: PlanRun) -> None: ...


class PlanExecutor:
    def __init__(
        self,
        client: SubgraphClient,
        decider: Decider | None = None,
        *,
        keep_only_asked: bool = False,
    ) -> None:
        self.client = client
        self.decider = decider
        # Strip every answer to what its fetch asked for (a subgraph never writes a field
        # another owns): on wherever access is controlled; off, answers merge as they come.
        self.keep_only_asked = keep_only_asked

    async def run(
        self, node: PlanNode | None, variables: Mapping[str, Any], context: RequestContext
    ) -> Execution:
        execution = Execution()
        if node is not None:
            run = PlanRun(
                self.client, variables, context, execution, self.decider, self.keep_only_asked
            )
            await run.node(node)
        return execution


@dataclass(slots=True)
class PlanRun:
    """One execution of a plan: what every step shares."""

    client: SubgraphClient
    variables: Mapping[str, Any]
    context: RequestContext
    execution: Execution
    decider: Decider | None = None
    keep_only_asked: bool = False
    # Per-request state of stages that span steps (the consent stage's facts and decisions).
    state: dict[str, Any] = field(default_factory=dict)

    async def node(self, node: PlanNode) -> None:
        if isinstance(node, SequenceNode):
            for child in node.nodes:
                await self.node(child)
        elif isinstance(node, ParallelNode):
            await asyncio.gather(*(self.node(child) for child in node.nodes))
        elif isinstance(node, FlattenNode):
            await self.entities(node.path, node.node)
        elif isinstance(node, ConditionNode):
            branch = node.if_clause if holds(node.condition, self.variables) else node.else_clause
            if branch is not None:
                await self.node(branch)
        elif isinstance(node, DecisionNode):
            if self.decider is None:
                raise RuntimeError("a plan with Decision nodes needs the consent stage")
            await self.decider.run(node, self)
        else:
            await self.root(node)

    def _subset(self, node: FetchNode) -> JsonObject:
        variables = self.variables
        return {name: variables[name] for name in node.variable_usages if name in variables}

    @staticmethod
    def _categories(node: FetchNode) -> frozenset[str]:
        # Until the consent step decides each fetch's categories: those of the fields it selects.
        return node.categories

    async def root(self, node: FetchNode) -> None:
        execution = self.execution
        response = await self.client.fetch(
            node, self._subset(node), self.context, self._categories(node)
        )
        if isinstance(response.data, dict):
            if self.keep_only_asked:
                dropped = strip_unasked(response.data, node.answer_shape)
                if any(key in execution.data for key in dropped):
                    execution.errors.append(_unasked(node))
            if node.output_renames:
                rename_keys(response.data, node.output_renames)
            deep_merge(execution.data, response.data)
        for error in response.errors:
            execution.errors.append(_with_service(error, node.service, error.get("path")))

    async def entities(self, path: Path, node: FetchNode) -> None:
        targets: list[tuple[JsonObject, ResponsePath]] = []
        collect(self.execution.data, path, [], targets)
        await self.fetch_entities(targets, node)

    async def fetch_entities(
        self,
        targets: list[tuple[JsonObject, ResponsePath]],
        node: FetchNode,
        records: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        """The entity fetch `node` for these objects (with their response paths); `records`,
        the per-record restriction of its grant (see SubgraphClient.fetch)."""
        assert node.requires is not None
        execution = self.execution
        representations: list[JsonObject] = []
        index_of: dict[bytes, int] = {}
        owners: list[list[tuple[JsonObject, ResponsePath]]] = []
        for entity, entity_path in targets:
            typename = entity.get("__typename")
            if node.entity_types and typename not in node.entity_types:
                continue
            found = representation(entity, node.requires, typename)
            if found is None:
                continue  # a key or required field is missing: an earlier error nulled it
            if node.representation_typename is not None:
                found["__typename"] = node.representation_typename
            # Identical representations are sent once and the answer fanned back out.
            marker = orjson.dumps(found, option=orjson.OPT_SORT_KEYS)
            position = index_of.get(marker)
            if position is None:
                position = index_of[marker] = len(representations)
                representations.append(found)
                owners.append([])
            owners[position].append((entity, entity_path))
        if not representations:
            return
        arguments = {**self._subset(node), "representations": representations}
        response = await self.client.fetch(
            node, arguments, self.context, self._categories(node), records
        )
        entities = (
            (response.data or {}).get("_entities") if isinstance(response.data, dict) else None
        )
        if isinstance(entities, list) and len(entities) == len(representations):
            if self.keep_only_asked:
                # Each entity answer keeps only what was asked (and its `__typename`); one that
                # would have overwritten what another subgraph wrote there is reported.
                shape = node.answer_shape_with_typename
                overwrote = False
                for position, result in enumerate(entities):
                    if isinstance(result, dict):
                        dropped = strip_unasked(result, shape)
                        if dropped and not overwrote:
                            overwrote = any(k in e for e, _ in owners[position] for k in dropped)
                if overwrote:
                    execution.errors.append(_unasked(node))
            if node.output_renames:
                rename_keys(entities, node.output_renames)
            for position, result in enumerate(entities):
                if isinstance(result, dict):
                    if result.get("__typename", _MISSING) == node.representation_typename:
                        result = {k: v for k, v in result.items() if k != "__typename"}
                    for entity, _ in owners[position]:
                        deep_merge(entity, result)
        elif response.data is not None and not response.errors:
            execution.errors.append(
                _with_service(
                    {"message": f"Subgraph {node.service} returned an invalid _entities answer."},
                    node.service,
                    None,
                )
            )
        for error in response.errors:
            error_path = error.get("path")
            mapped: ResponsePath | None = None
            if (
                isinstance(error_path, list)
                and len(error_path) >= 2
                and error_path[0] == "_entities"
                and isinstance(error_path[1], int)
                and 0 <= error_path[1] < len(owners)
            ):
                mapped = list(owners[error_path[1]][0][1]) + list(error_path[2:])
            elif owners:
                mapped = list(owners[0][0][1])
            execution.errors.append(_with_service(error, node.service, mapped))


def _unasked(node: FetchNode) -> JsonObject:
    return _with_service(
        {"message": f"Subgraph {node.service} answered fields it was not asked for; discarded."},
        node.service,
        None,
    )


def _with_service(error: JsonObject, service: str, path: Any) -> JsonObject:
    result: JsonObject = {"message": str(error.get("message", "Subgraph error"))}
    if path:
        result["path"] = path
    extensions = (
        dict(error.get("extensions") or {}) if isinstance(error.get("extensions"), dict) else {}
    )
    extensions.setdefault("code", DOWNSTREAM_SERVICE_ERROR)
    extensions["serviceName"] = service
    result["extensions"] = extensions
    return result
