"""`satu-anak up`: migrate, seed when empty, run every subgraph, the development OIDC issuer and the
gateway as processes until Ctrl-C.

Every way of stopping stops everything: SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closed)
stop the servers in order, and the servers hold a lifeline to `up` (satu_anak/lifeline.py), so
they stop by themselves when `up` dies without a chance to stop them (SIGKILL). Before anything
starts, every port is checked: one in use is a one-line error, not a start-up that a stale server
answers for."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from satu_anak.lifeline import Lifeline
from satu_anak.ports import BASE_PORT, issuer_port, subgraph_ports
from subgraphs import SUBGRAPH_NAMES

if TYPE_CHECKING:
    from satu_anak.synthetic.loader import SeedReport

SUPERGRAPH = Path(__file__).resolve().parent.parent / "schema" / "supergraph.graphql"
# Satu Anak's gateway settings: consent-aware planning (subject, facts, policy).
GATEWAY_CONFIG = Path(__file__).resolve().parent.parent / "config" / "gateway.toml"
# The gateway's grant key pair, in the data folder: the private key signs each subgraph request's
# grant (gateway only, mode 0600); the subgraphs get the public key.
GRANT_KEY_FILE = "gateway-grant-key.pem"
GRANT_PUBLIC_KEY_FILE = "gateway-grant-key.pub.pem"
LOOKUP_KEY_FILE = "audit-lookup-key"
DEFAULT_CHILDREN = 2000
DEFAULT_SEED = 42
# The signals that stop `up` cleanly; SIGHUP (a closed terminal) only where it exists.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def grant_key_pair(folder: Path) -> tuple[Path, Path]:
    """The development grant key pair's files in `folder`, made when absent."""
    from auth.grant import generate_key_pair

    private, public = folder / GRANT_KEY_FILE, folder / GRANT_PUBLIC_KEY_FILE
    if not private.exists():
        generate_key_pair(private, public)
    elif not public.exists():
        from auth.grant import load_private_key

        public.write_bytes(load_private_key(private).as_pem(private=False))
    return private, public


def lookup_key_file(folder: Path) -> Path:
    """The development key of the access log's NIK hashes, made when absent (owner-only)."""
    import secrets

    path = folder / LOOKUP_KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
    return path


def children_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the servers `up` starts: logs as text for the console (unless
    SATU_ANAK_LOG_FORMAT says otherwise); tracing only if the OTEL_* variables ask for it (an
    exporter or an OTLP endpoint: off by default); each server names itself in traces."""
    env = {"SATU_ANAK_LOG_FORMAT": "text", **environ}
    env.pop("OTEL_SERVICE_NAME", None)
    return env


def _say(text: str, *, error: bool = False) -> None:
    """Print a line; a terminal that is gone (closed with `up` in it) is no reason to stop
    stopping."""
    with contextlib.suppress(OSError, ValueError):
        print(text, file=sys.stderr if error else sys.stdout, flush=True)


def all_ports(base_port: int) -> dict[str, int]:
    """Every port `up` listens on, by the name of what listens there."""
    return {"gateway": base_port, **subgraph_ports(base_port), "issuer": issuer_port(base_port)}


def busy_ports(host: str, ports: dict[str, int]) -> list[str]:
    """The ports of `ports` that cannot be listened on at `host`, each as "4002 (dinsos)" with
    the reason when it is not that the port is in use."""
    busy = []
    for name, port in ports.items():
        try:
            family, kind, proto, _, address = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )[0]
            with socket.socket(family, kind, proto) as probe:
                if os.name == "posix":  # as uvicorn binds: a port in TIME_WAIT is free
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
        except OSError as error:
            reason = "" if error.errno == errno.EADDRINUSE else f": {error.strerror or error}"
            busy.append(f"{port} ({name}{reason})")
    return busy


def seed_note(report: SeedReport, children: int | None, seed: int | None) -> str:
    """What `up` says about seeding: the summary, or, when the databases already held data, that
    nothing was loaded, that --children/--seed were not applied, and how to reseed."""
    if not report.skipped:
        return report.summary()
    existing = (
        f"{report.existing_children} children" if report.existing_children is not None else "data"
    )
    from subgraphs.common.settings import DATA_DIR_VARIABLE, data_dir

    lines = [f"not seeded: the databases in {data_dir()} already hold {existing}"]
    if children is not None or seed is not None:
        asked = " ".join(
            f"--{name} {value}"
            for name, value in (("children", children), ("seed", seed))
            if value is not None
        )
        lines[0] += f"; {asked} ignored"
    folder = f"{DATA_DIR_VARIABLE}={data_dir()} " if DATA_DIR_VARIABLE in os.environ else ""
    lines.append(
        "  to reseed (replacing that synthetic data): stop `up`, run "
        f"`{folder}.venv/bin/satu-anak seed --force --children "
        f"{DEFAULT_CHILDREN if children is None else children} "
        f"--seed {DEFAULT_SEED if seed is None else seed}`, "
        "then start `up` again"
    )
    return "\n".join(lines)


def _healthy(port: int, host: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/health", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_all(
    children: int | None = None,
    seed: int | None = None,
    host: str = "127.0.0.1",
    base_port: int = BASE_PORT,
) -> int:
    """Serve everything until stopped. `children`/`seed`: what to seed when the databases are
    empty (None: the defaults, and nothing was asked for)."""
    # Every port first: one in use (a server of an earlier `up` still running, say) stops us
    # here, before anything is seeded or started.
    busy = busy_ports(host, all_ports(base_port))
    if busy:
        noun = "port " if len(busy) == 1 else "ports "
        _say(
            f"satu-anak up: {noun}{', '.join(busy)} on {host} already in use or unavailable; "
            "nothing started (stop what holds them, or choose other ports with --base-port)",
            error=True,
        )
        return 1

    from satu_anak.synthetic.loader import seed as load
    from subgraphs.common.settings import GATEWAY_PUBLIC_KEY_VARIABLE, data_dir

    report = asyncio.run(
        load(
            DEFAULT_CHILDREN if children is None else children,
            DEFAULT_SEED if seed is None else seed,
            only_if_empty=True,
        )
    )
    _say(seed_note(report, children, seed))
    grant_key, grant_public_key = grant_key_pair(data_dir())
    # The access log's checkpoint key (the consent service finds it in the data folder) and the
    # key of the hashes that stand for NIKs in it (the gateway's).
    from subgraphs.consent.audit.service import key_pair as audit_key_pair

    audit_key_pair(data_dir())
    lookup_key = lookup_key_file(data_dir())
    # Subgraphs verify grants with the public key only; the gateway alone can sign.
    subgraph_env = {**children_env(os.environ), GATEWAY_PUBLIC_KEY_VARIABLE: str(grant_public_key)}
    subgraph_env.pop("SATU_ANAK_METRICS_PORT", None)  # one port cannot serve five processes
    subgraph_env.pop("SATU_ANAK_GRANT_KEY", None)

    ports = subgraph_ports(base_port)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, on_signal)
    # Each server watches this pipe: if `up` dies without stopping them, they stop themselves.
    lifeline = Lifeline()
    try:
        for name in SUBGRAPH_NAMES:
            port = ports[name]
            processes[name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "satu_anak.cli",
                    "serve",
                    name,
                    "--host",
                    host,
                    "--port",
                    str(port),
                ],
                # Ctrl-C and a closed terminal reach the whole process group; we stop children
                # ourselves, in order.
                start_new_session=True,
                **lifeline.child_options(subgraph_env),
            )
        # The development issuer: tokens of the sample users verify against its public keys.
        issuer_url = f"http://{host}:{issuer_port(base_port)}"
        processes["issuer"] = subprocess.Popen(
            [
                *(sys.executable, "-m", "satu_anak.cli", "issuer"),
                *("--host", host, "--port", str(issuer_port(base_port)), "--url", issuer_url),
            ],
            start_new_session=True,
            **lifeline.child_options(children_env(os.environ)),
        )
        # The gateway reads the checked-in supergraph; the subgraphs' URLs follow our ports; it
        # accepts the development issuer's tokens.
        gateway_env = {
            **children_env(os.environ),
            "SATU_ANAK_AUTH_ISSUER": issuer_url,
            "SATU_ANAK_GRANT_KEY": str(grant_key),
            "SATU_ANAK_AUDIT_URL": f"http://{host}:{ports['consent']}/audit/append",
            "SATU_ANAK_AUDIT_LOOKUP_KEY": str(lookup_key),
            **{
                f"SATU_ANAK_{name.upper()}_SUBGRAPH_URL": f"http://{host}:{port}/graphql"
                for name, port in ports.items()
            },
        }
        processes["gateway"] = subprocess.Popen(
            [
                *(sys.executable, "-m", "satu_anak.cli", "gateway"),
                *(
                    "--config",
                    str(GATEWAY_CONFIG),
                    "--supergraph",
                    str(SUPERGRAPH),
                    "--host",
                    host,
                    "--port",
                    str(base_port),
                    "--dev",
                ),
            ],
            start_new_session=True,
            **lifeline.child_options(gateway_env),
        )
        lifeline.started()
        deadline = time.monotonic() + 60
        pending = {**ports, "issuer": issuer_port(base_port), "gateway": base_port}
        while pending and not stopping:
            for name, port in list(pending.items()):
                if processes[name].poll() is not None:
                    code = processes[name].returncode
                    _say(f"{name} exited with {code} during start-up; stopping", error=True)
                    return 1
                if _healthy(port, host):
                    if name == "issuer":
                        _say(f"development OIDC issuer: {issuer_url}")
                    else:
                        label = "gateway (GraphiQL)" if name == "gateway" else name
                        _say(f"{label}: http://{host}:{port}/graphql")
                    del pending[name]
            if time.monotonic() > deadline:
                _say(f"not healthy after 60 s: {', '.join(pending)}", error=True)
                return 1
            time.sleep(0.2)
        if not stopping:
            default = base_port == BASE_PORT and host == "127.0.0.1"
            issuer_flag = "" if default else f" --issuer {issuer_url}"
            _say(
                f"Sample users' access tokens: satu-anak token ROLE [--user ID]{issuer_flag} "
                "(`satu-anak token` lists the users)"
            )
            _say("Satu Anak is up. Ctrl-C (or closing this terminal) stops everything.")
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    _say(f"{name} exited with {process.returncode}; stopping", error=True)
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        _stop(processes)
        lifeline.close()
        _say("stopped")
