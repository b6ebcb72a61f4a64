"""``ablatio compare``: every method on one target at the same budgets."""

from __future__ import annotations

import json

import pytest

from ablatio.cli.compare import compare_methods
from ablatio.games.game import Game
from ablatio.games.synthetic import sparse_parity_game

GAME = "compare game --kind parity --n 6 --terms 5 --order 2".split()


def test_compare_reports_each_method_and_budget(cli, tmp_path, last_json):
    result = cli(*GAME, "--methods", "exact,kernelshap", "--budget", "64", "--budget", "32",
                 "--json", "--out", tmp_path, "--n-test", "100")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    payload = last_json(result)
    runs = [(row["method"], row["budget"]) for row in payload["methods"]]
    assert runs == [("exact", 64), ("exact", 32), ("kernelshap", 64), ("kernelshap", 32)]
    exact = payload["methods"][0]
    assert exact["n_queries"] == 64 and exact["r2"] == pytest.approx(1.0)
    assert exact["error"] is None
    too_small = payload["methods"][1]
    assert "budget=32" in too_small["error"] and too_small["r2"] is None
    assert json.loads((tmp_path / "compare.json").read_text())["methods"] == payload["methods"]


def test_table_output(cli):
    result = cli(*GAME, "--methods", "exact", "--budget", "64", "--n-test", "50")
    assert result.exit_code == 0
    assert "exact" in result.stderr and "1.0000" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [(("--methods", "exact,oracle", "--budget", "64"), "oracle"), ((), "--budget is required")],
)
def test_usage_errors_exit_2(cli, args, message):
    result = cli(*GAME, *args)
    assert result.exit_code == 2 and message in result.stderr


def test_methods_share_the_game_but_count_their_own_budget():
    game = Game(sparse_parity_game(5, n_terms=3, max_order=2, random_state=1))
    rows = compare_methods(game, ["exact", "exact"], [32], max_order=None, seed=0, n_test=40)
    assert [r["n_queries"] for r in rows] == [32, 32]
    assert [r["n_evaluated"] for r in rows] == [32, 0]  # the second run reuses every ablation
    assert game.n_evaluated == 32
