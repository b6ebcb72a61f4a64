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


def _sparse_norms(rng, n, m, density=0.05):
    return (rng.random((n, m)) < density) * rng.integers(5, 31, (n, m)).astype(float)


def test_pls_sparse_wide_input_matches_scikit_learn():
    # a sparse wide X other than Y takes the sparse Lanczos route
    rng = np.random.default_rng(5)
    X, Y = _sparse_norms(rng, 300, 250), _sparse_norms(rng, 300, 40)
    Y += X[:, :40]
    reference = PLSRegression(n_components=4, scale=False, tol=1e-15, max_iter=100000).fit(X, Y)
    path = pls_path(X, Y, [2, 4])
    np.testing.assert_allclose(path.predict(X[:7], 4), reference.predict(X[:7]), atol=1e-4)
    assert path.weights.shape == (250, 4)  # sparse route: weights in feature space


@pytest.mark.parametrize(("n", "sparse_input"), [(300, False), (300, True), (60, False)])
def test_pls_with_x_equal_y_is_principal_components_and_matches_scikit_learn(n, sparse_input):
    from scipy import sparse

    rng = np.random.default_rng(n)
    Y = _sparse_norms(rng, n, 250)  # n = 60 < 250 columns: Gram of the rows
    Y[:, 7] = 0.0  # a feature absent from the training rows
    reference = PLSRegression(n_components=4, scale=False, tol=1e-15, max_iter=100000).fit(Y, Y)
    given = sparse.csr_matrix(Y) if sparse_input else Y
    path = pls_path(given, given.copy(), [2, 4])  # equal contents, not the same object
    X_new = _sparse_norms(rng, 7, 250)
    X_new[:, 7] = 9.0
    np.testing.assert_allclose(path.predict(X_new, 4), reference.predict(X_new), atol=1e-4)
    assert (path.predict(X_new, 4)[:, 7] == 0.0).all()  # exactly its mean, as the other routes
    _, s, vt = np.linalg.svd(Y - Y.mean(axis=0), full_matrices=False)
    projection = vt[:2].T @ vt[:2]
    np.testing.assert_allclose(
        path.predict(X_new, 2), (X_new - Y.mean(axis=0)) @ projection + Y.mean(axis=0), atol=1e-9
    )


def test_pls_x_equal_y_lanczos_equals_dense_decomposition(monkeypatch):
    from scipy import sparse

    from ablatio.audit import pls

    rng = np.random.default_rng(11)
    Y = sparse.csr_matrix(_sparse_norms(rng, 150, 120, density=0.08))
    X_new = _sparse_norms(rng, 5, 120)
    dense = pls_path(Y, Y, [3, 10])
    monkeypatch.setattr(pls, "_PCA_DENSE_MAX", 50)  # same fit through eigsh
    lanczos = pls_path(Y, Y, [3, 10])
    for k in (3, 10):
        np.testing.assert_allclose(lanczos.predict(X_new, k), dense.predict(X_new, k), atol=1e-8)


def test_pls_sparse_targets_equal_dense_targets():
    from scipy import sparse

    rng = np.random.default_rng(12)
    X = rng.normal(size=(80, 12))
    Y = _sparse_norms(rng, 80, 300)
    X_new = rng.normal(size=(6, 12))
    dense, sparse_fit = pls_path(X, Y, [5]), pls_path(X, sparse.csr_matrix(Y), [5])
    np.testing.assert_allclose(sparse_fit.predict(X_new, 5), dense.predict(X_new, 5), atol=1e-10)
