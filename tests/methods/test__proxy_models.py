"""The boosted-tree proxy's exact spectrum (``ablatio.methods._proxy_models``)."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

from ablatio.methods._fourier_selection import parity_columns
from ablatio.methods._proxy_models import ProxyConfig, fit_proxy_fourier


def test_spectrum_reproduces_scikit_learns_default_binning_on_masks():
    """Two bins per part (masks are 0/1) grow the trees 255 bins would: same predictions."""
    rng = np.random.default_rng(0)
    X = rng.random((400, 30)) < 0.5
    y = X[:, :6] @ rng.normal(size=6) + 2.0 * (X[:, 0] & X[:, 1]) + 0.1 * rng.normal(size=400)
    config = ProxyConfig(n_trees=40, max_depth=3, learning_rate=0.1, min_samples_leaf=5)
    proxy_rng = np.random.default_rng(3)
    idx, coef = fit_proxy_fourier(X, y, model="sklearn", config=config, rng=proxy_rng)
    seed = int(np.random.default_rng(3).integers(0, 2**31 - 1))  # the seed the proxy drew
    default = HistGradientBoostingRegressor(
        max_iter=40,
        max_depth=3,
        learning_rate=0.1,
        min_samples_leaf=5,
        max_leaf_nodes=None,
        early_stopping=False,
        random_state=seed,
    ).fit(X.astype(np.float64), y)
    test = rng.random((200, 30)) < 0.5
    spectrum = parity_columns(test, idx) @ coef
    np.testing.assert_allclose(spectrum, default.predict(test.astype(np.float64)), atol=1e-10)
