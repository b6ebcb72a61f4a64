"""The one R² (``ablatio._metrics``): definition, the constant-target rule, and its users."""

from __future__ import annotations

import numpy as np
import pytest

import ablatio
from ablatio._metrics import r2_score, r2_with_se, weighted_r2_with_se
from ablatio.evaluation.faithfulness import faithfulness
from ablatio.methods import METHODS
from ablatio.methods._fourier_selection import cv_prefix


def test_definition_and_constant_rule():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert r2_score(y, y) == 1.0
    assert r2_score(y, np.full(4, y.mean())) == 0.0
    assert r2_score(y, y + 1.0) == pytest.approx(1 - 4 / 5)
    assert r2_score(np.full(3, 7.0), np.full(3, 7.0)) == 1.0
    assert r2_score(np.full(3, 7.0), [6.0, 7.0, 8.0]) == 0.0


@pytest.mark.parametrize(("c", "d"), [(1e-12, 0.0), (1e9, 0.0), (1.0, 1e6), (1e-3, -1e4)])
def test_scale_free(c, d):
    rng = np.random.default_rng(0)
    y = rng.normal(size=50)
    pred = y + 0.3 * rng.normal(size=50)
    assert r2_score(c * y + d, c * pred + d) == pytest.approx(r2_score(y, pred), abs=1e-6)


def test_constant_at_round_off_is_constant():
    """A game of 1e6 plus a 1e-12 signal is constant in float64: matched means 1.0."""
    y = 1e6 + 1e-12 * np.arange(5.0)
    assert r2_score(y, np.full(5, 1e6)) == 1.0


def test_every_user_agrees_on_a_constant_game():
    """Issue #16: on a constant game the three R² implementations gave 1.0, 0.0 or -inf
    (and SPEX nan); now every user applies the same rule."""
    constant = ablatio.Game(lambda m: np.full(m.shape[0], 3.0), 12)
    for name in ("spex", "proxyspex", "kernelshap", "lime"):
        est = METHODS[name](budget=800, random_state=0).fit(constant)
        assert faithfulness(est, constant, random_state=0) == 1.0, name
        assert est.holdout_r2_ == 1.0 or name in ("kernelshap", "lime"), name
    masks = np.random.default_rng(0).random((60, 12)) < 0.5
    design = np.ones((60, 3))
    design[:, 1:] = 1.0 - 2.0 * masks[:, :2]
    assert (
        cv_prefix(
            design, np.full(60, 3.0), n_folds=3, max_column_ratio=0.5, rng=np.random.default_rng(0)
        ).cv_r2
        == 1.0
    )
    wrong = ablatio.Interactions([(), (0,)], [3.0, 1.0], n_players=12)
    assert faithfulness(wrong, constant, random_state=0) == 0.0


def test_r2_standard_error_matches_the_spread_of_repeated_estimates():
    """The delta-method SE of a held-out R² equals the standard deviation of the estimate
    over repeated samples of 100 fresh rows (heavy-tailed target, R² near 0.3)."""
    rng = np.random.default_rng(0)

    def draw(m):
        x = rng.random((m, 6)) < 0.5
        signal = x[:, 0] + 2.0 * (x[:, 1] & x[:, 2] & x[:, 3]) + 0.5 * x[:, 4]
        return signal + rng.standard_t(5, size=m), signal + 0.2 * x[:, 5]

    estimates, errors = [], []
    for _ in range(2000):
        r2, se = r2_with_se(*draw(100))
        estimates.append(r2)
        errors.append(se)
    spread = float(np.std(estimates))
    assert 0.03 < spread < 0.2
    assert np.median(errors) == pytest.approx(spread, rel=0.15)
    truth = r2_score(*draw(400_000))
    z = (np.array(estimates) - truth) / np.array(errors)
    assert 0.9 < np.mean(np.abs(z) <= 1.96) < 0.98


def test_r2_standard_error_edge_cases_and_scale():
    y = np.array([0.0, 1.0, 3.0, 2.0, 5.0])
    assert r2_with_se(y, y) == (1.0, 0.0)
    assert r2_with_se(np.full(4, 3.0), [2.0, 3.0, 4.0, 3.0]) == (0.0, 0.0)
    r2, se = r2_with_se([1.0], [1.0])
    assert r2 == 1.0 and np.isnan(se)
    pred = y + np.array([0.5, -0.2, 0.1, 0.4, -0.3])
    base = r2_with_se(y, pred)
    for c, d in [(1e-12, 0.0), (1e9, 1e6)]:
        assert r2_with_se(c * y + d, c * pred + d) == pytest.approx(base, rel=1e-6)


def test_weighted_r2_reduces_to_the_plain_one_and_needs_an_effective_sample():
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    pred = y + 0.5 * rng.normal(size=200)
    plain, plain_se = r2_with_se(y, pred)
    weighted, weighted_se = weighted_r2_with_se(y, pred, np.full(200, 3.0))
    assert weighted == pytest.approx(plain, abs=1e-12)
    assert weighted_se == pytest.approx(plain_se, rel=0.01)  # sd(ddof=1) vs the second moment
    # integer weights = repeated rows
    counts = rng.integers(1, 4, size=200)
    assert weighted_r2_with_se(y, pred, counts)[0] == pytest.approx(
        r2_score(np.repeat(y, counts), np.repeat(pred, counts)), abs=1e-12
    )
    one_row = np.zeros(200)
    one_row[5] = 1.0
    assert all(np.isnan(weighted_r2_with_se(y, pred, one_row)))
