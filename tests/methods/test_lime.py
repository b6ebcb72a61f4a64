from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

import ablatio
from ablatio import LIME, BudgetTooSmallError
from ablatio.designs.local import lime_kernel, lime_masks
from ablatio.games.synthetic import sparse_and_game


def _additive(n: int) -> ablatio.SyntheticGame:
    coef = np.linspace(-2.0, 2.0, n + 1) + 0.1
    terms = [(), *((i,) for i in range(n))]
    return ablatio.SyntheticGame(ablatio.Interactions(terms, coef, n_players=n))


def test_additive_game_is_recovered_without_ridge():
    game = _additive(8)
    est = LIME(budget=40, alpha=0.0, random_state=0).fit(game)
    assert est.interactions_.allclose(game.true_interactions, atol=1e-8)


def test_matches_sklearn_ridge_with_lime_weights():
    game = sparse_and_game(9, n_terms=10, max_order=3, random_state=1)
    est = LIME(budget=120, random_state=4).fit(game)
    masks, counts = lime_masks(9, 120, np.random.default_rng(4))
    weights = counts * lime_kernel(masks, 25.0)
    ridge = Ridge(alpha=1.0).fit(masks.astype(float), game(masks), sample_weight=weights)
    result = est.interactions_
    assert result[()] == pytest.approx(ridge.intercept_, abs=1e-8)
    np.testing.assert_allclose(result.coefficients[1:], ridge.coef_, atol=1e-8)


def test_n_features_keeps_the_largest_slopes():
    game = _additive(10)
    est = LIME(budget=200, alpha=0.0, n_features=3, random_state=0).fit(game)
    slopes = est.interactions_.coefficients[1:]
    assert np.count_nonzero(slopes) == 3
    true_slopes = game.true_interactions.coefficients[1:]
    expected = np.sort(np.argsort(-np.abs(true_slopes))[:3])
    np.testing.assert_array_equal(np.flatnonzero(slopes), expected)


def test_faithfulness_improves_with_budget():
    game = sparse_and_game(10, n_terms=6, max_order=1, random_state=2)
    scores = [
        ablatio.faithfulness(LIME(budget=b, random_state=0).fit(game), game, random_state=0)
        for b in (11, 40, 400)
    ]
    assert scores[0] < scores[2]
    assert scores[2] > 0.99


def test_budget_too_small_and_determinism():
    game = _additive(6)
    with pytest.raises(BudgetTooSmallError, match="7"):
        LIME(budget=6).fit(game)
    a = LIME(budget=30, random_state=3).fit(game).interactions_
    b = LIME(budget=30, random_state=3).fit(game).interactions_
    assert a == b
