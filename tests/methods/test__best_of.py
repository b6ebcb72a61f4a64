"""The best-of stage (``ablatio.methods._best_of``): the decoded answer or a simpler fit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sparse_games import gated_additive, r2, repeated_words, sparse_additive

import ablatio
from ablatio import SPEX, Game, ProxySPEX
from ablatio.exceptions import RecoveryWarning
from ablatio.games.synthetic import sparse_and_game
from ablatio.methods._alternatives import _first_order, first_order_lasso
from ablatio.methods._best_of import Recorder, best_of, choose, typical_rows, winner


def test_exact_decoding_is_kept():
    game = sparse_and_game(24, n_terms=6, max_order=2, random_state=0)
    masks = np.random.default_rng(1).random((300, 24)) < 0.5
    choice = best_of(masks, game(masks), game.true_interactions, 1.0)
    assert choice.model == "decoded"
    assert choice.interactions.allclose(game.true_interactions)
    assert choose(masks, game(masks), game.true_interactions, 1.0, 0.99).scores == {"decoded": 1.0}


def test_a_failed_decoding_is_replaced_by_the_first_order_fit():
    n = 40
    slopes = np.random.default_rng(2).normal(size=n)
    masks = np.random.default_rng(3).random((200, n)) < 0.5
    values = masks @ slopes
    wrong = ablatio.Interactions([(), (0, 1)], [0.0, 1.0], n_players=n)
    choice = choose(
        np.vstack([masks, masks[:5]]), np.concatenate([values, values[:5]]), wrong, 0.0, 0.99
    )
    assert choice.model == "first_order"
    assert choice.holdout_r2 > 0.99
    assert choice.interactions.allclose(
        ablatio.Interactions([(), *((i,) for i in range(n))], [0.0, *slopes], n_players=n),
        atol=1e-3,
    )


def test_a_failed_decoding_of_a_sparse_additive_game_is_replaced_by_the_lasso():
    _, masks, values, test, truth = sparse_additive(600, 300, 25, seed=5)
    wrong = ablatio.Interactions([(), (0, 1)], [0.0, 1.0], n_players=600)
    choice = choose(masks, values, wrong, 0.0, 0.99)
    assert choice.model == "first_order_lasso"
    assert choice.scores["first_order_lasso"] > choice.scores["first_order"] + 0.3
    assert r2(truth, choice.interactions.predict(test)) > 0.95


def test_a_gate_over_the_other_parts_is_fitted_by_the_hub_lasso():
    """Part 0 scales every other slope (x1.5 present, x0.5 absent): the first-order lasso can
    only average the two regimes; the lasso over first order and the hub's pairs (part 0 has
    the largest slope) fits both, and its score is honest on fresh masks."""
    masks, values, test, truth = gated_additive(600, 300, 25, seed=3)
    wrong = ablatio.Interactions([(), (0, 1)], [0.0, 1.0], n_players=600)
    choice = choose(masks, values, wrong, 0.0, 0.99)
    assert choice.model == "first_order+hub_lasso"
    fits = choice.candidates
    ours = r2(truth, fits["first_order+hub_lasso"].predict(test))
    assert ours > 0.98 > r2(truth, fits["first_order_lasso"].predict(test)) + 0.08
    assert abs(choice.holdout_r2 - ours) < 0.02
    assert all(0 in t for t in fits["first_order+hub_lasso"].terms if len(t) == 2)


def test_a_second_look_at_the_same_rows_cannot_win_on_its_own_leave_one_out():
    """The adaptive lasso's leave-one-out reuses the rows that chose its parts and weights
    (far too optimistic): without rows it never saw, it is capped at the lasso it refits."""
    _, masks, values, _, _ = sparse_additive(600, 300, 25, seed=5)
    wrong = ablatio.Interactions([(), (0, 1)], [0.0, 1.0], n_players=600)
    choice = choose(masks, values, wrong, 0.0, 0.99)
    scores = choice.scores
    assert scores["first_order_adaptive_lasso"] <= scores["first_order_lasso"]
    assert choice.model != "first_order_adaptive_lasso"


def test_the_recorder_wraps_the_game_with_its_part_keys():
    game = Game(lambda m: m.sum(1), n=3, part_keys=["a", "b", "a"])
    assert Recorder(game).wrapped().part_keys == ("a", "b", "a")


def test_proxyspex_uses_the_games_part_keys():
    """ProxySPEX's stack takes the tied fit when the game says which parts are the same word:
    600 words at 250 ablations, fresh masks predicted better on average over four documents
    (by 0.2-0.3 R² here; on two of eight documents tried it lost 0.01-0.05, where the
    stack's weights, fitted on 4/5 of the rows, favoured the tied fit)."""
    gains = []
    for seed in range(4):
        keys, slopes, _, _, test, truth = repeated_words(600, 1, seed)
        fits = {}
        for with_keys in (False, True):
            game = Game(
                lambda m, s=slopes: 1.0 + m @ s, n=600, part_keys=keys if with_keys else None
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RecoveryWarning)
                fits[with_keys] = ProxySPEX(budget=250, max_order=2, random_state=0).fit(game)
        assert any("tied" in name for name in fits[True].model_weights_)
        assert not any("tied" in name for name in fits[False].model_scores_)
        gains.append(r2(truth, fits[True].predict(test)) - r2(truth, fits[False].predict(test)))
    assert np.mean(gains) > 0.1


def test_an_extension_must_beat_what_it_extends_by_the_margin():
    scores = {"decoded": 0.0, "first_order_lasso": 0.9, "first_order+hub_lasso": 0.903}
    assert winner(scores) == "first_order_lasso"
    assert winner({**scores, "first_order+hub_lasso": 0.91}) == "first_order+hub_lasso"


@pytest.mark.slow
@pytest.mark.parametrize("method", ["spex", "proxyspex"])
def test_dense_additive_small_scale_n1000_beats_plain_ridge(method):
    """n = 1000 parts, 800 ablations, outputs of sd ~0.04: sparse decoding fails, the
    best-of stage returns a regularised first-order model at least as good as a ridge
    regression fitted on the same masks."""
    from sklearn.linear_model import RidgeCV

    n, budget = 1000, 800
    slopes = np.random.default_rng(0).normal(size=n) * 0.08 / np.sqrt(n)
    seen: list[np.ndarray] = []

    def fn(masks):
        seen.append(masks.copy())
        return 0.5 + masks @ slopes

    cls = SPEX if method == "spex" else ProxySPEX
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RecoveryWarning)  # the sparse decoding fails: stated
        est = cls(budget=budget, max_order=2, random_state=0).fit(Game(fn, n=n))
    assert est.model_ in {"first_order", "first_order+pairs"}
    assert est.model_scores_[est.model_] > est.model_scores_["decoded"]
    masks = np.unique(np.concatenate(seen), axis=0)
    ridge = RidgeCV(alphas=np.logspace(-4, 4, 17)).fit(masks.astype(float), fn(masks))
    test = np.random.default_rng(9).random((2000, n)) < 0.5
    y = 0.5 + test @ slopes
    ours = r2(y, est.predict(test))
    assert ours >= r2(y, ridge.predict(test.astype(float))) - 0.01
    assert ours > 0.6
    # honest for the returned refit: each held-out mask scored by the refit without it (the
    # estimate on the smaller winning fit was pessimistic here: 0.67 / 0.52 for 0.79 true)
    assert abs(est.holdout_r2_ - ours) <= 2.5 * est.holdout_r2_se_


def test_atypical_design_rows_stay_out_of_the_alternatives():
    """A structured design's empty mask is 30+ binomial standard deviations from the random
    masks the answer is judged on; on a saturating value function it would drag a linear fit
    towards extrapolating to it."""
    rng = np.random.default_rng(0)
    n = 400
    masks = rng.random((300, n)) < 0.5
    design = np.vstack([np.zeros(n, bool), np.ones(n, bool), rng.random((3, n)) < 0.45])
    typical = typical_rows(np.vstack([masks, design]))
    assert typical[:300].all() and typical[-3:].all()
    assert not typical[300] and not typical[301]
    assert typical_rows(np.zeros((4, 0), bool)).all()
    assert typical_rows(np.zeros((3, 5), bool)).all()
    # p = 0.9 masks: centred on their own median share of kept parts
    assert typical_rows(rng.random((50, n)) < 0.9).all()

    weights = rng.normal(size=n) * 0.01

    def saturating(m):  # saturates in the share of kept parts, plus small slopes
        return np.tanh(3 * (m.mean(axis=1) - 0.5)) + m @ weights

    X = np.vstack([masks, design])
    constant = ablatio.Interactions([()], [0.0], n_players=n)
    choice = choose(X, saturating(X), constant, -1.0, 0.99)
    test = rng.random((3000, n)) < 0.5
    ours = r2(saturating(test), choice.interactions.predict(test))
    for fit in (_first_order, first_order_lasso):  # the same fits, the atypical rows included
        dragged = fit(X, saturating(X))[0]
        assert ours > r2(saturating(test), dragged.predict(test)) + 0.03
