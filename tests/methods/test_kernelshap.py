from __future__ import annotations

import numpy as np
import pytest
from brute_force import shapley_by_permutations

import ablatio
from ablatio import BudgetTooSmallError, Exact, KernelSHAP
from ablatio.exceptions import ParameterError
from ablatio.games.synthetic import sparse_and_game


def _game(n: int, seed: int = 0):
    return sparse_and_game(n, n_terms=min(12, 2**n - 1), max_order=min(n, 4), random_state=seed)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 10])
@pytest.mark.parametrize("pairing", [True, False])
def test_full_budget_equals_exact_shapley(n, pairing):
    game = _game(n, seed=n)
    exact = Exact().fit(game).interactions_.shapley_values()
    est = KernelSHAP(budget=2**n, pairing=pairing, random_state=0).fit(game)
    np.testing.assert_allclose(est.interactions_.shapley_values(), exact, rtol=0, atol=1e-8)
    assert est.n_queries_ == 2**n


def test_exact_shapley_matches_permutation_definition():
    game = _game(6, seed=3)
    phi = KernelSHAP(budget=64).fit(game).interactions_.shapley_values()
    np.testing.assert_allclose(phi, shapley_by_permutations(game, 6), atol=1e-10)


def test_budget_above_full_uses_every_mask_once():
    game = _game(5)
    est = KernelSHAP(budget=500, random_state=1).fit(game)
    assert est.n_queries_ == 32
    np.testing.assert_allclose(
        est.interactions_.shapley_values(), game.true_interactions.shapley_values(), atol=1e-8
    )


def test_surrogate_is_first_order_with_empty_value():
    game = _game(7)
    result = KernelSHAP(budget=40, random_state=0).fit(game).interactions_
    assert result.basis == "moebius"
    assert result.terms == [(), *((i,) for i in range(7))]
    assert result[()] == pytest.approx(game(np.zeros((1, 7), bool))[0])


def test_efficiency_holds_at_any_budget():
    game = _game(9)
    phi = KernelSHAP(budget=30, random_state=2).fit(game).interactions_.shapley_values()
    full, empty = game(np.ones((1, 9), bool))[0], game(np.zeros((1, 9), bool))[0]
    assert phi.sum() == pytest.approx(full - empty, abs=1e-10)


def test_error_decreases_with_budget():
    game = _game(10, seed=4)
    truth = game.true_interactions.shapley_values()
    errors = []
    for budget in (30, 120, 500):
        runs = [
            KernelSHAP(budget=budget, random_state=s).fit(game).interactions_.shapley_values()
            for s in range(8)
        ]
        errors.append(np.mean([np.linalg.norm(r - truth) for r in runs]))
    assert errors[0] > errors[1] > errors[2]


def test_budget_too_small_states_minimum():
    with pytest.raises(BudgetTooSmallError, match="11") as info:
        KernelSHAP(budget=10).fit(_game(10))
    assert info.value.minimum == 11


def test_max_order_above_one_is_rejected():
    with pytest.raises(ParameterError, match="max_order"):
        ablatio.explain(_game(5), method="kernelshap", budget=20, max_order=2)


def test_same_seed_same_result_other_seed_differs():
    game = _game(8)
    a = KernelSHAP(budget=60, random_state=5).fit(game).interactions_
    b = KernelSHAP(budget=60, random_state=5).fit(game).interactions_
    c = KernelSHAP(budget=60, random_state=6).fit(game).interactions_
    assert a == b
    assert a != c


def test_reachable_through_explain():
    game = _game(6)
    expl = ablatio.explain(game, method="kernelshap", budget=64, random_state=0)
    np.testing.assert_allclose(
        expl.interactions.shapley_values(), game.true_interactions.shapley_values(), atol=1e-8
    )
