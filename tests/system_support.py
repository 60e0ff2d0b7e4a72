"""The whole system as `satu-anak up` starts it (five subgraphs, the development issuer, the
gateway with config/gateway.toml) over freshly seeded data in a temporary folder, and a client
that asks it over real HTTP with the sample users' real signed tokens."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from satu_anak.ports import issuer_port

ROLES = {
    "pkh-fac-pekanbaru": "pkh_facilitator",
    "pkh-fac-padang": "pkh_facilitator",
    "pkh-coord-pekanbaru": "pkh_coordinator",
    "disdukcapil-batam": "disdukcapil_officer",
    "disdukcapil-supervisor-batam": "disdukcapil_supervisor",
    "dinsos-pekanbaru": "dinsos_officer",
    "peksos-pekanbaru": "sakti_peksos",
    "balai-rumbai-assigned": "balai_caseworker",
    "balai-rumbai-unassigned": "balai_caseworker",
    "balai-alyatama": "balai_caseworker",
    "balai-rumbai-supervisor": "balai_supervisor",
    "auditor": "auditor",
    "secretariat": "data_sharing_secretariat",
}


class System:
    def __init__(self, base: int, data_dir: Path) -> None:
        self.base = base
        self.data_dir = data_dir
        self._tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self._tokens:
            env = {**os.environ, "SATU_ANAK_DATA_DIR": str(self.data_dir)}
            issuer = f"http://127.0.0.1:{issuer_port(self.base)}"
            self._tokens[user] = subprocess.check_output(
                [
                    sys.executable,
                    "-m",
                    "satu_anak.cli",
                    "token",
                    ROLES[user],
                    "--user",
                    user,
                    "--issuer",
                    issuer,
                ],
                env=env,
                text=True,
            ).strip()
        return self._tokens[user]

    def ask(
        self, user: str, purpose: str, query: str, variables: dict[str, Any] | None = None
    ) -> httpx.Response:
        return httpx.post(
            f"http://127.0.0.1:{self.base}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={
                "authorization": f"Bearer {self.token(user)}",
                "x-satu-anak-purpose": purpose,
            },
            timeout=30,
        )

    def body(self, user: str, purpose: str, query: str, **variables: Any) -> dict[str, Any]:
        response = self.ask(user, purpose, query, variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        # `up` runs the gateway in development mode, which reports each answer's cost
        # (`extensions.cost`, docs/limits.md; tested in tests/gateway/test_demand_e2e.py): these
        # tests compare data and errors, so the report is set aside.
        extensions = body.get("extensions")
        if isinstance(extensions, dict):
            extensions.pop("cost", None)
            if not extensions:
                del body["extensions"]
        return body


@contextlib.contextmanager
def running_system(
    data_dir: Path, base: int, children: int = 300, environ: Mapping[str, str] | None = None
) -> Iterator[System]:
    """`satu-anak up --children N --base-port BASE` over `data_dir`, stopped (SIGINT) after;
    `environ`: variables for its processes (over the test's)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env["SATU_ANAK_DATA_DIR"] = str(data_dir)
    env.update(environ or {})
    log = data_dir / "up.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "satu_anak.cli",
                "up",
                "--children",
                str(children),
                "--base-port",
                str(base),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 120
        while "Satu Anak is up" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("did not come up:\n" + log.read_text()[-4000:])
            time.sleep(0.2)
        yield System(base, data_dir)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
