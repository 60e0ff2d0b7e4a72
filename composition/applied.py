"""Merging the directives composition carries (@inaccessible, @tag, auth, composed ones) across subgraphs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from graphql import print_ast

from composition.model import DNF, Applied, ListSize


def normalize_dnf(dnf: DNF) -> DNF:
    """One spelling per meaning: each AND group sorted and deduplicated, groups that another group
    subsumes dropped (`a OR (a AND b)` is `a`), shortest groups first."""
    groups = sorted(
        {tuple(sorted(set(group))) for group in dnf or ((),)}, key=lambda g: (len(g), g)
    )
    kept: list[tuple[str, ...]] = []
    for group in groups:
        if not any(set(smaller) <= set(group) for smaller in kept):
            kept.append(group)
    return tuple(kept)


def dnf_and(a: DNF, b: DNF) -> DNF:
    """`a AND b` for requirements in disjunctive normal form (outer list OR, inner list AND)."""
    return normalize_dnf(tuple(tuple({*x, *y}) for x in a for y in b))


def dnf_implies(have: DNF | None, need: DNF | None) -> bool:
    """Does satisfying `have` always satisfy `need`?"""
    if need is None:
        return True
    if have is None:
        return False
    return all(any(set(required) <= set(group) for required in need) for group in have)


def merge_applied(items: Sequence[Applied], repeatable: set[str]) -> Applied:
    merged = Applied()
    seen_composed: set[str] = set()
    seen_names: set[str] = set()
    for applied in items:
        merged.inaccessible |= applied.inaccessible
        merged.tags.extend(tag for tag in applied.tags if tag not in merged.tags)
        if applied.deprecated and not merged.deprecated:
            merged.deprecated = True
            merged.deprecation_reason = applied.deprecation_reason
        merged.authenticated |= applied.authenticated
        if applied.scopes is not None:
            merged.scopes = (
                dnf_and(merged.scopes, applied.scopes)
                if merged.scopes is not None
                else applied.scopes
            )
        if applied.policies is not None:
            merged.policies = (
                dnf_and(merged.policies, applied.policies)
                if merged.policies is not None
                else applied.policies
            )
        for directive in applied.composed:
            printed = print_ast(directive)
            name = directive.name.value
            if printed in seen_composed or (name in seen_names and name not in repeatable):
                continue
            seen_composed.add(printed)
            seen_names.add(name)
            merged.composed.append(directive)
        merged.contexts.extend(c for c in applied.contexts if c not in merged.contexts)
        if applied.cost is not None:
            merged.cost = applied.cost if merged.cost is None else max(merged.cost, applied.cost)
        if applied.list_size is not None:
            merged.list_size = _merge_list_size(merged.list_size, applied.list_size)
        merged.specified_by = merged.specified_by or applied.specified_by
        merged.one_of |= applied.one_of
    return merged


def _merge_list_size(a: ListSize | None, b: ListSize) -> ListSize:
    """Apollo's strategies: the largest assumed size, the union of lists, the AND of the flag."""
    if a is None:
        return b

    def union(x: tuple[str, ...] | None, y: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if x is None or y is None:
            return x if y is None else y
        return (*x, *(v for v in y if v not in x))

    def nullable(x: Any, y: Any, combine: Any) -> Any:
        return x if y is None else y if x is None else combine(x, y)

    return ListSize(
        assumed_size=nullable(a.assumed_size, b.assumed_size, max),
        slicing_arguments=union(a.slicing_arguments, b.slicing_arguments),
        sized_fields=union(a.sized_fields, b.sized_fields),
        require_one_slicing_argument=nullable(
            a.require_one_slicing_argument, b.require_one_slicing_argument, lambda x, y: x and y
        ),
    )


def pick_description(descriptions: Iterable[str | None]) -> str | None:
    """The description most subgraphs give (ties: the first subgraph's); empty ones don't count."""
    given = [d for d in descriptions if d and d.strip()]
    if not given:
        return None
    counts = Counter(given)
    best = max(counts.values())
    return next(d for d in given if counts[d] == best)


def has_access_control(applied: Applied) -> bool:
    return applied.authenticated or applied.scopes is not None or applied.policies is not None


def and_access_control(target: Applied, extra: Applied) -> None:
    """Require `extra`'s @authenticated/@requiresScopes/@policy on top of `target`'s."""
    target.authenticated |= extra.authenticated
    if extra.scopes is not None:
        target.scopes = (
            extra.scopes if target.scopes is None else dnf_and(target.scopes, extra.scopes)
        )
    if extra.policies is not None:
        target.policies = (
            extra.policies if target.policies is None else dnf_and(target.policies, extra.policies)
        )
