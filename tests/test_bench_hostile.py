"""bench/hostile: its attack documents, the misbehaving agency, the table, and one cheap scenario
run end to end (the real subgraphs, issuer and gateway from this tree), so the harness the
before/after table of issue 9 comes from cannot rot."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from graphql import parse
from graphql.language import FieldNode, OperationDefinitionNode, SelectionSetNode

from tests.bench_support import BENCH, load_bench

hostile = load_bench("bench_hostile_run", BENCH / "hostile" / "run.py")
fake_agency = hostile.fake_agency_module()


def depth(selection_set: SelectionSetNode | None) -> int:
    if selection_set is None:
        return 0
    return 1 + max(
        (depth(s.selection_set) for s in selection_set.selections if isinstance(s, FieldNode)),
        default=0,
    )


def operation(document: str) -> OperationDefinitionNode:
    node = parse(document).definitions[0]
    assert isinstance(node, OperationDefinitionNode)
    return node


def test_the_fragment_bomb_is_small_and_doubles_at_every_level() -> None:
    document = hostile.fragment_bomb(29)
    assert len(document.encode()) < 1500
    definitions = parse(document).definitions
    assert len(definitions) == 1 + 30
    # F29 spreads F28 twice, and so on: 2^29 copies of F0's field once expanded.
    assert document.count("...F28") == 2 and "query Bomb { ...F29 }" in document


@pytest.mark.parametrize("levels", [20, 63])
def test_the_deep_queries_have_the_depth_they_are_named_for(levels: int) -> None:
    balai = operation(hostile.deep_balai(levels, "RUMBAI"))
    complaints = operation(hostile.deep_complaints(levels, "ANK000000003"))
    assert depth(balai.selection_set) == levels
    assert depth(complaints.selection_set) == levels


def test_the_floods_are_as_wide_as_asked() -> None:
    aliases = operation(hostile.alias_flood(1500))
    first = aliases.selection_set.selections[0]
    assert isinstance(first, FieldNode) and first.selection_set is not None
    assert len(first.selection_set.selections) == 1500
    roots = operation(hostile.root_fields(500, ["ANK1", "ANK2"]))
    assert len(roots.selection_set.selections) == 500


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def start_fake(mode: str, port: int, huge_mb: int = 2) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            str(hostile.FAKE),
            "--mode",
            mode,
            "--port",
            str(port),
            "--huge-mb",
            str(huge_mb),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not hostile.answers_http(port):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return process


def test_the_fake_agency_misbehaves_as_announced() -> None:
    port = free_port()
    process = start_fake("error", port)
    try:
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ x }"})
        assert answer.status_code == 500
        assert all(marker in answer.text for marker in fake_agency.LEAK_MARKERS)
        assert httpx.get(f"http://127.0.0.1:{port}/count").json() == 1
    finally:
        process.terminate()
        process.wait()
    port = free_port()
    process = start_fake("huge", port, huge_mb=2)
    try:
        with httpx.stream("POST", f"http://127.0.0.1:{port}/graphql", json={}) as answer:
            assert "content-length" not in answer.headers  # streamed: no size in advance
            size = sum(len(chunk) for chunk in answer.iter_bytes())
        assert size > 2 * 1024 * 1024
    finally:
        process.terminate()
        process.wait()
    port = free_port()
    process = start_fake("hang", port)
    try:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"http://127.0.0.1:{port}/graphql", json={}, timeout=0.5)
    finally:
        process.terminate()
        process.wait()


def result(status: str, seconds: float, gateway: float) -> dict[str, object]:
    return {
        "title": "fragment bomb",
        "status": status,
        "seconds": seconds,
        "gateway_peak_mb": gateway,
        "subgraph_peak_mb": {"balai": 900.0, "dinsos": 80.0},
        "subgraph_start_mb": {"balai": 78.0, "dinsos": 79.0},
        "subgraphs_died": [],
    }


def test_the_comparison_puts_before_and_after_side_by_side() -> None:
    meta = {
        "source": "/t",
        "commit": "abc",
        "date": "d",
        "loadavg_before": "1",
        "loadavg_after": "2",
        "seconds": 60,
    }
    before = {**meta, "scenarios": {"fragments-29": result("timed out (35 s)", 35.1, 534.0)}}
    after = {**meta, "scenarios": {"fragments-29": result("400 OPERATION_TOO_LARGE", 0.01, 62.0)}}
    text = hostile.compare(before, after)
    row = next(line for line in text.splitlines() if line.startswith("| fragment bomb"))
    assert row == (
        "| fragment bomb | timed out (35 s) | 35.10 s | 534 MB | balai 900 MB "
        "| 400 OPERATION_TOO_LARGE | 0.01 s | 62 MB | balai 900 MB |"
    )


def test_arguments() -> None:
    args = hostile.parse_args(["--gateway-env", "SATU_ANAK_MAX_DEPTH=15"])
    assert args.gateway_env == {"SATU_ANAK_MAX_DEPTH": "15"}
    assert args.source == hostile.REPO and len(args.selected) == len(hostile.scenarios(args))
    with pytest.raises(SystemExit):
        hostile.parse_args(["--scenarios", "nothing"])
    with pytest.raises(SystemExit):
        hostile.parse_args(["--gateway-env", "NOEQUALS"])


def free_base() -> int:
    for base in range(34_000, 40_000, 20):
        if all(hostile.port_free(base + i) for i in (*range(1, 6), 9, 10, 11)):
            return base
    raise RuntimeError("no free ports")


@pytest.mark.slow
def test_one_scenario_end_to_end(tmp_path: Path) -> None:
    """The real system from this tree, one cheap scenario (an agency answering 500s)."""
    out = tmp_path / "smoke.json"
    code = hostile.main(
        [
            "--label",
            "smoke",
            "--out",
            str(out),
            "--scenarios",
            "agency-500s",
            "--error-requests",
            "3",
            "--children",
            "30",
            "--base-port",
            str(free_base()),
        ]
    )
    assert code == 0
    run = json.loads(out.read_text())
    assert run["source"] == str(hostile.REPO) and run["machine"]["cores"]
    scenario = run["scenarios"]["agency-500s"]
    assert not scenario["status"].startswith("harness failure"), scenario
    assert scenario["status"][:3].isdigit(), scenario  # an HTTP status, whatever the gateway says
    assert 1 <= scenario["agency_requests"] <= 3 * 4  # reached the fake agency (retries allowed)
    assert scenario["gateway_peak_mb"] > 20
    assert all(peak > 20 for peak in scenario["subgraph_peak_mb"].values())
