"""Operation limits, checked on the parsed document before validation, normalization and
planning: how deep fields nest, how many aliases and root fields there are, and how many
selections the operation has once every fragment spread is written out.

Nothing is expanded to count: each definition (operation or fragment) is walked once, and a
fragment's totals are computed once and reused wherever it is spread. A document whose
fragments double at every level (`fragment F9 on T { ...F8 ...F8 }`) is therefore counted in
time proportional to its length, however large its expansion, and refused before anything
builds that expansion. Counts are capped, so they never grow into huge integers."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from gateway.errors import RequestError, error

# The codes, named as Apollo Router names its operation limits (plus our selections budget).
MAX_DEPTH_LIMIT = "MAX_DEPTH_LIMIT"
MAX_ALIASES_LIMIT = "MAX_ALIASES_LIMIT"
MAX_ROOT_FIELDS_LIMIT = "MAX_ROOT_FIELDS_LIMIT"
MAX_SELECTIONS_LIMIT = "MAX_SELECTIONS_LIMIT"

_CAP = 1 << 40  # far above any limit: counts stop growing here


@dataclass(frozen=True)
class OperationLimits:
    """The limits an operation must keep (all counted with fragments written out)."""

    max_depth: int  # fields nested in fields: `{ a { b } }` is 2 deep
    max_aliases: int  # aliased fields
    max_root_fields: int  # fields selected on the root type
    max_selections: int  # fields, inline fragments and fragment spreads


@dataclass(frozen=True, slots=True)
class Measure:
    """What one definition amounts to once its fragment spreads are written out."""

    depth: int = 0
    aliases: int = 0
    root_fields: int = 0
    selections: int = 0


@dataclass(slots=True)
class _Written:
    """What a definition holds as written, and where it spreads fragments."""

    depth: int = 0
    aliases: int = 0
    root_fields: int = 0
    selections: int = 0
    # (fragment name, how many fields enclose the spread) for every spread, in order.
    spreads: list[tuple[str, int]] = field(default_factory=list)


def _written(selection_set: SelectionSetNode) -> _Written:
    """One definition's own selections, walked with an explicit stack (no recursion)."""
    found = _Written()
    stack: list[tuple[SelectionSetNode, int]] = [(selection_set, 0)]
    while stack:
        current, enclosing = stack.pop()
        for node in current.selections:
            found.selections += 1
            if isinstance(node, FieldNode):
                found.depth = max(found.depth, enclosing + 1)
                if node.alias is not None:
                    found.aliases += 1
                if enclosing == 0:
                    found.root_fields += 1
                if node.selection_set is not None:
                    stack.append((node.selection_set, enclosing + 1))
            elif isinstance(node, InlineFragmentNode):
                stack.append((node.selection_set, enclosing))
            elif isinstance(node, FragmentSpreadNode):
                found.spreads.append((node.name.value, enclosing))
    return found


def _combine(own: _Written, fragments: dict[str, Measure]) -> Measure:
    """A definition's measure from its own selections and its spread fragments' measures."""
    depth, aliases, root_fields, selections = (
        own.depth,
        own.aliases,
        own.root_fields,
        own.selections,
    )
    for name, enclosing in own.spreads:
        spread = fragments.get(name)
        if spread is None:  # unknown or cyclic: validation refuses the document
            continue
        depth = max(depth, enclosing + spread.depth)
        aliases = min(aliases + spread.aliases, _CAP)
        selections = min(selections + spread.selections, _CAP)
        if enclosing == 0:
            root_fields = min(root_fields + spread.root_fields, _CAP)
    return Measure(depth, aliases, root_fields, selections)


def _fragment_measures(document: DocumentNode) -> dict[str, Measure]:
    """Every fragment's measure, each computed once (dependencies first, without recursion).
    A spread that closes a cycle counts as nothing: validation refuses such documents."""
    written = {
        d.name.value: _written(d.selection_set)
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    measures: dict[str, Measure] = {}
    visiting: set[str] = set()
    for start in written:
        if start in measures:
            continue
        stack = [start]
        while stack:
            name = stack[-1]
            if name in measures:
                stack.pop()
                continue
            visiting.add(name)
            pending = [
                spread
                for spread, _ in written[name].spreads
                if spread in written and spread not in measures and spread not in visiting
            ]
            if pending:
                stack.extend(pending)
                continue
            measures[name] = _combine(written[name], measures)
            visiting.discard(name)
            stack.pop()
    return measures


def measure(document: DocumentNode) -> dict[OperationDefinitionNode, Measure]:
    """Each operation of the document, measured with its fragments written out."""
    fragments = _fragment_measures(document)
    return {
        d: _combine(_written(d.selection_set), fragments)
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    }


def check_limits(document: DocumentNode, limits: OperationLimits) -> None:
    """Refuse (RequestError with a typed code) a document any of whose operations exceeds
    a limit. Every operation is checked, not just the one asked for: validation reads them all."""
    for operation, found in measure(document).items():
        name = f" '{operation.name.value}'" if operation.name else ""
        for value, limit, code, what in (
            (found.depth, limits.max_depth, MAX_DEPTH_LIMIT, "nests fields deeper than"),
            (found.aliases, limits.max_aliases, MAX_ALIASES_LIMIT, "has more aliases than"),
            (
                found.root_fields,
                limits.max_root_fields,
                MAX_ROOT_FIELDS_LIMIT,
                "selects more root fields than",
            ),
            (
                found.selections,
                limits.max_selections,
                MAX_SELECTIONS_LIMIT,
                "has more selections (fragments written out) than",
            ),
        ):
            if value > limit:
                raise RequestError(
                    [error(f"The operation{name} {what} {limit}.", code, limit=limit)], code
                )
