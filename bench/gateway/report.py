"""The report: the results table, the rounds comparison, the subgraph and profile tables, and
RESULTS.md / results/ written from them."""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import json
import platform
import statistics
import subprocess
from pathlib import Path
from typing import Any

import workload
from gateways import BASELINE_GATEWAYS, code_state
from paths import HERE, PEERS, RESULTS, ROOT

# Pairs compared in the ratios (a/b): the first is the one under test.
PAIRS = (
    ("ours", "ours-baseline", " (this tree vs baseline)"),
    ("ours-nodedup", "ours-baseline-nodedup", " (this tree vs baseline, no dedup)"),
    ("ours", "apollo", ""),
    ("ours", "hive", " (both dedup outbound)"),
    ("ours", "hive-nodedup", ""),
    ("ours", "hive-dedup", ""),
    ("ours-nodedup", "apollo", " (neither dedups)"),
    ("ours-nodedup", "hive-nodedup", " (neither dedups)"),
    ("ours", "ours-nodedup", " (our outbound dedup)"),
    ("ours", "ours-asyncio", " (loop/parser as installed vs asyncio + h11)"),
    ("ours-uvloop", "ours-asyncio", " (uvloop + httptools vs asyncio + h11)"),
)
# What "within noise" means for a refactor that should not change throughput.
NOISE_FLOOR = 0.95


def machine() -> dict[str, str]:
    model = ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (x.split(":", 1)[1].strip() for x in lscpu.splitlines() if x.startswith("Model name")),
            "",
        )
    except OSError:
        pass
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next(int(x.split()[1]) for x in meminfo if x.startswith("MemTotal"))
    return {
        "nproc": subprocess.run(
            ["nproc", "--all"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "model": model,
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "kernel": platform.release(),
    }


def versions(args: argparse.Namespace) -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in (
        "uvicorn",
        "uvloop",
        "httptools",
        "aiohttp",
        "starlette",
        "httpx",
        "httpcore",
        "graphql-core",
        "orjson",
        "strawberry-graphql",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[dist] = metadata.version(dist)
    node = subprocess.run([args.node, "--version"], capture_output=True, text=True, check=False)
    out["node"] = node.stdout.strip()
    for pkg in ("@apollo/gateway", "@apollo/server", "@graphql-hive/gateway", "graphql"):
        pj = PEERS / "node_modules" / pkg / "package.json"
        if pj.exists():
            out[pkg] = json.loads(pj.read_text())["version"]
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    out["wrk"] = (wrk_v.stdout + wrk_v.stderr).split("\n")[0].split(" [")[0].replace("wrk ", "")
    return out


def ms(us: float | None) -> str:
    return "-" if us is None else f"{us / 1000:.1f}"


def per_cpu(r: dict[str, Any]) -> float:
    """Requests per CPU-second the gateway used: RPS corrected for a core it did not fully get."""
    return float(r["load"]["rps"] / max(r.get("gateway_cpu_pct", 100) / 100, 0.01))


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> tuple[str, list[str]]:
    pin = (
        f"gw: core {args.gateway_core}; wrk+subgraphs: core {args.load_core}"
        if args.gateway_core is not None
        else "none"
    )
    head = (
        "| gateway | RPS | req per gateway CPU-s | p50 ms | p99 ms | errors / requests "
        "| CPU pinning | gateway CPU % "
        "(avg/peak) | max RSS MB | core0 / core1 busy % | other processes' CPU % "
        "| subgraph fetches: one request alone / per request under load | RPS of each run |"
    )
    lines = [head, "|" + "---|" * 13]
    for r in results:
        if "load" not in r:
            lines.append(f"| {r['name']} | FAILED: {r.get('failure', '?')[:150]} |" + " |" * 11)
            continue
        load = r["load"]
        cores = r.get("cores_busy_pct", {})
        fetches = r.get("fetches", {})
        other = r.get("foreign_cpu_pct", "-")
        lines.append(
            f"| {r['name']} | {load['rps']:.1f} | {per_cpu(r):.1f} | {ms(load['p50_us'])} | "
            f"{ms(load['p99_us'])} | "
            f"{load['errors']} / {load['requests']} | {pin} | "
            f"{r.get('gateway_cpu_pct', '-')} / {r.get('gateway_cpu_peak_pct', '-')} | "
            f"{r.get('gateway_rss_max_mb', '-')} | "
            f"{cores.get('cpu0', '-')} / {cores.get('cpu1', '-')} | {other} | "
            f"{sum(fetches.values())} ({', '.join(f'{k[0]}{v}' for k, v in fetches.items())}) / "
            + (
                f"{sum(r['subgraph_requests'].values()) / max(load['requests'], 1):.2f}"
                if r.get("subgraph_requests")
                else "-"
            )
            + " | "
            f"{', '.join(str(x) for x in r.get('all_rps', []))} |"
        )
    by = {r["name"]: r for r in results if "load" in r}
    ratios = []
    for a_name, b_name, note in PAIRS:
        if a_name in by and b_name in by:
            a, b = by[a_name]["load"], by[b_name]["load"]
            ratios.append(
                f"{a_name}/{b_name}{note}: RPS x{a['rps'] / b['rps']:.3f}, "
                f"per gateway CPU-second x{per_cpu(by[a_name]) / per_cpu(by[b_name]):.3f}, "
                f"p50 x{a['p50_us'] / max(b['p50_us'], 1):.2f}, "
                f"p99 x{a['p99_us'] / max(b['p99_us'], 1):.2f}"
            )
    return "\n".join(lines), ratios


def subgraph_table(rows: dict[str, Any], results: list[dict[str, Any]]) -> str:
    lines = [
        "| subgraph | distinct calls | heaviest call | its response bytes | cached RPS (p99 ms) "
        "| uncached Strawberry RPS (p99 ms) | highest demand in a measured run |",
        "|" + "---|" * 7,
    ]
    for name, row in rows.items():
        demand, top = 0.0, "-"
        for r in results:
            if "load" in r:
                rate = r["subgraph_requests"].get(name, 0) / (r["load"]["duration_us"] / 1e6)
                if rate > demand:
                    demand, top = rate, r["name"]
        c, u = row["cached"], row["uncached"]
        lines.append(
            f"| {name} | {row['distinct_calls']} | {'_entities' if row['entities'] else 'root'} | "
            f"{row['heaviest_response_bytes']} | {c['rps']:.0f} ({ms(c['p99_us'])}) | "
            f"{u['rps']:.0f} ({ms(u['p99_us'])}) | {demand:.0f} req/s ({top}) |"
        )
    return "\n".join(lines)


def profile_table(prof: dict[str, Any], n: int = 15) -> str:
    lines = [
        f"py-spy, {prof['samples']} samples (100 Hz, idle excluded)",
        "",
        "| # | self % | function (file) |",
        "|---|---|---|",
    ]
    for i, (f, p) in enumerate(prof["self"][:n], 1):
        lines.append(f"| {i} | {p} | `{f}` |")
    lines += [
        "",
        "Inclusive (time in the function and its callees), gateway/ and the libraries:",
        "",
        "| inclusive % | function |",
        "|---|---|",
    ]
    skip = (
        "run_forever",
        "_run_once",
        "Handle._run",
        "asyncio_run",
        "Runner.run",
        "<module>",
        "main (",
        "_gateway (",
        "run (uvicorn",
        "Server.run",
        "run_until_complete",
    )
    shown = 0
    for f, p in prof["inclusive"]:
        if any(s in f for s in skip):
            continue
        lines.append(f"| {p} | `{f}` |")
        shown += 1
        if shown >= 25:
            break
    return "\n".join(lines)


def median_runs(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per gateway: its median-RPS run, with every run's RPS attached."""
    by: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for r in results:
        by[r["name"]].append(r)
    out = []
    for runs in by.values():
        loaded = sorted((r for r in runs if "load" in r), key=lambda r: r["load"]["rps"])
        chosen = dict(loaded[(len(loaded) - 1) // 2] if loaded else runs[-1])
        chosen["all_rps"] = [round(r["load"]["rps"], 1) for r in runs if "load" in r]
        out.append(chosen)
    return out


def rounds_summary(
    runs: list[dict[str, Any]],
    max_foreign_cpu: float,
    gateway_core: str | None,
    concurrent: bool = False,
) -> list[str]:
    """Per-gateway median RPS over all its runs, and for each pair that ran: the ratio of the
    medians and the median of the per-round ratios (runs alternate, so the i-th run of each
    gateway belongs to round i), judged against NOISE_FLOOR (concurrent: the median of the
    per-round ratios is the one judged, the rounds being truly paired). A run during which other
    processes used more than max_foreign_cpu % of a core is marked with `*`."""
    by: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for r in runs:
        by[r["name"]].append(r)

    def shown(r: dict[str, Any]) -> str:
        if "load" not in r:
            return "FAILED"
        busy = r.get("foreign_cpu_pct", 0) > max_foreign_cpu
        return f"{r['load']['rps']:.1f}" + ("*" if busy else "")

    def disturbance(r: dict[str, Any]) -> str:
        steal = r.get("cores_steal_pct", {}).get(f"cpu{gateway_core}", "-")
        return f"{r.get('foreign_cpu_pct', '-')} / {steal}"

    lines = [
        "| gateway | runs measured | median RPS | RPS per round | median req per gateway CPU-s "
        "| req per gateway CPU-s per round | other processes' CPU % / steal % of the gateway's "
        "core, per round |",
        "|---|---|---|---|---|---|---|",
    ]
    busy_runs = 0
    for name, mine in by.items():
        loaded = [r for r in mine if "load" in r]
        busy_runs += sum(r.get("foreign_cpu_pct", 0) > max_foreign_cpu for r in loaded)
        per_round = ", ".join(shown(r) for r in mine)
        cpu_round = ", ".join(f"{per_cpu(r):.1f}" for r in loaded)
        other = ", ".join(disturbance(r) for r in loaded)
        if loaded:
            rps = statistics.median(r["load"]["rps"] for r in loaded)
            cpu = statistics.median(per_cpu(r) for r in loaded)
            lines.append(
                f"| {name} | {len(loaded)} / {len(mine)} | {rps:.1f} | {per_round} | {cpu:.1f} "
                f"| {cpu_round} | {other} |"
            )
        else:
            lines.append(f"| {name} | 0 / {len(mine)} | - | {per_round} | - | - | - |")
    lines.append("")
    if busy_runs:
        lines += [
            f"`*`: {busy_runs} run(s) during which other processes used more than "
            f"{max_foreign_cpu:g} % of a core (shared machine): RPS is depressed there; "
            "req per gateway CPU-s is the steadier figure.",
            "",
        ]

    def verdict(ratio: float, judged: bool) -> str:
        # Only a tree against its baseline has a pass mark (a refactor: "no slower").
        if not judged:
            return ""
        return " (within noise)" if ratio >= NOISE_FLOOR else f" (BELOW {NOISE_FLOOR}x)"

    for a_name, b_name, note in PAIRS:
        if a_name not in by or b_name not in by:
            continue
        a_runs = [r for r in by[a_name] if "load" in r]
        b_runs = [r for r in by[b_name] if "load" in r]
        if not a_runs or not b_runs:
            lines.append(f"- {a_name}/{b_name}{note}: no ratio, a side has no measured run")
            continue
        a_rps = statistics.median(r["load"]["rps"] for r in a_runs)
        b_rps = statistics.median(r["load"]["rps"] for r in b_runs)
        ratio = a_rps / b_rps
        cpu_ratio = statistics.median(per_cpu(r) for r in a_runs) / statistics.median(
            per_cpu(r) for r in b_runs
        )
        paired = [
            x["load"]["rps"] / y["load"]["rps"]
            for x, y in zip(by[a_name], by[b_name], strict=False)
            if "load" in x and "load" in y
        ]
        judged = b_name in BASELINE_GATEWAYS
        if concurrent and paired:
            # Both ran at once in each round: each round's ratio is the measurement, and the
            # medians of RPS (taken from different rounds) are not.
            cpu_paired = [
                per_cpu(x) / per_cpu(y)
                for x, y in zip(by[a_name], by[b_name], strict=False)
                if "load" in x and "load" in y
            ]
            pr, pc = statistics.median(paired), statistics.median(cpu_paired)
            lines.append(
                f"- {a_name}/{b_name}{note}: median of the per-round ratios: RPS **x{pr:.3f}**"
                f"{verdict(pr, judged)}, per gateway CPU-second x{pc:.3f}{verdict(pc, judged)}; "
                f"per-round RPS ratios {', '.join(f'{x:.3f}' for x in paired)} "
                f"(min x{min(paired):.3f}, max x{max(paired):.3f}); ratio of the median RPS "
                f"x{ratio:.3f}" + (f"; pass mark {NOISE_FLOOR}x" if judged else "")
            )
            continue
        lines.append(
            f"- {a_name}/{b_name}{note}: median RPS {a_rps:.1f} / {b_rps:.1f} = **x{ratio:.3f}**"
            f"{verdict(ratio, judged)}; per gateway CPU-second x{cpu_ratio:.3f}"
            f"{verdict(cpu_ratio, judged)}; "
            f"per-round RPS ratios {', '.join(f'{x:.3f}' for x in paired) or '-'}"
            + (f" (median x{statistics.median(paired):.3f})" if paired else "")
            + (f"; pass mark {NOISE_FLOOR}x" if judged else "")
        )
    return lines


def write_results(
    results: list[dict[str, Any]],
    subgraph_rows: dict[str, Any],
    args: argparse.Namespace,
    started: dt.datetime,
    all_runs: list[dict[str, Any]] | None = None,
) -> str:
    m, v = machine(), versions(args)
    answer_bytes = len(json.dumps(workload.expected(), separators=(",", ":")).encode())
    main_table, ratios = table(results, args)
    parts = [
        "# Gateway benchmark results",
        "",
        f"Date: {started:%Y-%m-%d %H:%M} UTC. Machine: {m['nproc']} CPUs (`nproc`), "
        f"`{m['model']}` (`lscpu` model name), {m['memory']} RAM, Linux {m['kernel']}.",
        "",
        f"Workload: The Guild's `TestQuery` (workload.py: request {len(workload.BODY)} bytes, "
        f"answer {answer_bytes / 1000:.0f} kB), wrk -t1 -c{args.connections}, {args.warmup:.0f} s "
        f"warm-up then {args.duration:.0f} s measured per gateway, "
        + (
            "the two gateways at once on the gateway core, each with its own wrk (--concurrent: "
            "compare req per gateway CPU-s; RPS is about half the usual); "
            if args.concurrent
            else "one gateway at a time; "
        )
        + 'errors = non-200, `"errors"` in the body, timeouts (30 s) and socket errors.',
        "Every gateway's answer was compared with the expected JSON before loading it "
        + ("(all equal)." if all(r.get("correct") for r in results) else "(SEE FAILURES)."),
        "",
        main_table,
        "",
        *(f"- {r}" for r in ratios),
        "",
        "Gateways: "
        + "; ".join(
            f"**{r['name']}**: {r['description']}"
            + (f" [runtime: {r['runtime']}]" if r.get("runtime") else "")
            for r in results
        )
        + ".",
        "",
        "Subgraph fetches, counted by the subgraphs: for one request alone (a=accounts, "
        "i=inventory, p=products, r=reviews), and per request during the measured run; fewer "
        "under load means the gateway sent identical concurrent subgraph requests once "
        "(outbound in-flight deduplication).",
        "",
        "Versions (the project's venv; a missing one is not installed there): "
        + ", ".join(f"{k} {val}" for k, val in v.items())
        + ".",
        "",
        f"Code under test (ours, ours-nodedup): {code_state(args.tree or ROOT)}."
        + (f" Baseline (ours-baseline*): {args.baseline_label}." if args.baseline_label else ""),
    ]
    if all_runs and (args.repeat > 1 or any(r["name"] in BASELINE_GATEWAYS for r in all_runs)):
        parts += [
            "",
            f"## Rounds ({args.repeat}, "
            + (
                "both gateways at once in each: compare req per gateway CPU-s)"
                if args.concurrent
                else "gateways alternating in the order given)"
            ),
            "",
            *rounds_summary(all_runs, args.max_foreign_cpu, args.gateway_core, args.concurrent),
        ]
    if subgraph_rows:
        parts += [
            "",
            "## Subgraphs are not the bottleneck",
            "",
            "Each subgraph's throughput for its heaviest call seen during the runs (wrk -c"
            f"{args.connections} for {args.subgraph_duration:.0f} s on the gateway's core, "
            "subgraph alone on its core). *Cached* is how they were served during the runs "
            "(static answers memoised by request body); *uncached* runs Strawberry for every "
            "request. Compare with the core0 busy % column above, which includes wrk. "
            f"Subgraph server: uvicorn on {args.subgraph_runtime}.",
            "",
            subgraph_table(subgraph_rows, results),
        ]
    for r in results:
        if r.get("profile"):
            parts += [
                "",
                f"## Profile of {r['name']} under the same load",
                "",
                profile_table(r["profile"]),
            ]
    text = "\n".join(parts) + "\n"
    if not args.no_write:
        (HERE / "RESULTS.md").write_text(text)
    (RESULTS / "report.md").write_text(text)
    (RESULTS / "results.json").write_text(
        json.dumps(
            {
                "results": results,
                "runs": all_runs or results,
                "subgraphs": subgraph_rows,
                "machine": m,
                "versions": v,
            },
            indent=1,
            default=str,
        )
    )
    return text
