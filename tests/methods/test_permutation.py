from __future__ import annotations

import numpy as np
import pytest
from brute_force import shapley_by_permutations

import ablatio
from ablatio import BudgetTooSmallError, Exact, PermutationShapley
from ablatio.games.synthetic import sparse_and_game


def _game(n: int, seed: int = 0):
    return sparse_and_game(n, n_terms=min(12, 2**n - 1), max_order=min(n, 4), random_state=seed)


@pytest.mark.parametrize("n", [1, 2, 4, 7, 10])
def test_full_budget_equals_exact_shapley(n):
    game = _game(n, seed=n)
    est = PermutationShapley(budget=2**n, random_state=0).fit(game)
    exact = Exact().fit(game).interactions_.shapley_values()
    np.testing.assert_allclose(est.interactions_.shapley_values(), exact, atol=1e-8)
    assert est.n_queries_ == 2**n


def test_full_budget_matches_all_orders_by_brute_force():
    game = _game(5, seed=2)
    phi = PermutationShapley(budget=32).fit(game).interactions_.shapley_values()
    np.testing.assert_allclose(phi, shapley_by_permutations(game, 5), atol=1e-10)


def test_sampled_estimate_is_efficient_and_within_budget():
    game = _game(9, seed=1)
    est = PermutationShapley(budget=100, random_state=3).fit(game)
    assert est.n_queries_ <= 100
    assert est.n_permutations_ >= 100 // 8
    phi = est.interactions_.shapley_values()
    full, empty = game(np.ones((1, 9), bool))[0], game(np.zeros((1, 9), bool))[0]
    assert phi.sum() == pytest.approx(full - empty, abs=1e-10)
    assert est.interactions_[()] == pytest.approx(empty)


def test_additive_game_is_exact_with_one_permutation():
    coef = np.array([0.5, 1.0, -2.0, 3.0, 0.25])
    truth = ablatio.Interactions([(), (0,), (1,), (2,), (3,)], coef, n_players=4)
    game = ablatio.SyntheticGame(truth)
    est = PermutationShapley(budget=5, random_state=0).fit(game)
    assert est.n_permutations_ >= 1
    assert est.interactions_.allclose(truth, atol=1e-12)


def test_error_decreases_with_budget():
    game = _game(10, seed=4)
    truth = game.true_interactions.shapley_values()
    errors = []
    for budget in (40, 200, 800):
        runs = [
            PermutationShapley(budget=budget, random_state=s)
            .fit(game)
            .interactions_.shapley_values()
            for s in range(8)
        ]
        errors.append(np.mean([np.linalg.norm(r - truth) for r in runs]))
    assert errors[0] > errors[1] > errors[2]


def test_budget_too_small_states_minimum():
    with pytest.raises(BudgetTooSmallError, match="9") as info:
        PermutationShapley(budget=8).fit(_game(8))
    assert info.value.minimum == 9


def test_determinism():
    game = _game(8)
    a = PermutationShapley(budget=50, random_state=1).fit(game).interactions_
    b = PermutationShapley(budget=50, random_state=1).fit(game).interactions_
    assert a == b
