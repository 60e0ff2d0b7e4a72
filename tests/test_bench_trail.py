"""bench/trail: its plan, the enforcement-only config, the access-log count, the load generator
(against a small local server) and the report; nothing of Satu Anak is started or timed."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tomllib
from pathlib import Path

import pytest
from aiohttp import web

from tests.bench_support import BENCH, load_bench

trail = load_bench("bench_trail_run", BENCH / "trail" / "run.py")
load = load_bench("bench_trail_load", BENCH / "trail" / "load.py")
consent_bench = trail.cb  # bench/consent/run.py, as bench/trail/run.py imported it


def test_arguments_and_quick_mode() -> None:
    args = trail.parse_args([])
    assert (args.rounds, args.requests, args.load_rounds, args.concurrency) == (6, 200, 5, 32)
    assert args.workloads == ["picture", "identity"] and args.load_workloads == ["picture"]
    quick = trail.parse_args(["--quick"])
    assert (quick.rounds, quick.load_rounds, quick.no_write) == (1, 1, True)
    with pytest.raises(SystemExit):
        trail.parse_args(["--workloads", "picture,nothing"])
    with pytest.raises(SystemExit):
        trail.parse_args(["--requests", "0"])


def test_each_gateway_takes_each_place_in_turn() -> None:
    orders = [trail.order(r) for r in range(3)]
    assert orders[0] == ("off", "consent", "audit")
    for place in range(3):
        assert {o[place] for o in orders} == {"off", "consent", "audit"}
    assert trail.order(3) == orders[0]


def test_ports_do_not_collide() -> None:
    subgraphs, issuer, gateways = trail.ports(4800)
    numbers = [*subgraphs.values(), issuer, *gateways.values()]
    assert len(set(numbers)) == len(numbers)
    assert subgraphs["consent"] == 4805 and gateways["consent"] == 4811


def test_the_enforcement_config_is_the_gateway_s_without_audit(tmp_path: Path) -> None:
    original = tomllib.loads(consent_bench.GATEWAY_CONFIG.read_text())
    assert "audit" in original and "consent" in original
    stripped = tomllib.loads(consent_bench.enforcement_config(tmp_path).read_text())
    assert stripped == {k: v for k, v in original.items() if k != "audit"}


def test_the_environment_drops_the_caller_s_keys_and_access_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SATU_ANAK_AUDIT_URL", "http://elsewhere/audit/append")
    monkeypatch.setenv("SATU_ANAK_GRANT_KEY", "/elsewhere.pem")
    env = consent_bench.bench_env(tmp_path)
    assert env["SATU_ANAK_DATA_DIR"] == str(tmp_path)
    assert "SATU_ANAK_AUDIT_URL" not in env and "SATU_ANAK_GRANT_KEY" not in env
    # The load comes from one address at many times a human's rate: no rate limits.
    assert env["SATU_ANAK_RATE_LIMIT"] == "off"


def test_log_size_reads_the_head(tmp_path: Path) -> None:
    database = tmp_path / "audit.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE audit_head (id INTEGER PRIMARY KEY, size INT, head BLOB)")
        connection.execute("INSERT INTO audit_head VALUES (1, 42, x'00')")
    connection.close()
    assert trail.log_size(database) == 42


def test_the_load_counts_every_request_it_sends() -> None:
    async def scenario() -> tuple[dict[str, object], int]:
        seen = 0

        async def answer(request: web.Request) -> web.Response:
            nonlocal seen
            seen += 1
            number = seen  # this request's own count: ``seen`` moves on during the sleep
            await request.read()
            await asyncio.sleep(0.002)
            return web.json_response({"data": {}}, status=200 if number % 10 else 503)

        app = web.Application()
        app.router.add_post("/graphql", answer)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            result = await load.run_load(
                f"http://127.0.0.1:{port}/graphql",
                b'{"query": "{ x }"}',
                {"content-type": "application/json"},
                concurrency=4,
                duration=0.3,
                warmup=0.1,
                watch={"self": os.getpid()},
            )
        finally:
            await runner.cleanup()
        return result, seen

    result, seen = asyncio.run(scenario())
    statuses: dict[str, int] = result["statuses"]  # type: ignore[assignment]
    warm: dict[str, int] = result["warmup_statuses"]  # type: ignore[assignment]
    assert result["transport_errors"] == 0
    assert result["warmup_sent"] + result["sent"] == seen  # type: ignore[operator]
    assert sum(statuses.values()) == result["sent"] and sum(warm.values()) == result["warmup_sent"]
    assert statuses.get("503", 0) > 0 and result["rps"] > 0  # type: ignore[operator]
    assert result["cpu_ms"]["self"] > 0  # type: ignore[index]


def _cpu_round(cpu: float, records: int) -> object:
    gateway = consent_bench.Round([10.0, 12.0], [cpu, cpu + 0.1], cpu)
    return trail.CpuRound(gateway, 1.0, records, 2)


def _load_round(rps: float, records: int) -> object:
    return trail.LoadRound(rps, 100, 10, {"200": 100}, 0, 50.0, 90.0, 1.5, 3.0, records)


def test_the_report_shows_what_audit_adds() -> None:
    args = trail.parse_args(["--rounds", "2", "--load-rounds", "2"])
    report = trail.Report()
    report.cpu["picture"] = {
        "off": [_cpu_round(2.0, 0), _cpu_round(2.0, 0)],
        "consent": [_cpu_round(3.3, 0), _cpu_round(3.3, 0)],
        "audit": [_cpu_round(3.8, 2), _cpu_round(3.8, 2)],
    }
    report.shapes["picture"] = {side: "0 nulls, 0 errors" for side in trail.SIDES}
    report.load["picture"] = {
        "off": [_load_round(100, 0), _load_round(100, 0)],
        "consent": [_load_round(50, 0), _load_round(50, 0)],
        "audit": [_load_round(46, 110), _load_round(44, 110)],
    }
    report.workloads["picture"] = trail.cb.workloads(args)[0]
    text = trail.render(report, args)
    assert "(audit - off) **1.80 ms**" in text and "meets the ≤ 2 ms target" in text
    assert "audit alone (audit - consent) 0.50 ms" in text
    assert "| 220 / 220 (one per request) |" in text
    assert "audit / consent **x0.900**" in text and "(meets the within-10 % target" in text
