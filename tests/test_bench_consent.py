"""bench/consent: its argument parsing and answer bookkeeping only (nothing is started or timed)."""

from __future__ import annotations

import pytest

from tests.bench_support import BENCH, load_bench

run = load_bench("bench_consent_run", BENCH / "consent" / "run.py")
proxy = load_bench("bench_consent_proxy", BENCH / "consent" / "proxy.py")
planning = load_bench("bench_planning", BENCH / "planning.py")


def test_the_picture_is_bench_planning_s() -> None:
    assert run.PICTURE == planning.PICTURE


def test_arguments() -> None:
    args = run.parse_args([])
    assert (args.rounds, args.requests, args.child) == (6, 200, "ANK000000003")
    args = run.parse_args(["--rounds", "2", "--only", "list50", "--list-user", "x"])
    assert [w.name for w in run.workloads(args)] == ["picture", "identity", "list50"]
    assert run.workloads(args)[2].user == "x"
    with pytest.raises(SystemExit):
        run.parse_args(["--requests", "0"])


def test_answer_summary_counts_nodes_nulls_and_error_codes() -> None:
    answer = {
        "data": {"searchChildren": {"nodes": [{"id": "1", "welfare": None}, {"id": "2"}]}},
        "errors": [{"extensions": {"code": "CONSENT_REQUIRED"}}, {"message": "x"}],
    }
    assert run.summarize_answer(answer) == "2 nodes, 1 nulls, 2 errors (? 1, CONSENT_REQUIRED 1)"


def test_percentile_and_collapsed_stacks() -> None:
    assert run.percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 3.0
    top = run.top_frames("main (a.py:1);f (b.py:2) 3\nmain (a.py:1) 1\n")
    assert top[0] == "100.0%  main a.py"
    assert top[1] == " 75.0%  f b.py"


def test_proxy_upstreams() -> None:
    assert proxy.parse_upstreams(["pkh=http://h/graphql"]) == {"pkh": "http://h/graphql"}
    with pytest.raises(ValueError):
        proxy.parse_upstreams(["pkh"])
