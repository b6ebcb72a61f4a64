from __future__ import annotations

import numpy as np
import pytest
from sklearn.cross_decomposition import PLSRegression

from ablatio.audit.pls import pls_path, pls_regression


@pytest.mark.parametrize(("d", "m", "k"), [(8, 5, 3), (6, 12, 4), (10, 1, 5)])
def test_pls_matches_scikit_learn(d, m, k):
    rng = np.random.default_rng(d * m)
    X = rng.normal(size=(40, d))
    Y = X @ rng.normal(size=(d, m)) + rng.normal(size=(40, m))
    reference = PLSRegression(n_components=k, scale=False, tol=1e-12, max_iter=5000).fit(X, Y)
    coef = pls_regression(X, Y, k)
    X_new = rng.normal(size=(7, d))
    np.testing.assert_allclose(
        X_new @ coef[:-1] + coef[-1], reference.predict(X_new), rtol=1e-4, atol=1e-4
    )


def test_pls_stops_when_y_is_explained():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 10))
    Y = X[:, :1] * 2.0 + 1.0
    coef = pls_regression(X, Y, 10)
    np.testing.assert_allclose(X @ coef[:-1] + coef[-1], Y, atol=1e-9)


def test_pls_wide_inputs_and_targets_use_lanczos_and_match():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 230))
    Y = X[:, :210] @ rng.normal(size=(210, 210)) * 0.1 + rng.normal(size=(60, 210))
    reference = PLSRegression(n_components=3, scale=False, tol=1e-12, max_iter=5000).fit(X, Y)
    coef = pls_regression(X, Y, 3)
    np.testing.assert_allclose(X @ coef[:-1] + coef[-1], reference.predict(X), rtol=1e-4, atol=1e-4)


def test_pls_wide_input_matches_scikit_learn():
    # d > n takes the sample-space route (the X := Y upper bound of McRae-width norms)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(25, 60))
    Y = X[:, :8] @ rng.normal(size=(8, 70)) + 0.1 * rng.normal(size=(25, 70))
    reference = PLSRegression(n_components=6, scale=False, tol=1e-12, max_iter=5000).fit(X, Y)
    X_new = rng.normal(size=(5, 60))
    coef = pls_regression(X, Y, 6)
    np.testing.assert_allclose(
        X_new @ coef[:-1] + coef[-1], reference.predict(X_new), rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("d", [9, 300])
def test_pls_path_equals_separate_fits(d):
    rng = np.random.default_rng(d)
    X = rng.normal(size=(40, d))
    Y = X[:, :5] @ rng.normal(size=(5, 250)) + rng.normal(size=(40, 250))
    path = pls_path(X, Y, [2, 5, 8])
    X_new = rng.normal(size=(6, d))
    for k in (2, 5, 8):
        coef = pls_regression(X, Y, k)
        np.testing.assert_allclose(path.predict(X_new, k), X_new @ coef[:-1] + coef[-1], atol=1e-8)


def test_pls_sparse_wide_input_matches_scikit_learn():
    # X := Y of sparse norms (McRae, Buchanan) takes the sparse Lanczos route
    rng = np.random.default_rng(5)
    Y = (rng.random((300, 250)) < 0.05) * rng.integers(5, 31, (300, 250)).astype(float)
    reference = PLSRegression(n_components=4, scale=False, tol=1e-15, max_iter=100000).fit(Y, Y)
    path = pls_path(Y, Y, [2, 4])
    np.testing.assert_allclose(path.predict(Y[:7], 4), reference.predict(Y[:7]), atol=1e-4)
    assert path.weights.shape == (250, 4)  # sparse route: weights in feature space
    wide = pls_path(Y[:60], Y[:60], [4])  # d > n: sample space
    assert wide.weights.shape[0] == 60
    reference = PLSRegression(n_components=4, scale=False, tol=1e-15, max_iter=100000)
    reference.fit(Y[:60], Y[:60])
    np.testing.assert_allclose(wide.predict(Y[:7], 4), reference.predict(Y[:7]), atol=1e-4)
