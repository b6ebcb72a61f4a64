r"""PLS2 regression (PLSR) for the norm audit: one fit for several component counts.

The model of scikit-learn's ``PLSRegression(scale=False)``, computed without NIPALS
iterations and without any n-sized product after the first (kernel form, see
:func:`pls_path`); the X := Y upper bounds are principal-component projections (exactly PLSR
with X = Y), one truncated eigen-decomposition per fit, so that McRae-width (2,526) and
Buchanan-width (3,500) norms take a fraction of a second per fit. Targets may be SciPy sparse
(production norms). ``tests/audit/test_pls.py`` checks every route against scikit-learn.
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

#: Widest Gram matrix of the X := Y (principal-component) route decomposed densely; wider
#: ones give their leading eigenvectors to Lanczos (Buchanan: 3,500 features, 3,992 rows).
_PCA_DENSE_MAX = 1000

#: Relative size of X_k^T Y below which PLS stops adding components (Y explained); also the
#: relative cut of negligible singular values of a wide X.
_PLS_TOL = 1e-10


def pls_regression(X: Any, Y: Any, n_components: int) -> np.ndarray:
    r"""Coefficients of PLS2 regression (PLSR) with centred, unscaled X and Y.

    Returns ``B`` of shape (d + 1, m): predictions are ``[X, 1] @ B``.

    Notes
    -----
    Each component's weight vector w is the dominant left singular vector of
    :math:`C_k = X_k^\top Y` (the fixed point the NIPALS iteration of scikit-learn's
    ``PLSRegression`` converges to); scores :math:`t = X_k w`, loadings
    :math:`p = X_k^\top t / t^\top t`, :math:`q = Y^\top t / t^\top t`, deflation
    :math:`X_{k+1} = X_k - t p^\top`. Coefficients :math:`B = W (P^\top W)^{-1} Q^\top`.
    Components stop once the top eigenvalue of :math:`C_k C_k^\top` falls below ``1e-12`` of
    the first (Y explained). :func:`pls_path` computes this without forming :math:`X_k`.
    """
    path = pls_path(X, Y, [n_components])
    d = X.shape[1]
    # predictions are affine in x: the rows of B are the predictions at e_i minus at 0
    at_zero = path.predict(np.zeros((1, d)), n_components)
    return np.vstack([path.predict(np.eye(d), n_components) - at_zero, at_zero])


class PlsPath:
    r"""A PLSR fit for several component counts; :meth:`predict` applies one of them.

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

    def inputs(self, X_new: Any) -> np.ndarray:
        """Centred inputs in the fit's coordinates (sample space for a wide dense X)."""
        centred = _dense(X_new) - self.x_mean
        if self.kernel is None:
            return centred
        rows, scaled = self.kernel
        return (centred @ rows.T) @ scaled

    def predict(self, X_new: Any, k: int) -> np.ndarray:
        """Predictions of the fit with ``k`` components for the rows of ``X_new``."""
        used = self.maps[k].shape[0]
        return (self.inputs(X_new) @ self.weights[:, :used]) @ self.maps[k] + self.y_mean


def pls_path(X: Any, Y: Any, components: Sequence[int]) -> PlsPath:
    r"""PLSR (as :func:`pls_regression`) for several component counts from one fit.

    Components are nested, so the coefficients of k components use the first k weights of the
    largest fit; a count beyond the components the data support gets the full fit. X and Y
    may be NumPy arrays or SciPy sparse matrices.

    Routes, same model:

    - **X = Y** (the X := Y upper bound): PLSR is principal-component regression, see
      :func:`_pca_path`;
    - **kernel form** (d <= n; d > n after the change to sample space below): only
      :math:`S = X_c^\top X_c` and :math:`G_0 = C_0 C_0^\top` with :math:`C_0 = X_c^\top Y`
      are formed (Dayal & MacGregor 1997). With :math:`r_k = w_k - \sum_{j<k} r_j\,p_j^\top
      w_k`, the scores are :math:`t_k = X_c r_k`, so :math:`t^\top t = r^\top S r`,
      :math:`p = S r / t^\top t`, :math:`q = C_0^\top r / t^\top t`, and the deflation
      :math:`C_{k+1} = C_k - p\,(C_0^\top r)^\top` keeps :math:`C_k = M_k C_0`,
      :math:`M_k = I - \sum_{j<k} p_j r_j^\top`; :math:`G_{k+1} = G_k - p u^\top - u p^\top
      + (r^\top G_0 r)\,p p^\top` with :math:`u = M_k G_0 r`. Each component costs O(d²),
      whatever n and m; a sparse Y enters only through :math:`Y^\top X_c`;
    - **wide dense X** (d > n, e.g. McRae-width inputs): sample-space coordinates first,
      :math:`X_c X_c^\top = U \Lambda U^\top`, :math:`Z = U \Lambda^{1/2}`, new rows mapping
      to :math:`x_c X_c^\top U \Lambda^{-1/2}`; then the kernel form on Z;
    - **sparse wide X** (d > 200, d <= n, at most 10 % non-zero, X ≠ Y): Lanczos on
      :math:`v \mapsto X_k^\top (Y_c v)` with :math:`X_k = X_c - T P^\top` applied as a sparse
      product plus low-rank terms, never forming a d × d or d × m matrix.
    """
    if _same(X, Y):
        return _pca_path(Y, components)
    n, d = X.shape
    if _DENSE_MAX < d <= n and _density(X) <= _SPARSE_DENSITY:
        return _pls_sparse(_dense(X), _dense(Y), components)
    X = _dense(X)
    x_mean, y_mean = X.mean(axis=0), _column_means(Y)
    Xc = X - x_mean
    kernel = None
    if d > n:
        values, vectors = np.linalg.eigh(Xc @ Xc.T)
        keep = values > values[-1:].max(initial=0.0) * _PLS_TOL**2
        roots = np.sqrt(values[keep])
        kernel = (Xc, vectors[:, keep] / roots)
        Xc = vectors[:, keep] * roots
    # the columns of X_c sum to zero, so X_c^T Y_c = X_c^T Y: a sparse Y is used as it is
    cross = np.asarray((_sparse(Y).T @ Xc).T) if _density(Y) <= _SPARSE_DENSITY else Xc.T @ Y
    scatter = Xc.T @ Xc
    first_gram = cross @ cross.T
    gram = first_gram.copy()
    r = Xc.shape[1]
    most = max(components)
    R, P = np.zeros((r, most)), np.zeros((r, most))
    weights, squares = [], []
    first = None
    for k in range(most):
        w = _top_eigenvector(gram)
        value = float(w @ gram @ w)
        first = value if first is None else first
        if first <= 0 or value <= _PLS_TOL_GRAM * first:
            break
        rk = w - R[:, :k] @ (P[:, :k].T @ w)
        sr = scatter @ rk
        tt = float(rk @ sr)
        if tt <= 0:
            break
        p = sr / tt
        g0r = first_gram @ rk
        u = g0r - P[:, :k] @ (R[:, :k].T @ g0r)
        gram += float(rk @ g0r) * np.outer(p, p) - np.outer(u, p) - np.outer(p, u)
        R[:, k], P[:, k] = rk, p
        weights.append(w)
        squares.append(tt)
    used = len(weights)
    y_loads = (cross.T @ R[:, :used] / np.array(squares)).T if used else np.zeros((0, y_mean.size))
    return _path(x_mean, y_mean, kernel, weights, list(P[:, :used].T), list(y_loads), components, r)


def _pca_path(Y: Any, components: Sequence[int]) -> PlsPath:
    r"""PLSR of Y on X = Y: the projection onto Y's leading principal components.

    Notes
    -----
    With :math:`Y_c = \sum_j \sigma_j u_j v_j^\top` and X = Y, :math:`C_1 = Y_c^\top Y_c`, so
    :math:`w_1 = v_1`, :math:`t_1 = \sigma_1 u_1`, :math:`p_1 = q_1 = v_1` and
    :math:`C_2 = C_1 - \sigma_1^2 v_1 v_1^\top`: by induction :math:`w_k = v_k` and
    :math:`B_k = V_k V_k^\top`, i.e. prediction :math:`\hat y = \bar y + (x - \bar y) V_k
    V_k^\top` (a tied singular value leaves the span, hence the prediction, unchanged).
    The :math:`v_j` are the leading eigenvectors of the Gram matrix of the non-constant
    columns (dense below 1,000 columns, else Lanczos on :math:`v \mapsto Y_c^\top (Y_c v)`
    with a sparse Y, or of :math:`Y_c Y_c^\top` when there are fewer rows); components stop
    where :math:`\sigma_k^2 \le 10^{-6} \sigma_1^2`, the rule of the kernel route
    (:math:`\sigma_k^4` is the top eigenvalue of :math:`C_k C_k^\top`). Constant columns
    (features absent from the training rows) are predicted by their mean exactly.
    """
    n, m = Y.shape
    y_mean = _column_means(Y)
    active = np.flatnonzero(_column_max(Y) > _column_min(Y))
    most = min(max(components), active.size, max(n - 1, 0))
    Ya = _sparse(Y)[:, active] if _is_sparse(Y) else _dense(Y)[:, active]
    mean = y_mean[active]
    vectors = np.zeros((active.size, 0))
    if most > 0:
        values, vectors = _leading_eigen(Ya, mean, most)
        kept = values > values[0] * np.sqrt(_PLS_TOL_GRAM) if values[0] > 0 else values > 0
        vectors = vectors[:, kept]
    weights = np.zeros((m, vectors.shape[1]))
    weights[active] = vectors
    maps = {k: weights[:, : min(k, weights.shape[1])].T for k in components}
    return PlsPath(y_mean, y_mean, None, weights, maps, weights.shape[1])


def _leading_eigen(Y: Any, mean: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    r"""The k largest eigenvalues (descending) of :math:`Y_c^\top Y_c` and their eigenvectors."""
    n, m = Y.shape
    if min(n, m) <= _PCA_DENSE_MAX or k >= min(n, m) - 1:
        Yc = _dense(Y) - mean
        if m <= n:
            values, vectors = np.linalg.eigh(Yc.T @ Yc)
            return values[::-1][:k], vectors[:, ::-1][:, :k]
        values, left = np.linalg.eigh(Yc @ Yc.T)
        values, left = values[::-1][:k], left[:, ::-1][:, :k]
        vectors = Yc.T @ left / np.sqrt(np.maximum(values, np.finfo(float).tiny))
        return values, vectors
    from scipy.sparse.linalg import LinearOperator, eigsh

    Ys = _sparse(Y)
    Yt = Ys.T.tocsr()

    def gram(v: np.ndarray) -> np.ndarray:  # Y_c^T Y_c v = Y^T (Y v) - n mean (mean . v)
        v = np.ravel(v)
        return Yt @ (Ys @ v) - n * mean * float(mean @ v)

    operator = LinearOperator((m, m), matvec=gram, dtype=float)
    values, vectors = eigsh(operator, k=k, which="LA", v0=np.ones(m) / np.sqrt(m), tol=_LANCZOS_TOL)
    order = np.argsort(values)[::-1]
    return values[order], vectors[:, order]


def _same(X: Any, Y: Any) -> bool:
    """Whether X and Y hold the same matrix (the X := Y upper bound)."""
    if X is Y:
        return True
    if X.shape != Y.shape:
        return False
    if _is_sparse(X) or _is_sparse(Y):
        return bool((_sparse(X) != _sparse(Y)).nnz == 0)
    return bool(np.array_equal(X, Y))


def _is_sparse(matrix: Any) -> bool:
    return hasattr(matrix, "tocsr")


def _density(matrix: Any) -> float:
    size = matrix.shape[0] * matrix.shape[1]
    nonzero = matrix.count_nonzero() if _is_sparse(matrix) else np.count_nonzero(matrix)
    return nonzero / size if size else 1.0


def _dense(matrix: Any) -> np.ndarray:
    return matrix.toarray() if _is_sparse(matrix) else np.asarray(matrix)


def _sparse(matrix: Any) -> Any:
    from scipy import sparse

    return sparse.csr_matrix(matrix)


def _column_means(matrix: Any) -> np.ndarray:
    return np.asarray(matrix.mean(axis=0), dtype=np.float64).ravel()


def _column_max(matrix: Any) -> np.ndarray:
    out = matrix.max(axis=0)
    return np.asarray(out.toarray() if _is_sparse(out) else out, dtype=np.float64).ravel()


def _column_min(matrix: Any) -> np.ndarray:
    out = matrix.min(axis=0)
    return np.asarray(out.toarray() if _is_sparse(out) else out, dtype=np.float64).ravel()


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
