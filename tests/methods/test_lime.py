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
    est = LIME(budget=120, kernel_width=25.0, alpha=1.0, random_state=4).fit(game)
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
        LIME(budget=6, alpha=0.0).fit(game)
    a = LIME(budget=30, random_state=3).fit(game).interactions_
    b = LIME(budget=30, random_state=3).fit(game).interactions_
    assert a == b


def _dense_small_scale(n: int, seed: int):
    """Dense additive value function with outputs of standard deviation ~0.04."""
    slopes = np.random.default_rng(seed).normal(size=n) * 0.08 / np.sqrt(n)
    return ablatio.Game(lambda masks: 0.5 + masks @ slopes, n=n), slopes


@pytest.mark.slow
def test_chosen_penalty_scales_to_large_n_and_small_outputs():
    """n = 1000 slopes from 800 ablations of outputs with sd 0.04: LIME's fixed alpha=1 and
    kernel width 25 overfit; the leave-one-out choice matches a cross-validated ridge."""
    from sklearn.linear_model import RidgeCV

    n, budget = 1000, 800
    game, slopes = _dense_small_scale(n, 0)
    test = np.random.default_rng(9).random((2000, n)) < 0.5
    y = game(test)

    def r2(pred):
        return 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)

    est = LIME(budget=budget, random_state=0).fit(game)
    fixed = LIME(budget=budget, kernel_width=25.0, alpha=1.0, random_state=0).fit(game)
    masks, _ = lime_masks(n, budget, np.random.default_rng(0))
    ridge = RidgeCV(alphas=np.logspace(-4, 4, 17)).fit(masks.astype(float), game(masks))
    assert r2(est.predict(test)) >= r2(ridge.predict(test.astype(float))) - 0.01
    assert r2(est.predict(test)) > 0.5
    assert r2(est.predict(test)) > r2(fixed.predict(test)) + 0.05
    assert np.isfinite(est.holdout_r2_) and est.alpha_ > 0


@pytest.mark.parametrize(("n", "budget"), [(16, 400), (60, 800)])
def test_holdout_estimate_is_for_uniform_masks_not_for_limes_own_draws(n, budget):
    """LIME's draws run from the full input to near-empty masks: its leave-one-out on them
    (``loo_r2_``) flatters a surrogate of a value that saturates in the share of parts kept;
    reweighted to uniform masks (``holdout_r2_``) it matches the R² on fresh uniform masks."""
    rng = np.random.default_rng(0)
    slopes = rng.normal(size=n) / n

    def saturating(m):
        return np.tanh(4 * (m.mean(axis=1) - 0.5)) + m @ slopes

    est = LIME(budget=budget, random_state=0).fit(ablatio.Game(saturating, n))
    test = rng.random((20000, n)) < 0.5
    y = saturating(test)
    true = 1 - np.mean((y - est.predict(test)) ** 2) / np.var(y)
    assert abs(est.holdout_r2_ - true) < max(3 * est.holdout_r2_se_, 0.01)
    assert est.loo_r2_ > true + 0.05
