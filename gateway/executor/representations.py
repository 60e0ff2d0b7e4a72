"""Entity representations: the objects at a flatten path, and what each sends to `_entities`
(`__typename`, the key and the @requires inputs, read off the data fetched so far)."""

from __future__ import annotations

from typing import Any

from gateway.planner.plan import FetchField, FetchFragment, FetchSelection
from gateway.types import JsonObject, Path, ResponsePath

_MISSING = object()


def collect(
    value: Any, path: Path, at: ResponsePath, out: list[tuple[JsonObject, ResponsePath]]
) -> None:
    """The objects at a flatten path ("@" = every list element), with their concrete paths."""
    # Iterative over the path, recursive only into lists: depth is the path's length.
    if not path:
        if isinstance(value, dict):
            out.append((value, at))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                collect(item, path, [*at, index], out)
        return
    head, rest = path[0], path[1:]
    if head == "@":
        if isinstance(value, list):
            for index, item in enumerate(value):
                collect(item, rest, [*at, index], out)
        return
    if isinstance(value, dict):
        collect(value.get(head), rest, [*at, head], out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            collect(item, path, [*at, index], out)


def representation(
    entity: JsonObject, requires: tuple[FetchSelection, ...], typename: Any
) -> JsonObject | None:
    """What one entity sends; None when a key or required field is missing (an earlier error
    nulled it)."""
    result: JsonObject = {}
    if not _select(entity, requires, typename, result):
        return None
    return result


def _select(
    source: JsonObject, selections: tuple[FetchSelection, ...], typename: Any, out: JsonObject
) -> bool:
    for selection in selections:
        if isinstance(selection, FetchFragment):
            condition = selection.type_condition
            # An interface condition matches when the key fields are there.
            if (
                condition is not None
                and typename is not None
                and condition != typename
                and not _fields_present(source, selection.selections)
            ):
                continue
            if not _select(source, selection.selections, typename, out):
                return False
            continue
        # Read under the alias the planner fetched it by; send under the field's name.
        name = selection.name
        value = source.get(selection.response_key, _MISSING)
        if value is _MISSING:
            return False
        if selection.selections is None or value is None:
            out[name] = value
        elif isinstance(value, list):
            items = []
            for item in value:
                if isinstance(item, dict):
                    nested: JsonObject = {}
                    if not _select(item, selection.selections, item.get("__typename"), nested):
                        return False
                    items.append(nested)
                else:
                    items.append(item)
            out[name] = items
        elif isinstance(value, dict):
            nested = {}
            if not _select(value, selection.selections, value.get("__typename"), nested):
                return False
            out[name] = nested
        else:
            out[name] = value
    return True


def _fields_present(source: JsonObject, selections: tuple[FetchSelection, ...]) -> bool:
    return all(isinstance(s, FetchField) and s.response_key in source for s in selections)
