"""The agency subgraphs: one package each, plus `common` for what they share."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from subgraphs.common.service import SubgraphSpec

SUBGRAPH_NAMES: tuple[str, ...] = ("disdukcapil", "dinsos", "pkh", "balai", "consent")


def load_spec(name: str) -> SubgraphSpec:
    if name not in SUBGRAPH_NAMES:
        raise KeyError(f"unknown subgraph {name!r}; known: {', '.join(SUBGRAPH_NAMES)}")
    module = importlib.import_module(f"subgraphs.{name}.service")
    spec: SubgraphSpec = module.SPEC
    return spec
