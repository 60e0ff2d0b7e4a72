"""Default local ports: the gateway on the base port (4000), each subgraph on its own port after it."""

from __future__ import annotations

from subgraphs import SUBGRAPH_NAMES

BASE_PORT = 4000


def subgraph_ports(base: int = BASE_PORT) -> dict[str, int]:
    return {name: base + offset for offset, name in enumerate(SUBGRAPH_NAMES, start=1)}
