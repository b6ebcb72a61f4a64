"""Reality check: verdicts on explanations whose quality is known by construction."""

from __future__ import annotations

import numpy as np
import pytest
from recording import RecordingGame

from ablatio import Game, Interactions, explain, sparse_and_game
from ablatio.evaluation.reality_check import reality_check
from ablatio.exceptions import ParameterError


def test_true_explanation_is_supported_with_real_interactions():
    game = sparse_and_game(10, 8, 3, random_state=0)
    expl = explain(game, method="exact")
    check = reality_check(expl, game, n_test=400, random_state=1)
    assert check.verdict == "supported"
    assert check.scores["explanation"] == pytest.approx(1.0)
    assert check.scores["refit"] == pytest.approx(1.0)
    assert check.gain_over_controls[0] > 0.1
    assert check.gain_over_additive[0] > 0  # the game has real interactions
    assert "supported" in str(check) and check.to_dict()["verdict"] == "supported"


def test_wrong_attribution_is_not_supported():
    truth = Interactions([(0,), (1,), (2, 3)], [3.0, -2.0, 1.0], n_players=8)
    game = Game(truth.predict, n=8)
    wrong = Interactions([(5,), (6,), (4, 7)], [3.0, -2.0, 1.0], n_players=8)
    check = reality_check(wrong, game, n_test=400, random_state=2)
    assert check.verdict == "not_supported"
    assert check.scores["explanation"] < 0


def test_right_support_wrong_coefficients_is_flagged():
    truth = Interactions([(), (0,), (1, 2)], [1.0, 2.0, -3.0], n_players=6)
    game = Game(truth.predict, n=6)
    off = Interactions([(), (0,), (1, 2)], [0.0, 1.0, -1.0], n_players=6)
    check = reality_check(off, game, n_test=400, random_state=3)
    assert check.scores["refit"] == pytest.approx(1.0)
    assert any("support is better than the coefficients" in r for r in check.reasons)


def test_additive_game_reports_no_interaction_gain():
    truth = Interactions([(0,), (1,), (2,)], [1.0, 2.0, 3.0], n_players=5)
    game = Game(truth.predict, n=5)
    check = reality_check(truth, game, n_test=200, random_state=4)
    assert any("add nothing significant" in r for r in check.reasons)


def test_bad_input():
    game = Game(lambda m: m.sum(1).astype(float), n=3)
    inter = Interactions([(0,)], [1.0], n_players=3)
    with pytest.raises(ParameterError, match="n_test"):
        reality_check(inter, game, n_test=5)
    with pytest.raises(ParameterError, match="Möbius or Fourier"):
        reality_check(inter.index("sv"), game)


def test_one_term_per_order_is_still_controlled():
    # a negation-like game: one main effect and one pair (shuffling coefficients among terms
    # of the same order would change nothing; relabelling the players does)
    truth = Interactions([(), (4,), (3, 4)], [0.1, 0.44, -0.78], n_players=7)
    game = Game(truth.predict, n=7)
    check = reality_check(truth, game, n_test=200, random_state=0)
    assert check.scores["shuffled"] < 0.5
    assert check.verdict == "supported"


def test_shares_the_held_out_masks_of_faithfulness():
    from ablatio import faithfulness

    synthetic = sparse_and_game(40, 6, 3, random_state=5)  # 2^40 masks: no enumeration
    game = Game(synthetic)
    expl = synthetic.true_interactions
    faithfulness(expl, game, n_test=300, random_state=7)
    assert game.n_evaluated == 300
    before = game.n_evaluated
    reality_check(expl, game, n_test=300, random_state=7)
    assert game.n_evaluated == before  # no held-out ablation evaluated twice


def test_verdicts_use_the_shared_vocabulary():
    from ablatio.verdicts import VERDICTS

    truth = Interactions([(0,), (1,), (2, 3)], [3.0, -2.0, 1.0], n_players=8)
    game = Game(truth.predict, n=8)
    wrong = Interactions([(5,), (6,), (4, 7)], [3.0, -2.0, 1.0], n_players=8)
    verdicts = {reality_check(e, game, n_test=200, random_state=0).verdict for e in (truth, wrong)}
    assert verdicts <= set(VERDICTS) and len(verdicts) == 2


WEIGHTS = np.linspace(1.0, 1.3, 12)


def _equal_weights_game():
    # every part weighs about the same: relabelling the parts changes little, so the shuffled
    # control is near the ceiling however right the explanation is
    terms = [(i,) for i in range(12)] + [(0, 1), (2, 5)]
    truth = Interactions(terms, [*WEIGHTS, 0.8, -0.6], n_players=12)
    return truth, Game(truth.predict, n=12)


def test_exact_explanation_is_supported_when_a_control_is_near_the_ceiling():
    truth, game = _equal_weights_game()
    check = reality_check(truth, game, n_test=400, random_state=0)
    assert check.scores["explanation"] == pytest.approx(1.0)
    assert check.scores["shuffled"] > 0.9  # a fixed margin of 0.1 could not be met
    assert check.verdict == "supported"
    assert any("does not depend on this explanation's choice" in r for r in check.reasons)


def test_near_ceiling_control_still_needs_a_real_share_of_the_gap():
    truth, game = _equal_weights_game()
    # drop the pairs: the explanation is no better than a relabelling of itself
    additive = Interactions([(i,) for i in range(12)], list(WEIGHTS), n_players=12)
    check = reality_check(additive, game, n_test=400, random_state=0)
    assert check.verdict != "supported"
    with pytest.raises(ParameterError, match="gap_share"):
        reality_check(truth, game, gap_share=0.0)


def test_judged_on_the_distribution_the_explanation_was_fitted_on():
    """A ProxySPEX(keep_probability=0.85) fit approximates the game near the full input: its
    checks draw Bernoulli(0.85) masks, unless the caller asks for another distribution."""
    from ablatio import ProxySPEX, faithfulness
    from ablatio.games.synthetic import hierarchical_game

    truth = hierarchical_game(30, 6, 2, random_state=3)
    fitted = ProxySPEX(budget=400, max_order=2, keep_probability=0.85, random_state=0)
    fitted.fit(truth)
    options = {"keep_probability": 0.85}
    expl = explain(truth, method="proxyspex", budget=400, options=options, random_state=0)
    for explanation in (fitted, expl):
        game = RecordingGame(truth)
        reality_check(explanation, game, n_test=400, random_state=1)
        faithfulness(explanation, game, n_test=400, random_state=1)
        assert all(0.82 < m.mean() < 0.88 for m in game.asked)
    game = RecordingGame(truth)
    reality_check(fitted, game, n_test=400, random_state=1, keep_probability=0.5)
    assert 0.47 < game.asked[0].mean() < 0.53
    with pytest.raises(ParameterError, match="keep_probability"):
        faithfulness(fitted, truth, keep_probability=1.0)
