"""Benchmark: the audit trail's cost — no consent, enforcement only, enforcement + audit — side by
side over the same subgraphs and seeded data (issue 8, *Performance*).

Run: .venv/bin/python bench/trail/run.py [--rounds 6 --requests 200 --load-rounds 5]

Starts, once, over one freshly seeded data folder (a temp dir): the five subgraphs (the consent
service keeping the access log), the development issuer and three gateways with the same issuer
and grant key — `off` (no config file: no [consent]), `consent` (config/gateway.toml without its
[audit] table: today's enforcing gateway) and `audit` (config/gateway.toml as it is, [consent] and
[audit], appending to the consent service's /audit/append). The pieces (processes, clients, the
per-request CPU reading) are bench/consent/run.py's, imported.

1. Gateway CPU per request (picture and identity, one child each): one sequential client over a
   keep-alive connection, rounds rotating the gateways' order; per request the gateway's threads'
   run time (/proc/<pid>/task/*/schedstat) before sending and after the answer. Added by
   enforcement + audit = audit - off; by audit alone = audit - consent.
2. Throughput at 32 concurrent clients (picture): bench/trail/load.py, a separate process, runs a
   closed loop of 32 keep-alive clients for a fixed time against each gateway in turn (rotating
   order, several rounds); median requests per second, ratio audit / consent. Around every audit
   round the access log's size is read from its database: the records added must equal the
   requests sent.

Prints the tables and writes bench/trail/RESULTS.md (--no-write: print only; --quick: a smoke run
that writes nothing); logs go to bench/trail/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
RESULTS_DIR = HERE / "results"
SIDES = ("off", "consent", "audit")


def _consent_bench() -> ModuleType:
    """bench/consent/run.py (a script, not a package): its processes, clients and measuring."""
    name = "bench_consent_run"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / "consent" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import bench.consent.run as cb
else:
    cb = _consent_bench()


# --- the run's plan ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="off vs consent vs consent + audit")
    parser.add_argument("--rounds", type=int, default=6, help="CPU rounds per gateway and workload")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per round")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured requests per round")
    parser.add_argument(
        "--workloads",
        default="picture,identity",
        help="CPU workloads, of picture, identity, list50 (comma-separated)",
    )
    parser.add_argument("--load-rounds", type=int, default=5, help="load rounds per gateway")
    parser.add_argument("--load-seconds", type=float, default=10.0, help="measured s a round")
    parser.add_argument("--load-warmup", type=float, default=1.0, help="warm-up s a round")
    parser.add_argument("--concurrency", type=int, default=32, help="load clients")
    parser.add_argument(
        "--load-workloads", default="picture", help="load workloads (comma-separated)"
    )
    parser.add_argument("--children", type=int, default=2000, help="children seeded")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--base-port", type=int, default=4800)
    parser.add_argument("--child", default="ANK000000003", help="the one-child workloads' child")
    parser.add_argument("--list-role", default="dinsos_officer")
    parser.add_argument("--list-user", default="dinsos-pekanbaru")
    parser.add_argument("--list-purpose", default="child.protection")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1 round of 20 requests, 1 load round of 2 s, 300 children, no RESULTS.md",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the audit gateway for 20 s per CPU workload after its rounds (needs py-spy)",
    )
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy command for --profile")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.requests, args.warmup = 1, 20, 3
        args.load_rounds = min(args.load_rounds, 1)  # --load-rounds 0 still skips the load
        args.load_seconds, args.load_warmup = 2.0, 0.5
        args.children, args.no_write = 300, True
    names = {"picture", "identity", "list50"}
    args.workloads = [w for w in args.workloads.split(",") if w]
    args.load_workloads = [w for w in args.load_workloads.split(",") if w]
    if not set(args.workloads) | set(args.load_workloads) <= names:
        parser.error(f"workloads are of {', '.join(sorted(names))}")
    if args.rounds < 1 or args.requests < 1 or args.warmup < 0:
        parser.error("--rounds, --requests must be >= 1; --warmup >= 0")
    if args.load_rounds < 0 or args.load_seconds <= 0 or args.concurrency < 1:
        parser.error("--load-rounds >= 0, --load-seconds > 0, --concurrency >= 1")
    return args


def order(round_index: int) -> tuple[str, ...]:
    """The gateways' order in a round: each takes each place in turn (off consent audit,
    consent audit off, audit off consent, ...), so drift on a shared machine hits all three."""
    shift = round_index % len(SIDES)
    return SIDES[shift:] + SIDES[:shift]


def ports(base: int) -> tuple[dict[str, int], int, dict[str, int]]:
    """Subgraphs at base+1..5, the issuer at base+9, the gateways (off, consent, audit) at
    base+10..12."""
    subgraphs = {name: base + i for i, name in enumerate(cb.SUBGRAPHS, start=1)}
    return subgraphs, base + 9, {side: base + 10 + i for i, side in enumerate(SIDES)}


def loadavg() -> str:
    """The 1, 5 and 15 min load averages: other work on the machine shows here."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port` (binding it succeeds)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# --- the access log ---------------------------------------------------------------------------


def log_size(database: Path) -> int:
    """Records in the access log: its head's size, read from its database (read-only)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        row = connection.execute("SELECT size FROM audit_head WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class CpuRound:
    gateway: cb.Round
    consent_service_ms: float  # the consent service's CPU over the round / requests sent
    records: int  # access-log records added during the round
    sent: int  # requests sent during the round (warm-up included)


@dataclass
class LoadRound:
    rps: float
    sent: int  # measured phase, requests started
    warmup_sent: int
    statuses: dict[str, int]
    transport_errors: int
    latency_p50_ms: float
    latency_p99_ms: float
    gateway_cpu_ms: float  # per answered request, measured phase
    consent_service_cpu_ms: float
    records: int  # access-log records added by the round (warm-up included)

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    @property
    def not_ok(self) -> int:
        return self.answered - self.statuses.get("200", 0) + self.transport_errors


@dataclass
class Report:
    cpu: dict[str, dict[str, list[CpuRound]]] = field(default_factory=dict)  # workload, side
    shapes: dict[str, dict[str, str]] = field(default_factory=dict)
    load: dict[str, dict[str, list[LoadRound]]] = field(default_factory=dict)
    workloads: dict[str, object] = field(default_factory=dict)


def load_round(
    port: int,
    body: Path,
    headers: dict[str, str],
    args: argparse.Namespace,
    watch: dict[str, int],
) -> dict[str, object]:
    """One closed-loop load run in its own process (bench/trail/load.py); its JSON answer."""
    argv = [
        sys.executable,
        str(HERE / "load.py"),
        "--url",
        f"http://127.0.0.1:{port}/graphql",
        "--body-file",
        str(body),
        "--concurrency",
        str(args.concurrency),
        "--duration",
        str(args.load_seconds),
        "--warmup",
        str(args.load_warmup),
        *(f"--header={name}: {value}" for name, value in headers.items()),
        *(f"--watch={name}={pid}" for name, pid in watch.items()),
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"load.py failed: {out.stderr[-2000:]}")
    result: dict[str, object] = json.loads(out.stdout)
    return result


def to_load_round(result: dict[str, object], records: int) -> LoadRound:
    statuses: dict[str, int] = result["statuses"]  # type: ignore[assignment]
    cpu: dict[str, float] = result["cpu_ms"]  # type: ignore[assignment]
    answered = max(1, sum(statuses.values()))
    return LoadRound(
        rps=float(result["rps"]),  # type: ignore[arg-type]
        sent=int(result["sent"]),  # type: ignore[call-overload]
        warmup_sent=int(result["warmup_sent"]),  # type: ignore[call-overload]
        statuses=statuses,
        transport_errors=int(result["transport_errors"]),  # type: ignore[call-overload]
        latency_p50_ms=float(result["latency_p50_ms"]),  # type: ignore[arg-type]
        latency_p99_ms=float(result["latency_p99_ms"]),  # type: ignore[arg-type]
        gateway_cpu_ms=cpu.get("gateway", 0.0) / answered,
        consent_service_cpu_ms=cpu.get("consent", 0.0) / answered,
        records=records,
    )


# --- the run -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    subgraph_ports, issuer_port, port = ports(args.base_port)
    busy = [n for n in (*subgraph_ports.values(), issuer_port, *port.values()) if not free(n)]
    if busy:
        raise SystemExit(f"ports in use: {busy}; pick another --base-port")
    load_before = loadavg()
    data = Path(tempfile.mkdtemp(prefix="satu-trail-bench-"))
    env = cb.bench_env(data)
    procs: list[cb.Proc] = []
    try:
        print(f"seeding {args.children} children into {data} ...", flush=True)
        cb.seed_data(env, args.children, args.seed)
        issuer_url, grant_key = cb.start_backends(
            env, subgraph_ports, issuer_port, procs, RESULTS_DIR
        )
        from satu_anak.up import lookup_key_file

        urls = {n: f"http://127.0.0.1:{p}/graphql" for n, p in subgraph_ports.items()}
        configs: dict[str, Path | None] = {
            "off": None,
            "consent": cb.enforcement_config(data),
            "audit": cb.GATEWAY_CONFIG,
        }
        audit_env = {
            "SATU_ANAK_AUDIT_URL": f"http://127.0.0.1:{subgraph_ports['consent']}/audit/append",
            "SATU_ANAK_AUDIT_LOOKUP_KEY": str(lookup_key_file(data)),
        }
        gateways = {
            side: cb.start_gateway(
                f"gateway-{side}",
                port[side],
                env,
                issuer_url=issuer_url,
                grant_key=grant_key,
                subgraph_urls=urls,
                config=configs[side],
                procs=procs,
                log_dir=RESULTS_DIR,
                extra_env=audit_env if side == "audit" else None,
            )
            for side in SIDES
        }
        cb.wait_healthy({side: (gateways[side], port[side]) for side in SIDES})
        time.sleep(0.5)
        dead = [proc.name for proc in procs if not proc.alive()]
        if dead:  # one that could not bind its port, while another process answered there
            raise SystemExit(f"exited during start-up: {', '.join(dead)}; see {RESULTS_DIR}")
        consent_pid = next(p.pid for p in procs if p.name == "consent")
        access_log = data / "audit.db"
        print("up: 5 subgraphs, issuer, 3 gateways (off, consent, audit)", flush=True)

        report = Report()
        everything = {w.name: w for w in cb.workloads(args)}
        tokens: dict[str, str] = {}

        def token_of(workload: cb.Workload) -> str:
            if workload.name not in tokens:
                tokens[workload.name] = cb.token(workload, issuer_url, env)
            return tokens[workload.name]

        # 1. CPU per request, sequential.
        for name in args.workloads:
            workload = everything[name]
            report.workloads[name] = workload
            tok = token_of(workload)
            answers = {side: cb.Client(port[side], workload, tok).send() for side in SIDES}
            report.shapes[name] = {side: cb.summarize_answer(a) for side, a in answers.items()}
            if answers["audit"] != answers["consent"]:
                print(f"  NOTE: {name}: the audit gateway's answer differs from consent's")
            for side, answer in answers.items():
                (RESULTS_DIR / f"answer-{name}-{side}.json").write_text(
                    json.dumps(answer, indent=1)
                )
            print(
                f"\n{name}: " + "; ".join(f"{s}: {report.shapes[name][s]}" for s in SIDES),
                flush=True,
            )
            rounds: dict[str, list[CpuRound]] = {side: [] for side in SIDES}
            clients = {side: cb.Client(port[side], workload, tok) for side in SIDES}
            for r in range(args.rounds):
                for side in order(r):
                    size_before = log_size(access_log)
                    consent_before = cb.thread_cpu_ns(consent_pid)
                    result = cb.measure(
                        clients[side], gateways[side].pid, args.warmup, args.requests
                    )
                    sent = args.warmup + args.requests
                    cpu_round = CpuRound(
                        result,
                        (cb.thread_cpu_ns(consent_pid) - consent_before) / 1e6 / sent,
                        log_size(access_log) - size_before,
                        sent,
                    )
                    rounds[side].append(cpu_round)
                    print(
                        f"  round {r + 1} {side:>7}: cpu p50 "
                        f"{statistics.median(result.cpu_ms):.2f} ms (stat mean "
                        f"{result.cpu_mean_stat_ms:.2f}), consent service "
                        f"{cpu_round.consent_service_ms:.2f} ms, latency p50 "
                        f"{cb.percentile(result.latencies_ms, 0.5):.2f} p99 "
                        f"{cb.percentile(result.latencies_ms, 0.99):.2f} ms; access log "
                        f"+{cpu_round.records} for {sent} requests",
                        flush=True,
                    )
            for client in clients.values():
                client.close()
            report.cpu[name] = rounds
            if args.profile:
                cb.profile(
                    args.py_spy,
                    gateways["audit"].pid,
                    cb.Client(port["audit"], workload, tok),
                    RESULTS_DIR / f"profile-audit-{name}.txt",
                )

        # 2. Throughput at N concurrent clients, each gateway in turn.
        for name in args.load_workloads if args.load_rounds else []:
            workload = everything[name]
            report.workloads[name] = workload
            body = data / f"body-{name}.json"
            body.write_text(json.dumps({"query": workload.query, "variables": workload.variables}))
            headers = {
                "authorization": f"Bearer {token_of(workload)}",
                "x-satu-anak-purpose": workload.purpose,
            }
            print(
                f"\nload {name}: {args.concurrency} clients, {args.load_seconds:g} s a round",
                flush=True,
            )
            load: dict[str, list[LoadRound]] = {side: [] for side in SIDES}
            for r in range(args.load_rounds):
                for side in order(r):
                    size_before = log_size(access_log)
                    outcome = load_round(
                        port[side],
                        body,
                        headers,
                        args,
                        {"gateway": gateways[side].pid, "consent": consent_pid},
                    )
                    one = to_load_round(outcome, log_size(access_log) - size_before)
                    load[side].append(one)
                    expected = one.warmup_sent + one.sent if side == "audit" else 0
                    check = "ok" if one.records == expected else "MISMATCH"
                    print(
                        f"  round {r + 1} {side:>7}: {one.rps:7.1f} req/s, latency p50 "
                        f"{one.latency_p50_ms:.1f} p99 {one.latency_p99_ms:.1f} ms, gateway CPU "
                        f"{one.gateway_cpu_ms:.2f} ms/req, consent service "
                        f"{one.consent_service_cpu_ms:.2f} ms/req, not 200: {one.not_ok}; "
                        f"access log +{one.records} for {one.warmup_sent}+{one.sent} requests "
                        f"({check})",
                        flush=True,
                    )
            report.load[name] = load

        text = render(report, args)
        print("\n" + text)
        if not args.no_write:
            command = " ".join([".venv/bin/python bench/trail/run.py", *(argv or sys.argv[1:])])
            (HERE / "RESULTS.md").write_text(
                f"# The audit trail's cost: off, consent, consent + audit\n\nMade by `{command}` "
                f"on {time.strftime('%Y-%m-%d')}.\n\n{text}\n\n## Machine\n\n{cb.machine()}\n\n"
                f"Load average (/proc/loadavg: 1, 5, 15 min) before the run {load_before}, "
                f"after it {loadavg()}.\n"
            )
            print(f"wrote {HERE / 'RESULTS.md'}")
        return 0
    finally:
        for proc in reversed(procs):
            proc.stop()
        shutil.rmtree(data, ignore_errors=True)


# --- the report --------------------------------------------------------------------------------

CPU_TARGET_MS = 2.0  # issue 8: enforcement + audit add at most 2 ms gateway CPU p50 (one child)
THROUGHPUT_TARGET = 0.90  # issue 8: within 10 % of enforcement-only at 32 concurrent clients


def cpu_medians(rounds: list[CpuRound]) -> dict[str, float]:
    return {
        "cpu": statistics.median(statistics.median(r.gateway.cpu_ms) for r in rounds),
        "stat": statistics.median(r.gateway.cpu_mean_stat_ms for r in rounds),
        "consent": statistics.median(r.consent_service_ms for r in rounds),
        "p50": statistics.median(cb.percentile(r.gateway.latencies_ms, 0.5) for r in rounds),
        "p99": statistics.median(cb.percentile(r.gateway.latencies_ms, 0.99) for r in rounds),
    }


def paired(rounds: dict[str, list[CpuRound]], a: str, b: str) -> list[float]:
    """Per round, p50 gateway CPU of `a` minus that of `b`."""
    return [
        statistics.median(x.gateway.cpu_ms) - statistics.median(y.gateway.cpu_ms)
        for x, y in zip(rounds[a], rounds[b], strict=True)
    ]


def render(report: Report, args: argparse.Namespace) -> str:
    lines = [
        "## Gateway CPU per request (sequential)",
        "",
        f"{args.rounds} rounds per gateway and workload, the gateways' order rotating (off "
        "consent audit, consent audit off, audit off consent, ...); "
        f"{args.requests} measured requests a round after {args.warmup} warm-up ones; one "
        "sequential client over a keep-alive connection. Figures are the median over rounds of "
        "each round's figure. Gateway CPU: the gateway's threads' run time "
        "(/proc/<pid>/task/*/schedstat) read before sending and after the answer (with [audit], "
        "the answer waits for the append, so the record, the writer and the HTTP append are in "
        "it); `stat mean`: utime+stime over the round / requests (10 ms ticks); consent service: "
        "its CPU over the round / requests, warm-up included (with [audit] it keeps the access "
        "log: the append's check, chain hashes and SQLite commit).",
        "",
        "| workload | gateway | gateway CPU p50 ms | stat mean ms | consent service ms/req "
        "| latency p50 ms | latency p99 ms | access log +records / requests | answer |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    summary = []
    for name, rounds in report.cpu.items():
        med = {side: cpu_medians(rounds[side]) for side in SIDES}
        for side in SIDES:
            m = med[side]
            records = sum(r.records for r in rounds[side])
            sent = sum(r.sent for r in rounds[side])
            lines.append(
                f"| {name} | {side} | {m['cpu']:.2f} | {m['stat']:.2f} | {m['consent']:.2f} "
                f"| {m['p50']:.2f} | {m['p99']:.2f} | {records} / {sent} "
                f"| {report.shapes[name][side]} |"
            )
        both = med["audit"]["cpu"] - med["off"]["cpu"]
        enforcement = med["consent"]["cpu"] - med["off"]["cpu"]
        audit = med["audit"]["cpu"] - med["consent"]["cpu"]
        verdict = "meets" if both <= CPU_TARGET_MS else "misses"
        summary.append(
            f"- **{name}**: added by enforcement + audit (audit - off) **{both:.2f} ms** "
            f"gateway CPU p50 per request ({verdict} the ≤ {CPU_TARGET_MS:g} ms target; per round "
            f"{', '.join(f'{d:.2f}' for d in paired(rounds, 'audit', 'off'))}); of which "
            f"enforcement (consent - off) {enforcement:.2f} ms and **audit alone (audit - "
            f"consent) {audit:.2f} ms** (per round "
            f"{', '.join(f'{d:.2f}' for d in paired(rounds, 'audit', 'consent'))}); consent "
            f"service +{med['audit']['consent'] - med['consent']['consent']:.2f} ms/request "
            f"with the access log; latency p50 audit/consent "
            f"x{med['audit']['p50'] / med['consent']['p50']:.2f}"
        )
    lines += ["", *summary]
    if report.load:
        lines += [
            "",
            f"## Throughput at {args.concurrency} concurrent clients",
            "",
            f"bench/trail/load.py in its own process: {args.concurrency} keep-alive clients "
            f"(aiohttp) in a closed loop, {args.load_seconds:g} s measured after "
            f"{args.load_warmup:g} s of warm-up, against one gateway at a time; "
            f"{args.load_rounds} rounds per gateway, the order rotating as above. Requests per "
            "second = answers / (the measured phase, the last in-flight answers included); "
            "figures are the median over rounds. CPU per answered request over the measured "
            "phase (schedstat). Access log: records added over the round (warm-up included), "
            "read from the consent service's database, against the requests sent.",
            "",
            "| workload | gateway | req/s (median) | req/s per round | latency p50 ms "
            "| latency p99 ms | gateway CPU ms/req | consent service ms/req | not 200 "
            "| access log +records / requests |",
            "|---|---|---:|---|---:|---:|---:|---:|---:|---|",
        ]
        load_summary = []
        for name, load in report.load.items():
            med_rps = {side: statistics.median(r.rps for r in load[side]) for side in SIDES}
            for side in SIDES:
                rs = load[side]
                records = sum(r.records for r in rs)
                sent = sum(r.warmup_sent + r.sent for r in rs)
                check = ""
                if side == "audit":
                    exact = all(r.records == r.warmup_sent + r.sent for r in rs)
                    check = " (one per request)" if exact else " (MISMATCH)"
                lines.append(
                    f"| {name} | {side} | {med_rps[side]:.1f} "
                    f"| {', '.join(f'{r.rps:.1f}' for r in rs)} "
                    f"| {statistics.median(r.latency_p50_ms for r in rs):.1f} "
                    f"| {statistics.median(r.latency_p99_ms for r in rs):.1f} "
                    f"| {statistics.median(r.gateway_cpu_ms for r in rs):.2f} "
                    f"| {statistics.median(r.consent_service_cpu_ms for r in rs):.2f} "
                    f"| {sum(r.not_ok for r in rs)} | {records} / {sent}{check} |"
                )
            ratio = med_rps["audit"] / med_rps["consent"]
            per_round = [a.rps / c.rps for a, c in zip(load["audit"], load["consent"], strict=True)]
            verdict = "meets" if ratio >= THROUGHPUT_TARGET else "misses"
            load_summary.append(
                f"- **{name}**: req/s audit / consent **x{ratio:.3f}** ({verdict} the within-10 % "
                f"target; per round {', '.join(f'x{x:.3f}' for x in per_round)}); consent / off "
                f"x{med_rps['consent'] / med_rps['off']:.3f}; audit / off "
                f"x{med_rps['audit'] / med_rps['off']:.3f}"
            )
        lines += ["", *load_summary]
    workload_lines = []
    for name, w in report.workloads.items():
        assert isinstance(w, cb.Workload)
        workload_lines.append(
            f"- **{name}**: as `{w.user}` ({w.role}), purpose `{w.purpose}`, variables "
            f"`{json.dumps(w.variables)}` (queries in bench/consent/run.py)"
        )
    return "\n".join([*lines, "", "Workloads:", "", *workload_lines])


if __name__ == "__main__":
    raise SystemExit(main())
