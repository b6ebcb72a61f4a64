from __future__ import annotations

import numpy as np

from ablatio.methods._common import first_order_surrogate


def test_first_order_surrogate_predicts_intercept_plus_kept_values():
    surrogate = first_order_surrogate(0.5, np.array([1.0, -2.0, 3.0]))
    masks = np.array([[0, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=bool)
    np.testing.assert_allclose(surrogate.predict(masks), [0.5, -0.5, 2.5])
    np.testing.assert_allclose(surrogate.shapley_values(), [1.0, -2.0, 3.0])
