"""Closed-loop load: N concurrent keep-alive clients send one request over and over for a fixed
time; a separate process, so that its CPU is not the gateway's.

Run: python bench/trail/load.py --url http://127.0.0.1:4710/graphql --body-file body.json \
        --header 'authorization: Bearer ...' --concurrency 32 --duration 10 --warmup 1 \
        [--watch gateway=PID ...]

Each client sends its next request as soon as its previous answer has arrived (closed loop). A
warm-up phase (all clients, --warmup seconds) opens the connections; then the measured phase
runs for --duration seconds: no request starts after its end, and the ones in flight then are
awaited and counted. Prints one JSON object: requests sent in each phase, answers by status,
transport errors, elapsed seconds, requests per second, latency p50/p99 (ms), and for each
watched process (--watch name=pid) its CPU over the measured phase (ms, the sum of its threads'
/proc/<pid>/task/*/schedstat run time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp


def thread_cpu_ns(pid: int) -> int:
    """Run time of all the process's threads, nanoseconds (as bench/consent/run.py reads it)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, IndexError, ValueError):  # a thread that ended
            total += int((task / "schedstat").read_text().split()[0])
    return total


@dataclass
class Phase:
    sent: int = 0  # requests started (each one answered or failed by the end of the phase)
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0


async def drive(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
) -> Phase:
    """`concurrency` clients in a closed loop until `seconds` have passed; in-flight requests are
    awaited and counted."""
    phase = Phase()
    start = time.perf_counter()
    deadline = start + seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            phase.sent += 1
            began = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as answer:
                    await answer.read()
                    phase.statuses[answer.status] += 1
            except (aiohttp.ClientError, TimeoutError):
                phase.transport_errors += 1
                continue
            phase.latencies_ms.append((time.perf_counter() - began) * 1e3)

    await asyncio.gather(*(client() for _ in range(concurrency)))
    phase.elapsed_s = time.perf_counter() - start
    return phase


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def run_load(
    url: str,
    body: bytes,
    headers: dict[str, str],
    concurrency: int,
    duration: float,
    warmup: float,
    watch: dict[str, int] | None = None,
) -> dict[str, object]:
    watch = watch or {}
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        warm = await drive(session, url, body, headers, concurrency, warmup) if warmup else Phase()
        cpu_before = {name: thread_cpu_ns(pid) for name, pid in watch.items()}
        measured = await drive(session, url, body, headers, concurrency, duration)
        cpu_ms = {
            name: (thread_cpu_ns(pid) - cpu_before[name]) / 1e6 for name, pid in watch.items()
        }
    return {
        "concurrency": concurrency,
        "warmup_sent": warm.sent,
        "warmup_statuses": {str(s): n for s, n in sorted(warm.statuses.items())},
        "sent": measured.sent,
        "statuses": {str(s): n for s, n in sorted(measured.statuses.items())},
        "transport_errors": warm.transport_errors + measured.transport_errors,
        "elapsed_s": measured.elapsed_s,
        "rps": len(measured.latencies_ms) / measured.elapsed_s if measured.elapsed_s else 0.0,
        "latency_p50_ms": percentile(measured.latencies_ms, 0.5),
        "latency_p99_ms": percentile(measured.latencies_ms, 0.99),
        "cpu_ms": cpu_ms,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="closed-loop load of concurrent keep-alive clients"
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--body-file", required=True, help="the request body (JSON)")
    parser.add_argument("--header", action="append", default=[], help="'name: value'")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds")
    parser.add_argument("--watch", action="append", default=[], help="name=pid: CPU to report")
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--concurrency >= 1, --duration > 0, --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    headers = {"content-type": "application/json", "accept": "application/json"}
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name.strip().lower()] = value.strip()
    watch = {name: int(pid) for name, _, pid in (w.partition("=") for w in args.watch)}
    result = asyncio.run(
        run_load(
            args.url,
            Path(args.body_file).read_bytes(),
            headers,
            args.concurrency,
            args.duration,
            args.warmup,
            watch,
        )
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
