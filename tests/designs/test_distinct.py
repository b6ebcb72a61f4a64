"""Distinct uniform masks."""

from __future__ import annotations

import numpy as np

from ablatio.designs.distinct import DrawCounts, distinct_masks


def _keys(masks):
    return {np.packbits(m).tobytes() for m in masks}


def test_masks_are_distinct_and_avoid_seen():
    rng = np.random.default_rng(0)
    seen: set[bytes] = set()
    first = distinct_masks(40, 300, rng, seen)
    second = distinct_masks(40, 300, rng, seen)
    assert first.shape == second.shape == (300, 40) and first.dtype == bool
    assert len(_keys(first) | _keys(second)) == 600 == len(seen)
    assert 0.45 < first.mean() < 0.55


def test_small_n_enumerates_what_is_left():
    rng = np.random.default_rng(1)
    seen: set[bytes] = set()
    first = distinct_masks(4, 10, rng, seen)
    rest = distinct_masks(4, 10, rng, seen)
    assert first.shape == (10, 4) and rest.shape == (6, 4)
    assert len(_keys(first) | _keys(rest)) == 16


def test_deterministic_for_a_seed():
    a = distinct_masks(20, 50, np.random.default_rng(5), set())
    b = distinct_masks(20, 50, np.random.default_rng(5), set())
    assert np.array_equal(a, b)


def test_keep_probability_sets_the_kept_share():
    seen: set[bytes] = set()
    masks = distinct_masks(60, 2000, np.random.default_rng(2), seen, p=0.9)
    assert masks.shape == (2000, 60) and len(seen) == 2000
    assert 0.89 < masks.mean() < 0.91


def test_p_one_half_is_the_uniform_draw():
    a = distinct_masks(30, 40, np.random.default_rng(3), set())
    b = distinct_masks(30, 40, np.random.default_rng(3), set(), p=0.5)
    assert np.array_equal(a, b)


def test_small_n_with_keep_probability_draws_weighted_without_repeats():
    # n = 3: 8 masks, full mask weight 0.9^3 = 0.729, empty mask 0.001
    firsts = [
        distinct_masks(3, 4, np.random.default_rng(seed), set(), p=0.9) for seed in range(400)
    ]
    assert all(len(_keys(m)) == 4 for m in firsts)
    full_first = np.mean([m[0].all() for m in firsts])
    assert 0.65 < full_first < 0.8  # the first draw is the full mask with probability 0.729
    seen: set[bytes] = set()
    rng = np.random.default_rng(4)
    first = distinct_masks(3, 5, rng, seen, p=0.9)
    rest = distinct_masks(3, 5, rng, seen, p=0.9)
    assert first.shape == (5, 3) and rest.shape == (3, 3)
    assert len(_keys(first) | _keys(rest)) == 8


def test_draw_counts_keeps_each_mask_once_in_first_draw_order_and_counts_repeats():
    a, b, c = (np.array(row, dtype=bool) for row in ([1, 0, 1], [0, 0, 0], [1, 1, 1]))
    tally = DrawCounts(3, target=2, max_draws=100)
    tally.add(np.stack([a, b, a]))
    assert (tally.n_distinct, tally.draws) == (2, 3)
    tally.add(np.stack([b, c, a]))  # c would be a third distinct mask: the batch stops there
    masks, counts = tally.result()
    np.testing.assert_array_equal(masks, np.stack([a, b]))
    np.testing.assert_array_equal(counts, [2.0, 2.0])
    assert tally.draws == 4
    empty = DrawCounts(3, target=5, max_draws=100).result()
    assert empty[0].shape == (0, 3) and empty[1].shape == (0,)
