"""Checks a resolver makes against the request's grant before it answers (defence in depth: the
gateway decides, and a subgraph still refuses what the grant does not cover)."""

from __future__ import annotations

from typing import Any, Final

from strawberry.extensions.field_extension import (
    AsyncExtensionResolver,
    FieldExtension,
    SyncExtensionResolver,
)
from strawberry.utils.await_maybe import await_maybe

from subgraphs.common.context import Info
from subgraphs.common.errors import Forbidden

# The category the gateway signs its policy-facts fetches with; never a data category.
POLICY_FACTS: Final = "policy.facts"


def require_facts_access(info: Info) -> None:
    """Raise FORBIDDEN unless the request's grant carries "policy.facts": the `@inaccessible`
    policy-facts fields answer only the gateway's own facts fetches. A request without an identity
    (only the tests' harness makes one) is refused too: default deny."""
    identity = getattr(info.context, "identity", None)
    if identity is None or POLICY_FACTS not in identity.categories:
        raise Forbidden("Policy facts are answered only to the gateway's policy step.")


class CategoryGuard(FieldExtension):
    """Attached by `categorized()`: the field answers null with FORBIDDEN when its data category is
    not among the request's grant's categories — or, where the grant restricts the category per
    record, when the object is a record (of a type the grant names) whose `id` the grant does not
    list for it. A request without an identity (the tests' harness acting as nobody) reads as
    before grants existed."""

    def __init__(self, category: str) -> None:
        self.category = category

    def _check(self, source: Any, info: Info) -> None:
        # getattr: a schema executed without a Context (unit tests) has no identity either.
        identity = getattr(info.context, "identity", None)
        if identity is None:
            return
        if self.category not in identity.categories:
            raise Forbidden(
                "This field's data category is not allowed for this request.",
                category=self.category,
            )
        if identity.records:  # cheap: nothing more unless the grant restricts per record
            keys = identity.records.get(self.category)
            if keys is not None and info._raw_info.parent_type.name in identity.record_types:
                key = getattr(source, "id", None)
                if key is None or str(key) not in keys:
                    raise Forbidden(
                        "This record's data category is not allowed for this request.",
                        category=self.category,
                    )

    def resolve(self, next_: SyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        self._check(source, info)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        self._check(source, info)
        return await await_maybe(next_(source, info, **kwargs))
