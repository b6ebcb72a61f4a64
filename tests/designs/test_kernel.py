from __future__ import annotations

from math import comb

import numpy as np
import pytest

from ablatio.designs.kernel import (
    log_shapley_kernel,
    sample_coalitions,
    shapley_size_weights,
    uniform_size_weights,
)
from ablatio.exceptions import BudgetTooSmallError, ParameterError


def _keys(masks: np.ndarray) -> set[bytes]:
    return {m.tobytes() for m in np.packbits(masks, axis=1)}


@pytest.mark.parametrize("n", [1, 3, 7])
@pytest.mark.parametrize("weights", [shapley_size_weights, uniform_size_weights])
def test_full_budget_enumerates_every_coalition(n, weights):
    design = sample_coalitions(n, 2**n, weights(n), np.random.default_rng(0), required_sizes=(0, n))
    assert design.exhaustive
    assert len(_keys(design.masks)) == 2**n
    np.testing.assert_array_equal(design.log_adjustment, 0.0)


def test_border_sizes_are_enumerated_when_affordable():
    # n=10, budget 200: after ∅ and N, sizes 1 and 9 (20 coalitions) are affordable, 2 and 8
    # (90 coalitions) are not: p_2 + p_8 = 0.364 of the 178 left is 64.8 < 90.
    design = sample_coalitions(
        10, 200, shapley_size_weights(10), np.random.default_rng(0), required_sizes=(0, 10)
    )
    enumerated = np.unique(design.sizes[~design.sampled])
    np.testing.assert_array_equal(enumerated, [0, 1, 9, 10])
    for s in (1, 9):
        assert np.sum(design.sizes == s) == 10
    assert design.masks.shape[0] == 200
    assert len(_keys(design.masks)) == 200


def test_pairing_draws_complements():
    design = sample_coalitions(
        12, 101, shapley_size_weights(12), np.random.default_rng(1), required_sizes=(0, 12)
    )
    drawn = design.masks[design.sampled]
    keys = _keys(drawn)
    missing = [m for m in drawn if np.packbits(~m).tobytes() not in keys]
    assert len(missing) <= 1  # only the last, odd slot may lack its complement


def test_importance_weights_give_unbiased_kernel_sums():
    n = 9
    rng = np.random.default_rng(2)
    g = rng.normal(size=2**n)  # an arbitrary function of the coalition
    all_masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    codes = {m.tobytes(): i for i, m in enumerate(np.packbits(all_masks, axis=1))}
    log_mu = log_shapley_kernel(n)
    sizes = all_masks.sum(axis=1)
    inner = (sizes > 0) & (sizes < n)
    truth = np.sum(np.exp(log_mu[sizes[inner]]) * g[inner])
    estimates = []
    for seed in range(300):
        design = sample_coalitions(
            n, 40, shapley_size_weights(n), np.random.default_rng(seed), required_sizes=(0, n)
        )
        rows = [codes[m.tobytes()] for m in np.packbits(design.masks, axis=1)]
        keep = (design.sizes > 0) & (design.sizes < n)
        w = np.exp(design.log_adjustment + log_mu[design.sizes])
        estimates.append(np.sum(w[keep] * g[rows][keep]))
    spread = np.std(estimates) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates) - truth) < 4 * spread


def test_shapley_kernel_is_proportional_to_the_definition():
    n = 11
    s = np.arange(1, n)
    kernel = (n - 1) / (np.array([comb(n, k) for k in s]) * s * (n - s))
    ratio = np.exp(log_shapley_kernel(n)[1:n]) / kernel
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
    assert np.isneginf(log_shapley_kernel(n)[[0, n]]).all()


def test_large_n_weights_stay_finite():
    design = sample_coalitions(
        3000, 50, shapley_size_weights(3000), np.random.default_rng(0), required_sizes=(0, 3000)
    )
    w = design.weights(log_shapley_kernel(3000))
    inner = (design.sizes > 0) & (design.sizes < 3000)
    assert np.all(np.isfinite(w)) and np.all(w[inner] > 0)


def test_same_generator_seed_same_design():
    a = sample_coalitions(10, 99, uniform_size_weights(10), np.random.default_rng(5))
    b = sample_coalitions(10, 99, uniform_size_weights(10), np.random.default_rng(5))
    np.testing.assert_array_equal(a.masks, b.masks)
    np.testing.assert_array_equal(a.log_adjustment, b.log_adjustment)


def test_bad_inputs_raise():
    rng = np.random.default_rng(0)
    with pytest.raises(BudgetTooSmallError) as info:
        sample_coalitions(5, 1, shapley_size_weights(5), rng, required_sizes=(0, 5))
    assert info.value.minimum == 2
    skewed = np.array([0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    with pytest.raises(ParameterError, match="symmetric"):
        sample_coalitions(5, 10, skewed, rng, pairing=True)
    with pytest.raises(ParameterError, match="size_weights"):
        sample_coalitions(5, 10, np.ones(3), rng)
