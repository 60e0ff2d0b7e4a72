"""Cursor pagination types every subgraph's list queries share (shareable across subgraphs)."""

from __future__ import annotations

import strawberry


@strawberry.federation.type(
    shareable=True, description="Where a page ends and whether more follow."
)
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
