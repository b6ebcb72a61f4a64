r"""PLS2 regression (PLSR) for the norm audit: one fit for several component counts.

The model of scikit-learn's ``PLSRegression(scale=False)``, computed without NIPALS
iterations and without any n-sized cross product after the first (see :func:`pls_path`), so
that the X := Y upper bounds of McRae-width (2,526) and Buchanan-width (3,500) norms take
seconds. ``tests/audit/test_pls.py`` checks it against scikit-learn on narrow, wide and sparse
inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["PlsPath", "pls_path", "pls_regression", "plsr_predictions"]

#: Widest Gram matrix solved by a dense eigen-decomposition (else Lanczos).
_DENSE_MAX = 200

#: Largest eigenvalue of C_k C_k^T, relative to the first component's, below which PLS stops
#: (singular values of C_k below 1e-6 of the first: Y explained up to round-off of the
#: rank-two updates of C_k C_k^T).
_PLS_TOL_GRAM = 1e-12

#: Relative accuracy of the Lanczos eigen-solves (weights; far below the folds' noise).
_LANCZOS_TOL = 1e-9

#: Largest share of non-zero cells of a matrix handled through sparse products.
_SPARSE_DENSITY = 0.1

#: Relative size of X_k^T Y below which PLS stops adding components (Y explained); also the
#: relative cut of negligible singular values of a wide X.
_PLS_TOL = 1e-10


def pls_regression(X: np.ndarray, Y: np.ndarray, n_components: int) -> np.ndarray:
    r"""Coefficients of PLS2 regression (PLSR) with centred, unscaled X and Y.

    Returns ``B`` of shape (d + 1, m): predictions are ``[X, 1] @ B``.

    Notes
    -----
    Each component's weight vector w is the dominant left singular vector of
    :math:`C_k = X_k^\top Y` (the fixed point the NIPALS iteration of scikit-learn's
    ``PLSRegression`` converges to); scores :math:`t = X_k w`, loadings
    :math:`p = X_k^\top t / t^\top t`, :math:`q = Y^\top t / t^\top t`, deflation
    :math:`X_{k+1} = X_k - t p^\top`. Coefficients :math:`B = W (P^\top W)^{-1} Q^\top`.
    Deflating Y as well changes nothing (t is orthogonal to the earlier scores), so
    :math:`C_{k+1} = C_k - p\,(Y^\top t)^\top` is a rank-one update and
    :math:`C_k C_k^\top`, whose top eigenvector is w, a rank-two one (with
    :math:`C_k a = X_k^\top (Y a)`, so only the d × d matrix is kept). Components stop once the
    top singular value of :math:`C_k` falls below ``1e-6`` of the first (Y explained).

    Wide inputs (d > n, e.g. the X := Y upper bound with 2,526 McRae features) are first
    expressed in their sample-space coordinates: with the thin SVD :math:`X_c = U S V^\top`,
    PLS on :math:`Z = US` gives the same scores, and :math:`B_X = V B_Z` (every weight lies in
    the row space of :math:`X_c`).
    """
    path = pls_path(X, Y, [n_components])
    d = X.shape[1]
    # predictions are affine in x: the rows of B are the predictions at e_i minus at 0
    at_zero = path.predict(np.zeros((1, d)), n_components)
    return np.vstack([path.predict(np.eye(d), n_components) - at_zero, at_zero])


class PlsPath:
    """A PLSR fit for several component counts; :meth:`predict` applies one of them.

    Coefficients are kept factored, :math:`B_k = W_k (P_k^\top W_k)^{-1} Q_k^\top`, so a
    prediction costs O(n_new (d + m) k) and no d × m matrix is formed.

    Attributes
    ----------
    weights : ndarray of shape (r, K)
        Weight vectors on the fit's input coordinates (r = d, or n for a wide dense X).
    maps : dict of int to ndarray of shape (k, m)
        :math:`(P_k^\top W_k)^{-1} Q_k^\top` per component count asked for.
    n_components_ : int
        Components the data supported (at most the largest count asked for).
    """

    def __init__(self, x_mean, y_mean, kernel, weights, maps, n_components_) -> None:  # noqa: ANN001
        self.x_mean, self.y_mean, self.kernel = x_mean, y_mean, kernel
        self.weights, self.maps = weights, maps
        self.n_components_ = n_components_

    def inputs(self, X_new: np.ndarray) -> np.ndarray:
        """Centred inputs in the fit's coordinates (sample space for a wide dense X)."""
        centred = X_new - self.x_mean
        if self.kernel is None:
            return centred
        rows, scaled = self.kernel
        return (centred @ rows.T) @ scaled

    def predict(self, X_new: np.ndarray, k: int) -> np.ndarray:
        """Predictions of the fit with ``k`` components for the rows of ``X_new``."""
        used = self.maps[k].shape[0]
        return (self.inputs(X_new) @ self.weights[:, :used]) @ self.maps[k] + self.y_mean


def pls_path(X: np.ndarray, Y: np.ndarray, components: Sequence[int]) -> PlsPath:
    r"""PLSR (as :func:`pls_regression`) for several component counts from one fit.

    Components are nested, so the coefficients of k components use the first k weights of the
    largest fit; a count beyond the components the data support gets the full fit.

    Three routes, same result: a narrow X (d <= 200) updates :math:`C_k = X_k^\top Y` and
    :math:`C_k C_k^\top` by rank-one / rank-two steps; a sparse wide X with d <= n (at most
    10 % non-zero, e.g. X := Y of Buchanan) never forms :math:`X_k` either: Lanczos runs on
    :math:`v \mapsto X_k^\top (Y_c v)` with :math:`X_k = X_c - T P^\top` applied as a sparse
    product plus low-rank terms; a wide X (d > n, e.g. McRae's X := Y) goes to sample space
    through its Gram matrix, :math:`X_c X_c^\top = U \Lambda U^\top`,
    :math:`Z = U \Lambda^{1/2}`, new rows mapping to :math:`x_c X_c^\top U \Lambda^{-1/2}`.
    """
    n, d = X.shape
    if _DENSE_MAX < d <= n and _is_sparse(X):
        return _pls_sparse(X, Y, components)
    x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
    Xk = X - x_mean
    # the columns of X_k and the scores t sum to zero, so X_k^T Y_c = X_k^T Y and
    # Y_c^T t = Y^T t: a sparse Y (McRae, Buchanan) is used as it is, never centred
    Yk: Any = _sparse(Y) if _is_sparse(Y) else Y - y_mean
    kernel = None
    if d > n:
        values, vectors = np.linalg.eigh(Xk @ Xk.T)
        keep = values > values[-1:].max(initial=0.0) * _PLS_TOL**2
        roots = np.sqrt(values[keep])
        kernel = (Xk, vectors[:, keep] / roots)
        Xk = vectors[:, keep] * roots
    cross = np.asarray((Yk.T @ Xk).T)
    gram = cross @ cross.T
    del cross  # only C_k C_k^T is kept: C_k a = X_k^T (Y a) costs O(nnz(Y) + n d)
    weights, x_loads, y_loads = [], [], []
    first = None
    for _ in range(max(components)):
        w = _top_eigenvector(gram)
        value = float(w @ gram @ w)
        first = value if first is None else first
        if first <= 0 or value <= _PLS_TOL_GRAM * first:
            break
        t = Xk @ w
        tt = float(t @ t)
        if tt <= 0:
            break
        p, a = Xk.T @ t / tt, np.asarray(Yk.T @ t)
        ca = Xk.T @ np.asarray(Yk @ a)
        Xk -= np.outer(t, p)
        gram += float(a @ a) * np.outer(p, p) - np.outer(ca, p) - np.outer(p, ca)
        weights.append(w)
        x_loads.append(p)
        y_loads.append(a / tt)
    return _path(x_mean, y_mean, kernel, weights, x_loads, y_loads, components, Xk.shape[1])


def _is_sparse(matrix: np.ndarray) -> bool:
    return bool(np.count_nonzero(matrix) <= _SPARSE_DENSITY * matrix.size)


def _sparse(matrix: np.ndarray) -> Any:
    from scipy import sparse

    return sparse.csr_matrix(matrix)


def _path(x_mean, y_mean, kernel, weights, x_loads, y_loads, components, r) -> PlsPath:  # noqa: ANN001
    W = np.array(weights).T if weights else np.zeros((r, 0))
    maps = {}
    for k in components:
        used = min(k, len(weights))
        if used == 0:
            maps[k] = np.zeros((0, y_mean.size))
            continue
        P, Q = np.array(x_loads[:used]).T, np.array(y_loads[:used]).T
        maps[k] = np.linalg.solve(P.T @ W[:, :used], Q.T)
    return PlsPath(x_mean, y_mean, kernel, W, maps, len(weights))


def _pls_sparse(X: np.ndarray, Y: np.ndarray, components: Sequence[int]) -> PlsPath:
    """PLSR on a sparse wide X without forming any n × d or d × m matrix (see pls_path)."""
    from scipy import sparse
    from scipy.sparse.linalg import LinearOperator, svds

    Xs, Ys = sparse.csr_matrix(X), sparse.csr_matrix(Y)
    x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
    d, m = X.shape[1], Y.shape[1]
    most = max(components)
    T, P = np.zeros((X.shape[0], most)), np.zeros((most, d))
    weights: list[np.ndarray] = []
    x_loads: list[np.ndarray] = []
    y_loads: list[np.ndarray] = []

    def xk(v: np.ndarray) -> np.ndarray:  # X_k v = X_c v - T P v
        k = len(weights)
        return Xs @ v - x_mean @ v - T[:, :k] @ (P[:k] @ v)

    def xk_t(u: np.ndarray) -> np.ndarray:  # X_k^T u
        k = len(weights)
        return Xs.T @ u - x_mean * u.sum() - P[:k].T @ (T[:, :k].T @ u)

    def yc(v: np.ndarray) -> np.ndarray:
        return Ys @ v - y_mean @ v

    def yc_t(u: np.ndarray) -> np.ndarray:
        return Ys.T @ u - y_mean * u.sum()

    first = None
    for _ in range(max(components)):
        operator = LinearOperator(
            (d, m),
            matvec=lambda v: xk_t(yc(np.ravel(v))),
            rmatvec=lambda u: yc_t(xk(np.ravel(u))),
            dtype=float,
        )
        u, sv, _ = svds(operator, k=1, v0=np.ones(min(d, m)) / np.sqrt(min(d, m)), tol=_LANCZOS_TOL)
        first = float(sv[0]) if first is None else first
        if first <= 0 or float(sv[0]) <= _PLS_TOL * first:
            break
        w = u[:, 0]
        t = xk(w)
        tt = float(t @ t)
        if tt <= 0:
            break
        p, a = xk_t(t) / tt, yc_t(t)
        T[:, len(weights)], P[len(weights)] = t, p
        weights.append(w)
        x_loads.append(p)
        y_loads.append(a / tt)
    return _path(x_mean, y_mean, None, weights, x_loads, y_loads, components, d)


def _top_eigenvector(gram: np.ndarray) -> np.ndarray:
    """Eigenvector of the largest eigenvalue of a symmetric PSD matrix (sign as returned)."""
    if gram.shape[0] <= _DENSE_MAX:
        return np.linalg.eigh(gram)[1][:, -1]
    from scipy.sparse.linalg import eigsh

    start = np.ones(gram.shape[0]) / np.sqrt(gram.shape[0])
    return eigsh(gram, k=1, which="LA", v0=start, tol=_LANCZOS_TOL)[1][:, 0]


def plsr_predictions(
    X: np.ndarray, Y: np.ndarray, X_test: np.ndarray, components: Sequence[int]
) -> dict[int, np.ndarray]:
    """PLSR predictions for ``X_test`` with each of ``components`` (capped by the training
    size and input width), from one fit."""
    cap = {k: max(1, min(k, X.shape[0] - 1, X.shape[1])) for k in components}
    path = pls_path(X, Y, sorted(set(cap.values())))
    return {k: path.predict(X_test, c) for k, c in cap.items()}
