"""Benchmark: the gateway under hostile input and failing agencies (issue 9), before and after.

Run (from any checkout; --source is the tree whose gateway and subgraphs are started):

    .venv/bin/python bench/hostile/run.py --source /work/wt-before --label before
    .venv/bin/python bench/hostile/run.py --label after          # --source: this checkout
    .venv/bin/python bench/hostile/run.py --compare bench/hostile/results/before.json \
        bench/hostile/results/after.json                        # the markdown table

Starts, from the source tree (PYTHONPATH=<source>, cwd <source>, this venv's Python), over one
freshly seeded data folder (a temp dir): the five real subgraphs and the development issuer, each
under an address-space cap (RLIMIT_AS, --mem-cap-mb); then, for every scenario, a fresh gateway
(the tree's `satu-anak gateway` over its own schema/supergraph.graphql, no [consent], no [audit],
the issuer's tokens and the grant key, so that the subgraphs accept it; also capped), runs the
scenario with a wall-clock cap (--wall-cap) and stops the gateway. A sampler reads every process's
VmRSS from /proc every 20 ms (and VmHWM, reset through /proc/PID/clear_refs where the kernel
allows) for the peak RSS. Subgraphs a scenario may have poisoned (a deep query keeps computing
after the gateway gives up) are restarted after it, and any that died.

Writes bench/hostile/results/<label>.json (git-ignored) and prints the table; see README.md for the
scenarios and RESULTS.md for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RESULTS_DIR = HERE / "results"
SUBGRAPHS = ("disdukcapil", "dinsos", "pkh", "balai", "consent")
FAKE = HERE / "fake_agency.py"
PURPOSE_HEADER = "x-satu-anak-purpose"
# Sample users (auth/sample_users.py) and the purpose each scenario asks with.
OFFICER = ("dinsos_officer", "dinsos-pekanbaru", "child.protection")
SUPERVISOR = ("balai_supervisor", "balai-rumbai-supervisor", "case.management")
# Settings of the caller's environment that would point a started process elsewhere.
FOREIGN_PREFIXES = ("SATU_ANAK_", "OTEL_")


def fake_agency_module() -> Any:
    """bench/hostile/fake_agency.py (a script beside this one), for its leak markers."""
    import importlib.util

    name = "bench_hostile_fake_agency"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FAKE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# --- processes ---------------------------------------------------------------------------------


def address_space_cap(megabytes: int) -> Callable[[], None]:
    """A preexec_fn: the child's address space capped at `megabytes` (allocations past it fail:
    Python raises MemoryError, which may or may not end the process)."""

    def apply() -> None:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


class Proc:
    """A child process in its own session, logging to a file, optionally memory-capped."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        cwd: Path,
        log_dir: Path,
        cap_mb: int | None = None,
    ) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.argv = argv
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=address_space_cap(cap_mb) if cap_mb else None,
        )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, since: int = 0) -> str:
        with contextlib.suppress(OSError), self.log_path.open("rb") as log:
            log.seek(since)
            return log.read()[-20000:].decode("utf-8", "replace")
        return ""

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=8)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)
        self._log.close()


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        # As the servers bind (SO_REUSEADDR): a stopped gateway's connections in TIME_WAIT do not
        # keep the next one from its port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def answers_http(port: int, path: str = "/health") -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as answer:
            return bool(answer.status < 500)
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


def answers_graphql(port: int) -> bool:
    """Whether a POST /graphql gets any HTTP answer within a second (the gateway is up even when
    its /health says 503 because an agency is down, which some scenarios arrange)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=b'{"query": "{ __typename }"}',
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_up(
    procs: dict[str, tuple[Proc, int]],
    timeout: float = 90,
    probe: Callable[[int], bool] = answers_http,
) -> None:
    """Until each answers `probe` on its port (by default GET /health below 500)."""
    deadline = time.monotonic() + timeout
    pending = dict(procs)
    while pending:
        for name, (proc, port) in list(pending.items()):
            if not proc.alive():
                raise RuntimeError(f"{name} exited during start-up; see {proc.log_path}")
            if probe(port):
                del pending[name]
        if time.monotonic() > deadline:
            raise RuntimeError(f"not up after {timeout:.0f} s: {', '.join(pending)}")
        time.sleep(0.1)


# --- memory ------------------------------------------------------------------------------------


def status_kb(pid: int, key: str) -> int | None:
    """A field of /proc/PID/status in kB (VmRSS, VmHWM), None when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def reset_peak(pid: int) -> bool:
    """Resets the process's VmHWM to its current RSS (Linux >= 4.0, our own children)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Sampler:
    """Every `interval` s, VmRSS of each watched process; the peak is the larger of the samples'
    maximum and VmHWM (when it could be reset at the start, so that it covers this window)."""

    def __init__(self, pids: dict[str, int], interval: float = 0.02) -> None:
        self.pids = dict(pids)
        self.interval = interval
        self.peak_kb: dict[str, int] = dict.fromkeys(pids, 0)
        self.peak_vm_kb: dict[str, int] = dict.fromkeys(pids, 0)
        self.start_kb: dict[str, int] = {}
        self.reset = {name: reset_peak(pid) for name, pid in pids.items()}
        for name, pid in pids.items():
            self.start_kb[name] = status_kb(pid, "VmRSS") or 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                rss = status_kb(pid, "VmRSS")
                if rss is not None and rss > self.peak_kb[name]:
                    self.peak_kb[name] = rss
                size = status_kb(pid, "VmSize")  # address space: what RLIMIT_AS caps
                if size is not None and size > self.peak_vm_kb[name]:
                    self.peak_vm_kb[name] = size
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        for name, pid in self.pids.items():
            if self.reset[name]:
                hwm = status_kb(pid, "VmHWM")
                if hwm is not None and hwm > self.peak_kb[name]:
                    self.peak_kb[name] = hwm

    def peak_mb(self, name: str) -> float:
        return round(self.peak_kb.get(name, 0) / 1024, 1)

    def now_mb(self, name: str) -> float:
        return round((status_kb(self.pids[name], "VmRSS") or 0) / 1024, 1)


# --- the system under test ---------------------------------------------------------------------


@dataclass
class System:
    args: argparse.Namespace
    source: Path
    data: Path
    env: dict[str, str]
    log_dir: Path
    subgraph_ports: dict[str, int]
    issuer_port: int
    gateway_port: int
    fake_port: int
    grant_key: Path = Path()
    grant_public: Path = Path()
    subgraphs: dict[str, Proc] = field(default_factory=dict)
    issuer: Proc | None = None
    gateway: Proc | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)  # ids the scenarios ask about

    def cli(self, *argv: str) -> list[str]:
        return [sys.executable, "-m", "satu_anak.cli", *argv]

    def python(self, code: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", code],
            env=self.env,
            cwd=self.source,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    @property
    def issuer_url(self) -> str:
        return f"http://127.0.0.1:{self.issuer_port}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}/graphql"

    def check_tree(self) -> str:
        """Which files the started processes import (they must be the source tree's), and its
        commit."""
        where = self.python(
            "import gateway, satu_anak, subgraphs, auth; "
            "print(gateway.__file__); print(satu_anak.__file__); print(subgraphs.__file__)"
        ).split()
        outside = [p for p in where if not Path(p).resolve().is_relative_to(self.source)]
        if outside:
            raise SystemExit(f"--source {self.source}: the packages load from elsewhere: {outside}")
        commit = subprocess.run(
            ["git", "-C", str(self.source), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        return commit or "?"

    def prepare(self) -> None:
        subprocess.run(
            self.cli("seed", "--children", str(self.args.children), "--seed", str(self.args.seed)),
            env=self.env,
            cwd=self.source,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        out = self.python(
            "import sys; from pathlib import Path; from satu_anak.up import grant_key_pair; "
            "from subgraphs.consent.audit.service import key_pair; "
            f"d = Path({str(self.data)!r}); k, p = grant_key_pair(d); key_pair(d); print(k); print(p)"
        ).split()
        self.grant_key, self.grant_public = Path(out[0]), Path(out[1])

    def start_subgraph(self, name: str) -> Proc:
        env = {**self.env, "SATU_ANAK_GATEWAY_PUBLIC_KEY": str(self.grant_public)}
        port = self.subgraph_ports[name]
        proc = Proc(
            name,
            self.cli("serve", name, "--port", str(port), "--log-level", "warning"),
            env,
            self.source,
            self.log_dir,
            self.args.mem_cap_mb,
        )
        self.subgraphs[name] = proc
        return proc

    def start_backends(self) -> None:
        started = {
            name: (self.start_subgraph(name), self.subgraph_ports[name]) for name in SUBGRAPHS
        }
        self.issuer = Proc(
            "issuer",
            self.cli(
                "issuer",
                "--port",
                str(self.issuer_port),
                "--url",
                self.issuer_url,
                "--log-level",
                "warning",
            ),
            self.env,
            self.source,
            self.log_dir,
        )
        started["issuer"] = (self.issuer, self.issuer_port)
        wait_up(started)

    def restart_subgraph(self, name: str) -> None:
        self.subgraphs[name].stop()
        wait_port_free(self.subgraph_ports[name])
        wait_up({name: (self.start_subgraph(name), self.subgraph_ports[name])})

    def token(self, who: tuple[str, str, str]) -> str:
        role, user, _ = who
        if user not in self.tokens:
            self.tokens[user] = subprocess.run(
                self.cli("token", role, "--user", user, "--issuer", self.issuer_url),
                env=self.env,
                cwd=self.source,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        return self.tokens[user]

    def headers(self, who: tuple[str, str, str] = OFFICER) -> dict[str, str]:
        return {
            "authorization": f"Bearer {self.token(who)}",
            PURPOSE_HEADER: who[2],
            "content-type": "application/json",
            # As a current GraphQL-over-HTTP client asks: refusals then carry their 4xx status
            # (with application/json alone, the spec answers them 200).
            "accept": "application/graphql-response+json, application/json;q=0.9",
        }

    def start_gateway(self, extra_env: dict[str, str] | None = None) -> Proc:
        urls = {
            f"SATU_ANAK_{n.upper()}_SUBGRAPH_URL": f"http://127.0.0.1:{p}/graphql"
            for n, p in self.subgraph_ports.items()
        }
        env = {
            **self.env,
            "SATU_ANAK_AUTH_ISSUER": self.issuer_url,
            "SATU_ANAK_GRANT_KEY": str(self.grant_key),
            **urls,
            **self.args.gateway_env,
            **(extra_env or {}),
        }
        options = ["--config", str(self.args.gateway_config)] if self.args.gateway_config else []
        wait_port_free(self.gateway_port)
        self.gateway = Proc(
            "gateway",
            self.cli(
                "gateway", *options, "--port", str(self.gateway_port), "--log-level", "warning"
            ),
            env,
            self.source,
            self.log_dir,
            self.args.mem_cap_mb,
        )
        wait_up({"gateway": (self.gateway, self.gateway_port)}, probe=answers_graphql)
        return self.gateway

    def stop_gateway(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None

    def start_fake(self, mode: str) -> Proc:
        wait_port_free(self.fake_port)
        proc = Proc(
            f"fake-{mode}",
            [
                sys.executable,
                str(FAKE),
                "--mode",
                mode,
                "--port",
                str(self.fake_port),
                "--huge-mb",
                str(self.args.huge_mb),
            ],
            self.env,
            HERE,
            self.log_dir,
        )
        wait_up({proc.name: (proc, self.fake_port)})
        return proc

    def fake_count(self) -> int | None:
        try:
            url = f"http://127.0.0.1:{self.fake_port}/count"
            with urllib.request.urlopen(url, timeout=2) as answer:
                return int(answer.read())
        except (OSError, ValueError):
            return None

    def stop_all(self) -> None:
        self.stop_gateway()
        for proc in self.subgraphs.values():
            proc.stop()
        if self.issuer is not None:
            self.issuer.stop()


def wait_port_free(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not port_free(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"port {port} still in use")
        time.sleep(0.1)


def clean_env(source: Path, data: Path) -> dict[str, str]:
    """The environment of every started process: the source tree first on the path, this data
    folder, none of the caller's SATU_ANAK_* or OTEL_* settings (so defaults are measured)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    env["PYTHONPATH"] = str(source)
    env["SATU_ANAK_DATA_DIR"] = str(data)
    env.pop("PYTHONSTARTUP", None)
    return env


# --- asking ------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: str  # HTTP status, or "timeout", "refused", "reset"
    seconds: float
    codes: list[str]  # errors[].extensions.code
    body: str  # the first bytes


def post(url: str, payload: dict[str, Any], headers: dict[str, str], timeout: float) -> Answer:
    """One POST, bounded by `timeout` seconds in all (connect and whole answer)."""
    import httpx

    started = time.monotonic()
    try:
        response = httpx.post(url, json=payload, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        return Answer("timeout", time.monotonic() - started, [], "")
    except httpx.ConnectError:
        return Answer("refused", time.monotonic() - started, [], "")
    except (httpx.RemoteProtocolError, httpx.ReadError):
        return Answer("reset", time.monotonic() - started, [], "")
    seconds = time.monotonic() - started
    return Answer(
        str(response.status_code), seconds, error_codes(response.content), response.text[:4000]
    )


def error_codes(content: bytes) -> list[str]:
    try:
        body = json.loads(content)
    except ValueError:
        return ["(not JSON)"]
    if not isinstance(body, dict):
        return []
    codes = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        codes.append(str(code) if code else "(no code)")
    return codes


def summarize_codes(codes: list[str]) -> str:
    if not codes:
        return ""
    counted = Counter(codes)
    return ", ".join(f"{c}" + (f" x{n}" if n > 1 else "") for c, n in counted.most_common(3))


@dataclass
class Load:
    statuses: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(q: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 1) if lat else None

        answered = sum(n for s, n in self.statuses.items() if s.isdigit())
        return {
            "requests": sum(self.statuses.values()),
            "statuses": dict(self.statuses.most_common()),
            "codes": dict(self.codes.most_common(5)),
            "rps": round(answered / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": pct(0.5),
            "p99_ms": pct(0.99),
            "max_ms": round(lat[-1] * 1000, 1) if lat else None,
        }


async def closed_loop(
    url: str,
    bodies: Callable[[int], bytes],
    headers: Callable[[int], dict[str, str]],
    concurrency: int,
    seconds: float,
    request_timeout: float,
) -> Load:
    """`concurrency` clients, each sending its next request when its answer arrives, until
    `seconds` have passed (requests in flight then are awaited, each bounded by
    `request_timeout`)."""
    import aiohttp

    load = Load()
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency + 10, force_close=False)
    client_timeout = aiohttp.ClientTimeout(total=request_timeout)

    async def client(i: int, session: aiohttp.ClientSession) -> None:
        n = 0
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                async with session.post(
                    url, data=bodies(i * 1_000_003 + n), headers=headers(i)
                ) as r:
                    content = await r.read()
                    status = str(r.status)
                    if r.status != 200 or b'"errors"' in content[:200_000]:
                        load.codes.update(error_codes(content))
            except TimeoutError:
                status = "timeout"
            except aiohttp.ClientError:
                status = "transport error"
            load.statuses[status] += 1
            load.latencies.append(time.monotonic() - started)
            n += 1

    started = time.monotonic()
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        await asyncio.gather(*(client(i, session) for i in range(concurrency)))
    load.elapsed = time.monotonic() - started
    return load


# --- documents ---------------------------------------------------------------------------------


def fragment_bomb(n: int) -> str:
    """F0 selects one field; F(k) spreads F(k-1) twice: 2^n copies once expanded, ~35 bytes a
    line."""
    lines = [f"query Bomb {{ ...F{n} }}", "fragment F0 on Query { balaiList { code } }"]
    lines += [f"fragment F{k} on Query {{ ...F{k - 1} ...F{k - 1} }}" for k in range(1, n + 1)]
    return "\n".join(lines)


def deep_balai(depth: int, code: str) -> str:
    """balai { caseworkers { balai { caseworkers { ... id } } } }: `depth` nested selections."""
    fields = [f"balai(code: {json.dumps(code)})"]
    for level in range(1, depth - 1):
        fields.append("caseworkers" if level % 2 else "balai")
    leaf = "id" if fields[-1] == "caseworkers" else "code"
    return "{ " + " { ".join(fields) + " { " + leaf + " }" * (len(fields)) + " }"


def deep_complaints(depth: int, child: str) -> str:
    """child { complaints { child { complaints { ... id } } } }: `depth` nested selections."""
    fields = [f"child(id: {json.dumps(child)})"]
    for level in range(1, depth - 1):
        fields.append("complaints" if level % 2 else "child")
    return "{ " + " { ".join(fields) + " { id" + " }" * len(fields) + " }"


def alias_flood(count: int) -> str:
    return "{ balaiList { " + " ".join(f"a{i}: code" for i in range(count)) + " } }"


def root_fields(count: int, children: list[str]) -> str:
    parts = [
        f"c{i}: child(id: {json.dumps(children[i % len(children)])}) {{ id name }}"
        for i in range(count)
    ]
    return "{ " + " ".join(parts) + " }"


WIDE = """
query Wide($first: Int!) {
  searchChildren(first: $first) {
    nodes {
      id nik name sex birthYear kabupatenCode birthDate birthPlace motherName fatherName
      regionCode address kkNumber birthCertificateNumber kiaStatus documentStatus
      otherNames attributeReports { __typename }
      family { kkNumber headName regionCode address issuedOn members { __typename } }
      welfare { decile status }
      complaints { id channel receivedAt status summary problemCategory }
      referrals { id status reason requestedAt }
      placements { startedOn endedOn }
      cases { id caseNumber stage status openedOn }
      protectionFlag { __typename }
      consents { __typename }
      pkh { name compliance { latestCompliant } }
    }
  }
}
"""

EXPENSIVE_LIST = """
query Lists($first: Int!) {
  searchChildren(first: $first) {
    nodes {
      id
      complaints {
        id responses { action notes }
        referrals { id balai { code caseworkers { id name balai { code caseworkers { id } } } } }
        child { id complaints { id referrals { id } } }
      }
      cases { id stageHistory { stage enteredAt } residentialStays { __typename }
              balai { code caseworkers { id balai { code caseworkers { id } } } } }
    }
  }
}
"""

IDENTITY = "query Identity($id: ID!) { child(id: $id) { id name sex birthYear } }"
WITH_PKH = "query WithPkh($id: ID!) { child(id: $id) { id name pkh { name } } }"
BALAI = "query Balai($code: String!) { balai(code: $code) { code name caseworkers { id name } } }"


# --- scenarios ---------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    title: str
    run: Callable[[System, Sampler], dict[str, Any]]
    gateway_env: dict[str, str] = field(default_factory=dict)
    poisons: tuple[str, ...] = ()  # subgraphs restarted after it
    fake: str | None = None  # a fake agency (mode) at `fake_at`'s URL
    fake_at: str = "pkh"
    # Many ordinary clients (one address and principal here, many people in life): its gateway
    # also gets --load-env (e.g. rate limits off), the floods never do.
    ordinary_load: bool = False
    # The slow queries must pass the gateway's limits to reach the subgraph: its gateway also
    # gets --slow-env (e.g. a cost budget they fit in).
    slow_queries: bool = False


def one(
    system: System,
    query: str,
    variables: dict[str, Any] | None = None,
    who: tuple[str, str, str] = OFFICER,
) -> Answer:
    return post(
        system.url,
        {"query": query, "variables": variables or {}},
        system.headers(who),
        system.args.wall_cap,
    )


def outcome(answer: Answer, system: System, log_from: int) -> dict[str, Any]:
    """Status as a person reads it: the HTTP status and codes, or what happened instead."""
    gateway = system.gateway
    assert gateway is not None
    alive = gateway.alive()
    log = gateway.log_tail(log_from)
    if answer.status == "timeout":
        status = f"timed out ({system.args.wall_cap:g} s)"
    elif not alive:
        code = gateway.popen.returncode
        how = (
            f"signal {signal.Signals(-code).name}"
            if code is not None and code < 0
            else f"exit {code}"
        )
        status = f"gateway died ({how}" + (
            ", MemoryError in its log)" if "MemoryError" in log else ")"
        )
    else:
        status = answer.status
        codes = summarize_codes(answer.codes)
        if codes:
            status += f" {codes}"
    if alive and "MemoryError" in log:
        status += " (MemoryError at the cap)"
    return {
        "status": status,
        "seconds": round(answer.seconds, 3),
        "gateway_alive": alive,
        "answer_head": answer.body[:400],
    }


def single(
    query_of: Callable[[System], str],
    who: tuple[str, str, str] = OFFICER,
    variables: Callable[[System], dict[str, Any]] | None = None,
) -> Callable[[System, Sampler], dict[str, Any]]:
    """One request with the attack; meanwhile another client asks the identity query every
    0.25 s (its worst latency says whether the attack blocked the gateway for everyone)."""

    def run(system: System, _sampler: Sampler) -> dict[str, Any]:
        query = query_of(system)
        assert system.gateway is not None
        log_from = system.gateway.log_size()
        probes: list[Answer] = []
        done = threading.Event()

        def probe() -> None:
            while not done.wait(0.25):
                probes.append(one(system, IDENTITY, {"id": system.facts["children"][1]}))

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        try:
            answer = one(system, query, variables(system) if variables else None, who)
        finally:
            done.set()
            prober.join()
        time.sleep(0.3)  # let a dying process die before it is looked at
        result = outcome(answer, system, log_from)
        result["document_bytes"] = len(query.encode())
        if probes:
            worst = max(p.seconds for p in probes)
            failed = sum(1 for p in probes if p.status != "200" or p.codes)
            result["probe_max_s"] = round(worst, 3)
            result["note"] = (
                f"{len(query.encode())} B document; meanwhile an identity query every 0.25 s: "
                f"{len(probes)} asked, worst {worst * 1000:.0f} ms, {failed} not clean"
            )
        return result

    return run


def load_scenario(system: System, sampler: Sampler) -> dict[str, Any]:
    """--concurrency clients in a closed loop on the identity query for --load-seconds; the
    gateway's RSS at the start, at its peak and after."""
    children = system.facts["children"]
    headers = system.headers()
    bodies = [
        json.dumps({"query": IDENTITY, "variables": {"id": child}}).encode() for child in children
    ]
    before = sampler.now_mb("gateway")
    load = asyncio.run(
        closed_loop(
            system.url,
            lambda n: bodies[n % len(bodies)],
            lambda _i: headers,
            system.args.concurrency,
            system.args.load_seconds,
            system.args.wall_cap,
        )
    )
    time.sleep(1.0)
    after = sampler.now_mb("gateway")
    summary = load.summary()
    statuses = ", ".join(f"{s}: {n}" for s, n in summary["statuses"].items())
    return {
        "status": statuses,
        "seconds": round(load.elapsed, 2),
        "load": summary,
        "gateway_rss_start_mb": before,
        "gateway_rss_after_mb": after,
        "note": f"{summary['rps']} req/s, p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms; "
        f"RSS start {before} MB, after {after} MB",
    }


def flood_scenario(valid_token: bool) -> Callable[[System, Sampler], dict[str, Any]]:
    """One address (and, with a valid token, one principal) sending as fast as --flood-clients
    connections allow for --flood-seconds."""

    def run(system: System, _sampler: Sampler) -> dict[str, Any]:
        body = json.dumps(
            {"query": IDENTITY, "variables": {"id": system.facts["children"][0]}}
        ).encode()
        good = system.headers()

        def headers(i: int) -> dict[str, str]:
            if valid_token:
                return good
            return {**good, "authorization": f"Bearer {secrets.token_urlsafe(24)}.x.y"}

        load = asyncio.run(
            closed_loop(
                system.url,
                lambda _n: body,
                headers,
                system.args.flood_clients,
                system.args.flood_seconds,
                system.args.wall_cap,
            )
        )
        summary = load.summary()
        statuses = ", ".join(f"{s}: {n}" for s, n in summary["statuses"].items())
        return {
            "status": statuses,
            "seconds": round(load.elapsed, 2),
            "load": summary,
            "note": f"{summary['rps']} answers/s, p50 {summary['p50_ms']} ms",
        }

    return run


def hanging_scenario(system: System, _sampler: Sampler) -> dict[str, Any]:
    """--hang-requests requests that touch the hanging agency (pkh) are sent at once and left
    hanging; meanwhile --hang-healthy-clients clients ask the healthy identity query (disdukcapil
    only) for --hang-seconds: their statuses and latencies."""
    headers = system.headers()
    children = system.facts["children"]
    # Each hanging request different (its child and an alias), so that the gateway's sharing of
    # identical in-flight subgraph requests does not fold them into one.
    hang_bodies = [
        json.dumps(
            {
                "query": f"query H($id: ID!) {{ child(id: $id) {{ id p{i}: pkh {{ name }} }} }}",
                "variables": {"id": children[i % len(children)]},
            }
        ).encode()
        for i in range(system.args.hang_requests)
    ]
    healthy = [
        json.dumps({"query": IDENTITY, "variables": {"id": c}}).encode()
        for c in system.facts["children"]
    ]

    async def both() -> Load:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=system.args.wall_cap + 5)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

            async def hang(body: bytes) -> None:
                with contextlib.suppress(Exception):
                    async with session.post(system.url, data=body, headers=headers) as r:
                        await r.read()

            hanging = [asyncio.create_task(hang(body)) for body in hang_bodies]
            await asyncio.sleep(1.0)
            load = await closed_loop(
                system.url,
                lambda n: healthy[n % len(healthy)],
                lambda _i: headers,
                system.args.hang_healthy_clients,
                system.args.hang_seconds,
                system.args.hang_client_timeout,
            )
            for task in hanging:
                task.cancel()
            await asyncio.gather(*hanging, return_exceptions=True)
            return load

    load = asyncio.run(both())
    summary = load.summary()
    statuses = ", ".join(f"{s}: {n}" for s, n in summary["statuses"].items())
    return {
        "status": f"healthy queries: {statuses}",
        "seconds": round(summary["p50_ms"] / 1000, 4) if summary["p50_ms"] is not None else None,
        "load": summary,
        "agency_requests": system.fake_count(),
        "note": f"healthy p50 {summary['p50_ms']} ms, max {summary['max_ms']} ms "
        f"(client timeout {system.args.hang_client_timeout:g} s), "
        f"{system.args.hang_requests} requests hanging on pkh",
    }


def failing_scenario(system: System, _sampler: Sampler) -> dict[str, Any]:
    """--error-requests sequential queries touching the agency that answers 500 with a leaky
    error: statuses, codes, time, how many requests reached the agency (a breaker cuts them)
    and whether its stack trace, class, host or path reached the client."""
    LEAK_MARKERS = fake_agency_module().LEAK_MARKERS

    child = system.facts["children"][0]
    answers = [one(system, WITH_PKH, {"id": child}) for _ in range(system.args.error_requests)]
    statuses = Counter(f"{a.status} {summarize_codes(a.codes)}".strip() for a in answers)
    leaked = sorted({m for a in answers for m in LEAK_MARKERS if m in a.body})
    times = [a.seconds for a in answers]
    reached = system.fake_count()
    return {
        "status": ", ".join(f"{s}: {n}" for s, n in statuses.most_common()),
        "seconds": round(statistics.median(times), 3),
        "agency_requests": reached,
        "leaked": leaked,
        "note": f"{len(answers)} queries, {reached} reached the agency; "
        f"leaked to the client: {', '.join(leaked) if leaked else 'nothing'}; "
        f"median {statistics.median(times) * 1000:.0f} ms, last {times[-1] * 1000:.0f} ms",
    }


def huge_scenario(system: System, _sampler: Sampler) -> dict[str, Any]:
    """One query touching the agency that streams a --huge-mb MB answer."""
    assert system.gateway is not None
    log_from = system.gateway.log_size()
    child = system.facts["children"][0]
    answer = one(system, WITH_PKH, {"id": child})
    time.sleep(0.3)
    result = outcome(answer, system, log_from)
    result["note"] = f"a {system.args.huge_mb} MB answer from pkh"
    return result


def slow_scenario(system: System, _sampler: Sampler) -> dict[str, Any]:
    """The gateway's balai timeout is --slow-timeout s. The balai query's latency alone (median
    of 5); then --slow-count slow balai queries (a deep Balai <-> Caseworker chain at
    --slow-depth), each given up by the gateway at its timeout; then at once the balai query
    again: its latency says whether the subgraph kept working on what the gateway gave up."""
    code = system.facts["balai"]
    normal = [one(system, BALAI, {"code": code}, SUPERVISOR) for _ in range(5)]
    baseline = statistics.median(a.seconds for a in normal)
    slow = [
        one(system, deep_balai(system.args.slow_depth, code), None, SUPERVISOR)
        for _ in range(system.args.slow_count)
    ]
    gave_up = time.monotonic()
    # The subgraph's own CPU in the 2 s after the gateway gave up on the last slow query: work
    # nobody will read (a circuit breaker may refuse the next queries meanwhile; this does not
    # depend on it).
    balai_pid = system.subgraphs["balai"].pid
    busy: list[float] = []
    cpu_at_give_up = cpu_seconds(balai_pid)
    watcher = threading.Timer(2.0, lambda: busy.append(cpu_seconds(balai_pid) - cpu_at_give_up))
    watcher.start()
    after = one(system, BALAI, {"code": code}, SUPERVISOR)
    later = [one(system, BALAI, {"code": code}, SUPERVISOR) for _ in range(3)]
    recovered = None  # seconds from the last give-up until the balai query answers cleanly
    while time.monotonic() - gave_up < system.args.wall_cap:
        probe = one(system, BALAI, {"code": code}, SUPERVISOR)
        if probe.status == "200" and not probe.codes and probe.seconds < 2 * baseline + 0.05:
            recovered = time.monotonic() - gave_up
            break
        time.sleep(0.2)
    watcher.join()
    slow_status = Counter(f"{a.status} {summarize_codes(a.codes)}".strip() for a in slow)
    return {
        "status": f"next: {after.status} {summarize_codes(after.codes)}".strip(),
        "seconds": round(after.seconds, 3),
        "baseline_seconds": round(baseline, 3),
        "slow": dict(slow_status),
        "slow_seconds": [round(a.seconds, 3) for a in slow],
        "later_seconds": [round(a.seconds, 3) for a in later],
        "recovered_after_s": round(recovered, 2) if recovered is not None else None,
        "subgraph_cpu_after_give_up_s": round(busy[0], 2) if busy else None,
        "note": f"balai query alone {baseline * 1000:.0f} ms; after {len(slow)} slow queries given "
        f"up ({', '.join(f'{s}: {n}' for s, n in slow_status.items())}) "
        f"balai's CPU in the 2 s after: {busy[0] if busy else float('nan'):.2f} s; "
        f"the next took {after.seconds * 1000:.0f} ms, then "
        + ", ".join(f"{a.seconds * 1000:.0f}" for a in later)
        + " ms; "
        + (
            f"back to normal {recovered:.1f} s after the last give-up"
            if recovered is not None
            else f"not back to normal after {system.args.wall_cap:g} s"
        ),
    }


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    slow_env = {"SATU_ANAK_BALAI_SUBGRAPH_TIMEOUT": str(args.slow_timeout)}
    return [
        Scenario(
            "fragments-18", "fragment bomb, 2^18 expansions", single(lambda s: fragment_bomb(18))
        ),
        Scenario(
            "fragments-29", "fragment bomb, 2^29 expansions", single(lambda s: fragment_bomb(29))
        ),
        Scenario(
            "deep-balai-20",
            "depth 20, Balai <-> Caseworker",
            single(lambda s: deep_balai(20, s.facts["balai"]), SUPERVISOR),
            poisons=("balai",),
        ),
        Scenario(
            "deep-balai-63",
            "depth 63, Balai <-> Caseworker",
            single(lambda s: deep_balai(63, s.facts["balai"]), SUPERVISOR),
            poisons=("balai",),
        ),
        Scenario(
            "deep-complaints-20",
            "depth 20, Child <-> Complaint",
            single(lambda s: deep_complaints(20, s.facts["complained"])),
            poisons=("dinsos",),
        ),
        Scenario(
            "deep-complaints-63",
            "depth 63, Child <-> Complaint",
            single(lambda s: deep_complaints(63, s.facts["complained"])),
            poisons=("dinsos",),
        ),
        Scenario(
            "aliases",
            f"{args.aliases} aliases of one field",
            single(lambda s: alias_flood(args.aliases)),
        ),
        Scenario(
            "root-fields",
            f"{args.root_fields} root fields",
            single(lambda s: root_fields(args.root_fields, s.facts["children"])),
        ),
        Scenario(
            "wide",
            f"wide selection, {args.list_first} children x every agency",
            single(lambda s: WIDE, variables=lambda s: {"first": args.list_first}),
        ),
        Scenario(
            "nested-lists",
            f"nested lists, first: {args.list_first}",
            single(lambda s: EXPENSIVE_LIST, variables=lambda s: {"first": args.list_first}),
            poisons=("balai", "dinsos"),
        ),
        Scenario(
            "concurrent",
            f"{args.concurrency} concurrent clients, {args.load_seconds:g} s",
            load_scenario,
            ordinary_load=True,
        ),
        Scenario(
            "flood-principal",
            f"request flood, one principal, {args.flood_seconds:g} s",
            flood_scenario(True),
        ),
        Scenario(
            "flood-tokens",
            f"bad-token flood, one address, {args.flood_seconds:g} s",
            flood_scenario(False),
        ),
        Scenario(
            "agency-hangs",
            "pkh hangs; healthy queries meanwhile",
            hanging_scenario,
            fake="hang",
            ordinary_load=True,
        ),
        Scenario(
            "agency-500s",
            f"pkh answers 500 (leaky), {args.error_requests} queries",
            failing_scenario,
            fake="error",
        ),
        Scenario("agency-huge", f"pkh answers {args.huge_mb} MB", huge_scenario, fake="huge"),
        Scenario(
            "slow-after-timeout",
            "next request after slow ones given up",
            slow_scenario,
            gateway_env=slow_env,
            poisons=("balai",),
            slow_queries=True,
        ),
    ]


# --- the run -----------------------------------------------------------------------------------


def find_facts(system: System) -> None:
    """Ids the scenarios ask about, found through a plain gateway: children (the first page), the
    child with the most complaints, the Balai with the most caseworkers."""
    page = one(
        system,
        "{ searchChildren(first: 100) { nodes { id complaints { id } } } }",
    )
    if page.status != "200":
        raise RuntimeError(f"cannot list children: {page.status} {page.body[:500]}")
    nodes = json.loads(page.body)["data"]["searchChildren"]["nodes"]
    system.facts["children"] = [n["id"] for n in nodes]
    complained = max(nodes, key=lambda n: len(n.get("complaints") or []))
    system.facts["complained"] = complained["id"]
    system.facts["complaints_of_complained"] = len(complained.get("complaints") or [])
    balais = one(system, "{ balaiList { code caseworkers { id } } }", None, SUPERVISOR)
    if balais.status != "200":
        raise RuntimeError(f"cannot list Balai: {balais.status} {balais.body[:500]}")
    listed = json.loads(balais.body)["data"]["balaiList"]
    biggest = max(listed, key=lambda b: len(b["caseworkers"]))
    system.facts["balai"] = biggest["code"]
    system.facts["caseworkers_of_balai"] = len(biggest["caseworkers"])


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process, seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def linger(system: System, names: tuple[str, ...], seconds: float) -> dict[str, dict[str, float]]:
    """What the subgraphs a scenario may have poisoned do in the `seconds` after the gateway
    answered: CPU used, RSS then and at the end (work the gateway gave up and nobody cancelled)."""
    pids = {n: system.subgraphs[n].pid for n in names}
    start = {n: (cpu_seconds(p), status_kb(p, "VmRSS") or 0) for n, p in pids.items()}
    time.sleep(seconds)
    return {
        n: {
            "cpu_s": round(cpu_seconds(p) - start[n][0], 2),
            "rss_at_answer_mb": round(start[n][1] / 1024, 1),
            "rss_after_mb": round((status_kb(p, "VmRSS") or 0) / 1024, 1),
        }
        for n, p in pids.items()
    }


def run_scenario(system: System, scenario: Scenario) -> dict[str, Any]:
    fake: Proc | None = None
    extra = dict(scenario.gateway_env)
    if scenario.ordinary_load:
        extra.update(system.args.load_env)
    if scenario.slow_queries:
        extra.update(system.args.slow_env)
    if scenario.fake:
        fake = system.start_fake(scenario.fake)
        extra[f"SATU_ANAK_{scenario.fake_at.upper()}_SUBGRAPH_URL"] = (
            f"http://127.0.0.1:{system.fake_port}/graphql"
        )
    started = time.monotonic()
    try:
        gateway = system.start_gateway(extra)
        one(system, IDENTITY, {"id": system.facts["children"][0]})  # warm: keys, connections
        pids = {"gateway": gateway.pid, **{n: p.pid for n, p in system.subgraphs.items()}}
        with Sampler(pids) as sampler:
            result = scenario.run(system, sampler)
            if scenario.poisons and system.args.linger > 0:
                result["after_answer"] = linger(system, scenario.poisons, system.args.linger)
                result["note"] = (result.get("note", "") + "; " if result.get("note") else "") + (
                    f"in the {system.args.linger:g} s after the answer: "
                    + ", ".join(
                        f"{n} {a['cpu_s']:.1f} s CPU, RSS {a['rss_at_answer_mb']:.0f} → "
                        f"{a['rss_after_mb']:.0f} MB"
                        for n, a in result["after_answer"].items()
                    )
                )
        result["gateway_peak_mb"] = sampler.peak_mb("gateway")
        result["gateway_peak_vm_mb"] = round(sampler.peak_vm_kb["gateway"] / 1024, 1)
        result["subgraph_peak_mb"] = {n: sampler.peak_mb(n) for n in system.subgraphs}
        result["subgraph_start_mb"] = {
            n: round(sampler.start_kb[n] / 1024, 1) for n in system.subgraphs
        }
        result["subgraphs_died"] = [n for n, p in system.subgraphs.items() if not p.alive()]
    except Exception as failure:
        result = {"status": f"harness failure: {failure}", "seconds": None}
    finally:
        system.stop_gateway()
        if fake is not None:
            fake.stop()
    for name, proc in system.subgraphs.items():
        if name in scenario.poisons or not proc.alive():
            system.restart_subgraph(name)
    result["wall_s"] = round(time.monotonic() - started, 1)
    return result


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> dict[str, str]:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="hostile input and failing agencies")
    parser.add_argument(
        "--source", type=Path, default=REPO, help="the tree to start (default: this one)"
    )
    parser.add_argument("--label", default="after", help="names the JSON file (before, after, ...)")
    parser.add_argument("--out", type=Path, help="the JSON file (default results/<label>.json)")
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("BEFORE", "AFTER"),
        help="print the markdown table of two runs' JSON and exit",
    )
    parser.add_argument("--scenarios", default="", help="comma-separated names (default: all)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument(
        "--base-port",
        type=int,
        default=4640,
        help="subgraphs base+1..5, issuer +9, gateway +10, fake agency +11",
    )
    parser.add_argument("--children", type=int, default=300)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--mem-cap-mb",
        type=int,
        default=3072,
        help="address-space cap of the gateway and each subgraph (RLIMIT_AS)",
    )
    parser.add_argument(
        "--wall-cap", type=float, default=35.0, help="client timeout per request, s"
    )
    parser.add_argument(
        "--gateway-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment variable for every gateway (repeatable)",
    )
    parser.add_argument(
        "--load-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment variable for the gateways of the ordinary-load scenarios only "
        "(concurrent, agency-hangs), e.g. SATU_ANAK_RATE_LIMIT=off (repeatable)",
    )
    parser.add_argument(
        "--slow-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment variable for slow-after-timeout's gateway only, so that its slow "
        "queries pass the gateway's limits and reach the subgraph, e.g. "
        "SATU_ANAK_MAX_COST=100000000 (repeatable)",
    )
    parser.add_argument("--gateway-config", type=Path, help="a gateway TOML file for every gateway")
    parser.add_argument(
        "--linger",
        type=float,
        default=5.0,
        help="s to watch poisoned subgraphs after the answer (CPU, RSS)",
    )
    parser.add_argument("--aliases", type=int, default=1500)
    parser.add_argument("--root-fields", type=int, default=500)
    parser.add_argument("--list-first", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--load-seconds", type=float, default=10.0)
    parser.add_argument("--flood-clients", type=int, default=50)
    parser.add_argument("--flood-seconds", type=float, default=5.0)
    parser.add_argument("--hang-requests", type=int, default=300)
    parser.add_argument("--hang-healthy-clients", type=int, default=4)
    parser.add_argument("--hang-seconds", type=float, default=8.0)
    parser.add_argument("--hang-client-timeout", type=float, default=10.0)
    parser.add_argument("--error-requests", type=int, default=30)
    parser.add_argument("--huge-mb", type=int, default=200)
    parser.add_argument(
        "--slow-timeout",
        type=float,
        default=0.5,
        help="the gateway's balai timeout in slow-after-timeout, s",
    )
    parser.add_argument("--slow-depth", type=int, default=14)
    parser.add_argument("--slow-count", type=int, default=6)
    args = parser.parse_args(argv)
    for option in ("gateway_env", "load_env", "slow_env"):
        pairs = {}
        for pair in getattr(args, option):
            key, sep, value = pair.partition("=")
            if not sep or not key:
                parser.error(f"--{option.replace('_', '-')} takes KEY=VALUE, not {pair!r}")
            pairs[key] = value
        setattr(args, option, pairs)
    args.source = args.source.resolve()
    known = [s.name for s in scenarios(args)]
    args.selected = [s for s in args.scenarios.split(",") if s] or known
    unknown = set(args.selected) - set(known)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}; of {', '.join(known)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.compare:
        print(
            compare(
                json.loads(args.compare[0].read_text()), json.loads(args.compare[1].read_text())
            )
        )
        return 0
    if args.list:
        for s in scenarios(args):
            print(f"{s.name:<20} {s.title}")
        return 0
    if not (args.source / "gateway" / "__init__.py").exists():
        raise SystemExit(f"--source {args.source} has no gateway package")
    base = args.base_port
    subgraph_ports = {name: base + i for i, name in enumerate(SUBGRAPHS, start=1)}
    ports = [*subgraph_ports.values(), base + 9, base + 10, base + 11]
    busy = [p for p in ports if not port_free(p)]
    if busy:
        raise SystemExit(f"ports in use: {busy}; pick another --base-port")
    data = Path(tempfile.mkdtemp(prefix="satu-hostile-"))
    out = args.out or RESULTS_DIR / f"{args.label}.json"
    log_dir = out.parent / f"logs-{args.label}"
    shutil.rmtree(log_dir, ignore_errors=True)
    system = System(
        args,
        args.source,
        data,
        clean_env(args.source, data),
        log_dir,
        subgraph_ports,
        base + 9,
        base + 10,
        base + 11,
    )
    commit = system.check_tree()
    run: dict[str, Any] = {
        "label": args.label,
        "source": str(args.source),
        "commit": commit,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "settings": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in vars(args).items()
            if k not in ("compare", "selected", "list", "scenarios")
        },
        "loadavg_before": loadavg(),
        "scenarios": {},
    }
    started = time.monotonic()
    print(f"{args.label}: {args.source} at {commit}; load {run['loadavg_before']}", flush=True)
    try:
        print(f"seeding {args.children} children ...", flush=True)
        system.prepare()
        system.start_backends()
        system.start_gateway()
        find_facts(system)
        system.stop_gateway()
        run["facts"] = {k: v for k, v in system.facts.items() if k != "children"}
        print(f"up; facts {run['facts']}", flush=True)
        for scenario in scenarios(args):
            if scenario.name not in args.selected:
                continue
            print(f"-- {scenario.name}: {scenario.title} ...", flush=True)
            result = run_scenario(system, scenario)
            result["title"] = scenario.title
            result["loadavg"] = loadavg()
            run["scenarios"][scenario.name] = result
            peak_sub = max(
                result.get("subgraph_peak_mb", {}).items(), key=lambda kv: kv[1], default=("", 0)
            )
            print(
                f"   {result['status']} | {result.get('seconds')} s | gateway {result.get('gateway_peak_mb')} MB"
                f" | top subgraph {peak_sub[0]} {peak_sub[1]} MB"
                + (f" | {result['note']}" if result.get("note") else ""),
                flush=True,
            )
    finally:
        system.stop_all()
        shutil.rmtree(data, ignore_errors=True)
    run["seconds"] = round(time.monotonic() - started, 1)
    run["loadavg_after"] = loadavg()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(run, indent=2) + "\n")
    print(
        f"\n{len(run['scenarios'])} scenarios in {run['seconds']} s; load after {run['loadavg_after']}; wrote {out}\n"
    )
    print(table(run))
    return 0


# --- reporting ---------------------------------------------------------------------------------


def cell(result: dict[str, Any] | None) -> tuple[str, str, str, str]:
    """status, time, gateway peak RSS, top subgraph peak RSS (growth over its start)."""
    if result is None:
        return ("not run", "", "", "")
    seconds = result.get("seconds")
    time_text = f"{seconds:.2f} s" if isinstance(seconds, (int, float)) else "—"
    gateway = result.get("gateway_peak_mb")
    gateway_text = f"{gateway:.0f} MB" if gateway else "—"
    peaks: dict[str, float] = result.get("subgraph_peak_mb") or {}
    starts: dict[str, float] = result.get("subgraph_start_mb") or {}
    sub_text = ""
    if peaks:
        name, peak = max(peaks.items(), key=lambda kv: kv[1] - starts.get(kv[0], 0))
        grew = peak - starts.get(name, peak)
        sub_text = (
            f"{name} {peak:.0f} MB" if grew >= 5 else f"none grew (≤ {max(peaks.values()):.0f} MB)"
        )
        if result.get("subgraphs_died"):
            sub_text += f" ({', '.join(result['subgraphs_died'])} died)"
    status = str(result.get("status", "")).replace("|", "/")
    return (status, time_text, gateway_text, sub_text)


def table(run: dict[str, Any]) -> str:
    lines = [
        "| scenario | status | time | gateway peak RSS | subgraph peak RSS |",
        "|---|---|---:|---:|---:|",
    ]
    for name, result in run["scenarios"].items():
        status, seconds, gateway, sub = cell(result)
        lines.append(f"| {result.get('title', name)} | {status} | {seconds} | {gateway} | {sub} |")
    return "\n".join(lines)


def compare(before: dict[str, Any], after: dict[str, Any]) -> str:
    names = list(before["scenarios"]) + [
        n for n in after["scenarios"] if n not in before["scenarios"]
    ]
    lines = [
        f"Before: `{before['source']}` at {before['commit']} ({before['date']}, load "
        f"{before['loadavg_before']} → {before['loadavg_after']}, {before['seconds']} s). "
        f"After: `{after['source']}` at {after['commit']} ({after['date']}, load "
        f"{after['loadavg_before']} → {after['loadavg_after']}, {after['seconds']} s).",
        "",
        "| scenario | before: status | time | gateway peak RSS | subgraph peak RSS "
        "| after: status | time | gateway peak RSS | subgraph peak RSS |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    machine_of = before.get("machine") or {}
    if machine_of:
        lines[1:1] = [
            "",
            f"Machine: {machine_of.get('cpu')}, {machine_of.get('cores')} cores, "
            f"{machine_of.get('memory')}, Python {machine_of.get('python')}, {machine_of.get('os')}.",
        ]
    notes = []
    for name in names:
        b, a = before["scenarios"].get(name), after["scenarios"].get(name)
        title = (b or a or {}).get("title", name)
        lines.append("| " + " | ".join([title, *cell(b), *cell(a)]) + " |")
        for label, result in (("before", b), ("after", a)):
            if not result:
                continue
            note = result.get("note", "")
            vm = result.get("gateway_peak_vm_mb") or 0
            if vm > 1024:  # near RLIMIT_AS: say so, the cap may be what ended it
                note += ("; " if note else "") + f"gateway address space peak {vm:.0f} MB"
            if note:
                load = result.get("loadavg", "?").split(" ")[0]
                notes.append(f"- {title}, {label} (load {load}): {note}")
    return "\n".join([*lines, "", *notes])


if __name__ == "__main__":
    raise SystemExit(main())
