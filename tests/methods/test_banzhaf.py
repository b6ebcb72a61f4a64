from __future__ import annotations

import numpy as np
import pytest
from brute import banzhaf, table

import ablatio
from ablatio import Banzhaf, BudgetTooSmallError, Exact
from ablatio.games.synthetic import sparse_and_game


def _game(n: int, seed: int = 0):
    return sparse_and_game(n, n_terms=min(12, 2**n - 1), max_order=min(n, 4), random_state=seed)


@pytest.mark.parametrize("n", [1, 2, 5, 8, 10])
@pytest.mark.parametrize("pairing", [True, False])
def test_full_budget_equals_exact_banzhaf(n, pairing):
    game = _game(n, seed=n)
    est = Banzhaf(budget=2**n, pairing=pairing, random_state=0).fit(game)
    exact = Exact().fit(game).interactions_.banzhaf_values()
    np.testing.assert_allclose(est.interactions_.banzhaf_values(), exact, atol=1e-8)


def test_closed_form_matches_definition():
    game = _game(6, seed=1)
    np.testing.assert_allclose(
        game.true_interactions.banzhaf_values(), banzhaf(table(game, 6), 6), atol=1e-12
    )


def test_full_budget_surrogate_is_order_one_faith_banzhaf():
    game = _game(7, seed=2)
    surrogate = Banzhaf(budget=128).fit(game).interactions_
    closed = Exact().fit(game).interactions_.index("fbii", 1).as_dict()
    for term, value in surrogate.as_dict().items():
        assert value == pytest.approx(closed.get(term, 0.0), abs=1e-10)


def test_error_decreases_with_budget():
    game = _game(10, seed=4)
    truth = game.true_interactions.banzhaf_values()
    errors = []
    for budget in (30, 150, 700):
        runs = [
            Banzhaf(budget=budget, random_state=s).fit(game).interactions_.banzhaf_values()
            for s in range(8)
        ]
        errors.append(np.mean([np.linalg.norm(r - truth) for r in runs]))
    assert errors[0] > errors[1] > errors[2]


def test_budget_too_small_states_minimum():
    with pytest.raises(BudgetTooSmallError, match="2") as info:
        Banzhaf(budget=1).fit(_game(4))
    assert info.value.minimum == 2


def test_unpaired_masks_that_never_drop_a_part_raise():
    game = ablatio.Game(lambda m: m.sum(axis=1).astype(float), n=12)
    with pytest.raises(BudgetTooSmallError, match="raise budget"):
        Banzhaf(budget=2, pairing=False, random_state=0).fit(game)


def test_n_queries_and_determinism():
    game = _game(9)
    a = Banzhaf(budget=77, random_state=3).fit(game)
    b = Banzhaf(budget=77, random_state=3).fit(game)
    assert a.n_queries_ == 77
    assert a.interactions_ == b.interactions_
