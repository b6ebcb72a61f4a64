"""``ablatio compare``: every method on one target at the same budget."""

from __future__ import annotations

import json

import pytest

from ablatio.cli.compare import compare_methods
from ablatio.games.game import Game
from ablatio.games.synthetic import sparse_parity_game
from ablatio.methods import METHODS

GAME = "compare game --kind parity --n 6 --terms 5 --order 2".split()


def test_compare_reports_each_method(cli, tmp_path, last_json):
    result = cli(*GAME, "--budget", "64", "--json", "--out", tmp_path, "--n-test", "100")
    assert result.exit_code == 0, result.stderr
    payload = last_json(result)
    assert [row["method"] for row in payload["methods"]] == sorted(METHODS)
    exact = next(row for row in payload["methods"] if row["method"] == "exact")
    assert exact["n_queries"] == 64 and exact["faithfulness"] == pytest.approx(1.0)
    assert json.loads((tmp_path / "compare.json").read_text())["methods"] == payload["methods"]


def test_too_small_budget_is_a_row_not_a_crash(cli, last_json):
    payload = last_json(cli(*GAME, "--methods", "exact", "--budget", "10", "--json"))
    (row,) = payload["methods"]
    assert row["min_budget"] == 64 and "budget=10" in row["error"]


def test_table_output(cli):
    result = cli(*GAME, "--methods", "exact", "--n-test", "50")
    assert result.exit_code == 0
    assert "exact" in result.stderr and "1.0000" in result.stderr


def test_unknown_method_exits_2(cli):
    result = cli(*GAME, "--methods", "exact,oracle")
    assert result.exit_code == 2 and "oracle" in result.stderr


def test_methods_share_the_game_but_count_their_own_budget():
    game = Game(sparse_parity_game(5, n_terms=3, max_order=2, random_state=1))
    rows = compare_methods(game, ["exact", "exact"], budget=None, max_order=None, seed=0, n_test=40)
    assert [r["n_queries"] for r in rows] == [32, 32]
    assert game.n_evaluated == 32  # the second run is served from memory
