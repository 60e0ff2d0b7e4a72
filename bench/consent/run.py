"""Benchmark: consent enforcement on vs off, side by side over the same subgraphs and data.

Run: .venv/bin/python bench/consent/run.py [--rounds 6 --requests 200 --warmup 30]

Starts, once, over one freshly seeded data folder (a temp dir): the five subgraphs, the
development issuer, and two gateways over the same subgraphs — `on` (config/gateway.toml:
[consent]) and `off` (no [consent]; same issuer, same grant key, so the subgraphs accept it and
every request carries the same token and purpose). For each workload (the one-child, four-agency
picture; a 50-child list page) it sends, sequentially over one keep-alive connection, rounds of
requests to `on` and `off` in alternating order (on off, off on, ...) and records per request:

* wall latency at the client;
* the gateway's CPU for that request: the sum over the gateway's threads of
  /proc/<pid>/task/*/schedstat's run time (nanoseconds), read before sending and after the
  answer arrives (client sequential, so nothing else runs in the gateway meanwhile; work done
  after the answer is sent lands in the next request). Cross-check: utime+stime from
  /proc/<pid>/stat over the round, divided by the requests.

Round trips are counted at the subgraphs' side by a counting reverse proxy (proxy.py): two more
gateways, `on` and `off` configured as the timed ones but with their subgraph URLs pointing at
the proxy, each answer a few requests per workload; the proxy's count divided by the requests is
the HTTP requests to subgraphs per request, by subgraph. The timed gateways never go through it.

Prints the table and writes bench/consent/RESULTS.md (--no-write: print only); logs go to
bench/consent/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS_DIR = HERE / "results"
SUBGRAPHS = ("disdukcapil", "dinsos", "pkh", "balai", "consent")
GATEWAY_CONFIG = ROOT / "config" / "gateway.toml"


def _planning_module() -> ModuleType:
    """bench/planning.py (a script beside this one, not a package): its PICTURE is the query."""
    spec = importlib.util.spec_from_file_location("bench_planning", HERE.parent / "planning.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# bench/planning.py's one-child, four-agency query (the README's, plus a few fields per agency).
PICTURE: str = _planning_module().PICTURE

# The same child's identity fields only (one agency): what consent costs a request whatever it asks.
IDENTITY = """
query Identity($id: ID!) {
  child(id: $id) { id name sex birthYear }
}
"""

LIST_PAGE = """
query Page($first: Int!) {
  searchChildren(first: $first) {
    nodes {
      id name sex birthYear kabupatenCode documentStatus
      welfare { decile status }
      complaints { status problemCategory }
      placements { startedOn endedOn }
      pkh { compliance { latestCompliant } }
    }
  }
}
"""


@dataclass(frozen=True)
class Workload:
    name: str
    query: str
    variables: dict[str, object]
    role: str
    user: str
    purpose: str


def workloads(args: argparse.Namespace) -> list[Workload]:
    return [
        Workload(
            "picture",
            PICTURE,
            {"id": args.child},
            "balai_caseworker",
            "balai-rumbai-assigned",
            "case.management",
        ),
        Workload(
            "identity",
            IDENTITY,
            {"id": args.child},
            "balai_caseworker",
            "balai-rumbai-assigned",
            "case.management",
        ),
        Workload(
            "list50",
            LIST_PAGE,
            {"first": 50},
            args.list_role,
            args.list_user,
            args.list_purpose,
        ),
    ]


# --- processes -------------------------------------------------------------------------------


class Proc:
    """A child process in its own session (stopping it stops its children), logging to a file."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], log_dir: Path | None = None
    ) -> None:
        log_dir = log_dir or RESULTS_DIR
        log_dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        self._log.close()


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def wait_healthy(procs: dict[str, tuple[Proc, int]], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(procs)
    while pending:
        for name, (proc, port) in list(pending.items()):
            if not proc.alive():
                raise SystemExit(f"{name} exited during start-up; see {proc.log_path}")
            if healthy(port):
                del pending[name]
        if time.monotonic() > deadline:
            raise SystemExit(f"not healthy after {timeout:.0f} s: {', '.join(pending)}")
        time.sleep(0.2)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "satu_anak.cli", *args]


# Settings of the environment that would point a started process elsewhere than the bench's own
# data folder and keys, or give the gateway an access log it is not meant to have.
FOREIGN_SETTINGS = (
    "SATU_ANAK_GRANT_KEY",
    "SATU_ANAK_AUDIT_URL",
    "SATU_ANAK_AUDIT_LOOKUP_KEY",
    "SATU_ANAK_AUDIT_KEY",
    "SATU_ANAK_AUDIT_DATABASE_URL",
)


def bench_env(data: Path) -> dict[str, str]:
    """The environment of every started process: this data folder, none of the caller's keys."""
    # Rate limits off: the load comes from one address and a few users, at many times a
    # human's rate (bench/trail shares this environment).
    env = {**os.environ, "SATU_ANAK_DATA_DIR": str(data), "SATU_ANAK_RATE_LIMIT": "off"}
    for name in FOREIGN_SETTINGS:
        env.pop(name, None)
    return env


def seed_data(env: dict[str, str], children: int, seed: int) -> None:
    subprocess.run(
        cli("seed", "--children", str(children), "--seed", str(seed)),
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def enforcement_config(folder: Path, source: Path = GATEWAY_CONFIG) -> Path:
    """A copy of config/gateway.toml without its [audit] table, in `folder`: the enforcement-only
    gateway (with [audit] and no access log URL the gateway refuses to start)."""
    kept: list[str] = []
    skipping = False
    for line in source.read_text().splitlines(keepends=True):
        header = line.strip()
        if header.startswith("["):
            name = header.strip("[]").strip()
            skipping = name == "audit" or name.startswith("audit.")
            while skipping and kept and kept[-1].lstrip().startswith("#"):
                kept.pop()  # the table's comment goes with it
        if not skipping:
            kept.append(line)
    text = "".join(kept)
    parsed = tomllib.loads(text)
    if "audit" in parsed or "consent" not in parsed:
        raise SystemExit(f"could not take [audit] out of {source}")
    out = folder / "gateway-enforcement.toml"
    out.write_text(text)
    return out


def start_backends(
    env: dict[str, str],
    ports: dict[str, int],
    issuer_port: int,
    procs: list[Proc],
    log_dir: Path | None = None,
) -> tuple[str, Path]:
    """The grant and audit key pairs in the data folder (as `satu-anak up` makes them), the five
    subgraphs (requiring the gateway's grants; the consent service keeps the access log) and the
    development issuer, healthy. Returns the issuer's URL and the grant's private key."""
    from satu_anak.up import grant_key_pair
    from subgraphs.consent.audit.service import key_pair as audit_key_pair

    data = Path(env["SATU_ANAK_DATA_DIR"])
    grant_key, grant_public = grant_key_pair(data)
    audit_key_pair(data)
    issuer_url = f"http://127.0.0.1:{issuer_port}"
    subgraph_env = {**env, "SATU_ANAK_GATEWAY_PUBLIC_KEY": str(grant_public)}
    started: dict[str, tuple[Proc, int]] = {}
    for name, port in ports.items():
        proc = Proc(
            name,
            cli("serve", name, "--port", str(port), "--log-level", "warning"),
            subgraph_env,
            log_dir,
        )
        procs.append(proc)
        started[name] = (proc, port)
    issuer = Proc(
        "issuer",
        cli("issuer", "--port", str(issuer_port), "--url", issuer_url, "--log-level", "warning"),
        env,
        log_dir,
    )
    procs.append(issuer)
    started["issuer"] = (issuer, issuer_port)
    wait_healthy(started)
    return issuer_url, grant_key


def start_gateway(
    name: str,
    port: int,
    env: dict[str, str],
    *,
    issuer_url: str,
    grant_key: Path,
    subgraph_urls: dict[str, str],
    config: Path | None,
    procs: list[Proc],
    log_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Proc:
    """A gateway (`--dev`) over `subgraph_urls` (name -> URL), with `config` (None: no config
    file, so no [consent]), the issuer's tokens and the grant key."""
    gateway_env = {
        **env,
        "SATU_ANAK_AUTH_ISSUER": issuer_url,
        "SATU_ANAK_GRANT_KEY": str(grant_key),
        **{f"SATU_ANAK_{n.upper()}_SUBGRAPH_URL": url for n, url in subgraph_urls.items()},
        **(extra_env or {}),
    }
    options = ["--config", str(config)] if config is not None else []
    proc = Proc(
        name,
        cli("gateway", *options, "--port", str(port), "--dev", "--log-level", "warning"),
        gateway_env,
        log_dir,
    )
    procs.append(proc)
    return proc


def token(workload: Workload, issuer_url: str, env: dict[str, str]) -> str:
    """The workload's sample user's access token from the development issuer."""
    out = subprocess.run(
        cli("token", workload.role, "--user", workload.user, "--issuer", issuer_url),
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


# --- measuring -------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def thread_cpu_ns(pid: int) -> int:
    """Run time of all the process's threads, nanoseconds (schedstat's first field)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError, IndexError, ValueError):  # a thread that ended
            total += int((task / "schedstat").read_text().split()[0])
    return total


def process_cpu_s(pid: int) -> float:
    """utime + stime of the process (all threads), seconds, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Client:
    """One keep-alive connection to a gateway, sending one workload's request."""

    def __init__(self, port: int, workload: Workload, token: str, plan: bool = False) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.body = json.dumps({"query": workload.query, "variables": workload.variables})
        self.headers = {
            "content-type": "application/json",
            "accept": "application/json",
            "authorization": f"Bearer {token}",
            "x-satu-anak-purpose": workload.purpose,
        }
        if plan:
            self.headers["x-satu-anak-plan"] = "1"

    def send(self) -> dict[str, object]:
        self.connection.request("POST", "/graphql", self.body, self.headers)
        answer = self.connection.getresponse()
        data = answer.read()
        if answer.status != 200:
            raise SystemExit(f"HTTP {answer.status}: {data[:500]!r}")
        result: dict[str, object] = json.loads(data)
        return result

    def close(self) -> None:
        self.connection.close()


@dataclass
class Round:
    latencies_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # per request, from schedstat
    cpu_mean_stat_ms: float = 0.0  # utime+stime over the round / requests


def measure(client: Client, pid: int, warmup: int, requests: int) -> Round:
    # A fresh connection each round: uvicorn closes one idle for 5 s (the other side's round).
    client.connection.close()
    for _ in range(warmup):
        client.send()
    result = Round()
    stat_before = process_cpu_s(pid)
    for _ in range(requests):
        cpu_before = thread_cpu_ns(pid)
        start = time.perf_counter()
        client.send()
        elapsed = time.perf_counter() - start
        result.cpu_ms.append((thread_cpu_ns(pid) - cpu_before) / 1e6)
        result.latencies_ms.append(elapsed * 1e3)
    result.cpu_mean_stat_ms = (process_cpu_s(pid) - stat_before) * 1e3 / requests
    return result


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def summarize_answer(answer: dict[str, object]) -> str:
    """Nodes answered and fields nulled, to show what each side returned."""
    data = answer.get("data") or {}
    errors = answer.get("errors") or []
    nulls = 0

    def walk(value: object) -> None:
        nonlocal nulls
        if value is None:
            nulls += 1
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    nodes = ""
    if isinstance(data, dict) and isinstance(data.get("searchChildren"), dict):
        nodes = f"{len(data['searchChildren'].get('nodes', []))} nodes, "
    codes: dict[str, int] = {}
    for error in errors:  # type: ignore[attr-defined]
        code = str((error.get("extensions") or {}).get("code", "?"))
        codes[code] = codes.get(code, 0) + 1
    detail = f" ({', '.join(f'{c} {n}' for c, n in sorted(codes.items()))})" if codes else ""
    return f"{nodes}{nulls} nulls, {len(errors)} errors{detail}"  # type: ignore[arg-type]


# --- the run ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="consent enforcement on vs off")
    parser.add_argument("--rounds", type=int, default=6, help="rounds per side and workload")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per round")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured requests per round")
    parser.add_argument("--count-requests", type=int, default=5, help="round-trip pass requests")
    parser.add_argument("--children", type=int, default=2000, help="children seeded")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--base-port", type=int, default=4700)
    parser.add_argument("--child", default="ANK000000003", help="the picture's child")
    parser.add_argument("--list-role", default="dinsos_officer")
    parser.add_argument("--list-user", default="dinsos-pekanbaru")
    parser.add_argument("--list-purpose", default="child.protection")
    parser.add_argument(
        "--only", choices=("picture", "identity", "list50"), help="one workload only"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the `on` gateway for 20 s per workload, after its rounds (needs py-spy)",
    )
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy command for --profile")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.requests < 1 or args.warmup < 0 or args.count_requests < 1:
        parser.error("--rounds, --requests, --count-requests must be >= 1; --warmup >= 0")
    return args


def machine() -> str:
    """The CPU model, cores, memory, Python and OS, then lscpu's first lines."""

    def run(*argv: str) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=False).stdout
        except OSError:
            return ""

    lscpu_lines = run("lscpu").splitlines()
    model = next(
        (line.split(":", 1)[1].strip() for line in lscpu_lines if line.startswith("Model name")),
        platform.processor() or "?",
    )
    memory = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    lscpu = "\n".join(lscpu_lines[:12])
    return (
        f"{model}; nproc: {run('nproc').strip()}; memory {memory}; "
        f"Python {platform.python_version()}; {platform.platform()}\n\n```\n{lscpu}\n```"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base = args.base_port
    ports = {name: base + i for i, name in enumerate(SUBGRAPHS, start=1)}
    issuer_port, on_port, off_port, proxy_port = base + 9, base + 10, base + 11, base + 12
    on_counted_port, off_counted_port = base + 13, base + 14
    for port in (
        *ports.values(),
        issuer_port,
        on_port,
        off_port,
        proxy_port,
        on_counted_port,
        off_counted_port,
    ):
        if healthy(port):
            raise SystemExit(f"port {port} is in use; pick another --base-port")

    data = Path(tempfile.mkdtemp(prefix="satu-consent-bench-"))
    env = bench_env(data)
    procs: list[Proc] = []
    try:
        print(f"seeding {args.children} children into {data} ...", flush=True)
        seed_data(env, args.children, args.seed)
        issuer_url, grant_key = start_backends(env, ports, issuer_port, procs)
        proxy = Proc(
            "proxy",
            [
                sys.executable,
                str(HERE / "proxy.py"),
                "--port",
                str(proxy_port),
                *(f"{n}=http://127.0.0.1:{p}/graphql" for n, p in ports.items()),
            ],
            env,
        )
        procs.append(proxy)
        # The `on` gateway: config/gateway.toml's [consent], without its [audit] (bench/trail
        # measures the access log).
        on_config = enforcement_config(data)

        def gateway(name: str, port: int, consent: bool, via_proxy: bool) -> Proc:
            urls = {
                n: (
                    f"http://127.0.0.1:{proxy_port}/{n}/graphql"
                    if via_proxy
                    else f"http://127.0.0.1:{p}/graphql"
                )
                for n, p in ports.items()
            }
            return start_gateway(
                name,
                port,
                env,
                issuer_url=issuer_url,
                grant_key=grant_key,
                subgraph_urls=urls,
                config=on_config if consent else None,
                procs=procs,
            )

        gateways = {
            "on": gateway("gateway-on", on_port, True, False),
            "off": gateway("gateway-off", off_port, False, False),
            "on-counted": gateway("gateway-on-counted", on_counted_port, True, True),
            "off-counted": gateway("gateway-off-counted", off_counted_port, False, True),
        }
        gw_ports = {
            "on": on_port,
            "off": off_port,
            "on-counted": on_counted_port,
            "off-counted": off_counted_port,
        }
        wait_healthy(
            {"proxy": (proxy, proxy_port), **{k: (gateways[k], gw_ports[k]) for k in gateways}}
        )
        print("up: 5 subgraphs, issuer, proxy, 4 gateways", flush=True)

        report: dict[str, dict[str, object]] = {}
        for workload in workloads(args):
            if args.only and workload.name != args.only:
                continue
            tok = token(workload, issuer_url, env)
            answers = {side: Client(gw_ports[side], workload, tok).send() for side in ("on", "off")}
            shapes = {side: summarize_answer(a) for side, a in answers.items()}
            for side, answer in answers.items():
                RESULTS_DIR.joinpath(f"answer-{workload.name}-{side}.json").write_text(
                    json.dumps(answer, indent=1)
                )
            print(f"\n{workload.name}: on: {shapes['on']}; off: {shapes['off']}", flush=True)
            # Round trips, counted by the proxy.
            trips: dict[str, dict[str, float]] = {}
            for side in ("on", "off"):
                client = Client(gw_ports[f"{side}-counted"], workload, tok)
                client.send()  # warm the plan cache and connections (not counted)
                urllib.request.urlopen(
                    urllib.request.Request(f"http://127.0.0.1:{proxy_port}/reset", method="POST"),
                    timeout=5,
                ).read()
                for _ in range(args.count_requests):
                    client.send()
                client.close()
                with urllib.request.urlopen(f"http://127.0.0.1:{proxy_port}/counts") as answer:
                    counts = json.loads(answer.read())
                trips[side] = {n: c / args.count_requests for n, c in sorted(counts.items())}
                print(
                    f"  round trips {side}: {sum(trips[side].values()):g} {trips[side]}", flush=True
                )
            # Timed rounds, alternating order.
            rounds: dict[str, list[Round]] = {"on": [], "off": []}
            clients = {side: Client(gw_ports[side], workload, tok) for side in ("on", "off")}
            for r in range(args.rounds):
                order = ("on", "off") if r % 2 == 0 else ("off", "on")
                for side in order:
                    result = measure(clients[side], gateways[side].pid, args.warmup, args.requests)
                    rounds[side].append(result)
                    print(
                        f"  round {r + 1} {side:>3}: cpu p50 {statistics.median(result.cpu_ms):.2f}"
                        f" ms (stat mean {result.cpu_mean_stat_ms:.2f}), latency p50 "
                        f"{percentile(result.latencies_ms, 0.5):.2f} p99 "
                        f"{percentile(result.latencies_ms, 0.99):.2f} ms",
                        flush=True,
                    )
            for client in clients.values():
                client.close()
            report[workload.name] = {
                "rounds": rounds,
                "trips": trips,
                "shapes": shapes,
                "workload": workload,
            }
            if args.profile:
                profile(
                    args.py_spy,
                    gateways["on"].pid,
                    Client(on_port, workload, tok),
                    RESULTS_DIR / f"profile-on-{workload.name}.txt",
                )
        text = render(report, args)
        print("\n" + text)
        if not args.no_write:
            (HERE / "RESULTS.md").write_text(
                "# Consent enforcement: on vs off\n\nMade by `"
                + " ".join([".venv/bin/python bench/consent/run.py", *(argv or sys.argv[1:])])
                + f"` on "
                f"{time.strftime('%Y-%m-%d')}.\n\n{text}\n\n## Machine\n\n{machine()}\n"
            )
            print(f"wrote {HERE / 'RESULTS.md'}")
        return 0
    finally:
        for proc in reversed(procs):
            proc.stop()
        shutil.rmtree(data, ignore_errors=True)


def profile(py_spy: str, pid: int, client: Client, out: Path) -> None:
    """py-spy the `on` gateway for 20 s while a client sends the workload's requests; writes collapsed
    stacks to `out` and prints the functions with the most samples."""
    spy = shutil.which(py_spy)
    if spy is None:
        print(f"{py_spy} not found: no profile", flush=True)
        return
    seconds = 20
    sampler = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
            "--rate",
            "500",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        client.send()
    sampler.wait(timeout=60)
    client.close()
    print(f"profile (collapsed stacks): {out}", flush=True)
    if out.exists():
        for line in top_frames(out.read_text()):
            print("  " + line, flush=True)


def top_frames(collapsed: str, limit: int = 25) -> list[str]:
    """Inclusive samples per function (file:function) from py-spy's collapsed stacks."""
    inclusive: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        total += int(count)
        seen = set()
        for frame in stack.split(";"):
            name = frame.split(" (")[0] + " " + frame.split(" (")[-1].split(":")[0].rstrip(")")
            if name not in seen:
                seen.add(name)
                inclusive[name] = inclusive.get(name, 0) + int(count)
    ranked = sorted(inclusive.items(), key=lambda item: -item[1])[:limit]
    return [f"{100 * n / max(total, 1):5.1f}%  {name}" for name, n in ranked]


def render(report: dict[str, dict[str, object]], args: argparse.Namespace) -> str:
    lines = [
        f"{args.rounds} rounds per side and workload, alternating order (on off, off on, ...); "
        f"{args.requests} measured requests a round after {args.warmup} warm-up ones; one "
        "sequential client over a keep-alive connection. Figures are the median over rounds of "
        "each round's figure. Gateway CPU per request: the gateway's threads' run time "
        "(/proc/<pid>/task/*/schedstat) read before and after each request; `stat mean` is "
        "utime+stime (/proc/<pid>/stat, 10 ms ticks) over the round divided by its requests. "
        "Added = on - off. Round trips: HTTP requests the gateway made to subgraphs per "
        f"request, counted by a counting proxy over {args.count_requests} requests per side.",
        "",
        "| workload | side | gateway CPU p50 ms | CPU stat mean ms | latency p50 ms "
        "| latency p99 ms | subgraph round trips | answer |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    added_lines = []
    for name, entry in report.items():
        rounds: dict[str, list[Round]] = entry["rounds"]  # type: ignore[assignment]
        trips: dict[str, dict[str, float]] = entry["trips"]  # type: ignore[assignment]
        shapes: dict[str, str] = entry["shapes"]  # type: ignore[assignment]
        med: dict[str, dict[str, float]] = {}
        for side in ("on", "off"):
            rs = rounds[side]
            med[side] = {
                "cpu": statistics.median(statistics.median(r.cpu_ms) for r in rs),
                "stat": statistics.median(r.cpu_mean_stat_ms for r in rs),
                "p50": statistics.median(percentile(r.latencies_ms, 0.5) for r in rs),
                "p99": statistics.median(percentile(r.latencies_ms, 0.99) for r in rs),
            }
            by_subgraph = ", ".join(f"{n} {c:g}" for n, c in trips[side].items())
            lines.append(
                f"| {name} | {side} | {med[side]['cpu']:.2f} | {med[side]['stat']:.2f} "
                f"| {med[side]['p50']:.2f} | {med[side]['p99']:.2f} "
                f"| {sum(trips[side].values()):g} ({by_subgraph}) | {shapes[side]} |"
            )
        added = [
            statistics.median(on.cpu_ms) - statistics.median(off.cpu_ms)
            for on, off in zip(rounds["on"], rounds["off"], strict=True)
        ]
        added_lines.append(
            f"- **{name}**: added gateway CPU (p50 on - p50 off) {med['on']['cpu'] - med['off']['cpu']:.2f}"
            f" ms/request (per-round {', '.join(f'{a:.2f}' for a in added)}); CPU ratio on/off "
            f"x{med['on']['cpu'] / med['off']['cpu']:.2f}; latency p50 ratio "
            f"x{med['on']['p50'] / med['off']['p50']:.2f}, p99 ratio "
            f"x{med['on']['p99'] / med['off']['p99']:.2f}"
        )
    workload_lines = []
    for name, entry in report.items():
        w: Workload = entry["workload"]  # type: ignore[assignment]
        workload_lines.append(
            f"- **{name}**: as `{w.user}` ({w.role}), purpose `{w.purpose}`, variables "
            f"`{json.dumps(w.variables)}` (queries in run.py)"
        )
    return "\n".join([*lines, "", *added_lines, "", *workload_lines])


if __name__ == "__main__":
    raise SystemExit(main())
