"""Prometheus metrics: one registry per process, served on a port of its own (never on the
gateway's public port). The gateway's and the subgraphs' metrics are defined beside their code
(gateway/telemetry.py, subgraphs/common/telemetry.py) in this registry."""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # process_resident_memory_bytes, CPU seconds, open fds

# Request latency buckets (seconds): a gateway answer is typically a few ms to a second.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def serve_metrics(port: int, host: str = "127.0.0.1") -> tuple[WSGIServer, threading.Thread]:
    """Serves `/metrics` (the registry, Prometheus text format) on host:port, in a thread."""
    return start_http_server(port, addr=host, registry=REGISTRY)
