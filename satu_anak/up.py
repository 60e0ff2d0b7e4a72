"""`satu-anak up`: migrate, seed when empty, run every subgraph, the development OIDC issuer and the
gateway as processes until Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from satu_anak.ports import BASE_PORT, issuer_port, subgraph_ports
from subgraphs import SUBGRAPH_NAMES

SUPERGRAPH = Path(__file__).resolve().parent.parent / "schema" / "supergraph.graphql"
# Satu Anak's gateway settings: consent-aware planning (subject, facts, policy).
GATEWAY_CONFIG = Path(__file__).resolve().parent.parent / "config" / "gateway.toml"
# The gateway's grant key pair, in the data folder: the private key signs each subgraph request's
# grant (gateway only, mode 0600); the subgraphs get the public key.
GRANT_KEY_FILE = "gateway-grant-key.pem"
GRANT_PUBLIC_KEY_FILE = "gateway-grant-key.pub.pem"
LOOKUP_KEY_FILE = "audit-lookup-key"


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


def run_all(children: int, seed: int, host: str = "127.0.0.1", base_port: int = BASE_PORT) -> int:
    from satu_anak.synthetic.loader import seed as load
    from subgraphs.common.settings import GATEWAY_PUBLIC_KEY_VARIABLE, data_dir

    report = asyncio.run(load(children, seed, only_if_empty=True))
    print(report.summary(), flush=True)
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

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
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
                env=subgraph_env,
                # Ctrl-C reaches the whole process group; we stop children ourselves, in order.
                start_new_session=True,
            )
        # The development issuer: tokens of the sample users verify against its public keys.
        issuer_url = f"http://{host}:{issuer_port(base_port)}"
        processes["issuer"] = subprocess.Popen(
            [
                *(sys.executable, "-m", "satu_anak.cli", "issuer"),
                *("--host", host, "--port", str(issuer_port(base_port)), "--url", issuer_url),
            ],
            env=subgraph_env,
            start_new_session=True,
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
            env=gateway_env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        pending = {**ports, "issuer": issuer_port(base_port), "gateway": base_port}
        while pending and not stopping:
            for name, port in list(pending.items()):
                if processes[name].poll() is not None:
                    print(f"{name} exited during start-up", file=sys.stderr)
                    return 1
                if _healthy(port, host):
                    if name == "issuer":
                        print(f"development OIDC issuer: {issuer_url}", flush=True)
                    else:
                        label = "gateway (GraphiQL)" if name == "gateway" else name
                        print(f"{label}: http://{host}:{port}/graphql", flush=True)
                    del pending[name]
            if time.monotonic() > deadline:
                print(f"not healthy after 60 s: {', '.join(pending)}", file=sys.stderr)
                return 1
            time.sleep(0.2)
        if not stopping:
            default = base_port == BASE_PORT and host == "127.0.0.1"
            issuer_flag = "" if default else f" --issuer {issuer_url}"
            print(
                f"Sample users' access tokens: satu-anak token ROLE [--user ID]{issuer_flag} "
                "(`satu-anak token` lists the users)",
                flush=True,
            )
            print("Satu Anak is up. Ctrl-C stops everything.", flush=True)
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        _stop(processes)
        print("stopped", flush=True)
