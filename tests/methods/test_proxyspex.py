"""ProxySPEX: exact recovery of hierarchical games, budget handling, determinism, warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from recording import RecordingGame

import ablatio
from ablatio import BudgetTooSmallError, Game, ProxySPEX
from ablatio.exceptions import BudgetExceededError, ParameterError, RecoveryWarning
from ablatio.games.synthetic import hierarchical_game, sparse_and_game, sparse_parity_game
from ablatio.methods import METHODS

FAST = {"n_trees": 40}


@pytest.mark.parametrize(("n", "seed"), [(16, 0), (48, 1), (96, 2)])
def test_recovers_hierarchical_game_exactly(n, seed):
    game = hierarchical_game(n, 12, 3, random_state=seed)
    method = ProxySPEX(budget=600, max_order=3, random_state=seed, **FAST).fit(Game(game))
    truth = game.true_interactions
    assert method.interactions_.allclose(truth, atol=1e-6)
    assert set(method.interactions_.terms) - {()} == set(truth.terms) - {()}
    assert method.n_queries_ <= 600
    assert method.recovered_ and method.train_r2_ > 0.9999 and method.holdout_r2_ > 0.9999


def test_recovers_and_game_exactly():
    game = sparse_and_game(40, 8, 3, random_state=3)
    method = ProxySPEX(budget=800, max_order=3, random_state=0, **FAST).fit(game)
    assert method.interactions_.allclose(game.true_interactions, atol=1e-6)


def test_small_n_uses_distinct_masks_and_respects_budget():
    game = hierarchical_game(6, 5, 2, random_state=1)
    method = ProxySPEX(budget=200, max_order=2, random_state=0, **FAST).fit(Game(game))
    assert method.n_queries_ <= 2**6
    assert method.interactions_.allclose(game.true_interactions, atol=1e-6)


def test_same_seed_same_result():
    game = hierarchical_game(32, 10, 3, noise_sd=0.1, random_state=5)
    a = ProxySPEX(budget=300, random_state=11, **FAST).fit(Game(game))
    b = ProxySPEX(budget=300, random_state=11, **FAST).fit(Game(game))
    assert a.interactions_ == b.interactions_
    assert a.n_queries_ == b.n_queries_ <= 300


def test_budget_too_small_states_minimum():
    method = ProxySPEX(budget=10, cv_folds=5)
    with pytest.raises(BudgetTooSmallError, match="50") as info:
        method.fit(hierarchical_game(20, 5, 2, random_state=0))
    assert info.value.minimum == method.min_budget(20) == 50


def test_budget_none_is_the_common_default():
    method = ProxySPEX(random_state=0, **FAST).fit(hierarchical_game(8, 4, 2, random_state=0))
    assert method.budget_ == method.default_budget(8) == 2**8
    assert method.max_order_ == 3


def _pure_parity_game(n: int) -> ablatio.SyntheticGame:
    """Parities of order 2 and 3 only: no single player has a marginal effect."""
    terms = [(0, 5), (3, 9, 17), (2, 20), (11, 30)]
    truth = ablatio.Interactions(terms, [1.0, -1.5, 1.2, 0.8], n_players=n, basis="fourier")
    return ablatio.SyntheticGame(truth)


def test_parity_game_warns_not_recovered_with_r2():
    method = ProxySPEX(budget=400, random_state=0, fallback=None, **FAST)
    with pytest.warns(RecoveryWarning, match=r"not recovered: held-out R² = -?\d\.\d{3}"):
        method.fit(Game(_pure_parity_game(64)))
    assert not method.recovered_
    assert method.n_queries_ <= 400


def test_parity_game_warns_when_budget_too_small_for_spex():
    method = ProxySPEX(budget=300, random_state=0, **FAST)
    with pytest.warns(RecoveryWarning, match="stages proxy\\+uniform"):
        method.fit(Game(_pure_parity_game(64)))
    assert method.stages_ == ["proxy", "uniform"]


def test_parity_game_recovered_through_spex_fallback():
    game = _pure_parity_game(32)
    method = ProxySPEX(budget=700, random_state=0, **FAST).fit(Game(game))
    assert method.stages_ == ["proxy", "spex"]
    assert method.fourier_.allclose(game.true_interactions, atol=1e-6)
    assert method.n_queries_ <= 700 and method.recovered_ and method.holdout_r2_ > 0.999


def test_noisy_game_close_to_noise_ceiling():
    game = hierarchical_game(32, 10, 3, noise_sd=0.5, random_state=2)
    method = ProxySPEX(budget=1000, random_state=0, **FAST).fit(Game(game))
    r2 = ablatio.faithfulness(method, game, random_state=1)
    assert r2 >= game.noise_ceiling() - 0.05


def test_lightgbm_backend_recovers():
    pytest.importorskip("lightgbm")
    game = hierarchical_game(24, 8, 3, random_state=4)
    method = ProxySPEX(budget=400, model="lightgbm", random_state=0, **FAST).fit(game)
    assert method.interactions_.allclose(game.true_interactions, atol=1e-6)


def test_registry_and_explain():
    assert METHODS["proxyspex"] is ProxySPEX
    game = hierarchical_game(20, 6, 2, random_state=0)
    expl = ablatio.explain(
        game, method="proxyspex", budget=300, max_order=2, random_state=0, options=FAST
    )
    assert expl.n_queries <= 300
    assert expl.interactions.allclose(game.true_interactions, atol=1e-6)


def _plant_spex(monkeypatch, truth, smallest):
    """Register as "spex" a fallback that needs ``smallest`` masks, answers ``truth`` and
    records the budget it was given (returned dict, key "budget")."""
    calls = {}

    class Planted(ablatio.Method):
        name = "spex"

        def __init__(self, *, budget=None, max_order=None, random_state=None):
            self.budget, self.max_order, self.random_state = budget, max_order, random_state

        def min_budget(self, n_players):
            return smallest

        def _fit(self, game, rng):
            calls["budget"] = self.budget
            game(np.zeros((1, game.n_players), dtype=bool))
            return truth.to_moebius()

    monkeypatch.setitem(METHODS, "spex", Planted)
    return calls


def test_fallback_seam_uses_registered_method(monkeypatch):
    """A registered fallback runs on the rest of the budget when the proxy fails."""
    truth = ablatio.Interactions([(0, 1), (2, 3, 4)], [1.0, -1.5], n_players=30, basis="fourier")
    calls = _plant_spex(monkeypatch, truth, 10)
    method = ProxySPEX(budget=500, random_state=0, **FAST).fit(Game(ablatio.SyntheticGame(truth)))
    assert calls["budget"] == 250  # half of the budget: every ablation fits (cross-fitted estimate)
    assert method.stages_ == ["proxy", "spex"]
    assert method.fourier_.allclose(truth, atol=1e-6)
    assert method.n_queries_ <= 500


@pytest.mark.parametrize("n", [200, 600])
def test_first_stage_gives_way_to_the_fallbacks_minimum(monkeypatch, n):
    """Half of 500 is below the fallback's minimum of 300 masks: the first stage shrinks to
    200 so that the fallback runs, also when its design has fewer masks than parts."""
    truth = ablatio.Interactions([(0, 1), (2, 3, 4)], [1.0, -1.5], n_players=n, basis="fourier")
    calls = _plant_spex(monkeypatch, truth, 300)
    method = ProxySPEX(budget=500, random_state=0, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RecoveryWarning)
        method.fit(Game(ablatio.SyntheticGame(truth)))
    assert calls["budget"] == 300
    assert method.stages_ == ["proxy", "spex"]
    assert method.n_queries_ <= 500


def test_sparse_parities_over_600_parts_come_back_through_a_design_smaller_than_n():
    """At 800 ablations SPEX's smallest design (about 470 masks) has fewer masks than there
    are parts, yet it recovers the parities the proxy cannot see (uniform masks in its place:
    held-out R² 0.26-0.43, measured at stop 20)."""
    game = ablatio.sparse_parity_game(600, 20, 3, random_state=0)
    method = ProxySPEX(budget=800, max_order=3, random_state=0).fit(Game(game))
    assert method.stages_ == ["proxy", "spex"]
    assert ablatio.faithfulness(method, game, n_test=1000, random_state=1) > 0.99


def test_never_exceeds_budget():
    game = sparse_parity_game(30, 6, 2, random_state=1)
    method = ProxySPEX(budget=120, random_state=0, fallback=None, warn_r2=-np.inf, **FAST)
    try:
        method.fit(Game(game))
    except BudgetExceededError:  # pragma: no cover - would be a bug
        pytest.fail("ProxySPEX asked for more ablations than its budget")
    assert method.n_queries_ <= 120


@pytest.mark.parametrize("n", [2, 3, 5])
def test_tiny_game_enumerated_exactly(n):
    """When the budget covers all 2^n masks the spectrum is read off exactly."""
    game = hierarchical_game(n, 3, 2, random_state=0)
    method = ProxySPEX(budget=100, max_order=2, random_state=0, **FAST).fit(Game(game))
    assert method.n_queries_ == 2**n
    assert method.interactions_.allclose(game.true_interactions, atol=1e-9)


def test_keep_probability_draws_fit_and_holdout_masks_from_it():
    truth = hierarchical_game(60, 10, 2, random_state=3)
    game = RecordingGame(truth)
    method = ProxySPEX(budget=600, max_order=2, keep_probability=0.85, random_state=0, **FAST)
    method.fit(game)
    asked = np.vstack(game.asked)
    assert 0.83 < asked.mean() < 0.87 and asked.shape[0] == method.n_queries_ <= 600
    assert method.holdout_r2_ > 0.9999  # scored on fresh Bernoulli(0.85) masks
    assert method.interactions_.allclose(truth.true_interactions, atol=1e-6)


def test_keep_probability_skips_the_uniform_fallback():
    """Where p = 1/2 calls SPEX, p != 1/2 draws more Bernoulli(p) masks instead."""
    game = _pure_parity_game(32)
    params = {"budget": 700, "stop_r2": None, "fallback_r2": 1.0, "random_state": 0, **FAST}
    uniform = ProxySPEX(**params).fit(Game(game))
    biased = ProxySPEX(keep_probability=0.7, **params).fit(Game(game))
    assert uniform.stages_ == ["proxy", "spex"]
    assert biased.stages_ == ["proxy", "uniform"]  # SPEX's aliasing needs uniform masks
    # under p = 0.7 a parity has marginal effects (E(-1)^m_i = -0.4), so the trees see it
    assert biased.fourier_.allclose(game.true_interactions, atol=1e-6)


@pytest.mark.parametrize("p", [0.0, 1.0, 1.5, 0.001])
def test_keep_probability_out_of_range_is_refused(p):
    with pytest.raises(ParameterError, match="keep_probability"):
        ProxySPEX(budget=300, keep_probability=p).fit(hierarchical_game(10, 4, 2, random_state=0))


def test_keep_probability_tops_up_the_estimate_from_the_same_distribution():
    """A fit that stops early scores itself on more held-out masks when its estimate is
    imprecise: those must be Bernoulli(p) masks too, not uniform ones."""
    game = RecordingGame(hierarchical_game(40, 8, 2, noise_sd=1.5, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RecoveryWarning)
        method = ProxySPEX(
            budget=1000, max_order=2, keep_probability=0.85, stop_r2=0.3, random_state=0
        ).fit(game)
    top_up = game.asked[-1]
    assert top_up.shape[0] > 300 and method.n_queries_ == 1000  # the stage ran
    assert 0.83 < top_up.mean() < 0.87


_LINEAR_WEIGHTS = np.random.default_rng(11).uniform(1.0, 2.0, 60)


def _linear_60(masks: np.ndarray) -> np.ndarray:
    return masks.astype(np.float64) @ _LINEAR_WEIGHTS


def test_every_ablation_fits_the_answer():
    # 200 ablations of a 61-term game: a fit that set 50 aside for a held-out estimate would
    # allow CV prefixes of at most 60 columns, one short; with the cross-fitted estimate all
    # 200 fit the answer (80 columns).
    options = {"max_order": 1, "n_trees": 300, "fallback": None, "best_of_below": None}
    true = ablatio.Interactions([(i,) for i in range(60)], _LINEAR_WEIGHTS, n_players=60)
    with pytest.warns(RecoveryWarning):  # the estimate describes fits on 4/5 of them
        method = ProxySPEX(budget=200, random_state=0, **options).fit(Game(_linear_60, 60))
    assert method.n_queries_ == 200 and method.stages_ == ["proxy", "uniform"]
    assert method.interactions_.allclose(true, atol=1e-8)
    assert 0.5 < method.holdout_r2_ < 0.99  # pessimistic: the folds' 160 ablations fall short
    larger = ProxySPEX(budget=280, random_state=0, **options).fit(Game(_linear_60, 60))
    assert larger.interactions_.allclose(true, atol=1e-8)
    assert larger.holdout_r2_ > 0.9999 and larger.recovered_ and larger.n_queries_ == 280


def _noise(masks: np.ndarray) -> np.ndarray:
    """A value per mask that no surrogate can predict from other masks (a hash of the mask)."""
    packed = np.packbits(masks, axis=1)
    return np.array([np.random.default_rng(list(row)).normal() for row in packed])


def test_cross_fitted_estimate_sees_through_an_overfit():
    game = Game(_noise, 12)
    with pytest.warns(RecoveryWarning):
        method = ProxySPEX(budget=400, max_order=2, n_trees=50, random_state=0).fit(game)
    assert method.holdout_r2_ < 0.05  # nothing to predict, whatever the in-sample fit says
    assert not method.recovered_


def test_an_early_stop_is_confirmed_on_fresh_masks():
    game = hierarchical_game(64, 10, 2, random_state=0)
    method = ProxySPEX(budget=600, max_order=2, random_state=0).fit(game)
    assert "stop" in method.stages_ and method.n_queries_ > 300  # first stage + fresh masks
    assert method.interactions_.allclose(game.true_interactions, atol=1e-6)
    assert method.holdout_r2_ > 0.9999


def test_every_mask_queried_gives_the_exact_r2_over_the_cube():
    truth = ablatio.Interactions([(0,), (1, 2), (0, 3, 4, 5)], [1.0, -0.5, 0.8], n_players=6)
    game = Game(ablatio.SyntheticGame(truth))
    method = ProxySPEX(budget=64, max_order=2, n_trees=20, random_state=0).fit(game)
    cube = ((np.arange(64)[:, None] >> np.arange(6)) & 1).astype(bool)
    residual = truth.predict(cube) - method.predict(cube)
    exact = 1.0 - np.mean(residual**2) / np.var(truth.predict(cube))
    assert method.n_queries_ == 64
    assert exact < 0.999  # order 2 cannot hold the order-4 term
    assert method.holdout_r2_ == pytest.approx(exact, abs=1e-12) and method.holdout_r2_se_ == 0.0
