"""Side-by-side gateway benchmark: ours vs Apollo Gateway vs Hive Gateway, same subgraphs, same load.

    .venv/bin/python bench/gateway/run.py                        # defaults: 50 conns, 10 s warm-up, 30 s
    .venv/bin/python bench/gateway/run.py --profile 20           # + py-spy profile of ours
    .venv/bin/python bench/gateway/run.py --gateways ours,ours-uvloop --uvloop-path /tmp/uvl
    # this work tree vs a git revision of it (extracted to a temp dir), both at once, 5 rounds:
    .venv/bin/python bench/gateway/run.py --gateways ours,ours-baseline --baseline-rev f623e9b \
        --concurrent --rounds 5 --warmup 5 --duration 15 --no-subgraph-bench --no-write

What it does, in order (see README.md):
 1. starts the four static subgraphs (bench/gateway/subgraphs.py, one uvicorn process each) on
    core 0, on the ports named in bench/gateway/supergraph.graphql;
 2. for each gateway in turn: starts it alone on core 1 (`taskset -c 1`, one process), waits
    until it answers, sends the benchmark query once and checks the answer equals the expected
    JSON (computed independently in workload.py) and counts its subgraph fetches, then runs wrk
    (on core 0): a warm-up, then the measured run, while sampling per-core and gateway CPU and
    memory; then stops it;
 3. measures each subgraph's own throughput for its heaviest entity call (cached, as served
    during the runs, and uncached, i.e. Strawberry executing every request), with wrk on core 1;
 4. prints the table and writes bench/gateway/RESULTS.md (+ raw output in bench/gateway/results/).

With --rounds N (alias --repeat) every gateway runs N times, alternating (A B A B ...); the
table shows each one's median run, and a "Rounds" section gives per-gateway median RPS and the
ratios of medians (plus the median of the per-round ratios) for the pairs that were run.

With --concurrent (exactly two gateways) each round runs both at once on the gateway core, each
with its own wrk, so both see the same machine; compare their req per gateway CPU-s (README.md:
this VM's core speed drifts too much for one-after-the-other runs to settle a 5 % question).

`ours-baseline` (and `ours-baseline-nodedup`) run `satu-anak gateway` from another source tree:
the same venv, with PYTHONPATH=<tree>, which Python searches before the editable install's .pth
(that points at this work tree). The tree is --baseline-tree DIR, or --baseline-rev REV, which
extracts that revision of this repository (`git archive`, nothing in the work tree, index or
history changes) into a temp dir removed afterwards. Before loading, run.py checks that the
`gateway` and `satu_anak` packages really come from that tree.

Every load loop is bounded: wrk runs for a fixed duration and is killed if it overruns.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

# Run as a script: its siblings (workload.py and the modules below) are imported from its folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import workload
from gateways import (
    ALL_GATEWAYS,
    DEFAULT_GATEWAYS,
    Gateway,
    gateway_specs,
    importable,
    prepare_baseline,
    start_checked,
)
from load import profile, wrk
from paths import PEERS, RESULTS
from processes import Proc, loaded_modules, port_in_use
from report import median_runs, ms, per_cpu, write_results
from sampling import Sampler, wait_for_quiet
from subgraph_servers import (
    bench_subgraphs,
    port_of,
    reset_subgraphs,
    start_subgraph,
    subgraph_stats,
    subgraph_urls,
)


def run_gateway(
    gw: Gateway,
    args: argparse.Namespace,
    urls: dict[str, str],
    expected: dict[str, Any],
    subgraph_pgids: list[int],
) -> dict[str, Any]:
    proc, result = start_checked(gw, args, urls, expected)
    if proc is None:
        return result
    url = f"http://127.0.0.1:{gw.port}/graphql"
    try:
        # Warm-up, then the measured run; measured again (bounded) if other processes on this
        # machine took more than --max-foreign-cpu % of a core meanwhile.
        wrk(
            url,
            RESULTS / "body.json",
            connections=args.connections,
            seconds=args.warmup,
            core=args.load_core,
        )
        for attempt in range(1 + args.retries):
            result["busiest_core_before_pct"] = wait_for_quiet(timeout=args.quiet_timeout)
            reset_subgraphs(urls)
            sampler = Sampler(proc.pid, subgraph_pgids)
            sampler.start()
            try:
                load = wrk(
                    url,
                    RESULTS / "body.json",
                    connections=args.connections,
                    seconds=args.duration,
                    core=args.load_core,
                )
            finally:
                usage = sampler.stop()
            result["attempts"] = attempt + 1
            if usage.get("foreign_cpu_pct", 0) <= args.max_foreign_cpu:
                break
            print(
                f"   other processes used {usage.get('foreign_cpu_pct')}% CPU meanwhile; "
                + ("measuring again" if attempt < args.retries else "keeping this run"),
                flush=True,
            )
        result.update(usage)
        result["load"] = {k: v for k, v in load.items() if k != "raw"}
        (RESULTS / f"wrk-{gw.name}.txt").write_text(load["raw"])
        stats = subgraph_stats(urls)
        result["subgraph_requests"] = {n: s["requests"] for n, s in stats.items()}
        result["subgraph_bodies"] = {n: s["bodies"] for n, s in stats.items()}
        if args.profile and gw.name in args.profile_gateways.split(","):
            result["profile"] = profile(proc.pid, url, args, gw.name)
        return result
    finally:
        proc.stop()


def run_pair(
    pair: tuple[Gateway, Gateway],
    args: argparse.Namespace,
    urls: dict[str, str],
    expected: dict[str, Any],
    subgraph_pgids: list[int],
) -> list[dict[str, Any]]:
    """--concurrent: both gateways at once, both pinned to the gateway core (the scheduler gives
    each about half of it), each loaded by its own wrk with --connections. Whatever the machine
    does meanwhile (a slower core for a while, another process) hits both alike, so their
    requests per gateway CPU-second compare directly; absolute RPS is about half the usual."""
    started = [start_checked(gw, args, urls, expected) for gw in pair]
    procs = [proc for proc, _ in started]
    results = [result for _, result in started]
    try:
        if any(proc is None for proc in procs):
            for result in results:
                result.setdefault("failure", "its pair partner failed")
            return results
        live = [proc for proc in procs if proc is not None]
        urls_gw = [f"http://127.0.0.1:{gw.port}/graphql" for gw in pair]

        def load_both(seconds: float) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = [{}, {}]

            def one(i: int) -> None:
                try:
                    out[i] = wrk(
                        urls_gw[i],
                        RESULTS / "body.json",
                        connections=args.connections,
                        seconds=seconds,
                        core=args.load_core,
                    )
                except RuntimeError as failure:
                    out[i] = {"failure": str(failure)}

            threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in (0, 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(seconds + 120)
            return out

        load_both(args.warmup)
        for attempt in range(1 + args.retries):
            busiest = wait_for_quiet(timeout=args.quiet_timeout)
            # Each sampler counts the other gateway among "ours", not as a foreign process.
            samplers = [Sampler(live[i].pid, subgraph_pgids, (live[1 - i].pid,)) for i in (0, 1)]
            for sampler in samplers:
                sampler.start()
            try:
                loads = load_both(args.duration)
            finally:
                usages = [sampler.stop() for sampler in samplers]
            # Both wrk runs are this process's children: each sampler saw both as "wrk".
            foreign = max(u.get("foreign_cpu_pct", 0) for u in usages)
            if foreign <= args.max_foreign_cpu:
                break
            print(
                f"   other processes used {foreign}% CPU meanwhile; "
                + ("measuring again" if attempt < args.retries else "keeping this run"),
                flush=True,
            )
        for gw, result, load, usage in zip(pair, results, loads, usages, strict=True):
            result["busiest_core_before_pct"] = busiest
            result["attempts"] = attempt + 1
            result["concurrent_with"] = pair[1].name if gw is pair[0] else pair[0].name
            if "failure" in load:
                result["failure"] = load["failure"]
                continue
            result.update(usage)
            result["load"] = {k: v for k, v in load.items() if k != "raw"}
            # The subgraphs served both at once: their counts are not one gateway's.
            result["subgraph_requests"] = {}
            (RESULTS / f"wrk-{gw.name}.txt").write_text(load["raw"])
        return results
    finally:
        for proc in procs:
            if proc is not None:
                proc.stop()


def preflight(args: argparse.Namespace, names: list[str]) -> None:
    problems = []
    if shutil.which("wrk") is None:
        problems.append("wrk is not installed (apt-get install -y wrk)")
    if any(n in ("apollo", "hive", "hive-dedup") for n in names):
        if shutil.which(args.node) is None and not Path(args.node).exists():
            problems.append(f"node not found: {args.node}")
        if not (PEERS / "node_modules").exists():
            problems.append(f"peers not installed: (cd {PEERS} && npm ci)")
    if (
        "ours-uvloop" in names
        and not (importable("uvloop") and importable("httptools"))
        and not (Path(args.uvloop_path) / "uvloop").exists()
    ):
        problems.append(f"--uvloop-path {args.uvloop_path} has no uvloop (see README)")
    if args.profile and not Path(args.py_spy).exists():
        problems.append(f"py-spy not found at {args.py_spy} (see README)")
    if problems:
        raise SystemExit("cannot run:\n  " + "\n  ".join(problems))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--gateways",
        default=DEFAULT_GATEWAYS,
        help=f"comma-separated, from {', '.join(ALL_GATEWAYS)}",
    )
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--rounds",
        "--repeat",
        dest="repeat",
        type=int,
        default=1,
        help="rounds over all gateways, alternating (A B A B ...); the table shows each one's "
        "median run, the Rounds section the median RPS and ratios",
    )
    parser.add_argument(
        "--tree",
        type=Path,
        help="source tree that ours and ours-nodedup run, via PYTHONPATH (default: this checkout)",
    )
    parser.add_argument(
        "--baseline-tree",
        help="source tree (with gateway/ and satu_anak/) that ours-baseline* run, via PYTHONPATH",
    )
    parser.add_argument(
        "--baseline-rev",
        help="git revision of this repository that ours-baseline* run (extracted to a temp dir)",
    )
    parser.add_argument(
        "--concurrent",
        action="store_true",
        help="two gateways at once on the gateway core, each with its own wrk: compare their "
        "req per gateway CPU-s under the same machine conditions (see README)",
    )
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--subgraph-duration", type=float, default=5)
    parser.add_argument("--no-subgraph-bench", action="store_true")
    parser.add_argument(
        "--max-foreign-cpu",
        type=float,
        default=10,
        help="%% of a core other processes may use during a measured run",
    )
    parser.add_argument(
        "--quiet-timeout",
        type=float,
        default=120,
        help="seconds to wait, before each measured run, for an idle machine",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="re-measurements when other processes exceeded --max-foreign-cpu",
    )
    parser.add_argument("--profile", type=float, default=0, help="py-spy ours for N seconds")
    parser.add_argument("--profile-gateways", default="ours,ours-nodedup")
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "/tmp/pyspy/bin/py-spy")
    parser.add_argument(
        "--uvloop-path",
        default="/tmp/uvl",
        help="a --target dir with uvloop and httptools (for ours-uvloop)",
    )
    parser.add_argument("--node", default=shutil.which("node") or "/usr/bin/node")
    parser.add_argument("--no-pin", action="store_true", help="no taskset (1-core machines)")
    parser.add_argument("--force", action="store_true", help="load gateways whose answer is wrong")
    parser.add_argument("--no-write", action="store_true", help="do not overwrite RESULTS.md")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.gateways.split(",") if n.strip()]
    unknown = set(names) - set(ALL_GATEWAYS)
    if unknown:
        parser.error(f"unknown gateways: {', '.join(sorted(unknown))}")
    preflight(args, names)
    if args.concurrent and (len(names) != 2 or names[0] == names[1]):
        parser.error("--concurrent takes exactly two different gateways")
    if args.concurrent and args.profile:
        parser.error("--concurrent and --profile do not go together")
    if args.tree is not None:
        args.tree = args.tree.resolve()
        if not (args.tree / "gateway" / "__init__.py").exists():
            parser.error(f"--tree {args.tree} has no gateway package")
    if args.no_pin or (os.cpu_count() or 1) < 2:
        args.gateway_core = args.load_core = args.subgraph_core = None
    else:
        # The gateway alone on core 1; wrk and the subgraphs share core 0 (as The Guild's
        # test.sh pins k6 to core 0 and the gateway to the other cores).
        args.gateway_core, args.load_core, args.subgraph_core = "1", "0", "0"
        # run.py too (its sampling of /proc costs a few % of a core): not on the gateway's core.
        os.sched_setaffinity(0, {int(args.load_core)})

    started = dt.datetime.now(dt.UTC)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "body.json").write_bytes(workload.BODY)
    expected = workload.expected()
    urls = subgraph_urls()
    for name, url in urls.items():
        if port_in_use(port_of(url)):
            raise SystemExit(f"port {port_of(url)} (subgraph {name}) is already in use")
    baseline_tmp = prepare_baseline(args, names)
    specs = gateway_specs(args)

    subgraphs: list[Proc] = []
    results: list[dict[str, Any]] = []
    bodies: dict[str, dict[str, int]] = collections.defaultdict(dict)
    subgraph_rows: dict[str, Any] = {}
    try:
        for name, url in urls.items():
            subgraphs.append(start_subgraph(name, port_of(url), args.subgraph_core))
        args.subgraph_runtime = loaded_modules(subgraphs[0].pid).replace(", aiohttp loaded", "")
        for i in range(args.repeat if args.concurrent else 0):
            print(f"== {' + '.join(names)} at once (round {i + 1}/{args.repeat})", flush=True)
            pair = (specs[names[0]], specs[names[1]])
            for result in run_pair(pair, args, urls, expected, [p.pid for p in subgraphs]):
                results.append(result)
                if "load" in result:
                    print(
                        f"   {result['name']}: {result['load']['rps']:.1f} req/s on "
                        f"{result.get('gateway_cpu_pct')}% of a core = {per_cpu(result):.1f} "
                        "req per gateway CPU-s",
                        flush=True,
                    )
                else:
                    print(f"   {result['name']} FAILED: {result.get('failure')}", flush=True)
            time.sleep(2)
        sequential = [] if args.concurrent else [n for _ in range(args.repeat) for n in names]
        for i, name in enumerate(sequential):
            round_note = f" (round {i // len(names) + 1}/{args.repeat})" if args.repeat > 1 else ""
            print(f"== {name}{round_note}: starting", flush=True)
            result = run_gateway(specs[name], args, urls, expected, [p.pid for p in subgraphs])
            for sg, seen in result.pop("subgraph_bodies", {}).items():
                for item in seen:
                    bodies[sg][item["body"]] = item["response_bytes"]
            results.append(result)
            if "load" in result:
                load = result["load"]
                print(
                    f"   {load['rps']:.1f} req/s, p50 {ms(load['p50_us'])} ms, "
                    f"p99 {ms(load['p99_us'])} ms, errors {load['errors']}/{load['requests']}",
                    flush=True,
                )
            else:
                print(f"   FAILED: {result.get('failure')}", flush=True)
            time.sleep(2)
        if not args.no_subgraph_bench:
            print("== subgraphs: own throughput", flush=True)
            subgraph_rows = bench_subgraphs(args, urls, bodies)
    finally:
        for proc in subgraphs:
            proc.stop()
        if baseline_tmp is not None:
            shutil.rmtree(baseline_tmp, ignore_errors=True)
    text = write_results(median_runs(results), subgraph_rows, args, started, results)
    print()
    print(text)
    return 0 if all("load" in r for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
