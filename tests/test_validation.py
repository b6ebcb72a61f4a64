"""Shared input checks."""

from __future__ import annotations

import numpy as np
import pytest

from ablatio._validation import check_masks, check_random_state
from ablatio.exceptions import MaskError, ParameterError


def test_random_state_never_uses_global_rng():
    a = check_random_state(3).random(3)
    np.testing.assert_array_equal(a, np.random.default_rng(3).random(3))
    gen = np.random.default_rng(1)
    assert check_random_state(gen) is gen
    with pytest.raises(ParameterError):
        check_random_state("seed")
    with pytest.raises(ParameterError):
        check_random_state(-1)


def test_single_mask_is_promoted():
    assert check_masks(np.array([1, 0, 1]), 3).shape == (1, 3)
    with pytest.raises(MaskError):
        check_masks(np.ones((2, 2, 2), dtype=bool), 2)
