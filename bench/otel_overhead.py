"""Benchmark: the gateway's per-request cost of tracing, off (the API's no-op tracer, as
`satu-anak up` runs) against on (the SDK, every span kept by an in-memory exporter).

Run: .venv/bin/python bench/otel_overhead.py [--children 300] [--blocks 20] [--per-block 25]
     [--tree CHECKOUT]   (another checkout's gateway, e.g. one from before tracing: "off" only)

The subgraphs run seeded on SQLite in a child process (untraced in both modes: only the
gateway's cost differs); the gateway runs in this process behind httpx's ASGI transport and asks
the four-agency picture of one child (four fetches over HTTP). Modes alternate in small blocks
(off, on, off, on ...) so that the machine's drifting speed falls on both alike. Printed per
mode: the median and p90 wall time of a request, the median CPU time of this process's thread
per request (steadier on a busy machine), spans per request, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# --tree PATH: measure another checkout's gateway (one without tracing, say: then "off" only).
TREE = Path(sys.argv[sys.argv.index("--tree") + 1]) if "--tree" in sys.argv else ROOT
sys.path.insert(0, str(TREE))

QUERY = """
query Picture($id: ID!) {
  child(id: $id) {
    id name kabupatenCode documentStatus
    pkh { family { status } compliance { consecutiveNonCompliantPeriods latestCompliant } }
    welfare { decile }
    complaints { channel status }
    cases { caseNumber stage status balai { name } }
    protectionFlag { contacts { balaiName } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _nobody(_request: Any) -> None:
    return None


def _serve_subgraphs(folder: str, ports: dict[str, int], children: int, ready: Any) -> None:
    """The child process: seeded subgraphs on SQLite, unsigned requests let in (as the
    end-to-end tests build them), until terminated."""
    import uvicorn

    from satu_anak.synthetic.loader import seed
    from subgraphs import SUBGRAPH_NAMES, load_spec
    from subgraphs.common.service import create_app
    from subgraphs.common.settings import SubgraphSettings

    async def main() -> None:
        settings = {
            name: SubgraphSettings(name, f"sqlite+aiosqlite:///{folder}/{name}.db")
            for name in SUBGRAPH_NAMES
        }
        await seed(children, 42, settings, ground_truth_dir=Path(folder))
        servers = [
            uvicorn.Server(
                uvicorn.Config(
                    create_app(load_spec(name), settings[name], identify=_nobody),
                    host="127.0.0.1",
                    port=ports[name],
                    log_config=None,
                    access_log=False,
                )
            )
            for name in SUBGRAPH_NAMES
        ]
        tasks = [asyncio.create_task(s.serve()) for s in servers]
        for _ in range(2000):  # uvicorn has no start-up event to wait on: poll (up to 100 s)
            if all(s.started for s in servers):
                break
            await asyncio.sleep(0.05)
        ready.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())


async def _measure(args: argparse.Namespace, ports: dict[str, int]) -> dict[str, dict[str, Any]]:
    import httpx
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from gateway.engine import Gateway, GatewayConfig
    from gateway.http import create_gateway_app
    from gateway.supergraph import parse_supergraph

    use_provider: Any = None
    # A checkout from before tracing has nothing to turn on.
    with contextlib.suppress(ImportError):
        from observability.tracing import use_provider
    modes = tuple(args.modes.split(",")) if use_provider is not None else ("off",)

    urls = {name: f"http://127.0.0.1:{port}/graphql" for name, port in ports.items()}
    gateway = Gateway(
        parse_supergraph((ROOT / "schema" / "supergraph.graphql").read_text()),
        GatewayConfig(subgraph_urls=urls, subgraph_timeout=10),
    )
    app = create_gateway_app(gateway)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    body = {"query": QUERY, "variables": {"id": "ANK000000001"}}
    results: dict[str, dict[str, Any]] = {
        mode: {"wall": [], "cpu": [], "spans": 0, "requests": 0} for mode in modes
    }
    await gateway.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        ) as client:

            async def one() -> tuple[float, float]:
                wall, cpu = time.perf_counter(), time.thread_time()
                response = await client.post("/graphql", json=body)
                cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                assert response.status_code == 200 and "errors" not in response.json()
                return wall, cpu

            for _ in range(args.warmup):
                await one()
            for _block in range(args.blocks):
                for mode in modes:
                    if use_provider is not None:
                        use_provider(provider if mode == "on" else None)
                    exporter.clear()
                    for _ in range(args.per_block):
                        wall, cpu = await one()
                        results[mode]["wall"].append(wall)
                        results[mode]["cpu"].append(cpu)
                    results[mode]["spans"] += len(exporter.get_finished_spans())
                    results[mode]["requests"] += args.per_block
    finally:
        if use_provider is not None:
            use_provider(None)
        await gateway.close()
    return results


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=300)
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--per-block", type=int, default=25)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--modes", default="off,on", help="off,on (default), or one of them")
    parser.add_argument("--tree", help="the checkout whose gateway to measure (default: this)")
    args = parser.parse_args()
    from subgraphs import SUBGRAPH_NAMES

    ports = {name: _free_port() for name in SUBGRAPH_NAMES}
    with tempfile.TemporaryDirectory() as folder:
        context = multiprocessing.get_context("spawn")
        ready = context.Event()
        child = context.Process(
            target=_serve_subgraphs, args=(folder, ports, args.children, ready), daemon=True
        )
        child.start()
        try:
            if not ready.wait(300):
                print("the subgraphs did not start", file=sys.stderr)
                return 1
            load_before = os.getloadavg()
            results = asyncio.run(_measure(args, ports))
            load_after = os.getloadavg()
        finally:
            child.terminate()
            child.join(10)
    print(f"gateway per-request cost of tracing ({results['off']['requests']} requests a mode)")
    print("| tracing | median ms | p90 ms | median CPU ms | spans/request |")
    print("|---|---|---|---|---|")
    for mode, found in results.items():
        print(
            f"| {mode} | {_ms(found['wall'], 0.5):.2f} | {_ms(found['wall'], 0.9):.2f} "
            f"| {1000 * statistics.median(found['cpu']):.2f} "
            f"| {found['spans'] / found['requests']:.1f} |"
        )
    if "on" in results:
        off, on = (statistics.median(results[m]["cpu"]) for m in ("off", "on"))
        print(f"CPU overhead on/off: x{on / off:.2f} (+{1000 * (on - off):.2f} ms a request)")
    print(f"gateway from {TREE}")
    print(
        f"load average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} "
        f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
        f"{os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
