"""Distinct uniform masks."""

from __future__ import annotations

import numpy as np

from ablatio.designs.distinct import distinct_uniform_masks


def _keys(masks):
    return {np.packbits(m).tobytes() for m in masks}


def test_masks_are_distinct_and_avoid_seen():
    rng = np.random.default_rng(0)
    seen: set[bytes] = set()
    first = distinct_uniform_masks(40, 300, rng, seen)
    second = distinct_uniform_masks(40, 300, rng, seen)
    assert first.shape == second.shape == (300, 40) and first.dtype == bool
    assert len(_keys(first) | _keys(second)) == 600 == len(seen)
    assert 0.45 < first.mean() < 0.55


def test_small_n_enumerates_what_is_left():
    rng = np.random.default_rng(1)
    seen: set[bytes] = set()
    first = distinct_uniform_masks(4, 10, rng, seen)
    rest = distinct_uniform_masks(4, 10, rng, seen)
    assert first.shape == (10, 4) and rest.shape == (6, 4)
    assert len(_keys(first) | _keys(rest)) == 16


def test_deterministic_for_a_seed():
    a = distinct_uniform_masks(20, 50, np.random.default_rng(5), set())
    b = distinct_uniform_masks(20, 50, np.random.default_rng(5), set())
    assert np.array_equal(a, b)
