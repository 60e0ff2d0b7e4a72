"""Runs a query plan: fetches from subgraphs (batched, in parallel), merges into one data tree."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from gateway.plan import (
    ConditionNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    Path,
    PlanNode,
    SequenceNode,
)

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SubgraphResponse:
    data: JsonObject | None
    errors: list[JsonObject]


# (graph enum value, service name, document, variables, headers to forward) -> response. Never raises:
# transport failures come back as a response with errors and no data.
Fetcher = Callable[[str, str, str, JsonObject, Mapping[str, str]], Awaitable[SubgraphResponse]]


@dataclass
class Execution:
    data: JsonObject = field(default_factory=dict)
    errors: list[JsonObject] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # forwarded to every subgraph


class PlanExecutor:
    def __init__(self, fetch: Fetcher) -> None:
        self.fetch = fetch

    async def run(
        self,
        node: PlanNode | None,
        variables: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> Execution:
        execution = Execution(headers=dict(headers or {}))
        if node is not None:
            await self._run(node, variables, execution)
        return execution

    async def _run(
        self, node: PlanNode, variables: Mapping[str, Any], execution: Execution
    ) -> None:
        if isinstance(node, SequenceNode):
            for child in node.nodes:
                await self._run(child, variables, execution)
        elif isinstance(node, ParallelNode):
            await asyncio.gather(*(self._run(child, variables, execution) for child in node.nodes))
        elif isinstance(node, FlattenNode):
            await self._entities(node.path, node.node, variables, execution)
        elif isinstance(node, ConditionNode):
            branch = node.if_clause if _holds(node, variables) else node.else_clause
            if branch is not None:
                await self._run(branch, variables, execution)
        else:
            await self._root(node, variables, execution)

    async def _root(
        self, node: FetchNode, variables: Mapping[str, Any], execution: Execution
    ) -> None:
        response = await self.fetch(
            node.graph, node.service, node.operation, _subset(variables, node), execution.headers
        )
        if isinstance(response.data, dict):
            if node.output_renames:
                rename_keys(response.data, node.output_renames)
            deep_merge(execution.data, response.data)
        for error in response.errors:
            execution.errors.append(_with_service(error, node.service, error.get("path")))

    async def _entities(
        self, path: Path, node: FetchNode, variables: Mapping[str, Any], execution: Execution
    ) -> None:
        assert node.requires is not None
        targets: list[tuple[JsonObject, list[str | int]]] = []
        _collect(execution.data, path, [], targets)
        representations: list[JsonObject] = []
        index_of: dict[bytes, int] = {}
        owners: list[list[tuple[JsonObject, list[str | int]]]] = []
        for entity, entity_path in targets:
            typename = entity.get("__typename")
            if node.entity_types and typename not in node.entity_types:
                continue
            representation = _representation(entity, node.requires, typename)
            if representation is None:
                continue  # a key or required field is missing: an earlier error nulled it
            if node.representation_typename is not None:
                representation["__typename"] = node.representation_typename
            # Identical representations are sent once and the answer fanned back out.
            marker = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
            position = index_of.get(marker)
            if position is None:
                position = index_of[marker] = len(representations)
                representations.append(representation)
                owners.append([])
            owners[position].append((entity, entity_path))
        if not representations:
            return
        arguments = {**_subset(variables, node), "representations": representations}
        response = await self.fetch(
            node.graph, node.service, node.operation, arguments, execution.headers
        )
        entities = (
            (response.data or {}).get("_entities") if isinstance(response.data, dict) else None
        )
        if isinstance(entities, list) and len(entities) == len(representations):
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
            mapped: list[str | int] | None = None
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


def _holds(node: ConditionNode, variables: Mapping[str, Any]) -> bool:
    """The condition's variable (the engine has applied the operation's defaults)."""
    return variables.get(node.condition) is True


def _subset(variables: Mapping[str, Any], node: FetchNode) -> JsonObject:
    return {name: variables[name] for name in node.variable_usages if name in variables}


def _with_service(error: JsonObject, service: str, path: Any) -> JsonObject:
    result: JsonObject = {"message": str(error.get("message", "Subgraph error"))}
    if path:
        result["path"] = path
    extensions = (
        dict(error.get("extensions") or {}) if isinstance(error.get("extensions"), dict) else {}
    )
    extensions.setdefault("code", "DOWNSTREAM_SERVICE_ERROR")
    extensions["serviceName"] = service
    result["extensions"] = extensions
    return result


def _collect(
    value: Any, path: Path, at: list[str | int], out: list[tuple[JsonObject, list[str | int]]]
) -> None:
    """The objects at a flatten path ("@" = every list element), with their concrete paths."""
    # Iterative over the path, recursive only into lists: depth is the path's length.
    if not path:
        if isinstance(value, dict):
            out.append((value, at))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                _collect(item, path, [*at, index], out)
        return
    head, rest = path[0], path[1:]
    if head == "@":
        if isinstance(value, list):
            for index, item in enumerate(value):
                _collect(item, rest, [*at, index], out)
        return
    if isinstance(value, dict):
        _collect(value.get(head), rest, [*at, head], out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _collect(item, path, [*at, index], out)


def _representation(
    entity: JsonObject, requires: SelectionSetNode, typename: Any
) -> JsonObject | None:
    result: JsonObject = {}
    if not _select(entity, requires, typename, result):
        return None
    return result


_MISSING = object()


def _select(
    source: JsonObject, selection_set: SelectionSetNode, typename: Any, out: JsonObject
) -> bool:
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            # An interface condition matches when the key fields are there.
            if (
                condition is not None
                and typename is not None
                and condition != typename
                and not _fields_present(source, selection.selection_set)
            ):
                continue
            if not _select(source, selection.selection_set, typename, out):
                return False
        elif isinstance(selection, FieldNode):
            # Read under the alias the planner fetched it by; send under the field's name.
            name = selection.name.value
            value = source.get((selection.alias or selection.name).value, _MISSING)
            if value is _MISSING:
                return False
            if selection.selection_set is None or value is None:
                out[name] = value
            elif isinstance(value, list):
                items = []
                for item in value:
                    if isinstance(item, dict):
                        nested: JsonObject = {}
                        if not _select(
                            item, selection.selection_set, item.get("__typename"), nested
                        ):
                            return False
                        items.append(nested)
                    else:
                        items.append(item)
                out[name] = items
            elif isinstance(value, dict):
                nested = {}
                if not _select(value, selection.selection_set, value.get("__typename"), nested):
                    return False
                out[name] = nested
            else:
                out[name] = value
    return True


def _fields_present(source: JsonObject, selection_set: SelectionSetNode) -> bool:
    return all(
        isinstance(s, FieldNode) and (s.alias or s.name).value in source
        for s in selection_set.selections
    )


def deep_merge(target: JsonObject, source: JsonObject) -> None:
    """Merge a subgraph's answer into the data tree: objects key by key, lists element-wise."""
    for key, value in source.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            deep_merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            for index, (old, new) in enumerate(zip(existing, value, strict=True)):
                if isinstance(old, dict) and isinstance(new, dict):
                    deep_merge(old, new)
                else:
                    existing[index] = new
        else:
            target[key] = value


def rename_keys(value: Any, renames: tuple[tuple[str, str], ...]) -> None:
    """Put aliased fields back under their response keys, anywhere in a subgraph's answer."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, dict):
            for alias, key in renames:
                if alias in current:
                    current[key] = current.pop(alias)
            stack.extend(v for v in current.values() if isinstance(v, dict | list))
