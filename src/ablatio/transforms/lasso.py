"""Lasso path with approximate leave-one-out, for the best-of alternatives.

:func:`lasso_alo` minimises ``‖y - c - Xβ‖² / (2q) + α ‖β‖₁`` (intercept unpenalised) for ``α``
on a geometric grid of ``LASSO_STEPS`` penalties from ``α_max = max_j |x̃_jᵀ ỹ| / q`` (every
coefficient zero; ``~`` = centred) down to ``10⁻³ α_max`` (``10⁻² α_max`` when columns
outnumber rows, where the end of the path interpolates), warm-started from the strongest
penalty. On its active set ``A`` the lasso fit is linear in ``y`` with hat matrix
``H = Z (ZᵀZ)⁺ Zᵀ``, ``Z = [1, X_A]``, so the leave-one-out residual is ``e_i / (1 - h_ii)``
with the active set held fixed (approximate leave-one-out, Rad & Maleki, JRSS-B 2020); the
penalty with the best leave-one-out R² wins, and the path stops ``LASSO_PATIENCE`` penalties
past it. :class:`PathLeverage` updates the hat diagonal's QR factor along the path, and
:func:`screened_slopes` the strong-rule screen for wide designs.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ablatio._metrics import r2_score

__all__ = [
    "LASSO_PATIENCE",
    "LASSO_STEPS",
    "PathLeverage",
    "adaptive_alo",
    "lasso_alo",
    "lasso_slopes",
    "leverage",
    "screened_slopes",
]

#: Penalties on the lasso path, geometric from the smallest that zeroes every slope.
LASSO_STEPS = 25
#: The path stops after this many penalties without a better leave-one-out R² (past its
#: optimum the curve falls, and the dense end of the path costs the most).
LASSO_PATIENCE = 3
#: A column whose squared Cholesky pivot is below this fraction of the largest is taken to be
#: in the span of the others (:class:`PathLeverage`).
_RANK_RTOL = 1e-10


def adaptive_alo(
    X: np.ndarray, values: np.ndarray, first: np.ndarray
) -> tuple[float, np.ndarray, float, np.ndarray]:
    """:func:`lasso_alo` on the columns ``X[:, j] · |first_j|`` of the non-zero ``first``
    coefficients (the adaptive lasso's reweighting), slopes returned on ``X``'s scale (zero
    where ``first`` is)."""
    active = np.flatnonzero(first)
    scale = np.abs(first[active])
    intercept, slopes, r2, residuals = lasso_alo(
        X[:, active] * scale, np.asarray(values, dtype=np.float64)
    )
    out = np.zeros(X.shape[1])
    out[active] = slopes * scale
    return intercept, out, r2, residuals


def lasso_alo(X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray]:
    """Intercept, slopes, approximate leave-one-out R² and residuals of the lasso on columns
    ``X`` at the penalty of its path with the best leave-one-out R² (module docstring)."""
    q = X.shape[0]
    x_mean, y_mean = X.mean(axis=0), float(y.mean())
    centred, y_centred = np.asfortranarray(X - x_mean), y - y_mean
    xy = centred.T @ y_centred
    gram = (centred.T @ centred, xy) if q >= X.shape[1] else None
    alpha_max = float(np.max(np.abs(xy))) / q
    ends = -3.0 if q > X.shape[1] else -2.0
    alphas = alpha_max * np.logspace(0.0, ends, LASSO_STEPS) if alpha_max > 0 else np.zeros(1)
    best_r2, best_residuals = -np.inf, y_centred
    best_fit = (y_mean, np.zeros(X.shape[1]))
    slopes = np.zeros(X.shape[1])
    since_best, previous = 0, alpha_max
    hat = PathLeverage(X)
    correlation = np.abs(xy) / q  # of the residual at the previous penalty's slopes (zero)
    for alpha in alphas:  # strongest penalty first; warm-started, stopped past the optimum
        if gram is None:
            slopes, correlation = _screened(
                centred, y_centred, alpha, previous, slopes, correlation
            )
        else:
            slopes = lasso_slopes(centred, y_centred, alpha, slopes, gram)
        previous = alpha
        intercept = y_mean - float(x_mean @ slopes)
        active = np.flatnonzero(slopes)
        if active.size + 1 >= q:  # interpolates: no honest leave-one-out
            break
        residuals = (y - intercept - X[:, active] @ slopes[active]) / (1.0 - hat(active))
        r2 = r2_score(y, y - residuals)
        if r2 > best_r2:
            best_r2, best_residuals, best_fit, since_best = r2, residuals, (intercept, slopes), 0
        else:
            since_best += 1
            if since_best == LASSO_PATIENCE:
                break
    return best_fit[0], best_fit[1], float(best_r2), best_residuals


class PathLeverage:
    """:func:`leverage` of ``X[:, active]`` along a lasso path, updating one QR factor.

    With ``Z = [1, X_A]`` (columns in the order they entered), ``Z = Q R`` (``Q`` orthonormal
    columns, ``R`` upper triangular; ``h = row sums of Q²``). Columns that leave are deleted
    from the factor by Givens rotations (``scipy.linalg.qr_delete``: ``O(q (k - r))`` for a
    column at position ``r`` of ``k``); columns that enter are appended block-wise:
    ``R₁₂ = Qᵀ Z_N``, ``R₂₂ᵀ R₂₂ = Z_Nᵀ Z_N − R₁₂ᵀ R₁₂`` (Cholesky) and ``Q₂ = (Z_N − Q R₁₂)
    R₂₂⁻¹`` — ``O(q k |N|)`` per path step instead of ``O(q k²)`` for a new factor. A new
    column in the span of the others (a pivot below ``√1e-10`` of the largest: e.g. a tied
    lasso's count column once every copy it counts is active) leaves the column space, so the
    hat matrix, unchanged: the pivoted Cholesky factor of the Schur complement keeps only the
    independent new columns, and the others are tried again at the next step.
    """

    def __init__(self, X: np.ndarray) -> None:
        self.X = X
        self.order: list[int] = []
        self.Q = np.zeros((X.shape[0], 0), order="F")  # no columns: no factor yet
        self.R = np.zeros((0, 0))

    def __call__(self, active: np.ndarray) -> np.ndarray:
        """Diagonal of the hat matrix of ``[1, X[:, active]]``, below 1."""
        import scipy.linalg  # not at import time: ``import ablatio`` stays light

        if self.Q.shape[1] == 0:
            self._extend(np.ones((self.X.shape[0], 1)), [-1])
        wanted = set(active.tolist())
        for r in reversed([r for r, j in enumerate(self.order) if j not in wanted]):
            self.Q, self.R = scipy.linalg.qr_delete(
                self.Q, self.R, 1 + r, which="col", overwrite_qr=True, check_finite=False
            )
            del self.order[r]
        known = set(self.order)
        new = [int(j) for j in active if int(j) not in known]
        if new:
            self._extend(self.X[:, new], new)
        return np.minimum(np.einsum("ij,ij->i", self.Q, self.Q), 1.0 - 1e-12)

    def _extend(self, Z_new: np.ndarray, columns: list[int]) -> None:
        """Append ``Z_new``'s columns (``columns`` of ``X``; ``-1`` the intercept) to the
        factor, those in the span of the factor's columns and each other left out."""
        import scipy.linalg

        R12 = self.Q.T @ Z_new
        schur = Z_new.T @ Z_new - R12.T @ R12
        pivots = np.abs(np.diag(self.R))
        try:
            L22 = scipy.linalg.cholesky(schur, lower=True)
        except np.linalg.LinAlgError:
            L22 = None
        if L22 is not None:
            all_pivots = np.concatenate([pivots, np.diag(L22)])
        if L22 is None or all_pivots.min() ** 2 < _RANK_RTOL * all_pivots.max() ** 2:
            largest = max(float(pivots.max(initial=0.0)) ** 2, float(schur.diagonal().max()))
            tol = _RANK_RTOL * largest
            factor, perm, rank, _ = scipy.linalg.lapack.dpstrf(schur, tol=tol, lower=1)
            # LAPACK tests the tolerance from the second pivot on (decreasing: count them)
            rank = int(np.count_nonzero(np.diag(factor)[:rank] ** 2 > tol))
            keep = perm[:rank] - 1  # LAPACK counts from 1
            L22 = np.tril(factor[:rank, :rank])
            Z_new, R12, columns = Z_new[:, keep], R12[:, keep], [columns[i] for i in keep]
        Q2t = scipy.linalg.solve_triangular(L22, Z_new.T - R12.T @ self.Q.T, lower=True)
        k, m = self.R.shape[0], L22.shape[0]
        Q, R = np.empty((self.Q.shape[0], k + m), order="F"), np.zeros((k + m, k + m))
        Q[:, :k], Q[:, k:] = self.Q, Q2t.T
        R[:k, :k], R[:k, k:], R[k:, k:] = self.R, R12, L22.T
        self.order = self.order + [j for j in columns if j >= 0]
        self.Q, self.R = Q, R


def leverage(columns: np.ndarray) -> np.ndarray:
    """Diagonal of the hat matrix of ``Z = [1, columns]``, below 1.

    ``h_i = z_iᵀ (ZᵀZ)⁻¹ z_i = ‖L⁻¹ z_i‖²`` with ``ZᵀZ = L Lᵀ`` (Cholesky of the small Gram
    matrix, then one triangular solve: no QR of the tall ``Z``; :class:`PathLeverage`). When
    ``ZᵀZ`` is numerically singular, the hat matrix of its independent columns (the same
    projection; a pivot below ``√1e-10`` of the largest counts as dependent).
    """
    return PathLeverage(columns)(np.arange(columns.shape[1]))


def screened_slopes(
    centred: np.ndarray, y: np.ndarray, alpha: float, previous: float, start: np.ndarray
) -> np.ndarray:
    """:func:`lasso_slopes` at ``alpha`` on the columns the sequential strong rule keeps.

    After the solution at the previous penalty, a column whose correlation with the residual
    ``|x̃_jᵀ r| / q`` is below ``2α - α_prev`` is very likely zero at ``α`` (Tibshirani et
    al., JRSS-B 2012): coordinate descent runs on the others (and every active column); any
    left-out column that then breaks the optimality condition ``|x̃_jᵀ r| / q ≤ α`` joins, and
    the fit is repeated, so the result is the lasso's on every column. Used when columns
    outnumber rows (no Gram matrix): at 1000–2000 ablations of 2048 words plus the hub's
    pairs it cut the path's coordinate descent about 3–8 fold.
    """
    correlation = np.abs(centred.T @ (y - centred @ start)) / y.size
    return _screened(centred, y, alpha, previous, start, correlation)[0]


def _screened(
    centred: np.ndarray,
    y: np.ndarray,
    alpha: float,
    previous: float,
    start: np.ndarray,
    correlation: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`screened_slopes` given ``|x̃_jᵀ r| / q`` at ``start``; also returns it at the
    solution (the next penalty's screen: one product with the design per step saved)."""
    q = y.size
    keep = (start != 0) | (correlation >= 2.0 * alpha - previous)
    while True:
        columns = np.flatnonzero(keep)
        part, residual = np.zeros(0), y
        if columns.size:
            sub = np.asfortranarray(centred[:, columns])
            part = lasso_slopes(sub, y, alpha, start[columns], None)
            residual = y - sub @ part
        slopes = np.zeros(centred.shape[1])
        slopes[columns] = part
        correlation = np.abs(centred.T @ residual) / q
        broken = ~keep & (correlation > alpha)
        if not broken.any():
            return slopes, correlation
        keep |= broken


def lasso_slopes(
    centred: np.ndarray,
    y: np.ndarray,
    alpha: float,
    start: np.ndarray,
    gram: tuple[np.ndarray, np.ndarray] | None,
) -> np.ndarray:
    """Lasso slopes on centred (Fortran-ordered) columns and values at penalty ``alpha``,
    warm-started; coordinate descent on ``(XᵀX, Xᵀy)`` when given (rows ≥ columns)."""
    from sklearn import config_context
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import lasso_path

    if alpha <= 0:
        return np.zeros(centred.shape[1])
    # without our Gram matrix, none: scikit-learn's "auto" would compute one for every
    # screened call with more rows than columns
    extra: dict[str, Any] = (
        {"precompute": False} if gram is None else {"precompute": gram[0], "Xy": gram[1]}
    )
    # a path point short of full convergence is still scored; the arguments are ours, so
    # scikit-learn's per-call parameter validation is skipped (the same result)
    with warnings.catch_warnings(), config_context(skip_parameter_validation=True):
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, slopes, _ = lasso_path(
            centred,
            y,
            alphas=[alpha],
            coef_init=start.copy(),  # coordinate descent updates it in place
            max_iter=2000,
            check_input=False,
            **extra,
        )
    return np.array(slopes[:, 0])
