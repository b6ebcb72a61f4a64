from __future__ import annotations

import numpy as np
import pytest

from ablatio.exceptions import ParameterError
from ablatio.methods._common import MAX_FULL_PLAYERS, first_order_surrogate, resolve_budget


def test_budget_none_means_every_mask_for_small_n_only():
    assert resolve_budget(None, 5, "X") == 32
    assert resolve_budget(7, 5, "X") == 7
    with pytest.raises(ParameterError, match="pass budget"):
        resolve_budget(None, MAX_FULL_PLAYERS + 1, "X")


def test_first_order_surrogate_predicts_intercept_plus_kept_values():
    surrogate = first_order_surrogate(0.5, np.array([1.0, -2.0, 3.0]))
    masks = np.array([[0, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=bool)
    np.testing.assert_allclose(surrogate.predict(masks), [0.5, -0.5, 2.5])
    np.testing.assert_allclose(surrogate.shapley_values(), [1.0, -2.0, 3.0])
