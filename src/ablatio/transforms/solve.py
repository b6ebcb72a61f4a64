"""The one (weighted, optionally ridge-regularised, optionally constrained) least-squares solver.

Solves

.. math::

    \\min_\\beta \\sum_q w_q (y_q - x_q^\\top \\beta)^2 + \\lambda \\lVert \\beta \\rVert^2
    \\quad \\text{s.t.} \\quad A \\beta = b

through the SVD-based ``lstsq`` on ``√w``-scaled rows. Equality constraints are eliminated:
``β = β_0 + Z γ`` with ``β_0`` the minimum-norm solution of ``A β = b`` and ``Z`` an orthonormal
basis of the null space of ``A``, then ``γ`` is an unconstrained least-squares fit (better
conditioned than the KKT system, which squares the condition number of ``X``).
Every regression in ablatio goes through :func:`least_squares`.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

__all__ = ["RANK_RTOL", "least_squares"]

#: Singular values below ``RANK_RTOL`` times the largest count as zero: a design that does not
#: identify every coefficient (fewer informative rows than columns) gets the minimum-norm
#: solution on the identified part instead of coefficients blown up by rounding noise.
RANK_RTOL = 1e-10


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
        e.g. an intercept, unpenalised).
    constraints : (A, b), optional
        Equality constraints ``A β = b`` with ``A`` of shape ``(n_constraints, n_columns)``.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if weights is not None:
        w = np.sqrt(np.asarray(weights, dtype=np.float64))
        X = X * w[:, None]
        y = y * w
    p = X.shape[1]
    penalty = np.broadcast_to(np.asarray(ridge, dtype=np.float64), (p,))
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
