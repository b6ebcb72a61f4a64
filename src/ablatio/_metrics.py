"""The one coefficient of determination every part of ablatio reports.

.. math::

    R^2 = 1 - \\frac{\\sum_q (y_q - \\hat y_q)^2}{\\sum_q (y_q - \\bar y)^2}

**Constant target.** When the spread of ``y`` is at round-off level (``SST <= (ε_R · s)²``
with ``s² = Σ_q y_q²`` and ``ε_R =`` :data:`CONSTANT_RTOL`), R² is undefined; ablatio then
reports ``1.0`` when the prediction matches ``y`` to the same relative precision
(``SSE <= (ε_R · s)²``) and ``0.0`` otherwise (scikit-learn's ``force_finite`` rule: a wrong
prediction of a constant is no better than the mean). Both tests are relative to the scale of
``y``, so ``R²(c·y + d, c·ŷ + d)`` does not depend on ``c > 0`` or ``d`` beyond round-off.

Used by faithfulness, the reality check, and every method's ``holdout_r2_`` / ``train_r2_``
(``ablatio.evaluation.r2_score`` is the public name).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ablatio.exceptions import ParameterError

__all__ = ["CONSTANT_RTOL", "r2_from_sums", "r2_score", "r2_with_se", "weighted_r2_with_se"]

#: Relative spread (to ``√Σ y²``) below which a target counts as constant.
CONSTANT_RTOL = 1e-12


def r2_from_sums(sse: float, sst: float, sum_sq: float) -> float:
    """R² from ``SSE``, ``SST`` and ``Σ y²`` with the constant-target rule of this module."""
    floor = CONSTANT_RTOL**2 * sum_sq
    if sst <= floor:
        return 1.0 if sse <= floor else 0.0
    return 1.0 - sse / sst


def r2_score(y: Any, y_pred: Any) -> float:
    """``1 - SSE/SST`` of ``y_pred`` against ``y`` (constant ``y``: 1.0 if matched, else 0.0).

    Examples
    --------
    >>> r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.5
    >>> r2_score([5.0, 5.0], [5.0, 5.0]), r2_score([5.0, 5.0], [4.0, 6.0])
    (1.0, 0.0)
    """
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if y.shape != pred.shape or y.size == 0:
        msg = f"r2_score needs two non-empty arrays of one shape, got {y.shape} and {pred.shape}"
        raise ParameterError(msg)
    sse = float(np.sum((y - pred) ** 2))
    sst = float(np.sum((y - y.mean()) ** 2))
    return r2_from_sums(sse, sst, float(np.sum(y**2)))


def r2_with_se(y: Any, y_pred: Any) -> tuple[float, float]:
    """:func:`r2_score` of fresh held-out rows and its standard error (delta method).

    With ``e_q = y_q - ŷ_q``, ``d_q = y_q - ȳ``, ``B = mean(d²)`` and ``R² = 1 - mean(e²)/B``,
    each row's influence on the estimate is ``ψ_q = -(e_q² - (1 - R²) d_q²) / B`` and
    ``SE = sd(ψ) / √m`` over the ``m`` rows: the sampling error of the estimate when the rows
    are independent draws (uniform masks the prediction never saw). The SE is 0 for a constant
    target and ``nan`` for fewer than 2 rows.

    Examples
    --------
    >>> r2, se = r2_with_se([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0])
    >>> float(r2), float(se)
    (1.0, 0.0)
    """
    r2 = r2_score(y, y_pred)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    m = y.size
    if m < 2:
        return r2, float("nan")
    e2 = (y - np.asarray(y_pred, dtype=np.float64).reshape(-1)) ** 2
    d2 = (y - y.mean()) ** 2
    sst_mean = float(d2.mean())
    floor = CONSTANT_RTOL**2 * float(np.mean(y**2))
    if sst_mean <= floor:  # constant target: R² is 1 or 0 by rule, not an estimate
        return r2, 0.0
    psi = -(e2 - (1.0 - r2) * d2) / sst_mean
    return r2, float(psi.std(ddof=1) / np.sqrt(m))


def weighted_r2_with_se(y: Any, y_pred: Any, weights: Any) -> tuple[float, float]:
    """R² of rows drawn from one distribution, judged on another, and its standard error.

    With importance weights ``v_q`` (target density over sampling density), ``ȳ = Σ v y / Σ v``,
    ``R² = 1 - Σ v e² / Σ v d²`` (:func:`r2_from_sums`' constant-target rule) and the
    influences ``ψ_q = -(e_q² - (1 - R²) d_q²) / (Σ v d² / Σ v)`` of :func:`r2_with_se`, the
    standard error of the weighted mean is ``√(Σ v² ψ²) / Σ v``. ``(nan, nan)`` when the
    weights' effective sample size ``(Σ v)² / Σ v²`` is below 2.
    """
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    e2 = (y - np.asarray(y_pred, dtype=np.float64).reshape(-1)) ** 2
    v = np.asarray(weights, dtype=np.float64).reshape(-1)
    total = float(v.sum())
    if total <= 0 or total**2 < 2.0 * float(np.sum(v**2)):
        return float("nan"), float("nan")
    d2 = (y - float(v @ y) / total) ** 2
    sse, sst = float(v @ e2), float(v @ d2)
    r2 = r2_from_sums(sse, sst, float(v @ y**2))
    if sst <= CONSTANT_RTOL**2 * float(v @ y**2):
        return r2, 0.0
    psi = -(e2 - (1.0 - r2) * d2) / (sst / total)
    return r2, float(np.sqrt(np.sum((v * psi) ** 2)) / total)
