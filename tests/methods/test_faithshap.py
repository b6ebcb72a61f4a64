from __future__ import annotations

import numpy as np
import pytest
from brute import fsii, table
from brute_force import max_gap

import ablatio
from ablatio import BudgetTooSmallError, Exact, FaithShap
from ablatio.exceptions import ParameterError
from ablatio.games.synthetic import sparse_and_game


def _game(n: int, seed: int = 0, order: int = 4):
    return sparse_and_game(n, n_terms=min(12, 2**n - 1), max_order=min(n, order), random_state=seed)


@pytest.mark.parametrize(("n", "k"), [(2, 1), (3, 2), (5, 2), (6, 3), (8, 2), (9, 3), (10, 2)])
def test_full_budget_equals_closed_form(n, k):
    game = _game(n, seed=n + k)
    est = FaithShap(max_order=k, budget=2**n, random_state=0).fit(game)
    closed = Exact().fit(game).interactions_.index("fsii", k)
    assert max_gap(est.interactions_.as_dict(), closed.as_dict()) < 1e-8
    assert est.n_queries_ == 2**n


@pytest.mark.parametrize(("n", "k"), [(4, 2), (6, 2), (6, 3)])
def test_closed_form_matches_constrained_regression_definition(n, k):
    game = _game(n, seed=7)
    closed = game.true_interactions.index("fsii", k).as_dict()
    assert max_gap(closed, fsii(table(game, n), n, k)) < 1e-9


def test_order_one_is_kernelshap():
    game = _game(8, seed=1)
    phi = FaithShap(max_order=1, budget=256).fit(game).interactions_.shapley_values()
    np.testing.assert_allclose(phi, game.true_interactions.shapley_values(), atol=1e-8)


def test_game_of_order_k_is_recovered_exactly_from_a_sample():
    game = _game(10, seed=2, order=2)
    est = FaithShap(max_order=2, budget=200, random_state=0).fit(game)
    assert est.interactions_.allclose(game.true_interactions, atol=1e-8)


def test_error_decreases_with_budget():
    game = _game(9, seed=4)
    truth = game.true_interactions.index("fsii", 2).as_dict()
    errors = []
    for budget in (80, 200, 480):
        gaps = [
            max_gap(
                FaithShap(budget=budget, random_state=s).fit(game).interactions_.as_dict(), truth
            )
            for s in range(6)
        ]
        errors.append(np.mean(gaps))
    assert errors[0] > errors[1] > errors[2]


def test_budget_too_small_states_the_number_of_parameters():
    # n=10, k=2: 1 + 10 + 45 = 56 parameters
    with pytest.raises(BudgetTooSmallError, match="56") as info:
        FaithShap(max_order=2, budget=55).fit(_game(10))
    assert info.value.minimum == 56


def test_max_order_above_n_raises():
    with pytest.raises(ParameterError, match="max_order"):
        ablatio.explain(_game(4), method="faithshap", budget=16, max_order=5)


def test_determinism():
    game = _game(8)
    a = FaithShap(budget=100, random_state=9).fit(game).interactions_
    b = FaithShap(budget=100, random_state=9).fit(game).interactions_
    assert a == b


def test_sample_that_does_not_identify_every_term_stays_bounded():
    # n=12, k=2: 79 parameters; 100 coalitions leave some terms unidentified
    game = ablatio.hierarchical_game(12, n_terms=25, max_order=3, random_state=1)
    est = FaithShap(max_order=2, budget=100, random_state=0).fit(game)
    assert np.abs(est.interactions_.coefficients).max() < 10
    assert ablatio.faithfulness(est, game, n_test=300, random_state=0) > 0.5
