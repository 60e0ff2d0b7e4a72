"""Region prefixes as SQL: a column inside one prefix, or inside the caller's jurisdiction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import false, or_


def within_prefix(column: Any, prefix: str) -> Any:
    """`column` inside the region `prefix`, segment-wise: '14.7' does not match '14.71'."""
    return or_(column == prefix, column.like(f"{prefix}.%"))


def within_any(column: Any, prefixes: Iterable[str]) -> Any:
    """`column` inside one of `prefixes` (an officer's jurisdiction); no prefix matches nothing."""
    clauses = [within_prefix(column, prefix) for prefix in prefixes]
    if not clauses:
        return false()
    return or_(*clauses)
