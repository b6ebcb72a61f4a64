"""Held-out faithfulness and removal curves."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio import (
    Game,
    Interactions,
    explain,
    faithfulness,
    removal_curve,
    sparse_and_game,
)
from ablatio.evaluation.faithfulness import r2_score
from ablatio.exceptions import ParameterError


def test_exact_explanation_is_perfectly_faithful_and_counted_separately():
    game = Game(sparse_and_game(9, 6, 3, random_state=0))
    expl = explain(game, method="exact")
    with game.track() as held_out:
        r2 = faithfulness(expl, game, n_test=300, random_state=0)
    assert r2 == pytest.approx(1.0)
    assert expl.n_queries == 2**9 and held_out.n_queries > 0


def test_partial_explanation_scores_its_share_of_variance():
    truth = Interactions([(0,), (1,)], [1.0, 1.0], n_players=4)
    game = Game(truth.predict, n=4)
    half = Interactions([(), (0,)], [0.5, 1.0], n_players=4)  # x1 replaced by its mean
    r2 = faithfulness(half, game, n_test=4000, random_state=3)
    assert r2 == pytest.approx(0.5, abs=0.05)
    assert faithfulness(truth.scale(-1.0), game, n_test=500, random_state=3) < -2


def test_held_out_masks_differ_from_fitting_stream():
    from ablatio.designs.random import bernoulli_masks, held_out_generator

    fit = bernoulli_masks(20, 50, np.random.default_rng(0))
    test = bernoulli_masks(20, 50, held_out_generator(0))
    assert not np.array_equal(fit, test)
    again = bernoulli_masks(20, 50, held_out_generator(0))
    np.testing.assert_array_equal(test, again)
    seq = np.random.SeedSequence(7)
    fit_seq = bernoulli_masks(20, 50, np.random.default_rng(seq))
    assert not np.array_equal(fit_seq, bernoulli_masks(20, 50, held_out_generator(seq)))


def test_r2_of_constant_targets():
    """One rule for a constant target (``ablatio._metrics``): matched 1.0, otherwise 0.0."""
    assert r2_score(np.ones(5), np.ones(5)) == 1.0
    assert r2_score(np.ones(5), np.zeros(5)) == 0.0


def test_removal_curve_follows_the_explanation():
    truth = Interactions([(), (2,), (0, 1)], [5.0, -3.0, 2.0], n_players=4)
    game = Game(truth.predict, n=4)
    curve = removal_curve(truth, game, k_max=2, direction="decrease")
    assert curve.removed[0] in (0, 1)  # dropping the positive pair lowers f the most
    np.testing.assert_allclose(curve.actual, curve.predicted)
    assert curve.actual[0] == 4.0 and curve.actual[1] == 2.0
    up = removal_curve(truth, game, k_max=1, direction="increase")
    assert up.removed == [2] and up.actual[1] == 7.0
    with pytest.raises(ParameterError, match="k_max"):
        removal_curve(truth, game, k_max=9)
    with pytest.raises(ParameterError, match="direction"):
        removal_curve(truth, game, direction="sideways")


def test_mismatched_sizes_and_bad_n_test():
    inter = Interactions([(0,)], [1.0], n_players=3)
    with pytest.raises(ParameterError, match="n=3 parts but the game has n=4"):
        faithfulness(inter, Game(lambda m: m.sum(1), n=4))
    with pytest.raises(ParameterError, match="n_test"):
        faithfulness(inter, Game(lambda m: m.sum(1), n=3), n_test=1)
