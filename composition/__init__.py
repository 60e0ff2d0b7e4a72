"""Federation 2 composition: subgraph SDLs in, a supergraph SDL (join v0.5) out, or errors saying why not.

    result = compose([SubgraphSource("pkh", "http://pkh:8000/graphql", sdl), ...])
    if result.errors: ...          # each has an Apollo code and names subgraphs, type and field
    result.supergraph_sdl          # what gateway.supergraph.parse_supergraph (or any gateway) loads

The stages, one module each: `subgraph` reads an SDL (resolving @link names; `fed1` upgrades
Federation 1 SDLs), `checks` and `context` apply the rules one subgraph must meet alone,
`merge` merges types and records join metadata (with `interfaces` and `directives`),
`validate` checks the merged whole, `emit` prints it with graphql-core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from composition.checks import Usage, check_subgraph
from composition.emit import emit_supergraph, graph_enum_names
from composition.errors import CompositionError
from composition.fed1 import remove_unused_externals, upgrade_fed1
from composition.merge import Merger
from composition.model import Subgraph, SubgraphSource
from composition.subgraph import read_subgraph
from composition.validate import check_built, check_inaccessible, check_transitive_auth

__all__ = [
    "CompositionError",
    "CompositionResult",
    "SubgraphSource",
    "compose",
    "compose_files",
    "graph_enum_names",
]


@dataclass
class CompositionResult:
    supergraph_sdl: str | None
    errors: list[CompositionError] = field(default_factory=list)
    hints: list[CompositionError] = field(
        default_factory=list
    )  # what composition dropped or ignored

    @property
    def ok(self) -> bool:
        return self.supergraph_sdl is not None and not self.errors


def compose(subgraphs: Sequence[SubgraphSource]) -> CompositionResult:
    """Compose subgraphs (any order: output depends only on their names, URLs and SDLs)."""
    errors: list[CompositionError] = []
    if not subgraphs:
        return CompositionResult(
            None, [CompositionError("NO_SUBGRAPHS", "there are no subgraphs to compose")]
        )
    seen: set[str] = set()
    for source in subgraphs:
        if source.name in seen:
            errors.append(
                CompositionError(
                    "INVALID_SUBGRAPH_NAME",
                    f'two subgraphs are named "{source.name}"',
                    (source.name,),
                )
            )
        if not source.name or source.name == "_":
            errors.append(
                CompositionError(
                    "INVALID_SUBGRAPH_NAME", f'"{source.name}" is not a usable subgraph name'
                )
            )
        seen.add(source.name)
    if errors:
        return CompositionResult(None, errors)

    read: list[Subgraph] = []
    for source in sorted(subgraphs, key=lambda s: s.name):
        subgraph, problems = read_subgraph(source)
        errors.extend(problems)
        if subgraph is not None:
            read.append(subgraph)
    if errors:
        return CompositionResult(None, errors)

    for subgraph in read:
        if subgraph.is_fed1:
            errors.extend(upgrade_fed1(subgraph, read))
    if errors:
        return CompositionResult(None, errors)

    usages: dict[str, Usage] = {}
    for subgraph in read:
        usages[subgraph.name], problems = check_subgraph(subgraph)
        if subgraph.is_fed1 and not problems:
            problems = remove_unused_externals(subgraph, usages[subgraph.name].used)
            usages[subgraph.name], more = check_subgraph(subgraph)
            problems.extend(more)
        errors.extend(problems)
    if errors:
        return CompositionResult(None, errors)

    merger = Merger(read, usages)
    composed = merger.run()
    errors.extend(merger.errors)
    if not errors:
        errors.extend(check_inaccessible(composed))
        errors.extend(check_transitive_auth(composed))
    if errors:
        return CompositionResult(None, errors, merger.hints)
    sdl = emit_supergraph(composed)
    errors.extend(check_built(sdl))
    return CompositionResult(None if errors else sdl, errors, merger.hints)


def compose_files(named_paths: Mapping[str, Path], urls: Mapping[str, str]) -> CompositionResult:
    """Compose SDL files: `{"pkh": Path("schema/pkh.graphql")}` with `{"pkh": "http://…"}`."""
    missing = sorted(set(named_paths) - set(urls))
    if missing:
        return CompositionResult(
            None,
            [
                CompositionError(
                    "INVALID_SUBGRAPH_NAME",
                    f"no URL given for subgraph(s) {', '.join(missing)}",
                    tuple(missing),
                )
            ],
        )
    sources = [
        SubgraphSource(name, urls[name], Path(path).read_text(encoding="utf-8"))
        for name, path in named_paths.items()
    ]
    return compose(sources)
