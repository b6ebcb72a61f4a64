"""Möbius transform (Harsanyi dividends) and exact sparse Fourier ↔ Möbius conversion.

.. math::

    f(S) = \\sum_{T \\subseteq S} a(T), \\qquad
    a(T) = \\sum_{L \\subseteq T} (-1)^{|T|-|L|} f(L)

Sparse conversions (from ``χ_i = 1 - 2 m_i`` and ``m_i = (1 - χ_i)/2``; cost ``2^{|T|}`` per term):

.. math::

    a(S) = (-2)^{|S|} \\sum_{T \\supseteq S} F(T), \\qquad
    F(T) = (-1)^{|T|} \\sum_{S \\supseteq T} 2^{-|S|} a(S)
"""

from __future__ import annotations

import numpy as np

from ablatio.transforms.fourier import _basis_matrix, _evaluate
from ablatio.transforms.terms import aggregate, expand_subsets, term_orders

__all__ = [
    "CANCEL_RTOL",
    "and_matrix",
    "evaluate_moebius",
    "fourier_to_moebius",
    "moebius_to_fourier",
    "moebius_transform",
    "zeta_transform",
]


def _subset_sum(values: np.ndarray, sign: float) -> np.ndarray:
    a = np.array(values, dtype=np.float64)
    size = a.shape[-1]
    if size & (size - 1):
        msg = f"the Möbius transform needs a power-of-two length, got {size}"
        raise ValueError(msg)
    h = 1
    while h < size:
        a = a.reshape(size // (2 * h), 2, h)
        a[:, 1, :] += sign * a[:, 0, :]
        h *= 2
    return a.reshape(size)


def moebius_transform(values: np.ndarray) -> np.ndarray:
    """Dividends ``a`` from values on all ``2^n`` masks (bit ``i`` of the index = player ``i``).

    ``O(n·2^n)``: for each bit, ``u[x] -= u[x without that bit]`` on all ``x`` having it.
    """
    return _subset_sum(values, -1.0)


def zeta_transform(dividends: np.ndarray) -> np.ndarray:
    """Inverse of :func:`moebius_transform`: ``f(S) = Σ_{T⊆S} a(T)`` on all masks."""
    return _subset_sum(dividends, 1.0)


def evaluate_moebius(idx: np.ndarray, coefficients: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Evaluate ``Σ_T a(T) Π_{i∈T} m_i`` on bool masks ``(q, n)``; terms in padded form."""
    return _evaluate(idx, coefficients, masks, parity=False)


def and_matrix(idx: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Design matrix ``(q, k)`` with entries ``Π_{i∈T_j} m_{q,i}`` for terms in padded form."""
    return _basis_matrix(idx, masks, parity=False)


#: Converted coefficients that cancel below this share of their contributions are round-off.
CANCEL_RTOL = 1e-10


def fourier_to_moebius(
    idx: np.ndarray, coefficients: np.ndarray, rtol: float = CANCEL_RTOL
) -> tuple[np.ndarray, np.ndarray]:
    """Möbius terms of a sparse Fourier function (exact).

    ``a(S) = (-2)^{|S|} Σ_{T ⊇ S} F(T)``; a term is dropped when it cancels to
    ``|a(S)| <= rtol · Σ_{T ⊇ S} |2^{|S|} F(T)|`` (scale-free: no absolute threshold).
    """
    parent, sub = expand_subsets(idx)
    weights = (-2.0) ** term_orders(sub)
    return aggregate(sub, coefficients[parent] * weights, rtol=rtol)


def moebius_to_fourier(
    idx: np.ndarray, coefficients: np.ndarray, rtol: float = CANCEL_RTOL
) -> tuple[np.ndarray, np.ndarray]:
    """Fourier terms of a sparse Möbius function (exact; cancellations dropped as above)."""
    parent, sub = expand_subsets(idx)
    weights = (-1.0) ** term_orders(sub) * 2.0 ** (-term_orders(idx)[parent])
    return aggregate(sub, coefficients[parent] * weights, rtol=rtol)
