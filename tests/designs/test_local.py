from __future__ import annotations

import numpy as np
import pytest

from ablatio.designs.local import lime_kernel, lime_masks, uniform_weights


def test_masks_start_with_the_full_input_and_are_distinct():
    masks, counts = lime_masks(12, 50, np.random.default_rng(0))
    assert masks.shape == (50, 12)
    assert masks[0].all()
    assert len({m.tobytes() for m in masks}) == 50
    assert np.all(counts >= 1)


def test_budget_above_all_masks_is_capped():
    masks, _ = lime_masks(4, 100, np.random.default_rng(0))
    assert masks.shape == (16, 4)


def test_removed_count_is_uniform_over_draws():
    n = 30
    masks, counts = lime_masks(n, 2000, np.random.default_rng(1))
    counts[0] -= 1  # row 0 (full input) is given, not drawn
    removed = np.repeat(n - masks.sum(axis=1), counts.astype(int))
    share = np.bincount(removed, minlength=n + 1)[1:] / removed.size
    np.testing.assert_allclose(share, 1 / n, atol=0.015)


def test_kernel_follows_lime_formula():
    masks = np.array([[1, 1, 1, 1], [1, 0, 0, 0], [0, 0, 0, 0]], dtype=bool)
    expected = [1.0, np.sqrt(np.exp(-((100 * (1 - np.sqrt(0.25))) ** 2) / 25**2)), None]
    weights = lime_kernel(masks, 25.0)
    assert weights[0] == pytest.approx(expected[0])
    assert weights[1] == pytest.approx(expected[1])
    assert weights[2] == pytest.approx(np.sqrt(np.exp(-16.0)))


def test_uniform_weights_are_the_density_ratio_of_uniform_masks_to_lime_draws():
    from math import comb

    n = 10
    masks = np.array([[True] * k + [False] * (n - k) for k in range(n + 1)])
    weights = uniform_weights(masks)
    assert weights[-1] == 0.0  # the full input is not a draw
    expected = [n * comb(n, k) / 2**n for k in range(n)]
    assert np.allclose(weights[:-1], expected, rtol=1e-12)
    # averaged over LIME's draws the weights integrate the uniform density: mean ≈ 1
    draws, counts = lime_masks(12, 4000, np.random.default_rng(1))
    mean = np.sum(counts[1:] * uniform_weights(draws)[1:]) / counts[1:].sum()
    assert mean == pytest.approx(1.0, abs=0.05)
    # no overflow at large n: weights vanish far from n/2
    big = uniform_weights(np.array([np.arange(2000) < k for k in (1, 1000, 1999)]))
    assert np.all(np.isfinite(big)) and big[0] == 0.0 and big[1] > 1.0 and big[2] == 0.0
