"""What composition reports: errors that stop it, hints that don't, each with Apollo's code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompositionError:
    """One reason the subgraphs do not compose (or, as a hint, a change composition made).

    `code` is Apollo's composition code where one fits (`INVALID_FIELD_SHARING`,
    `FIELD_TYPE_MISMATCH`…), so people can look it up; `subgraphs` and `coordinate`
    (`Type`, `Type.field`, `Type.field(arg:)`) say where.
    """

    code: str
    message: str
    subgraphs: tuple[str, ...] = ()
    coordinate: str | None = None

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


def quoted(names: list[str] | tuple[str, ...] | set[str]) -> str:
    """`"a"`, `"a" and "b"`, `"a", "b" and "c"` — for messages."""
    items = [f'"{name}"' for name in sorted(names)]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
