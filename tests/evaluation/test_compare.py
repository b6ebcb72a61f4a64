from __future__ import annotations

import numpy as np
import pytest

import ablatio
from ablatio import FaithShap, Game
from ablatio.evaluation.compare import COLUMNS
from ablatio.exceptions import ParameterError
from ablatio.games.synthetic import sparse_and_game


def _game(n: int = 6, seed: int = 0):
    return sparse_and_game(n, n_terms=8, max_order=3, random_state=seed)


def test_ablations_are_evaluated_once_across_methods():
    n = 6
    game = Game(_game(n))
    table = ablatio.compare(
        game, ["exact", "kernelshap", "banzhaf", "faithshap"], [2**n], random_state=0, n_test=50
    )
    assert table["error"].isna().all()
    assert (table["n_queries"] == 2**n).all()
    # exact ran first and evaluated every mask; nothing after it touched the model again
    assert game.n_evaluated == 2**n
    assert table["n_evaluated"].tolist() == [2**n, 0, 0, 0]


def test_tidy_table_with_scores():
    game = _game(8)
    table = ablatio.compare(
        game, ["kernelshap", "faithshap"], [60, 256], max_order=2, random_state=1, n_test=200
    )
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == 4
    assert (table["n_queries"] <= table["budget"]).all()
    assert table["max_order"].tolist() == [1, 1, 2, 2]
    full = table[(table["method"] == "faithshap") & (table["budget"] == 256)]
    exact_fit = ablatio.faithfulness(
        FaithShap(max_order=2, budget=256).fit(game), game, n_test=200, random_state=1
    )
    assert full["r2"].iloc[0] == pytest.approx(exact_fit)
    assert np.all(table["removal"] >= 0)
    assert np.all(table["time"] >= 0)


def test_budget_below_minimum_gives_an_error_row():
    table = ablatio.compare(
        _game(8), ["exact", "faithshap"], [20, 256], max_order=2, random_state=0, n_test=50
    )
    failed = table[table["error"].notna()]
    assert set(zip(failed["method"], failed["budget"], strict=True)) == {
        ("exact", 20),
        ("faithshap", 20),
    }
    assert failed["error"].str.contains("BudgetTooSmallError").all()
    assert failed["error"].str.contains("37").any()  # 1 + 8 + 28 parameters for faithshap
    assert failed["r2"].isna().all()


def test_rows_are_reproducible_and_independent_of_order():
    game = _game(7)
    a = ablatio.compare(game, ["banzhaf", "lime"], [40], random_state=3, n_test=100)
    b = ablatio.compare(_game(7), ["lime", "banzhaf"], [40], random_state=3, n_test=100)
    cols = ["method", "n_queries", "r2", "removal"]
    left = a[cols].sort_values("method").reset_index(drop=True)
    right = b[cols].sort_values("method").reset_index(drop=True)
    assert left.equals(right)


def test_configured_instances_keep_their_settings():
    table = ablatio.compare(
        _game(6), [FaithShap(max_order=3)], [64], max_order=2, random_state=0, n_test=50
    )
    assert table["max_order"].tolist() == [3]


def test_bad_arguments_raise():
    with pytest.raises(ParameterError, match="method"):
        ablatio.compare(_game(), ["no-such-method"], [10])
    with pytest.raises(ParameterError, match="budgets"):
        ablatio.compare(_game(), ["kernelshap"], [0])
    with pytest.raises(ParameterError, match="methods"):
        ablatio.compare(_game(), "kernelshap", [10])
