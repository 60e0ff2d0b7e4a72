"""Benchmark: cold and cached planning of the one-child, four-agency query over our supergraph.

Run: .venv/bin/python bench/planning.py [--repeat 200]
Prints medians (and p90) in milliseconds. Cold = parse + validate + plan with an empty cache;
cached = the same request answered from the plan cache.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

from gateway.engine import Gateway
from gateway.supergraph import parse_supergraph

ROOT = Path(__file__).resolve().parent.parent

PICTURE = """
query Picture($id: ID!) {
  child(id: $id) {
    id name sex birthYear kabupatenCode nik documentStatus
    family { kkNumber headName members { name relationship } }
    pkh { family { status facilitator { name phone } } components { kind }
          compliance { consecutiveNonCompliantPeriods latestCompliant } }
    welfare { decile status assistance { programme } }
    complaints { channel problemCategory status responses { socialWorker action } }
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    supergraph = parse_supergraph((ROOT / "schema" / "supergraph.graphql").read_text())
    gateway = Gateway(supergraph)
    cold: list[float] = []
    for _ in range(args.repeat):
        gateway._cache.clear()
        started = time.perf_counter()
        gateway.prepare(PICTURE, None)
        cold.append((time.perf_counter() - started) * 1000)
    cached: list[float] = []
    for _ in range(args.repeat * 10):
        started = time.perf_counter()
        gateway.prepare(PICTURE, None)
        cached.append((time.perf_counter() - started) * 1000)
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(f"{'planning':<10}{'runs':>8}{'median ms':>12}{'p90 ms':>10}")
    for name, values in (("cold", cold), ("cached", cached)):
        print(
            f"{name:<10}{len(values):>8}{statistics.median(values):>12.4f}{_percentile(values, 0.9):>10.4f}"
        )


if __name__ == "__main__":
    main()
