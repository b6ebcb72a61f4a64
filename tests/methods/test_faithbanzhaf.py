from __future__ import annotations

import numpy as np
import pytest
from brute import fbii, table
from brute_force import max_gap

import ablatio
from ablatio import BudgetTooSmallError, Exact, FaithBanzhaf
from ablatio.exceptions import ParameterError
from ablatio.games.synthetic import sparse_and_game


def _game(n: int, seed: int = 0, order: int = 4):
    return sparse_and_game(n, n_terms=min(12, 2**n - 1), max_order=min(n, order), random_state=seed)


@pytest.mark.parametrize(("n", "k"), [(2, 1), (3, 2), (5, 2), (6, 3), (7, 1), (9, 3), (10, 2)])
def test_full_budget_equals_closed_form(n, k):
    game = _game(n, seed=n + k)
    est = FaithBanzhaf(max_order=k, budget=2**n, random_state=0).fit(game)
    closed = Exact().fit(game).interactions_.index("fbii", k)
    assert max_gap(est.interactions_.as_dict(), closed.as_dict()) < 1e-8


@pytest.mark.parametrize(("n", "k"), [(4, 2), (6, 1), (6, 3)])
def test_closed_form_matches_least_squares_definition(n, k):
    game = _game(n, seed=5)
    closed = game.true_interactions.index("fbii", k).as_dict()
    assert max_gap(closed, fbii(table(game, n), n, k)) < 1e-10


def test_full_budget_equals_truncated_fourier_spectrum():
    game = _game(7, seed=3)
    est = FaithBanzhaf(max_order=2, budget=128).fit(game).interactions_
    truncated = Exact(max_order=2).fit(game).interactions_
    assert max_gap(est.as_dict(), truncated.as_dict()) < 1e-10


def test_order_one_slopes_are_banzhaf_values():
    game = _game(8, seed=1)
    slopes = FaithBanzhaf(max_order=1, budget=256).fit(game).interactions_
    np.testing.assert_allclose(
        slopes.banzhaf_values(), game.true_interactions.banzhaf_values(), atol=1e-8
    )


def test_game_of_order_k_is_recovered_exactly_from_a_sample():
    game = _game(10, seed=2, order=2)
    est = FaithBanzhaf(max_order=2, budget=150, random_state=0).fit(game)
    assert est.interactions_.allclose(game.true_interactions, atol=1e-8)


def test_error_decreases_with_budget():
    game = _game(9, seed=4)
    truth = game.true_interactions.index("fbii", 2).as_dict()
    errors = []
    for budget in (60, 160, 420):
        gaps = [
            max_gap(
                FaithBanzhaf(budget=budget, random_state=s).fit(game).interactions_.as_dict(),
                truth,
            )
            for s in range(6)
        ]
        errors.append(np.mean(gaps))
    assert errors[0] > errors[1] > errors[2]


def test_budget_too_small_states_the_number_of_parameters():
    with pytest.raises(BudgetTooSmallError, match="56") as info:
        FaithBanzhaf(max_order=2, budget=10).fit(_game(10))
    assert info.value.minimum == 56


def test_max_order_above_n_raises():
    with pytest.raises(ParameterError, match="max_order"):
        ablatio.explain(_game(3), method="faithbanzhaf", budget=8, max_order=4)


def test_determinism():
    game = _game(8)
    a = FaithBanzhaf(budget=100, random_state=9).fit(game).interactions_
    b = FaithBanzhaf(budget=100, random_state=9).fit(game).interactions_
    assert a == b
