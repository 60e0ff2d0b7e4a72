"""`satu-anak gateway` as a process: /metrics on the metrics port only, JSON logs by default."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from gateway.config import GatewayConfig
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def _get(url: str) -> tuple[int, str]:
    # The header a GET needs past CSRF prevention.
    request = urllib.request.Request(url, headers={"apollo-require-preflight": "true"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_metrics_settings_from_the_environment() -> None:
    config = GatewayConfig.from_env(
        {"SATU_ANAK_METRICS_PORT": "9464", "SATU_ANAK_METRICS_HOST": "0.0.0.0"}
    )
    assert (config.metrics_port, config.metrics_host) == (9464, "0.0.0.0")
    assert GatewayConfig().metrics_port is None  # not served unless asked for


def test_the_gateway_process_serves_metrics_on_their_own_port_only() -> None:
    port, metrics = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SATU_ANAK_", "OTEL_"))} | {
        "SATU_ANAK_METRICS_PORT": str(metrics),
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "satu_anak.cli", "gateway", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline and status == 0:
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/graphql?query=%7B__typename%7D")
            except OSError:
                assert process.poll() is None, "the gateway exited"
                time.sleep(0.2)
        assert status == 200
        code, text = _get(f"http://127.0.0.1:{metrics}/metrics")
        assert code == 200
        assert 'satu_anak_gateway_requests_total{route="/graphql",status="200"} 1.0' in text
        assert "process_resident_memory_bytes" in text
        public, body = _get(f"http://127.0.0.1:{port}/metrics")
        assert public == 404 and "satu_anak_" not in body
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    # Its log lines are JSON (the default outside `up`).
    lines = [line for line in output.decode().splitlines() if line.strip()]
    assert lines and all(line.startswith("{") for line in lines), lines
