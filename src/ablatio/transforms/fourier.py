"""Walsh–Hadamard (Fourier / parity) transform of set functions.

Convention (the one SPEX uses; masks ``m ∈ {0,1}^n``, 1 = part kept):

.. math::

    f(m) = \\sum_{k} F(k)\\,(-1)^{\\langle m, k\\rangle}, \\qquad
    F(k) = 2^{-n} \\sum_{m} f(m)\\,(-1)^{\\langle m, k\\rangle}

so ``F(∅)`` is the mean of ``f`` over uniform masks and Parseval reads ``E f² = Σ F(k)²``.
Dense arrays over all ``2^n`` masks are indexed by the integer whose bit ``i`` is ``m_i``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "evaluate_fourier",
    "fourier_transform",
    "fwht",
    "inverse_fourier_transform",
    "parity_matrix",
]

#: Entries (masks × terms) of the basis matrix built at once when evaluating (bounds memory).
_CHUNK_ENTRIES = 2**22


def fwht(values: np.ndarray) -> np.ndarray:
    """Unnormalised fast Walsh–Hadamard transform along the last axis (length ``2^b``).

    ``O(b·2^b)`` operations; returns a new float64 array.
    """
    a = np.array(values, dtype=np.float64)
    size = a.shape[-1]
    if size & (size - 1):
        msg = f"fwht needs a power-of-two length, got {size}"
        raise ValueError(msg)
    lead = a.shape[:-1]
    h = 1
    while h < size:
        a = a.reshape(*lead, size // (2 * h), 2, h)
        x = a[..., 0, :].copy()
        y = a[..., 1, :]
        a[..., 0, :] += y
        a[..., 1, :] = x - y
        h *= 2
    return a.reshape(*lead, size)


def fourier_transform(values: np.ndarray) -> np.ndarray:
    """Fourier coefficients ``F`` of a function given on all ``2^n`` masks (analysis)."""
    return fwht(values) / values.shape[-1]


def inverse_fourier_transform(coefficients: np.ndarray) -> np.ndarray:
    """Values on all ``2^n`` masks from all Fourier coefficients (synthesis)."""
    return fwht(coefficients)


def evaluate_fourier(idx: np.ndarray, coefficients: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Evaluate ``Σ_T F(T) (-1)^{|m ∩ T|}`` on bool masks ``(q, n)``; terms in padded form."""
    return _evaluate(idx, coefficients, masks, parity=True)


def parity_matrix(idx: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Design matrix ``(q, k)`` with entries ``(-1)^{|m_q ∩ T_j|}`` for terms in padded form."""
    return _basis_matrix(idx, masks, parity=True)


def _basis_matrix(idx: np.ndarray, masks: np.ndarray, *, parity: bool) -> np.ndarray:
    """Parity (``parity=True``) or AND (``Π_{i∈T} m_i``) basis functions of each term."""
    n = masks.shape[1]
    # Padding (-1) points at an extra column: False for parities, True for AND terms.
    safe = np.where(idx < 0, n, idx)
    ext = np.empty((masks.shape[0], n + 1), dtype=bool)
    ext[:, :n] = masks
    ext[:, n] = not parity
    gathered = ext[:, safe]  # (q, k, width)
    if parity:
        odd: np.ndarray = gathered.sum(axis=2) & 1
        return 1.0 - 2.0 * odd.astype(np.float64)
    return np.asarray(gathered.all(axis=2), dtype=np.float64)


def _evaluate(
    idx: np.ndarray, coefficients: np.ndarray, masks: np.ndarray, *, parity: bool
) -> np.ndarray:
    q = masks.shape[0]
    out = np.zeros(q)
    if idx.shape[0] == 0:
        return out
    rows = max(1, _CHUNK_ENTRIES // max(1, idx.shape[0] * max(1, idx.shape[1])))
    for start in range(0, q, rows):
        block = masks[start : start + rows]
        # Accumulate term by term in a fixed order (not a BLAS mat-vec, whose blocking depends
        # on the number of rows): each value is then independent of how masks are batched.
        basis = _basis_matrix(idx, block, parity=parity)
        acc = np.zeros(block.shape[0])
        for j, c in enumerate(coefficients):
            acc += basis[:, j] * c
        out[start : start + rows] = acc
    return out
