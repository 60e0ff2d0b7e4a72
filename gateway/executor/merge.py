"""Merging subgraph answers into one data tree, and putting aliased fields back in place."""

from __future__ import annotations

from typing import Any

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
