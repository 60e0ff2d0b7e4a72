"""End to end: `satu-anak up` seeds when empty, serves subgraphs, the development issuer and the
gateway over HTTP, stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from auth.dev_issuer import DEV_AUDIENCE
from auth.grant import GRANT_HEADER, Grantee, GrantSigner
from auth.tokens import TokenVerifier, VerifierConfig
from satu_anak.cli import main as satu_anak
from satu_anak.ports import issuer_port, subgraph_ports
from satu_anak.up import GRANT_KEY_FILE
from tests.ports import free_base_port

pytestmark = pytest.mark.slow

CATS = frozenset({"identity.basic", "identity.full"})


def _start(data_dir: Path, base_port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env["SATU_ANAK_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "satu_anak.cli",
            "up",
            "--children",
            "300",
            "--base-port",
            str(base_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _wait_until_up(process: subprocess.Popen[str], timeout: float = 120) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Satu Anak is up" in line:
            return lines
    process.kill()
    raise AssertionError("did not come up:\n" + "".join(lines))


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def _query(port: int, query: str, **headers: str) -> dict[str, Any]:
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql", json={"query": query}, headers=headers, timeout=10
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


def _signed(data_dir: Path, subgraph: str, port: int, query: str) -> dict[str, Any]:
    """Ask a subgraph directly, as the gateway would: under a grant signed with `up`'s key."""
    signer = GrantSigner.from_file(data_dir / GRANT_KEY_FILE)
    body = json.dumps({"query": query}).encode()
    grantee = Grantee(
        "test", "disdukcapil_officer", "disdukcapil", None, ("14",), "identity.resolution", CATS
    )
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        content=body,
        headers={
            "content-type": "application/json",
            GRANT_HEADER: signer.sign(subgraph, grantee, body),
        },
        timeout=10,
    )
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    assert "errors" not in answer, answer
    return answer["data"]


async def _principal_subject(issuer: str, token: str) -> str:
    verifier = TokenVerifier(VerifierConfig(issuer=issuer, audience=DEV_AUDIENCE))
    try:
        return (await verifier.authenticate(token)).subject
    finally:
        await verifier.aclose()


def test_up_serves_seeded_subgraphs_and_stops_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = free_base_port(15_000)
    ports = subgraph_ports(base)
    process = _start(tmp_path, base)
    try:
        lines = _wait_until_up(process)
        # The development issuer: a sample user's token verifies against its published keys.
        issuer = f"http://127.0.0.1:{issuer_port(base)}"
        assert any(f"satu-anak token ROLE [--user ID] --issuer {issuer}" in li for li in lines)
        monkeypatch.setenv("SATU_ANAK_DATA_DIR", str(tmp_path))
        # The Rumbai caseworker holding the seeded break-glass grant on ANK000000001: every
        # agency's part of the picture below is theirs to see (the consent rules per role are
        # tests/test_consent_e2e.py's).
        user = ["balai_caseworker", "--user", "balai-rumbai-unassigned"]
        assert satu_anak(["token", *user, "--issuer", issuer]) == 0
        token = capsys.readouterr().out.strip()
        assert asyncio.run(_principal_subject(issuer, token)) == "balai-rumbai-unassigned"
        for name, port in ports.items():
            health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
            assert health.json() == {"status": "ok", "subgraph": name}
        # Subgraphs answer only the gateway: unsigned, 401; under a grant of `up`'s key, data.
        assert stat.S_IMODE((tmp_path / GRANT_KEY_FILE).stat().st_mode) == 0o600
        direct = httpx.post(
            f"http://127.0.0.1:{ports['disdukcapil']}/graphql",
            json={"query": "{ searchChildren { totalCount } }"},
            timeout=10,
        )
        assert direct.status_code == 401
        count = "{ searchChildren { totalCount } }"
        index = _signed(tmp_path, "disdukcapil", ports["disdukcapil"], count)
        total = index["searchChildren"]["totalCount"]
        # Of the 300 seeded children (and the planted stories), only those in the grant's
        # jurisdiction (Riau, 14) are counted.
        assert 50 <= total < 300
        story = _signed(
            tmp_path,
            "disdukcapil",
            ports["disdukcapil"],
            '{ child(id: "ANK000000001") { id name } }',
        )
        assert story["child"]["name"]
        # The gateway answers one child's picture from all four agencies, to a signed-in
        # officer declaring a purpose of the role, and to nobody else.
        assert httpx.get(f"http://127.0.0.1:{base}/health", timeout=5).status_code == 200
        query = (
            '{ child(id: "ANK000000001") { name pkh { compliance { latestCompliant } } '
            "welfare { decile } complaints { status } cases { stage balai { name } } } }"
        )
        anonymous = httpx.post(f"http://127.0.0.1:{base}/graphql", json={"query": query})
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        picture = _query(
            base,
            query,
            authorization=f"Bearer {token}",
            **{"x-satu-anak-purpose": "case.management"},
        )["child"]
        assert picture["name"] == story["child"]["name"]
        assert picture["pkh"]["compliance"]["latestCompliant"] is False
        assert picture["welfare"]["decile"] >= 1
        assert picture["complaints"] == []
        assert picture["cases"][0]["stage"] == "INTERVENTION"
    finally:
        code = _stop(process)
    assert code == 0
    for port in [base, *ports.values(), issuer_port(base)]:
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)

    # A second start finds data and does not seed again.
    process = _start(tmp_path, base)
    try:
        _wait_until_up(process)
        again = _signed(tmp_path, "disdukcapil", ports["disdukcapil"], count)
        assert again["searchChildren"]["totalCount"] == total
    finally:
        assert _stop(process) == 0
