"""The two mapping models of the embedding → norm literature: PLSR and a one-hidden-layer FFNN.

``fit_predict(mapper, X_train, Y_train, X_test, ...)`` fits on the training concepts and
returns predictions for the test concepts.

- ``"plsr"``: PLS2 regression (:func:`pls_regression`; the model of scikit-learn's
  ``PLSRegression(scale=False)``, computed without NIPALS iterations) with
  ``min(n_components, n_train - 1, n_dims)`` components (Feature2Vec uses 50 and 120).
- ``"ffnn"``: one ReLU hidden layer, linear output, mean squared error + L2 penalty, Adam
  (β = 0.9, 0.999) on mini-batches, early stopping on a held-out share of the training concepts
  (``validation_fraction``): training stops after ``n_iter_no_change`` epochs without a
  validation-loss improvement and the best epoch's weights are used. Written in NumPy
  (float32) because scikit-learn's ``MLPRegressor`` was ~50× slower here for the same
  network. Inputs are standardised with training statistics, targets divided by their largest
  absolute training value (a global scale: per-concept rankings are unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ablatio.exceptions import ParameterError

__all__ = [
    "MAPPERS",
    "MapperSettings",
    "PlsPath",
    "fit_predict",
    "pls_path",
    "pls_regression",
    "plsr_predictions",
]

MAPPERS = ("plsr", "ffnn")

#: Widest Gram matrix solved by a dense eigen-decomposition (else Lanczos).
_DENSE_MAX = 200

#: Relative size of X_k^T Y below which PLS stops adding components (Y explained); also the
#: relative cut of negligible singular values of a wide X.
_PLS_TOL = 1e-10

# Adam constants (Kingma & Ba 2015 defaults).
_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8


class MapperSettings:
    """Hyper-parameters of the mappers (documented defaults, all overridable).

    Parameters
    ----------
    n_components : int, default=50
        PLSR components (Feature2Vec: 50).
    hidden : int, default=128
        FFNN hidden units.
    max_iter : int, default=200
        FFNN epochs at most.
    n_iter_no_change : int, default=10
        FFNN early-stopping patience (epochs without validation improvement).
    learning_rate : float, default=3e-3
        FFNN Adam step size.
    alpha : float, default=1e-2
        FFNN L2 penalty on the weights (the data term is the mean over cells, so this is
        strong; 1e-4 left the network noisier than predicting the mean profile on the
        Lancaster × GloVe audit, see docs/audit.md).
    batch : int, default=32
        FFNN mini-batch size.
    validation_fraction : float, default=0.1
        Share of training concepts held out for early stopping.
    tol : float, default=1e-6
        Smallest validation-loss decrease that counts as an improvement.
    max_rank : int, default=256
        FFNN inputs / targets wider than this are expressed in their top ``max_rank`` principal
        directions (SVD of the training rows). For the targets this is exactly a rank-limited
        output layer: ``||Y - H A Vᵀ||² = ||Y V - H A||² + const`` for orthonormal V; for the
        inputs a rank-limited first layer. It keeps McRae-width (2,526 features) audits fast.
    """

    def __init__(
        self,
        *,
        n_components: int = 50,
        hidden: int = 128,
        max_iter: int = 200,
        n_iter_no_change: int = 10,
        learning_rate: float = 3e-3,
        alpha: float = 1e-2,
        batch: int = 32,
        validation_fraction: float = 0.1,
        tol: float = 1e-6,
        max_rank: int = 256,
    ) -> None:
        self.n_components = n_components
        self.hidden = hidden
        self.max_iter = max_iter
        self.n_iter_no_change = n_iter_no_change
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.batch = batch
        self.validation_fraction = validation_fraction
        self.tol = tol
        self.max_rank = max_rank

    def __repr__(self) -> str:
        return f"MapperSettings({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"


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
    :math:`C_k C_k^\top`, whose top eigenvector is w, a rank-two one: no product over the n
    concepts is formed after the first. Components stop once :math:`\max|C_k|` falls below
    ``1e-10`` of :math:`\max|C_0|` (Y explained).

    Wide inputs (d > n, e.g. the X := Y upper bound with 2,526 McRae features) are first
    expressed in their sample-space coordinates: with the thin SVD :math:`X_c = U S V^\top`,
    PLS on :math:`Z = US` gives the same scores, and :math:`B_X = V B_Z` (every weight lies in
    the row space of :math:`X_c`).
    """
    path = pls_path(X, Y, [n_components])
    d = X.shape[1]
    # B = E coef with E the input map of the fit; [X, 1] @ B = predictions
    eye = path.inputs(np.eye(d) + X.mean(axis=0))
    coef = eye @ path.coef[n_components]
    return np.vstack([coef, path.predict(np.zeros((1, d)), n_components)])


class PlsPath:
    """A PLSR fit for several component counts; :meth:`predict` applies one of them.

    Attributes
    ----------
    coef : dict of int to ndarray of shape (r, m)
        Coefficients on the fit's input coordinates, per component count.
    n_components_ : int
        Components the data supported (at most the largest count asked for).
    """

    def __init__(self, x_mean, y_mean, kernel, coef, n_components_) -> None:  # noqa: ANN001
        self.x_mean, self.y_mean, self.kernel = x_mean, y_mean, kernel
        self.coef = coef
        self.n_components_ = n_components_

    def inputs(self, X_new: np.ndarray) -> np.ndarray:
        """Centred inputs in the fit's coordinates (sample space for wide X)."""
        centred = X_new - self.x_mean
        if self.kernel is None:
            return centred
        rows, scaled = self.kernel
        return (centred @ rows.T) @ scaled

    def predict(self, X_new: np.ndarray, k: int) -> np.ndarray:
        """Predictions of the fit with ``k`` components for the rows of ``X_new``."""
        return self.inputs(X_new) @ self.coef[k] + self.y_mean


def pls_path(X: np.ndarray, Y: np.ndarray, components: Sequence[int]) -> PlsPath:
    r"""PLSR (as :func:`pls_regression`) for several component counts from one fit.

    Components are nested, so the coefficients of k components use the first k weights of the
    largest fit; a count beyond the components the data support gets the full fit. Wide X
    (d > n) is expressed through its Gram matrix: :math:`X_c X_c^\top = U \Lambda U^\top`,
    :math:`Z = U \Lambda^{1/2}`, and new rows map to :math:`x_c X_c^\top U \Lambda^{-1/2}`.
    """
    x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
    Xk, Yc = X - x_mean, Y - y_mean
    kernel = None
    if Xk.shape[1] > Xk.shape[0]:
        values, vectors = np.linalg.eigh(Xk @ Xk.T)
        keep = values > values[-1:].max(initial=0.0) * _PLS_TOL**2
        roots = np.sqrt(values[keep])
        kernel = (Xk, vectors[:, keep] / roots)
        Xk = vectors[:, keep] * roots
    cross = Xk.T @ Yc
    gram = cross @ cross.T
    scale = float(np.abs(cross).max(initial=0.0))
    weights, x_loads, y_loads = [], [], []
    for _ in range(max(components)):
        if scale == 0 or float(np.abs(cross).max()) <= _PLS_TOL * scale:
            break
        w = _top_eigenvector(gram)
        t = Xk @ w
        tt = float(t @ t)
        if tt <= 0:
            break
        p, a = Xk.T @ t / tt, Yc.T @ t
        Xk -= np.outer(t, p)
        ca = cross @ a
        gram += float(a @ a) * np.outer(p, p) - np.outer(ca, p) - np.outer(p, ca)
        cross -= np.outer(p, a)
        weights.append(w)
        x_loads.append(p)
        y_loads.append(a / tt)
    coef = {}
    for k in components:
        coef[k] = np.zeros((Xk.shape[1], Y.shape[1]))
        if weights:
            W, P, Q = (np.array(v[:k]).T for v in (weights, x_loads, y_loads))
            coef[k] = W @ np.linalg.solve(P.T @ W, Q.T)
    return PlsPath(x_mean, y_mean, kernel, coef, len(weights))


def _top_eigenvector(gram: np.ndarray) -> np.ndarray:
    """Eigenvector of the largest eigenvalue of a symmetric PSD matrix (sign as returned)."""
    if gram.shape[0] <= _DENSE_MAX:
        return np.linalg.eigh(gram)[1][:, -1]
    from scipy.sparse.linalg import eigsh

    start = np.ones(gram.shape[0]) / np.sqrt(gram.shape[0])
    return eigsh(gram, k=1, which="LA", v0=start)[1][:, 0]


def plsr_predictions(
    X: np.ndarray, Y: np.ndarray, X_test: np.ndarray, components: Sequence[int]
) -> dict[int, np.ndarray]:
    """PLSR predictions for ``X_test`` with each of ``components`` (capped by the training
    size and input width), from one fit."""
    cap = {k: max(1, min(k, X.shape[0] - 1, X.shape[1])) for k in components}
    path = pls_path(X, Y, sorted(set(cap.values())))
    return {k: path.predict(X_test, c) for k, c in cap.items()}


def _plsr(X: np.ndarray, Y: np.ndarray, X_test: np.ndarray, s: MapperSettings) -> np.ndarray:
    return plsr_predictions(X, Y, X_test, [s.n_components])[s.n_components]


def _ffnn(
    X: np.ndarray, Y: np.ndarray, X_test: np.ndarray, s: MapperSettings, rng: np.random.Generator
) -> np.ndarray:
    mean, sd = X.mean(axis=0), X.std(axis=0)
    sd[sd == 0] = 1.0
    scale = float(np.abs(Y).max()) or 1.0
    Xs = ((X - mean) / sd).astype(np.float32)
    Ys = (Y / scale).astype(np.float32)
    x_basis = _top_basis(Xs, s.max_rank)
    y_basis = _top_basis(Ys, s.max_rank)
    Xs = Xs @ x_basis if x_basis is not None else Xs
    y_offset = Ys.mean(axis=0)
    Ys = (Ys - y_offset) @ y_basis if y_basis is not None else Ys - y_offset
    init_rng, order_rng = rng.spawn(2)
    perm = init_rng.permutation(len(X))
    n_val = max(1, round(s.validation_fraction * len(X)))
    val, train = perm[:n_val], perm[n_val:]
    d, m = Xs.shape[1], Ys.shape[1]
    params = [
        (init_rng.normal(size=(d, s.hidden)) * np.sqrt(2.0 / d)).astype(np.float32),
        np.zeros(s.hidden, np.float32),
        (init_rng.normal(size=(s.hidden, m)) * np.sqrt(1.0 / s.hidden)).astype(np.float32),
        Ys[train].mean(axis=0),
    ]
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    best, best_loss, waited, step = [p.copy() for p in params], np.inf, 0, 0
    for _ in range(s.max_iter):
        for batch in np.array_split(order_rng.permutation(train), max(1, len(train) // s.batch)):
            xb, yb = Xs[batch], Ys[batch]
            pre = xb @ params[0] + params[1]
            hid = np.maximum(pre, 0)
            err = (hid @ params[2] + params[3] - yb) * (2.0 / yb.size)
            back = (err @ params[2].T) * (pre > 0)
            grads = [xb.T @ back, back.sum(0), hid.T @ err, err.sum(0)]
            grads[0] += s.alpha * params[0]
            grads[2] += s.alpha * params[2]
            step += 1
            for p, g, mo, sq in zip(params, grads, moments, squares, strict=True):
                mo *= _BETA1
                mo += (1 - _BETA1) * g
                sq *= _BETA2
                sq += (1 - _BETA2) * g * g
                lr = s.learning_rate * np.sqrt(1 - _BETA2**step) / (1 - _BETA1**step)
                p -= lr * mo / (np.sqrt(sq) + _EPS)
        hid = np.maximum(Xs[val] @ params[0] + params[1], 0)
        loss = float(((hid @ params[2] + params[3] - Ys[val]) ** 2).mean())
        if loss < best_loss - s.tol:
            best, best_loss, waited = [p.copy() for p in params], loss, 0
        else:
            waited += 1
            if waited >= s.n_iter_no_change:
                break
    X_new = ((X_test - mean) / sd).astype(np.float32)
    X_new = X_new @ x_basis if x_basis is not None else X_new
    out = np.maximum(X_new @ best[0] + best[1], 0) @ best[2] + best[3]
    out = out @ y_basis.T if y_basis is not None else out
    return (out + y_offset).astype(np.float64) * scale


def _top_basis(matrix: np.ndarray, rank: int) -> np.ndarray | None:
    """Top-``rank`` right singular vectors (columns) of ``matrix``; None if it is narrower."""
    if matrix.shape[1] <= rank:
        return None
    _, _, vt = np.linalg.svd(matrix - matrix.mean(axis=0), full_matrices=False)
    return np.ascontiguousarray(vt[:rank].T)


def fit_predict(
    mapper: str,
    X: np.ndarray,
    Y: np.ndarray,
    X_test: np.ndarray,
    *,
    settings: MapperSettings,
    rng: np.random.Generator,
) -> np.ndarray:
    """Fit ``mapper`` on (X, Y) and predict the rows of ``X_test``."""
    if mapper == "plsr":
        return _plsr(X, Y, X_test, settings)
    if mapper == "ffnn":
        return _ffnn(X, Y, X_test, settings, rng)
    msg = f"mapper == {mapper!r}, must be one of {MAPPERS}"
    raise ParameterError(msg)
