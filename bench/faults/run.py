"""One agency hangs: how long do queries to a healthy agency take meanwhile?

Two subgraph servers on loopback: `hanging` accepts connections and reads requests but never
answers; `healthy` answers every request at once. The gateway's subgraph transport (the code in
gateway/client/transport.py, whichever version is on PYTHONPATH) keeps HANG_CONCURRENCY requests
to `hanging` in flight for the whole run (each times out after TIMEOUT s and is sent again), and
meanwhile sends HEALTHY_REQUESTS queries to `healthy`, HEALTHY_CONCURRENCY at a time, each with
the same timeout. It prints their latency and outcomes, then — where the transport has circuit
breakers — how fast a request to the hanging agency is refused once its breaker is open.

    PYTHONPATH=/path/to/checkout python bench/faults/run.py [--hang 300] [--timeout 2]

With --gateway the same runs through the whole gateway (Gateway.execute, the HTTP subgraph
client, bench/gateway/supergraph.graphql): `{ me { id } }` needs the hanging `accounts`,
`{ topProducts { upc name } }` the healthy `products` (deduplication off, so that every request
goes out).

Run it against main and against this branch to compare (bench/faults/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import orjson

from gateway.client.transport import SubgraphTransport
from gateway.config import GatewayConfig
from gateway.engine import Gateway
from gateway.supergraph import parse_supergraph

BODY = orjson.dumps({"query": "{ __typename }"})
ANSWER = orjson.dumps(
    {"data": {"__typename": "Query", "topProducts": [{"upc": "1", "name": "Table"}]}}
)
SUPERGRAPH = Path(__file__).resolve().parents[1] / "gateway" / "supergraph.graphql"


_HANDLERS: set[asyncio.Task[Any]] = set()


async def _serve(answer: bool) -> tuple[asyncio.Server, str, list[int]]:
    connections = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections[0] += 1
        task = asyncio.current_task()
        if task is not None:
            _HANDLERS.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                if not answer:
                    await asyncio.Event().wait()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/graphql", connections


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(args: argparse.Namespace) -> dict[str, Any]:
    hanging, hang_url, hang_connections = await _serve(answer=False)
    healthy, ok_url, _ = await _serve(answer=True)
    transport = SubgraphTransport(args.timeout)
    gateway: Gateway | None = None
    if args.gateway:
        gateway = Gateway(
            parse_supergraph(SUPERGRAPH.read_text()),
            GatewayConfig(
                subgraph_urls={"accounts": hang_url, "products": ok_url},
                subgraph_timeout=args.timeout,
                deduplicate=False,
            ),
        )
        transport = gateway.client.transport  # type: ignore[attr-defined]
    stop = asyncio.Event()
    counter = [0]

    async def ask(hanging: bool, n: int) -> bool:
        """One request; True when it failed."""
        if gateway is not None:
            query = "{ me { id } }" if hanging else "{ topProducts { upc name } }"
            body = await gateway.execute(gateway.prepare(query, None), None)
            return bool(body.get("errors"))
        answer = await transport.post(
            hang_url if hanging else ok_url,
            BODY,
            {"x-n": str(n)},  # each request different: identical ones in flight are sent once
            service="hanging" if hanging else "healthy",
            timeout=args.timeout,
        )
        return bool(answer.errors)

    async def keep_hanging() -> None:
        while not stop.is_set():
            counter[0] += 1
            await ask(True, counter[0])

    load = [asyncio.create_task(keep_hanging()) for _ in range(args.hang)]
    await asyncio.sleep(0.5)  # the hanging agency's requests are out

    latencies: list[float] = []
    failures = 0
    queue = list(range(args.healthy))

    async def worker() -> None:
        nonlocal failures
        while queue:
            n = queue.pop()
            started = time.perf_counter()
            failed = await ask(False, n)
            latencies.append(time.perf_counter() - started)
            failures += failed

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.healthy_concurrency)))
    elapsed = time.perf_counter() - began
    result: dict[str, Any] = {
        "through": "gateway" if gateway is not None else "transport",
        "hanging_in_flight": args.hang,
        "hanging_connections_opened": hang_connections[0],
        "timeout_s": args.timeout,
        "healthy_requests": args.healthy,
        "healthy_concurrency": args.healthy_concurrency,
        "healthy_failed": failures,
        "healthy_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "healthy_p95_ms": round(_percentile(latencies, 0.95) * 1000, 1),
        "healthy_max_ms": round(max(latencies) * 1000, 1),
        "healthy_wall_s": round(elapsed, 2),
    }
    stop.set()
    await asyncio.gather(*load)

    breaker = getattr(transport, "breaker", None)
    if breaker is not None:
        result["hanging_breaker"] = breaker("accounts" if gateway else "hanging").state
        fast = []
        for n in range(100):
            started = time.perf_counter()
            assert await ask(True, -n)
            fast.append(time.perf_counter() - started)
        result["open_breaker_refusal_p50_ms"] = round(statistics.median(fast) * 1000, 3)
        result["open_breaker_refusal_max_ms"] = round(max(fast) * 1000, 3)
    await (gateway.close() if gateway is not None else transport.close())
    hanging.close()
    healthy.close()
    for task in _HANDLERS:
        task.cancel()
    await asyncio.gather(*_HANDLERS, return_exceptions=True)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hang", type=int, default=300, help="requests kept hanging")
    parser.add_argument("--timeout", type=float, default=2.0, help="subgraph timeout, seconds")
    parser.add_argument("--healthy", type=int, default=400, help="queries to the healthy one")
    parser.add_argument("--healthy-concurrency", type=int, default=20)
    parser.add_argument("--gateway", action="store_true", help="through the whole gateway")
    print(orjson.dumps(asyncio.run(main(parser.parse_args())), option=orjson.OPT_INDENT_2).decode())
