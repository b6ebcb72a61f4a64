"""The two mapping models of the embedding → norm literature: PLSR and a one-hidden-layer FFNN.

``fit_predict(mapper, X_train, Y_train, X_test, ...)`` fits on the training concepts and
returns predictions for the test concepts.

- ``"plsr"``: PLS2 regression (:mod:`ablatio.audit.pls`; the model of scikit-learn's
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

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from ablatio.audit.pls import plsr_predictions
from ablatio.exceptions import ParameterError

__all__ = ["MAPPERS", "MapperSettings", "fit_predict"]

MAPPERS = ("plsr", "ffnn")

# Adam constants (Kingma & Ba 2015 defaults).
_BETA1, _BETA2, _EPS = 0.9, 0.999, 1e-8

#: Largest min(rows, columns) for which the rank-``max_rank`` bases come from LAPACK's thin
#: SVD of the dense matrix; larger ones (Buchanan: 3,992 × 3,500) from Lanczos on the Gram
#: operator (O(nnz) per product instead of O(n m min(n, m))).
_DENSE_SVD_MAX = 1000

#: Relative accuracy of the Lanczos bases' eigenvalues.
_LANCZOS_TOL = 1e-6


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


def _plsr(X: np.ndarray, Y: np.ndarray, X_test: np.ndarray, s: MapperSettings) -> np.ndarray:
    return plsr_predictions(X, Y, X_test, [s.n_components])[s.n_components]


def _ffnn(
    X: Any,
    Y: Any,
    X_test: Any,
    s: MapperSettings,
    rng: np.random.Generator,
    memo: dict[Hashable, Any],
    keys: tuple[Hashable, Hashable],
) -> np.ndarray:
    Xs, encode = _memoised(memo, keys[0], lambda: _input_map(X, s.max_rank))
    Ys, decode = _memoised(memo, keys[1], lambda: _target_map(Y, s.max_rank))
    init_rng, order_rng = rng.spawn(2)
    perm = init_rng.permutation(Xs.shape[0])
    n_val = max(1, round(s.validation_fraction * Xs.shape[0]))
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
    out = np.maximum(encode(X_test) @ best[0] + best[1], 0) @ best[2] + best[3]
    return decode(out)


def _memoised(memo: dict[Hashable, Any], key: Hashable, compute: Callable[[], Any]) -> Any:
    if key is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _input_map(X: Any, rank: int) -> tuple[np.ndarray, Callable[[Any], np.ndarray]]:
    """Standardised training inputs (in their top-``rank`` basis if wider) and the same map."""
    n, d = X.shape
    if d <= rank or min(n, d) <= _DENSE_SVD_MAX:
        X = _dense(X)
        mean, sd = X.mean(axis=0), X.std(axis=0)
        sd[sd == 0] = 1.0
        Xs = ((X - mean) / sd).astype(np.float32)
        basis = _top_basis(Xs, rank)

        def encode(X_new: Any) -> np.ndarray:
            out = ((_dense(X_new) - mean) / sd).astype(np.float32)
            return out @ basis if basis is not None else out

        return (Xs @ basis if basis is not None else Xs), encode
    mean = _column_means(X)
    sd = np.sqrt(np.maximum(_column_means(_square(X)) - mean**2, 0.0))
    sd[sd == 0] = 1.0
    basis = _lanczos_basis(X, mean, 1.0 / sd, rank) / sd[:, None]  # x_s @ B = x @ (B / sd) - ...
    shift = mean @ basis

    def encode_large(X_new: Any) -> np.ndarray:
        return (np.asarray(X_new @ basis) - shift).astype(np.float32)

    return encode_large(X), encode_large


def _target_map(Y: Any, rank: int) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Centred targets / their largest |value| (in their top-``rank`` basis) and the way back."""
    n, m = Y.shape
    scale = float(abs(Y).max()) or 1.0
    if m <= rank or min(n, m) <= _DENSE_SVD_MAX:
        Ys = (_dense(Y) / scale).astype(np.float32)
        basis = _top_basis(Ys, rank)
        offset = Ys.mean(axis=0)
        Ys = (Ys - offset) @ basis if basis is not None else Ys - offset

        def decode(out: np.ndarray) -> np.ndarray:
            out = out @ basis.T if basis is not None else out
            return (out + offset).astype(np.float64) * scale

        return Ys, decode
    mean = _column_means(Y)
    vectors = _lanczos_basis(Y, mean, np.ones(m), rank)
    projected = ((np.asarray(Y @ vectors) - mean @ vectors) / scale).astype(np.float32)

    def decode_large(out: np.ndarray) -> np.ndarray:
        return (out.astype(np.float64) @ vectors.T) * scale + mean

    return projected, decode_large


def _top_basis(matrix: np.ndarray, rank: int) -> np.ndarray | None:
    """Top-``rank`` right singular vectors (columns) of ``matrix``; None if it is narrower."""
    if matrix.shape[1] <= rank:
        return None
    _, _, vt = np.linalg.svd(matrix - matrix.mean(axis=0), full_matrices=False)
    return np.ascontiguousarray(vt[:rank].T)


def _lanczos_basis(matrix: Any, mean: np.ndarray, weights: np.ndarray, rank: int) -> np.ndarray:
    r"""Top-``rank`` right singular vectors of :math:`(A - 1\mu^\top)\,\mathrm{diag}(w)`.

    Lanczos (ARPACK) on its Gram operator in float32 (the network's precision; the old dense
    route's SVD was float32 too), applied through products with A (sparse or dense), so the
    centred, scaled matrix is never formed; the start vector is fixed (deterministic).
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    m = matrix.shape[1]
    A = matrix.astype(np.float32)
    At = A.T.tocsr() if hasattr(A, "tocsr") else np.ascontiguousarray(A.T)
    mu, w = mean.astype(np.float32), weights.astype(np.float32)

    def gram(v: np.ndarray) -> np.ndarray:
        u = np.ravel(v) * w
        image = np.asarray(A @ u).ravel() - np.float32(mu @ u)
        return (np.asarray(At @ image).ravel() - mu * image.sum()) * w

    operator = LinearOperator((m, m), matvec=gram, dtype=np.float32)
    start = np.full(m, 1.0 / np.sqrt(m), dtype=np.float32)
    values, vectors = eigsh(operator, k=rank, which="LA", v0=start, tol=_LANCZOS_TOL)
    return np.ascontiguousarray(vectors[:, np.argsort(values)[::-1]], dtype=np.float64)


def _dense(matrix: Any) -> np.ndarray:
    return matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)


def _square(matrix: Any) -> Any:
    return matrix.multiply(matrix) if hasattr(matrix, "multiply") else matrix * matrix


def _column_means(matrix: Any) -> np.ndarray:
    return np.asarray(matrix.mean(axis=0), dtype=np.float64).ravel()


def fit_predict(
    mapper: str,
    X: Any,
    Y: Any,
    X_test: Any,
    *,
    settings: MapperSettings,
    rng: np.random.Generator,
    memo: dict[Hashable, Any] | None = None,
    keys: tuple[Hashable, Hashable] = (None, None),
) -> np.ndarray:
    """Fit ``mapper`` on (X, Y) and predict the rows of ``X_test``.

    X and Y may be SciPy sparse. ``memo`` (a dict the caller keeps) and ``keys`` (names of
    the training inputs and targets, None for unnamed) let fits on the same matrices share the
    FFNN's standardisation and rank-``max_rank`` bases: the caller guarantees that equal keys
    name equal matrices (the audit's controls share one fold's embeddings, and Sys and Upper
    its norms). Results are those of separate fits.
    """
    if mapper == "plsr":
        return _plsr(X, Y, X_test, settings)
    if mapper == "ffnn":
        return _ffnn(X, Y, X_test, settings, rng, {} if memo is None else memo, keys)
    msg = f"mapper == {mapper!r}, must be one of {MAPPERS}"
    raise ParameterError(msg)
