"""Benchmark: policy decisions (auth/policy) for one child's 12 categories and a 50-child page.

Run: .venv/bin/python bench/policy.py [--repeat 200]
Prints medians and p90 in microseconds (wall time; "CPU" is the thread's CPU time, steadier on a
busy machine). Cold = an empty memo: every Cedar evaluation runs; memoized = the same decision
again. The page is 50 children of one PKH coordinator's region, like facts (half with a guardian
consent), all 12 categories each; cold starts from an empty memo, warm from the memo the first
page left. Cedar evaluations per case are counted from the engine's memo counters.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auth.policy import (
    CaseFacts,
    Category,
    ChildFacts,
    ConsentFacts,
    PkhFacts,
    PolicyEngine,
)
from auth.principal import Principal
from auth.purposes import Agency, Role

NOW = datetime(2026, 12, 4, 9, tzinfo=UTC)
CATEGORIES = list(Category)
COORDINATOR = Principal(
    "pkh-coord", "Koordinator", (Role.PKH_COORDINATOR,), Role.PKH_COORDINATOR, Agency.PKH,
    "PKH-14.71", ("14.71",), "C-1",
)  # fmt: skip
CASEWORKER = Principal(
    "balai-cw", "Peksos", (Role.BALAI_CASEWORKER,), Role.BALAI_CASEWORKER, Agency.BALAI,
    "RUMBAI", (), "3",
)  # fmt: skip


def _child(n: int, *, consent: bool) -> ChildFacts:
    consents = (
        ConsentFacts(
            f"K-{n}", "pkh", None, frozenset({"protection.summary"}),
            frozenset({"child.protection"}), NOW - timedelta(days=30), NOW + timedelta(days=300),
            None,
        ),
    ) if consent else ()  # fmt: skip
    return ChildFacts(
        child_id=f"ANK{n:09d}",
        region=f"14.71.{10 + n % 5:02d}.{1000 + n}",
        pkh=PkhFacts(True, f"14711001012{n:05d}", f"14.71.{10 + n % 5:02d}", f"F-{n % 7}"),
        cases=(CaseFacts(f"C-{n}", "RUMBAI", "3", True, False),) if n % 10 == 0 else (),
        dinsos_responders=frozenset(),
        dinsos_conflict_with_law=False,
        consents=consents,
        break_glass=(),
    )


def _measure(
    engine: PolicyEngine, repeat: int, setup: Callable[[], None], run: Callable[[], None]
) -> tuple[list[float], list[float], float]:
    wall: list[float] = []
    cpu: list[float] = []
    evaluations = 0
    for _ in range(repeat):
        setup()
        before = engine.memo_stats().evaluation_misses
        w, c = time.perf_counter(), time.thread_time()
        run()
        cpu.append((time.thread_time() - c) * 1e6)
        wall.append((time.perf_counter() - w) * 1e6)
        evaluations += engine.memo_stats().evaluation_misses - before
    return wall, cpu, evaluations / repeat


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    start = time.perf_counter()
    engine = PolicyEngine.load()
    load_ms = (time.perf_counter() - start) * 1e3
    one = _child(0, consent=True)
    page = [_child(n, consent=n % 2 == 1) for n in range(50)]

    def decide_one(principal: Principal, purpose: str) -> Callable[[], None]:
        record = one.cases[0]
        return lambda: (
            engine.decide(
                principal, purpose, one, CATEGORIES, agreements=(), now=NOW, record=record
            )
            and None
        )

    def decide_page() -> None:
        for facts in page:
            engine.decide(
                COORDINATOR, "child.protection", facts, CATEGORIES, agreements=(), now=NOW
            )

    def nothing() -> None:
        return None

    rows: list[tuple[str, list[float], list[float], float]] = []

    def case(name: str, setup: Callable[[], None], run: Callable[[], None]) -> None:
        engine.clear_memo()
        run()  # the first child or page fills the memo for the "memoized" and "warm" cases
        wall, cpu, evaluations = _measure(engine, args.repeat, setup, run)
        rows.append((name, wall, cpu, evaluations))

    case(
        "one child, 12 categories, cold (coordinator)",
        engine.clear_memo,
        decide_one(COORDINATOR, "child.protection"),
    )
    case(
        "one child, 12 categories, memoized (coordinator)",
        nothing,
        decide_one(COORDINATOR, "child.protection"),
    )
    case(
        "one child, 12 categories, cold (caseworker)",
        engine.clear_memo,
        decide_one(CASEWORKER, "case.management"),
    )
    case(
        "one child, 12 categories, memoized (caseworker)",
        nothing,
        decide_one(CASEWORKER, "case.management"),
    )
    case("50-child page x 12 categories, cold", engine.clear_memo, decide_page)
    case("50-child page x 12 categories, warm", nothing, decide_page)

    def static_setup() -> None:
        engine.clear_memo()
        engine.__dict__["_static"].clear()

    case(
        "static pass, one role and purpose, cold",
        static_setup,
        lambda: engine.static_denials(Role.BALAI_CASEWORKER, "case.management") and None,
    )

    print(
        f"python {sys.version.split()[0]}; policies loaded and validated in {load_ms:.1f} ms; repeat {args.repeat}"
    )
    print(f"{'case':<52} {'median µs':>10} {'p90 µs':>9} {'CPU µs':>8} {'Cedar evals/run':>16}")
    for name, wall, cpu, evaluations in rows:
        print(
            f"{name:<52} {statistics.median(wall):>10.1f} {_p90(wall):>9.1f} "
            f"{statistics.median(cpu):>8.1f} {evaluations:>16.1f}"
        )


if __name__ == "__main__":
    main()
