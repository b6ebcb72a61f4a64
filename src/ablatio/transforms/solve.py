"""The one (weighted, optionally ridge-regularised, optionally constrained) least-squares solver.

Solves

.. math::

    \\min_\\beta \\sum_q w_q (y_q - x_q^\\top \\beta)^2 + \\lambda \\lVert \\beta \\rVert^2
    \\quad \\text{s.t.} \\quad A \\beta = b

through the SVD-based ``lstsq`` on ``√w``-scaled rows. Equality constraints are eliminated:
``β = β_0 + Z γ`` with ``β_0`` the minimum-norm solution of ``A β = b`` and ``Z`` an orthonormal
basis of the null space of ``A``, then ``γ`` is an unconstrained least-squares fit (better
conditioned than the KKT system, which squares the condition number of ``X``).
Every regression in ablatio goes through :func:`least_squares`. The solvers run with one BLAS
thread, so that a result is byte-identical whatever the machine's thread settings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "RANK_RTOL",
    "RIDGE_GRID",
    "RidgeChoice",
    "least_squares",
    "least_squares_gram",
    "least_squares_path",
    "one_blas_thread",
    "ridge_loo",
]

#: Singular values below ``RANK_RTOL`` times the largest count as zero: a design that does not
#: identify every coefficient (fewer informative rows than columns) gets the minimum-norm
#: solution on the identified part instead of coefficients blown up by rounding noise. Also the
#: relative size of a QR diagonal entry below which a prefix path treats a column as dependent.
RANK_RTOL = 1e-10

#: Cholesky is trusted when every pivot² exceeds this fraction of the largest diagonal entry.
_CHOLESKY_RTOL = 1e-10


@functools.cache
def _controller() -> Any:
    """The BLAS libraries of numpy *and* scipy (each wheel ships its own OpenBLAS), found once:
    entering a limit then costs ~50 µs. scipy is loaded first — a controller made before it
    would leave scipy's BLAS (SVD, Cholesky, triangular solves, scikit-learn's coordinate
    descent) on every core."""
    import scipy.linalg  # noqa: F401 - loads scipy's BLAS so that the controller sees it
    from threadpoolctl import ThreadpoolController  # a core dependency

    return ThreadpoolController()


def one_blas_thread(solver: Callable[P, R]) -> Callable[P, R]:
    """Run ``solver`` with one BLAS thread, so its result does not depend on the thread count.

    A threaded GEMM splits its sums differently for each number of threads, so the last bits
    of a solution changed with the BLAS thread count (Faith-Shap by 3e-15, Faith-Banzhaf by
    1.7e-14 at n=16). One thread makes every solution byte-identical; these solves are a
    small part of a run. It is also faster for the many small products of a lasso path: on 2
    cores, waking a second BLAS thread for each made the best-of stage's leverage 9× slower.
    """

    @functools.wraps(solver)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with _controller().limit(limits=1, user_api="blas"):
            return solver(*args, **kwargs)

    return wrapped


@one_blas_thread
def least_squares(
    X: np.ndarray,
    y: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    ridge: float | np.ndarray = 0.0,
    constraints: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Coefficients ``β`` of shape ``(n_columns,)``.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_columns)
        Design matrix.
    y : ndarray of shape (n_rows,)
        Responses.
    weights : ndarray of shape (n_rows,), optional
        Non-negative row weights (default 1).
    ridge : float or ndarray of shape (n_columns,), default=0.0
        L2 penalty ``λ`` on all coefficients, or one penalty per column (0 leaves a column,
        e.g. an intercept, unpenalised). With every penalty positive and more columns than
        rows, the same solution comes from the rows' ``n_rows × n_rows`` system
        ``β = Λ⁻¹Xᵀ (XΛ⁻¹Xᵀ + I)⁻¹ y``.
    constraints : (A, b), optional
        Equality constraints ``A β = b`` with ``A`` of shape ``(n_constraints, n_columns)``.
    """
    import scipy.linalg  # lazy: scipy is not imported by ``import ablatio``

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if weights is not None:
        w = np.sqrt(np.asarray(weights, dtype=np.float64))
        X = X * w[:, None]
        y = y * w
    p = X.shape[1]
    penalty = np.broadcast_to(np.asarray(ridge, dtype=np.float64), (p,))
    if constraints is None and p > X.shape[0] and np.all(penalty > 0):
        # wide ridge: β = Λ⁻¹Xᵀ (XΛ⁻¹Xᵀ + I)⁻¹ y (push-through identity), an n_rows² system
        # instead of an SVD of (n_rows + n_columns) × n_columns
        scaled = X / penalty
        gram = scaled @ X.T
        gram[np.diag_indices_from(gram)] += 1.0
        return scaled.T @ scipy.linalg.solve(gram, y, assume_a="pos")
    if np.any(penalty > 0):
        X = np.vstack([X, np.diag(np.sqrt(penalty))])
        y = np.concatenate([y, np.zeros(p)])
    if constraints is None:
        beta, *_ = scipy.linalg.lstsq(X, y, cond=RANK_RTOL, lapack_driver="gelsd")
        return beta
    A, b = (np.atleast_2d(np.asarray(c, dtype=np.float64)) for c in constraints)
    b = b.reshape(-1)
    particular, *_ = scipy.linalg.lstsq(A, b, cond=RANK_RTOL, lapack_driver="gelsd")
    free = scipy.linalg.null_space(A)
    if free.shape[1] == 0 or X.shape[0] == 0:
        return particular
    reduced = X @ free
    gamma, *_ = scipy.linalg.lstsq(
        reduced, y - X @ particular, cond=RANK_RTOL, lapack_driver="gelsd"
    )
    return particular + free @ gamma


@one_blas_thread
def least_squares_path(X: np.ndarray, y: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    """Ordinary least-squares coefficients on every requested prefix of the columns of ``X``.

    For each ``k`` in ``sizes`` returns ``argmin_β ||y - X[:, :k] β||²`` (shape ``(k,)``),
    all from one thin QR factorisation ``X = QR``: with ``z = Qᵀy`` the prefix solution is
    ``R[:k, :k]⁻¹ z[:k]``, so a whole path of nested models costs one factorisation plus
    ``O(k²)`` per size. Columns must be linearly independent (e.g. distinct parities on
    random masks with fewer columns than rows); near-dependent columns are solved by
    :func:`least_squares` instead of the triangular system.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_columns)
        Design matrix, columns in the order they enter the model.
    y : ndarray of shape (n_rows,)
        Responses.
    sizes : ndarray of int
        Prefix lengths ``0 <= k <= n_columns``.
    """
    import scipy.linalg

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    q, r = scipy.linalg.qr(X, mode="economic")
    z = q.T @ y
    diag = np.abs(np.diag(r))
    scale = diag.max(initial=0.0)
    out = []
    for k in np.asarray(sizes, dtype=np.int64):
        if k == 0:
            out.append(np.zeros(0))
        elif diag[:k].min() > RANK_RTOL * scale:
            out.append(scipy.linalg.solve_triangular(r[:k, :k], z[:k]))
        else:
            out.append(least_squares(X[:, :k], y))
    return out


@one_blas_thread
def least_squares_gram(gram: np.ndarray, moment: np.ndarray, *, ridge: float = 0.0) -> np.ndarray:
    """Least-squares coefficients from the normal equations ``(XᵀX + λI) β = Xᵀy``.

    For designs whose Gram matrix is cheaper to form than ``X`` itself (SPEX builds it in the
    aliased bucket domain). A singular ``gram`` (aliased columns) gets the minimum-norm
    solution through the SVD-based ``lstsq``.

    Parameters
    ----------
    gram : ndarray of shape (n_columns, n_columns)
        ``XᵀX``.
    moment : ndarray of shape (n_columns,)
        ``Xᵀy``.
    ridge : float, default=0.0
        L2 penalty ``λ``.
    """
    import scipy.linalg

    gram = np.asarray(gram, dtype=np.float64)
    moment = np.asarray(moment, dtype=np.float64)
    if ridge > 0:
        gram = gram + ridge * np.eye(gram.shape[0])
    scale = float(np.max(np.abs(np.diag(gram)), initial=0.0))
    try:  # Cholesky when well conditioned (fast), else the minimum-norm SVD solution
        factor = scipy.linalg.cho_factor(gram, check_finite=False)
        if np.min(np.abs(np.diag(factor[0]))) ** 2 > _CHOLESKY_RTOL * scale:
            return scipy.linalg.cho_solve(factor, moment, check_finite=False)
    except scipy.linalg.LinAlgError:
        pass
    beta, *_ = scipy.linalg.lstsq(gram, moment, lapack_driver="gelsd")
    return beta


#: Ridge penalties tried by :func:`ridge_loo`, relative to the largest squared singular value
#: of the standardised design (the penalty is then invariant to the scale of ``X`` and ``y``).
RIDGE_GRID = np.logspace(-8.0, 2.0, 31)


@dataclass(frozen=True)
class RidgeChoice:
    """What :func:`ridge_loo` returns.

    Attributes
    ----------
    alpha : float
        Chosen penalty (on the standardised columns).
    loo_r2 : float
        Leave-one-out R² of the chosen penalty, ``1 - Σ v e²_(-i) / Σ v (y - ȳ_v)²``
        (``v`` the score weights).
    intercept : float
        Unpenalised intercept.
    coef : ndarray of shape (n_columns,)
        Slopes on the original columns.
    loo_residuals : ndarray of shape (n_rows,)
        ``y_i`` minus the chosen penalty's fit without row ``i``, ``e_i / (1 - h_i)``.
    """

    alpha: float
    loo_r2: float
    intercept: float
    coef: np.ndarray
    loo_residuals: np.ndarray


@one_blas_thread
def ridge_loo(
    X: np.ndarray,
    y: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    score_weights: np.ndarray | None = None,
    alphas: np.ndarray | None = None,
) -> RidgeChoice:
    """Ridge regression with an unpenalised intercept, penalty chosen by exact leave-one-out.

    Columns are centred and scaled to unit (weighted) variance; with ``Z = U S Vᵀ`` the
    ``√w``-scaled design (:func:`_spectrum`), every penalty ``α`` gives the hat diagonal
    ``h_i = w_i / Σw + Σ_j U_ij² s_j² / (s_j² + α)`` and the leave-one-out residuals
    ``e_(-i) = e_i / (1 - h_i)`` (exact for the penalised least-squares fit, the intercept's
    leverage included). ``α`` runs over ``RIDGE_GRID · s_max²`` unless ``alphas`` is given.
    Leave-one-out scores only masks a fit did not see, so it is an honest held-out estimate
    for a fixed set of columns.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_columns)
    y : ndarray of shape (n_rows,)
    weights : ndarray of shape (n_rows,), optional
        Positive row weights of the fit (default 1).
    score_weights : ndarray of shape (n_rows,), optional
        Row weights of the leave-one-out error (default ``weights``): the residual of a
        weighted fit left without row ``i`` is ``(y_i - ŷ_i) / (1 - h_i)`` on the original
        scale, so it can be scored under another weighting.
    alphas : ndarray, optional
        Absolute penalties on the standardised columns.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m = X.shape[0]
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    mean_x = w @ X / total
    mean_y = float(w @ y) / total
    centred = X - mean_x
    centred[:, np.ptp(X, axis=0) == 0] = 0.0  # not rounding noise scaled up to unit variance
    scale = np.sqrt(w @ centred**2 / total)
    scale[scale == 0] = 1.0
    root = np.sqrt(w)
    Z = centred / scale * root[:, None]
    t = (y - mean_y) * root
    v = w if score_weights is None else np.asarray(score_weights, dtype=np.float64)
    mean_v = float(v @ y) / float(v.sum())
    sst = float(v @ (y - mean_v) ** 2)
    if X.shape[1] == 0 or sst == 0.0:  # the weighted mean without row i
        loo = (y - mean_y) / (1.0 - np.minimum(w / total, 1.0 - 1e-12))
        return RidgeChoice(0.0, 1.0 if sst == 0.0 else 0.0, mean_y, np.zeros(X.shape[1]), loo)
    W, s2, solve = _spectrum(Z)
    grid = RIDGE_GRID * float(s2.max()) if alphas is None else np.asarray(alphas, dtype=float)
    wt = W.T @ t
    W2 = W**2
    base = w / total
    best: tuple[float, float, np.ndarray] = (-np.inf, float(grid[0]), np.zeros(m))
    for alpha in grid:
        inverse = 1.0 / (s2 + alpha)
        resid = (t - W @ (inverse * wt)) / root
        leverage = np.minimum(base + W2 @ inverse, 1.0 - 1e-12)
        loo_resid = resid / (1.0 - leverage)
        r2 = 1.0 - float(v @ loo_resid**2) / sst
        if r2 > best[0]:
            best = (r2, float(alpha), loo_resid)
    r2, alpha, loo_resid = best
    coef = solve(wt / (s2 + alpha)) / scale
    return RidgeChoice(alpha, r2, mean_y - float(mean_x @ coef), coef, loo_resid)


def _spectrum(
    Z: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """``W = U S``, ``s²`` and ``c ↦ V c`` of ``Z = U S Vᵀ``, from the smaller Gram matrix.

    The ridge fit with penalty ``α`` is ``W c`` with ``c = diag(1/(s² + α)) Wᵀ t``, its
    coefficients ``V c`` and its hat diagonal ``Σ_j W_ij² / (s_j² + α)``. A wide ``Z``
    (``q <= p``): ``Z Zᵀ = U S² Uᵀ`` (``eigh``), ``V c = Zᵀ U S⁻¹ c``; a tall one:
    ``Zᵀ Z = V S² Vᵀ``, ``W = Z V``. The eigenvalues are exact to ``ε s_max²``, far below
    the smallest penalty ``10⁻⁸ s_max²`` (:data:`RIDGE_GRID`); forming the Gram matrix and its
    eigendecomposition took 3–4× less than the thin SVD (gesdd) of the same ``1000 × 2048``
    or ``500 × 1024`` design, the best-of stage's first-order ridge on long documents.
    """
    import scipy.linalg

    q, p = Z.shape
    if q <= p:
        s2, U = scipy.linalg.eigh(Z @ Z.T, driver="evd")
        s2 = np.maximum(s2, 0.0)
        s = np.sqrt(s2)
        divisor = np.where(s > 0, s, np.inf)  # a null direction carries no coefficient
        return U * s, s2, lambda c: Z.T @ (U @ (c / divisor))
    s2, V = scipy.linalg.eigh(Z.T @ Z, driver="evd")
    return Z @ V, np.maximum(s2, 0.0), lambda c: V @ c
