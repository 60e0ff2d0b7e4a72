"""Merging subgraph answers into one data tree, and putting aliased fields back in place."""

from __future__ import annotations

from typing import Any

from gateway.planner.plan import FetchFragment, FetchSelection
from gateway.types import JsonObject


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


# What a fetch asked for, by response key: None for a leaf, the keys below for a composite
# field (fragments merged: every key in them was asked of this subgraph).
Shape = dict[str, "Shape | None"]


def answer_shape(selections: tuple[FetchSelection, ...]) -> Shape:
    shape: Shape = {}
    stack = [(selections, shape)]
    while stack:
        current, into = stack.pop()
        for selection in current:
            if isinstance(selection, FetchFragment):
                stack.append((selection.selections, into))
            elif selection.selections is None:
                into.setdefault(selection.response_key, None)
            else:
                below = into.get(selection.response_key)
                if below is None:
                    below = into[selection.response_key] = {}
                stack.append((selection.selections, below))
    return shape


def strip_unasked(value: JsonObject, shape: Shape) -> set[str]:
    """Drop, in place, every key of a subgraph's answer the fetch did not ask for: a subgraph
    writes only the fields it was asked for, never one another subgraph owns. Returns the keys
    dropped at the top (where the answer merges into data other subgraphs wrote)."""
    top = value.keys() - shape.keys()
    for key in top:
        del value[key]
    stack: list[tuple[Any, Shape]] = [
        (value[k], below) for k, below in shape.items() if below is not None and k in value
    ]
    while stack:
        current, expected = stack.pop()
        if isinstance(current, list):
            stack.extend([(item, expected) for item in current])
        elif isinstance(current, dict):
            if not current.keys() <= expected.keys():
                for key in current.keys() - expected.keys():
                    del current[key]
            for key, below in expected.items():
                if below is not None:
                    child = current.get(key)
                    if isinstance(child, (dict, list)):
                        stack.append((child, below))
    return top


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
