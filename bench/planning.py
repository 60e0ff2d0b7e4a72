"""Benchmark: cold and cached planning of the one-child, four-agency query over our supergraph.

Run: .venv/bin/python bench/planning.py [--repeat 200]
Prints medians (and p90) in milliseconds. Cold = parse + validate + plan with an empty cache
(wall time, and "cold CPU": the thread's CPU time, steadier on a busy machine); cached = the same
request answered from the plan cache.

Another source tree's gateway (e.g. a baseline to compare a refactor with), same venv, same
supergraph file (this checkout's schema/supergraph.graphql unless --supergraph is given):

    git worktree add --detach /tmp/satu-baseline f623e9b      # once; or any checkout
    .venv/bin/python bench/planning.py --tree /tmp/satu-baseline
    PYTHONPATH=/tmp/satu-baseline .venv/bin/python bench/planning.py     # the same

Both put the tree ahead of the editable install's .pth (which points at this checkout); the
first line printed says which `gateway` package was imported.

Two trees against each other (A the baseline, B the one under test):

    .venv/bin/python bench/planning.py --compare /tmp/satu-baseline /work/main [--pairs 8]

runs this script for both trees at once, pinned to the same core and starting to measure
together (--repeat 100 each unless given), --pairs times, and prints each tree's median of run
medians and the per-pair ratios B/A with their median. Compare "cold CPU" (each process's own
CPU time; wall time includes the other's time slices). This machine's core speed drifts by tens
of percent within seconds to minutes, so runs one after the other (--sequential: A B B A ...)
differ by more than the code does: the baseline against itself came out x1.22 that way, and
x1.00 (pairs 0.98-1.03) both at once.

Cold runs send the query with a distinct trailing comment each time, so each one misses the
plan cache whatever that cache is called in the tree under test (the comment adds a few bytes
to parse).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PICTURE = """
query Picture($id: ID!) {
  child(id: $id) {
    id name sex birthYear kabupatenCode nik documentStatus
    family { kkNumber headName members { name relationship } }
    pkh { family { status facilitator { name phone } } components { kind }
          compliance { consecutiveNonCompliantPeriods latestCompliant } }
    welfare { decile status assistance { programme } }
    complaints { channel problemCategory status responses { socialWorkerId action } }
    referrals { status targetKind }
    placements { lksa { name } startedOn endedOn }
    cases { caseNumber ampkCategory stage status balai { name phone } caseworker { name } }
    protectionFlag { message contacts { balaiName phone } }
  }
}
"""


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def compare(args: argparse.Namespace) -> None:
    """Runs of this script for the two trees, both at once on one core, started together
    (--sequential: one after the other, A B B A ...); medians and per-pair ratios."""
    trees = [Path(t).resolve() for t in args.compare]
    repeat = args.repeat or 100
    core = str((os.cpu_count() or 1) - 1)
    pin = ["taskset", "-c", core] if shutil.which("taskset") and not args.sequential else []
    runs: list[list[dict[str, float]]] = [[], []]  # by position: A and B may be the same tree

    def argv(tree: Path) -> list[str]:
        return [
            *pin,
            sys.executable,
            __file__,
            "--tree",
            str(tree),
            "--repeat",
            str(repeat),
            "--supergraph",
            str(args.supergraph),
            "--json",
            *([] if args.sequential else ["--wait-for-go"]),
        ]

    for pair in range(args.pairs):
        if args.sequential:
            for side in (0, 1) if pair % 2 == 0 else (1, 0):
                out = subprocess.run(
                    argv(trees[side]), capture_output=True, text=True, check=True, timeout=600
                )
                runs[side].append(json.loads(out.stdout.strip().splitlines()[-1]))
            continue
        procs = [
            subprocess.Popen(argv(tree), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for tree in trees
        ]
        try:
            for proc in procs:  # both set up (imports, supergraph, first plan): start together
                assert proc.stdout is not None
                if proc.stdout.readline().strip() != "ready":
                    raise SystemExit("a planning run failed before it was ready")
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            for side, proc in enumerate(procs):
                out, _ = proc.communicate(timeout=600)
                if proc.returncode != 0:
                    raise SystemExit(f"planning run for {trees[side]} failed")
                runs[side].append(json.loads(out.strip().splitlines()[-1]))
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
    how = (
        "one after the other, A B B A ..."
        if args.sequential
        else f"both at once on core {core} (compare the CPU figures)"
        if pin
        else "both at once"
    )
    print(f"A = {trees[0]}\nB = {trees[1]}\n{args.pairs} runs each of --repeat {repeat}, {how}")
    print(f"{'median of run medians, ms':<28}{'A':>10}{'B':>10}{'B/A':>8}  B/A per pair (median)")
    for key in ("cold", "cold CPU", "cached"):
        med_a = statistics.median(r[key] for r in runs[0])
        med_b = statistics.median(r[key] for r in runs[1])
        ratios = [rb[key] / ra[key] for ra, rb in zip(runs[0], runs[1], strict=True)]
        print(
            f"{key:<28}{med_a:>10.4f}{med_b:>10.4f}{med_b / med_a:>8.3f}  "
            f"{', '.join(f'{x:.2f}' for x in ratios)} ({statistics.median(ratios):.3f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, help="cold runs (cached: 10x); default 200")
    parser.add_argument(
        "--tree", type=Path, help="source tree whose gateway/ to import (default: as installed)"
    )
    parser.add_argument("--supergraph", type=Path, default=ROOT / "schema" / "supergraph.graphql")
    parser.add_argument(
        "--compare", nargs=2, metavar=("TREE_A", "TREE_B"), help="interleave runs of two trees"
    )
    parser.add_argument("--pairs", type=int, default=8, help="with --compare: runs per tree")
    parser.add_argument(
        "--sequential", action="store_true", help="with --compare: one run after the other"
    )
    parser.add_argument("--wait-for-go", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the medians as one JSON line")
    args = parser.parse_args()
    if args.compare:
        for tree in args.compare:
            if not (Path(tree) / "gateway" / "__init__.py").exists():
                parser.error(f"--compare: {tree} has no gateway package")
        compare(args)
        return
    args.repeat = args.repeat or 200
    if args.tree is not None:
        tree = args.tree.resolve()
        if not (tree / "gateway" / "__init__.py").exists():
            parser.error(f"--tree {tree} has no gateway package")
        sys.path.insert(0, str(tree))

    import gateway as gateway_package
    from gateway.engine import Gateway
    from gateway.supergraph import parse_supergraph

    origin = Path(gateway_package.__file__).parent
    if not args.json:
        print(f"gateway imported from {origin}")
    supergraph = parse_supergraph(args.supergraph.read_text())
    gateway = Gateway(supergraph)
    gateway.prepare(PICTURE, None)  # imports and one-off set-up, not counted
    if args.wait_for_go:  # --compare: start measuring together with the other tree's run
        print("ready", flush=True)
        sys.stdin.readline()
    cold: list[float] = []
    cold_cpu: list[float] = []
    for i in range(args.repeat):
        query = f"{PICTURE}# cold run {i}\n"  # a new document: not in the plan cache
        started = time.perf_counter()
        started_cpu = time.thread_time()
        gateway.prepare(query, None)
        cold_cpu.append((time.thread_time() - started_cpu) * 1000)
        cold.append((time.perf_counter() - started) * 1000)
    cached: list[float] = []
    for _ in range(args.repeat * 10):
        started = time.perf_counter()
        gateway.prepare(PICTURE, None)
        cached.append((time.perf_counter() - started) * 1000)
    if args.json:
        if args.tree is not None and origin != args.tree.resolve() / "gateway":
            raise SystemExit(f"imported gateway from {origin}, not from {args.tree}")
        medians = {"cold": cold, "cold CPU": cold_cpu, "cached": cached}
        print(json.dumps({k: statistics.median(v) for k, v in medians.items()}))
        return
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(f"{'planning':<10}{'runs':>8}{'median ms':>12}{'p90 ms':>10}")
    # "cold CPU": this thread's CPU time, which other processes' load on a shared machine does
    # not inflate (wall time does, when they take the core away mid-run).
    for name, values in (("cold", cold), ("cold CPU", cold_cpu), ("cached", cached)):
        print(
            f"{name:<10}{len(values):>8}{statistics.median(values):>12.4f}{_percentile(values, 0.9):>10.4f}"
        )


if __name__ == "__main__":
    main()
