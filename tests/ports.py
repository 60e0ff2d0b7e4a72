"""Free ports for tests that start the whole system (`satu-anak up`)."""

from __future__ import annotations

import socket

from satu_anak.ports import issuer_port
from subgraphs import SUBGRAPH_NAMES


def free_base_port(start: int) -> int:
    """A base port from `start` on whose subgraph and issuer ports are free too."""
    for base in range(start, start + 15_000, 10):
        try:
            for port in [*range(base, base + len(SUBGRAPH_NAMES) + 1), issuer_port(base)]:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


def free_port() -> int:
    """A port nobody listens on right now (the OS's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
