"""Default local ports: the gateway on the base port (4000), each subgraph on its own port after it,
the development OIDC issuer on base + 9 (4009)."""

from __future__ import annotations

from subgraphs import SUBGRAPH_NAMES

BASE_PORT = 4000
ISSUER_PORT_OFFSET = 9  # clear of the subgraphs' ports as agencies are added


def subgraph_ports(base: int = BASE_PORT) -> dict[str, int]:
    return {name: base + offset for offset, name in enumerate(SUBGRAPH_NAMES, start=1)}


def issuer_port(base: int = BASE_PORT) -> int:
    return base + ISSUER_PORT_OFFSET
