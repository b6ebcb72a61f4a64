"""The boosted-tree proxy's exact spectrum (``ablatio.methods._proxy_models``)."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.ensemble._hist_gradient_boosting import binning

from ablatio.methods._fourier_selection import parity_columns
from ablatio.methods._proxy_models import ProxyConfig, _mask_booster, fit_proxy_fourier


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


def _no_search(*args, **kwargs):
    raise AssertionError("the per-column threshold search ran")


def test_the_one_pass_binning_grows_the_stock_estimators_trees(monkeypatch):
    """0/1 masks with parts kept in every row or in none: same bins, same trees, same splits,
    without scikit-learn's search of each column's thresholds."""
    rng = np.random.default_rng(1)
    X = (rng.random((300, 40)) < 0.5).astype(np.float64)
    X[:, 3], X[:, 17] = 1.0, 0.0  # constant parts: no threshold, one bin
    y = X[:, :8] @ rng.normal(size=8) + 1.5 * X[:, 0] * X[:, 5] + 0.1 * rng.normal(size=300)
    params = {"max_iter": 30, "max_depth": 3, "max_leaf_nodes": None, "early_stopping": False}
    stock = HistGradientBoostingRegressor(max_bins=2, random_state=0, **params).fit(X, y)
    with monkeypatch.context() as patched:
        patched.setattr(binning, "_find_binning_thresholds", _no_search)
        fast = _mask_booster()(max_bins=2, random_state=0, **params).fit(X, y)
    assert [t.tolist() for t in fast._bin_mapper.bin_thresholds_] == [
        t.tolist() for t in stock._bin_mapper.bin_thresholds_
    ]
    for (ours,), (theirs,) in zip(fast._predictors, stock._predictors, strict=True):
        for field in ("feature_idx", "num_threshold", "left", "right", "value", "is_leaf"):
            np.testing.assert_array_equal(ours.nodes[field], theirs.nodes[field])
    # anything but 0/1 data takes the stock path
    values = X + 0.25 * rng.random(X.shape)
    fast = _mask_booster()(max_bins=16, random_state=0, **params).fit(values, y)
    stock = HistGradientBoostingRegressor(max_bins=16, random_state=0, **params).fit(values, y)
    np.testing.assert_array_equal(fast.predict(values), stock.predict(values))
