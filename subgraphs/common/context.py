"""Per-request context: the database, the caller, and the request's DataLoaders (one batch per table per tick)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo

from subgraphs.common.cancel import stop_if_past_deadline
from subgraphs.common.database import Database
from subgraphs.common.identity import Identity

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass
class Context:
    db: Database
    # Who asks: from the gateway's signed grant (see identity.py); None when the request has none.
    identity: Identity | None = None
    # What the service attaches beside its schema, by name (the consent service: "audit").
    services: dict[str, object] = field(default_factory=dict)
    # What this request's mutations wrote, each record once, as they reported it after their
    # commit (see `changed`): the answer's `extensions.changes`, read by the gateway's audit.
    changes: list[dict[str, str]] = field(default_factory=list)
    _loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    def changed(self, entity: str, id: str | int, action: str) -> None:
        """Report a record a mutation created or changed: its GraphQL type, its `id` as the
        schema gives it, and what was done ("opened", "reviewed: APPROVED"...). Called once per
        record, after the write committed: a refused or failed mutation reports nothing."""
        self.changes.append({"entity": entity, "id": str(id), "action": action})

    def loader(
        self, name: str, batch: Callable[[Database, list[K]], Awaitable[Sequence[V]]]
    ) -> DataLoader[K, V]:
        """The request's loader `name`, created on first use: all loads in one tick share a query.

        Every resolver that fans out comes here for its records, so this is where a request past
        the gateway's deadline stops (cancel.py: asyncio's own timer may only fire once a whole
        level of the tree has been completed)."""
        stop_if_past_deadline()
        existing = self._loaders.get(name)
        if existing is None:

            async def load_fn(keys: list[K]) -> Sequence[V]:
                return await batch(self.db, keys)

            existing = DataLoader(load_fn=load_fn)
            self._loaders[name] = existing
        return existing


Info = StrawberryInfo[Context, None]


class ReportChanges(SchemaExtension):
    """Puts the request's reported changes in the answer as `extensions.changes`, when there
    are any (a query's answer, or a refused mutation's, carries none)."""

    def get_results(self) -> dict[str, Any]:
        changes = getattr(self.execution_context.context, "changes", None)
        return {"changes": list(changes)} if changes else {}


def one_per_key(keys: Sequence[K], rows: Iterable[V], key: Callable[[V], K]) -> list[V | None]:
    """Order rows as the loader's keys, None where a key has no row."""
    by_key = {key(row): row for row in rows}
    return [by_key.get(k) for k in keys]


def many_per_key(keys: Sequence[K], rows: Iterable[V], key: Callable[[V], K]) -> list[list[V]]:
    """Group rows under the loader's keys, an empty list where a key has none."""
    grouped: dict[K, list[V]] = {k: [] for k in keys}
    for row in rows:
        bucket = grouped.get(key(row))
        if bucket is not None:
            bucket.append(row)
    return [grouped[k] for k in keys]


Fetch = Callable[[AsyncConnection, list[K]], Awaitable[Iterable[V]]]
Batch = Callable[[Database, list[K]], Awaitable[list[V]]]


def one_each(fetch: Fetch[K, V], key: Callable[[V], K]) -> Batch[K, V | None]:
    """A loader's batch function: one repository query, at most one row per key."""

    async def batch(db: Database, keys: list[K]) -> list[V | None]:
        async with db.connect() as conn:
            return one_per_key(keys, await fetch(conn, keys), key)

    return batch


def many_each(fetch: Fetch[K, V], key: Callable[[V], K]) -> Batch[K, list[V]]:
    """A loader's batch function: one repository query, every row of each key."""

    async def batch(db: Database, keys: list[K]) -> list[list[V]]:
        async with db.connect() as conn:
            return many_per_key(keys, await fetch(conn, keys), key)

    return batch
