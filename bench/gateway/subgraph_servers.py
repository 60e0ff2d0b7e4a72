"""The four static subgraphs as benchmark processes: their URLs, starting them, their request
counters, and their own throughput (subgraphs.py is the server they run)."""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from load import wrk
from paths import HERE, RESULTS, SUPERGRAPH, VENV
from processes import Proc, http, pinned, wait_until


def subgraph_urls() -> dict[str, str]:
    text = SUPERGRAPH.read_text()
    return dict(re.findall(r'@join__graph\(name: "(\w+)", url: "([^"]+)"\)', text))


def port_of(url: str) -> int:
    match = re.match(r"http://[^:/]+:(\d+)/", url)
    assert match, url
    return int(match.group(1))


def start_subgraph(name: str, port: int, core: str | None, *, cache: bool = True) -> Proc:
    argv = [
        str(VENV / "bin/python"),
        str(HERE / "subgraphs.py"),
        "serve",
        name,
        "--port",
        str(port),
    ]
    if not cache:
        argv.append("--no-cache")
    label = f"subgraph-{name}" + ("" if cache else "-nocache")
    proc = Proc(label, pinned(core, argv))
    base = f"http://127.0.0.1:{port}"
    if not wait_until(lambda: http("GET", base + "/health", timeout=2)[0] == 200, 30, proc):
        raise RuntimeError(f"{label} did not start:\n{proc.tail()}")
    return proc


def subgraph_stats(urls: dict[str, str]) -> dict[str, dict[str, Any]]:
    result = {}
    for name, url in urls.items():
        base = url.rsplit("/", 1)[0]
        result[name] = json.loads(http("GET", base + "/_bench/stats")[1])
    return result


def reset_subgraphs(urls: dict[str, str]) -> None:
    for url in urls.values():
        http("POST", url.rsplit("/", 1)[0] + "/_bench/reset", b"")


def bench_subgraphs(
    args: argparse.Namespace, urls: dict[str, str], bodies: dict[str, dict[str, int]]
) -> dict[str, Any]:
    """Each subgraph's throughput for its heaviest call, cached (as served) and uncached."""
    out: dict[str, Any] = {}
    for offset, (name, url) in enumerate(urls.items()):
        seen = bodies.get(name, {})
        if not seen:
            continue
        body, size = max(seen.items(), key=lambda item: item[1])
        body_file = RESULTS / f"subgraph-body-{name}.json"
        body_file.write_text(body)
        row: dict[str, Any] = {
            "distinct_calls": len(seen),
            "heaviest_response_bytes": size,
            "entities": "_entities" in body,
        }
        seconds = args.subgraph_duration
        cached = wrk(
            url, body_file, connections=args.connections, seconds=seconds, core=args.gateway_core
        )
        row["cached"] = {k: cached[k] for k in ("rps", "p50_us", "p99_us", "errors")}
        port = port_of(url) + 20 + offset
        proc = start_subgraph(name, port, args.subgraph_core, cache=False)
        try:
            uncached_url = f"http://127.0.0.1:{port}/{name}"
            uncached = wrk(
                uncached_url,
                body_file,
                connections=args.connections,
                seconds=seconds,
                core=args.gateway_core,
            )
            row["uncached"] = {k: uncached[k] for k in ("rps", "p50_us", "p99_us", "errors")}
        finally:
            proc.stop()
        out[name] = row
    return out
