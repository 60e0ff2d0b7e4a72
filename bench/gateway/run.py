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
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PEERS = HERE / "peers"
RESULTS = HERE / "results"
SUPERGRAPH = HERE / "supergraph.graphql"
LUA = HERE / "post.lua"
VENV = ROOT / ".venv"

sys.path.insert(0, str(HERE))
import workload  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
ALL_GATEWAYS = (
    "ours",
    "ours-nodedup",
    "ours-asyncio",
    "ours-uvloop",
    "ours-baseline",
    "ours-baseline-nodedup",
    "apollo",
    "hive",
    "hive-nodedup",
    "hive-dedup",
)
DEFAULT_GATEWAYS = "ours,ours-nodedup,apollo,hive,hive-nodedup"
NODE_ENV = {
    "NODE_ENV": "production",
    # Loopback only: Apollo Gateway otherwise reports usage telemetry to Apollo and its resource
    # detectors probe cloud metadata endpoints.
    "APOLLO_TELEMETRY_DISABLED": "true",
    "METADATA_SERVER_DETECTION": "none",
    "OTEL_SDK_DISABLED": "true",
}
BASELINE_GATEWAYS = ("ours-baseline", "ours-baseline-nodedup")
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


# --- processes -----------------------------------------------------------------------------------


class Proc:
    """A child in its own process group (so stopping it stops its children too)."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT
    ) -> None:
        RESULTS.joinpath("logs").mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = RESULTS / "logs" / f"{name}.log"
        self.log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            argv,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)
            except ProcessLookupError:
                pass
        self.log.close()

    def tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def pinned(core: str | None, argv: list[str]) -> list[str]:
    return ["taskset", "-c", core, *argv] if core is not None else argv


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def http(
    method: str, url: str, body: bytes | None = None, timeout: float = 30
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("content-type", "application/json")
        request.add_header("accept", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until(check: Any, timeout: float, proc: Proc | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            return False
        try:
            if check():
                return True
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.25)
    return False


# --- sampling ------------------------------------------------------------------------------------


def _cpu_times() -> dict[str, tuple[int, int, int, int]]:
    """Per-core (busy, total, user+nice+system, steal) jiffies from /proc/stat."""
    result = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                parts = line.split()
                values = [int(v) for v in parts[1:]]
                idle = values[3] + values[4]
                total = sum(values[:8])
                result[parts[0]] = (
                    total - idle,
                    total,
                    values[0] + values[1] + values[2],
                    values[7],  # steal: time the hypervisor ran something else on this vCPU
                )
    return result


def _group(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == pgid:
                pids.append(int(entry))
    return pids


def _group_usage(pgid: int) -> tuple[int, int]:
    """(utime+stime jiffies, RSS KiB) summed over a process group."""
    ticks = rss = 0
    for pid in _group(pgid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            ticks += int(fields[11]) + int(fields[12])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return ticks, rss


def wait_for_quiet(limit_pct: float = 15, timeout: float = 60) -> float:
    """Wait (bounded) until no core is busier than limit_pct over 1 s (this machine may be
    shared); returns the busiest core's % at the end."""
    deadline = time.monotonic() + timeout
    while True:
        a = _cpu_times()
        time.sleep(1)
        b = _cpu_times()
        busiest = max(100 * (b[c][0] - a[c][0]) / max(1, b[c][1] - a[c][1]) for c in b)
        if busiest <= limit_pct or time.monotonic() > deadline:
            return round(busiest, 1)


class Sampler(threading.Thread):
    """Samples per-core busy time and the gateway's CPU and RSS every 0.5 s (bounded by stop())."""

    def __init__(self, pgid: int, others: list[int], partners: tuple[int, ...] = ()) -> None:
        super().__init__(daemon=True)
        self.pgid = pgid
        self.others = others  # our other process groups (the subgraphs)
        self.partners = partners  # --concurrent: the other gateway, also ours
        self.partner_ticks: list[int] = []
        self.halt = threading.Event()
        self.samples: list[tuple[float, dict[str, tuple[int, int, int, int]], int, int]] = []
        self.other_ticks: list[int] = []
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.own = resource.getrusage(resource.RUSAGE_SELF)  # run.py itself (this sampling)

    def sample(self) -> None:
        ticks, rss = _group_usage(self.pgid)
        self.samples.append((time.monotonic(), _cpu_times(), ticks, rss))
        self.other_ticks.append(sum(_group_usage(g)[0] for g in self.others))
        self.partner_ticks.append(sum(_group_usage(g)[0] for g in self.partners))

    def run(self) -> None:
        self.sample()
        while not self.halt.wait(0.5):
            self.sample()
        self.sample()

    def stop(self) -> dict[str, Any]:
        self.halt.set()
        self.join(5)
        if len(self.samples) < 2:
            return {}
        (t0, c0, k0, _), (t1, c1, k1, _) = self.samples[0], self.samples[-1]
        cores = {
            cpu: round(100 * (c1[cpu][0] - c0[cpu][0]) / max(1, c1[cpu][1] - c0[cpu][1]), 1)
            for cpu in c1
        }
        peak = 0.0
        for (ta, _, ka, _), (tb, _, kb, _) in zip(self.samples, self.samples[2:], strict=False):
            peak = max(peak, 100 * (kb - ka) / CLK_TCK / (tb - ta))
        # CPU used by processes that are not part of this benchmark (the machine may be shared):
        # all busy time minus the gateway, the subgraphs, wrk (children waited for meanwhile) and
        # run.py itself (its sampling of /proc).
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_s = (after.ru_utime + after.ru_stime) - (
            self.children.ru_utime + self.children.ru_stime
        )
        own = resource.getrusage(resource.RUSAGE_SELF)
        own_s = (own.ru_utime + own.ru_stime) - (self.own.ru_utime + self.own.ru_stime)
        # Process time only (user+nice+system): interrupt time is not attributable to a process.
        busy_s = sum(c1[c][2] - c0[c][2] for c in c1) / CLK_TCK
        ours_s = (
            (k1 - k0)
            + (self.other_ticks[-1] - self.other_ticks[0])
            + (self.partner_ticks[-1] - self.partner_ticks[0])
        ) / CLK_TCK
        foreign = max(0.0, 100 * (busy_s - ours_s - wrk_s - own_s) / (t1 - t0))
        return {
            "foreign_cpu_pct": round(foreign, 1),
            "subgraphs_cpu_pct": round(
                100 * (self.other_ticks[-1] - self.other_ticks[0]) / CLK_TCK / (t1 - t0), 1
            ),
            "wrk_cpu_pct": round(100 * wrk_s / (t1 - t0), 1),
            "harness_cpu_pct": round(100 * own_s / (t1 - t0), 1),
            "cores_busy_pct": cores,
            "cores_steal_pct": {
                cpu: round(100 * (c1[cpu][3] - c0[cpu][3]) / max(1, c1[cpu][1] - c0[cpu][1]), 1)
                for cpu in c1
            },
            "gateway_cpu_pct": round(100 * (k1 - k0) / CLK_TCK / (t1 - t0), 1),
            "gateway_cpu_peak_pct": round(peak, 1),
            "gateway_rss_max_mb": round(max(s[3] for s in self.samples) / 1024, 1),
        }


# --- load ----------------------------------------------------------------------------------------


def wrk(
    url: str,
    body_file: Path,
    *,
    connections: int,
    seconds: float,
    core: str | None,
    timeout_s: int = 30,
) -> dict[str, Any]:
    argv = pinned(
        core,
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            f"--timeout={timeout_s}s",
            "--latency",
            "-s",
            str(LUA),
            url,
        ],
    )
    out = subprocess.run(
        argv,
        env={**os.environ, "BODY_FILE": str(body_file)},
        capture_output=True,
        text=True,
        timeout=seconds + timeout_s + 30,  # wrk stops itself; this is the backstop
        check=False,
    )
    match = re.search(r"^WRK_JSON (\{.*\})$", out.stdout, re.M)
    if out.returncode != 0 or match is None:
        raise RuntimeError(
            f"wrk failed ({out.returncode}): {out.stdout[-2000:]} {out.stderr[-2000:]}"
        )
    result: dict[str, Any] = json.loads(match.group(1))
    seconds_run = result["duration_us"] / 1e6
    result["rps"] = result["requests"] / seconds_run
    errors = (
        result["failed"]
        + result["connect_errors"]
        + result["read_errors"]
        + result["write_errors"]
        + result["timeouts"]
    )
    result["errors"] = errors
    result["raw"] = out.stdout
    return result


# --- subgraphs -----------------------------------------------------------------------------------


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


# --- gateways ------------------------------------------------------------------------------------


@dataclass
class Gateway:
    name: str
    argv: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    description: str = ""
    # For `satu-anak gateway` variants: the source tree its `gateway` package must come from.
    tree: Path | None = None


def gateway_specs(args: argparse.Namespace) -> dict[str, Gateway]:
    sg = str(SUPERGRAPH)
    ours = [
        str(VENV / "bin/satu-anak"),
        "gateway",
        "--supergraph",
        sg,
        "--host",
        "127.0.0.1",
        "--log-level",
        "warning",
        "--port",
    ]
    serve = [str(VENV / "bin/python"), str(HERE / "serve_ours.py"), "--supergraph", sg, "--port"]
    # `ours` and `ours-nodedup`: this checkout (the editable install), or --tree via PYTHONPATH.
    tree = args.tree or ROOT
    tree_env = {"PYTHONPATH": str(args.tree)} if args.tree else {}
    tree_text = f" [from {args.tree}]" if args.tree else ""
    baseline_env = {"PYTHONPATH": str(args.baseline_path)} if args.baseline_path else {}
    baseline_text = f"`satu-anak gateway` from the baseline tree ({args.baseline_label})"
    hive_bin = str(PEERS / "node_modules/@graphql-hive/gateway/dist/bin.js")
    hive = [args.node, hive_bin, "supergraph", sg, "--host", "127.0.0.1", "--fork", "1"]
    return {
        "ours": Gateway(
            "ours",
            [*ours, "4100"],
            4100,
            tree_env,
            "`satu-anak gateway` as shipped (uvicorn loop/http = auto: uvloop/httptools if the "
            "venv has them)" + tree_text,
            tree,
        ),
        "ours-nodedup": Gateway(
            "ours-nodedup",
            [*ours, "4107"],
            4107,
            {**tree_env, "SATU_ANAK_DEDUPLICATE": "0"},
            "`satu-anak gateway` with SATU_ANAK_DEDUPLICATE=0: no outbound in-flight dedup "
            "(like Apollo Gateway and hive-nodedup)" + tree_text,
            tree,
        ),
        "ours-asyncio": Gateway(
            "ours-asyncio",
            [*serve, "4106", "--loop", "asyncio", "--http", "h11"],
            4106,
            {},
            "our gateway on uvicorn --loop asyncio --http h11 (serve_ours.py)",
        ),
        "ours-uvloop": Gateway(
            "ours-uvloop",
            [*serve, "4103", "--loop", "uvloop", "--http", "httptools"],
            4103,
            {}
            if _importable("uvloop") and _importable("httptools")
            else {"PYTHONPATH": args.uvloop_path},
            "our gateway on uvicorn --loop uvloop --http httptools (serve_ours.py; from "
            + (
                "the venv"
                if _importable("uvloop") and _importable("httptools")
                else f"PYTHONPATH={args.uvloop_path}"
            )
            + ")",
        ),
        "ours-baseline": Gateway(
            "ours-baseline",
            [*ours, "4108"],
            4108,
            baseline_env,
            baseline_text + ", otherwise as `ours`",
            args.baseline_path,
        ),
        "ours-baseline-nodedup": Gateway(
            "ours-baseline-nodedup",
            [*ours, "4109"],
            4109,
            {**baseline_env, "SATU_ANAK_DEDUPLICATE": "0"},
            baseline_text + " with SATU_ANAK_DEDUPLICATE=0, otherwise as `ours-nodedup`",
            args.baseline_path,
        ),
        "apollo": Gateway(
            "apollo",
            [args.node, str(PEERS / "apollo.mjs"), sg, "4101", "127.0.0.1"],
            4101,
            NODE_ENV,
            "@apollo/gateway + @apollo/server standalone, 1 process",
        ),
        "hive": Gateway(
            "hive",
            [*hive, "--port", "4102"],
            4102,
            NODE_ENV,
            "hive-gateway supergraph --fork 1, defaults (no JIT, no inbound dedup; outbound "
            "dedup of identical in-flight subgraph requests is on by default)",
        ),
        "hive-nodedup": Gateway(
            "hive-nodedup",
            [*hive, "--port", "4105", "-c", str(PEERS / "hive-nodedup.config.mjs")],
            4105,
            NODE_ENV,
            "hive-gateway --fork 1 with outbound in-flight dedup turned off "
            "(like Apollo Gateway and ours-nodedup: every planned fetch is sent)",
        ),
        "hive-dedup": Gateway(
            "hive-dedup",
            [*hive, "--port", "4104", "--jit", "-c", str(PEERS / "hive-dedup.config.mjs")],
            4104,
            NODE_ENV,
            "hive-gateway --fork 1 --jit + inbound in-flight request dedup (+ default outbound "
            "dedup): The Guild's benchmark settings",
        ),
    }


def _importable(module: str) -> bool:
    """Whether the project's venv can import `module` (run.py itself runs in that venv)."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


def code_origin(env: dict[str, str]) -> Path | None:
    """The source tree a `satu-anak gateway` started with `env` imports `gateway` and `satu_anak`
    from (None when they come from different trees or do not import)."""
    out = subprocess.run(
        [
            str(VENV / "bin/python"),
            "-c",
            "import gateway, satu_anak; print(gateway.__file__); print(satu_anak.__file__)",
        ],
        env={**os.environ, **env},
        cwd="/",  # `python -c` puts the working directory first on sys.path; the script does not
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    trees = {Path(line).resolve().parent.parent for line in out.stdout.split()}
    return trees.pop() if out.returncode == 0 and len(trees) == 1 else None


def loaded_modules(pid: int) -> str:
    """Which event loop / HTTP parser a Python gateway really uses (from its memory map)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""
    loop = "uvloop" if "uvloop" in maps else "asyncio"
    parser = "httptools" if "httptools" in maps else "h11"
    client = ", aiohttp loaded" if "aiohttp" in maps else ""
    return f"{loop} + {parser}{client}"


def diff_paths(a: Any, b: Any, path: str = "$") -> list[str]:
    if type(a) is not type(b):
        return [f"{path}: {a!r:.80} != {b!r:.80}"]
    if isinstance(a, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{path}.{key}: missing on one side")
            else:
                out += diff_paths(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in diff_paths(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r:.80} != {b!r:.80}"]


def profile(pid: int, url: str, args: argparse.Namespace, label: str) -> dict[str, Any]:
    """py-spy the gateway under the same load; returns self/inclusive time per function."""
    pyspy = args.py_spy
    raw = RESULTS / f"profile-{label}.raw"
    loader = threading.Thread(
        target=lambda: wrk(
            url,
            RESULTS / "body.json",
            connections=args.connections,
            seconds=args.profile + 4,
            core=args.load_core,
        ),
        daemon=True,
    )
    loader.start()
    time.sleep(2)
    subprocess.run(
        [
            pyspy,
            "record",
            "-p",
            str(pid),
            "-d",
            str(int(args.profile)),
            "-r",
            "100",
            "-f",
            "raw",
            "--nonblocking",
            "-o",
            str(raw),
        ],
        capture_output=True,
        timeout=args.profile + 60,
        check=False,
    )
    loader.join(args.profile + 60)
    return summarise_profile(raw)


def summarise_profile(raw: Path) -> dict[str, Any]:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    if not raw.exists():
        return {"samples": 0, "self": [], "inclusive": []}
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        # Group by function (drop the line number) so a function's lines add up.
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
    pct = lambda n: round(100 * n / max(total, 1), 1)  # noqa: E731
    return {
        "samples": total,
        "self": [(f, pct(n)) for f, n in own.most_common(25)],
        "inclusive": [(f, pct(n)) for f, n in inclusive.most_common(60)],
    }


def start_checked(
    gw: Gateway, args: argparse.Namespace, urls: dict[str, str], expected: dict[str, Any]
) -> tuple[Proc | None, dict[str, Any]]:
    """Starts `gw` on the gateway core, waits until it answers and checks its answer to the
    query (and counts the subgraph fetches it makes). Returns (the process, or None when it
    failed or must not be loaded; the result so far, with "failure" set when it failed)."""
    result: dict[str, Any] = {"name": gw.name, "description": gw.description, "port": gw.port}
    if port_in_use(gw.port):
        result["failure"] = f"port {gw.port} is already in use"
        return None, result
    if gw.tree is not None:
        origin = code_origin(gw.env)
        result["code"] = str(origin)
        if origin != gw.tree.resolve():
            result["failure"] = f"imports gateway/satu_anak from {origin}, not from {gw.tree}"
            return None, result
    proc = Proc(f"gateway-{gw.name}", pinned(args.gateway_core, gw.argv), gw.env)
    url = f"http://127.0.0.1:{gw.port}/graphql"
    ready = wait_until(
        lambda: http("POST", url, b'{"query":"{ __typename }"}', timeout=5)[0] == 200, 90, proc
    )
    if not ready:
        result["failure"] = f"did not become ready:\n{proc.tail()}"
        proc.stop()
        return None, result
    if gw.name.startswith("ours"):
        result["runtime"] = loaded_modules(proc.pid)
    # Correctness, once, and how many subgraph fetches one request makes.
    reset_subgraphs(urls)
    status, body = http("POST", url, workload.BODY)
    fetches = {n: s["requests"] for n, s in subgraph_stats(urls).items()}
    result["fetches"] = fetches
    answer = (
        json.loads(body)
        if body[:1] == b"{"
        else {"unparsable": body[:200].decode(errors="replace")}
    )
    diffs = diff_paths(answer, expected)
    result["correct"] = status == 200 and not diffs
    if not result["correct"]:
        (RESULTS / f"answer-{gw.name}.json").write_text(json.dumps(answer, indent=1))
        result["failure"] = f"wrong answer (HTTP {status}): " + "; ".join(diffs[:5])
        if not args.force:
            proc.stop()
            return None, result
    return proc, result


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


# --- report --------------------------------------------------------------------------------------


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
            ["nproc"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "model": model,
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "kernel": platform.release(),
    }


def code_state(root: Path = ROOT) -> str:
    """The code under test: HEAD, and a digest of gateway/ when the work tree differs from it."""
    import hashlib

    def git(*argv: str) -> str:
        out = subprocess.run(["git", *argv], cwd=root, capture_output=True, text=True, check=False)
        return out.stdout

    head = git("rev-parse", "--short", "HEAD").strip() or "?"
    # --no-optional-locks: a read-only look that never takes the index lock.
    status = git("--no-optional-locks", "status", "--porcelain", "--", "gateway", "satu_anak")
    dirty = [line[3:] for line in status.splitlines() if len(line) > 3]
    if not dirty:
        return f"git {head} (gateway/ and satu_anak/ clean)"
    digest = hashlib.sha256()
    for path in sorted((root / "gateway").rglob("*.py")):
        digest.update(path.read_bytes())
    return (
        f"git {head} + uncommitted changes in {len(dirty)} paths "
        f"({', '.join(sorted(dirty)[:6])}{', ...' if len(dirty) > 6 else ''}) "
        f"(sha256 of gateway/**/*.py: {digest.hexdigest()[:12]})"
    )


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


# --- main ----------------------------------------------------------------------------------------


def prepare_baseline(args: argparse.Namespace, names: list[str]) -> Path | None:
    """Sets args.baseline_path / args.baseline_label for the ours-baseline* gateways; returns a
    temp dir to remove at the end (--baseline-rev) or None."""
    args.baseline_path, args.baseline_label = None, ""
    if not any(n in BASELINE_GATEWAYS for n in names):
        if args.baseline_tree or args.baseline_rev:
            raise SystemExit("--baseline-tree/--baseline-rev need ours-baseline in --gateways")
        return None
    if bool(args.baseline_tree) == bool(args.baseline_rev):
        raise SystemExit(
            "ours-baseline needs exactly one of --baseline-tree DIR, --baseline-rev REV"
        )
    if args.baseline_tree:
        tree = Path(args.baseline_tree).resolve()
        if not (tree / "gateway" / "__init__.py").exists() or not (tree / "satu_anak").is_dir():
            raise SystemExit(f"--baseline-tree {tree} has no gateway/ and satu_anak/ packages")
        args.baseline_path, args.baseline_label = tree, f"{tree}: {code_state(tree)}"
        return None

    def git(*argv: str) -> str:
        return subprocess.run(
            ["git", *argv], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        sha = git("rev-parse", "--verify", "--end-of-options", f"{args.baseline_rev}^{{commit}}")
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"--baseline-rev {args.baseline_rev}: {error.stderr.strip()}") from None
    subject = git("log", "-1", "--format=%s", sha)
    tmp = Path(tempfile.mkdtemp(prefix=f"satu-bench-{sha[:9]}-"))
    # `git archive` reads the object database only: the work tree, index and refs stay as they are.
    archive = subprocess.Popen(
        ["git", "archive", "--format=tar", sha], cwd=ROOT, stdout=subprocess.PIPE
    )
    untar = subprocess.run(["tar", "-x", "-C", str(tmp)], stdin=archive.stdout, check=False)
    assert archive.stdout is not None
    archive.stdout.close()
    if archive.wait() != 0 or untar.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SystemExit(f"could not extract {sha} with git archive")
    args.baseline_path = tmp
    args.baseline_label = f"git {sha[:9]} «{subject}», extracted to {tmp}"
    return tmp


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
        and not (_importable("uvloop") and _importable("httptools"))
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
