"""bench/identity/evaluate.py's threshold grid, one world and several pooled (--pool): the
counts it prints are the top candidates', over every world's queries."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bench_support import BENCH, load_bench

evaluate = load_bench("bench_identity_evaluate", BENCH / "identity" / "evaluate.py")


def _run(tops: list[tuple[float, bool, bool, bool]], matchable: int, no_match: int) -> Any:
    run = evaluate.Run("m")
    run.tops.extend(tops)
    run.matchable["ALL"].queries = matchable
    run.no_match["ALL"].queries = no_match
    return run


def test_the_grid_counts_right_wrong_and_false_autos_above_each_threshold() -> None:
    # (score, right?, matchable?, held by a warning?)
    run = _run(
        [(0.95, True, True, False), (0.9, False, False, False), (0.8, True, True, True)], 4, 2
    )
    rows = evaluate.threshold_grid(run, (0.85, 0.7))
    assert rows[2] == "| 0.850 | 50.0 % | 25.0 % | 50.0 % |"
    assert rows[3] == "| 0.700 | 50.0 % | 25.0 % | 50.0 % |"  # the held one never counts


def test_pooled_worlds_add_their_tops_and_their_queries() -> None:
    one = _run([(0.95, True, True, False), (0.9, False, False, False)], 4, 2)
    two = _run([(0.99, True, True, False), (0.97, True, True, False)], 6, 8)
    pooled = evaluate.pool([one, two])
    assert (pooled.matchable["ALL"].queries, pooled.no_match["ALL"].queries) == (10, 10)
    rows = evaluate.threshold_grid(pooled, (0.96, 0.85))
    assert rows[2] == "| 0.960 | 100.0 % | 20.0 % | 0.0 % |"
    assert rows[3] == "| 0.850 | 75.0 % | 30.0 % | 10.0 % |"
    assert len(one.tops) == 2  # the worlds' own runs are left as they were


def test_pool_is_refused_without_choose_bands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        evaluate.main(["--pool", "somewhere"])
    assert exit_.value.code == 2
    assert "--pool: only with --choose-bands" in capsys.readouterr().err


def test_the_table_counts_the_top_1_and_top_5_hits_it_rates() -> None:
    # Percentages round: a target like 99.5 % is read off the counts.
    run = _run([], 2166, 722)
    run.matchable["ALL"].top1, run.matchable["ALL"].top5 = 2150, 2157
    lines = evaluate.table(run)
    assert "| ALL | 2166 | 99.3 % | 99.6 % | 0 | – | 0.0 % |" in lines
    assert "Matchable records whose person is first / in the top 5: 2150 / 2157 of 2166." in lines
