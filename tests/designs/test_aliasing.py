"""Aliasing designs: nested masks, bucket identity, distinct mask count."""

from __future__ import annotations

import numpy as np

from ablatio.designs.aliasing import draw_aliasing_design, n_distinct_masks
from ablatio.games.synthetic import sparse_parity_game
from ablatio.transforms.bch import bch_code
from ablatio.transforms.fourier import fwht
from ablatio.transforms.terms import tuples_to_terms


def _design(n=24, groups=3, b=4, t=2, seed=0):
    code = bch_code(n, t)
    return code, draw_aliasing_design(code.delays, groups, b, np.random.default_rng(seed))


def test_levels_are_nested_and_zero_delay_row_is_plain_hash():
    _, design = _design()
    full = design.masks(1, 4)
    assert np.array_equal(full[:, :8], design.masks(1, 3))
    assert not full[0, 0].any()  # ℓ = 0, d_0 = 0: the empty mask
    assert np.array_equal(full[0, 1], design.hashes[1, 0])
    assert np.array_equal(full[3, 0], design.delays[3])


def test_distinct_mask_count_formula():
    code, design = _design(n=40, groups=3, b=4)
    masks = np.concatenate([design.masks(c, 4).reshape(-1, 40) for c in range(3)])
    assert np.unique(masks, axis=0).shape[0] == n_distinct_masks(3, 4, code.n_parity)


def test_buckets_hold_the_aliased_signed_sums():
    n, b = 24, 4
    game = sparse_parity_game(n, n_terms=6, max_order=2, random_state=1)
    truth = game.true_interactions
    code, design = _design(n=n, b=b)
    idx = tuples_to_terms(truth.terms)
    homes = design.buckets(idx, b)
    signs = design.signs(idx)
    for c in range(design.n_groups):
        masks = design.masks(c, b)
        values = game(masks.reshape(-1, n)).reshape(masks.shape[:2])
        buckets = fwht(values) / 2**b
        expected = np.zeros_like(buckets)
        for row, coef in enumerate(truth.coefficients):
            expected[:, homes[c, row]] += coef * signs[row]
        np.testing.assert_allclose(buckets, expected, atol=1e-12)
