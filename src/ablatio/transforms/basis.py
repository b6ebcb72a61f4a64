"""The Möbius (AND) regression basis: every subset up to an order, and its design matrix.

A function of order at most ``k`` is written

.. math::

    \\hat f(m) = \\sum_{|T| \\le k} \\beta_T \\prod_{i \\in T} m_i,

so fitting it to values on masks is a linear regression on the columns
``X[q, T] = 1[T ⊆ S_q]``, ``p = Σ_{j≤k} binom(n, j)`` columns (``∅`` is the all-ones column).
"""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np

from ablatio.transforms.terms import PAD, canonical_order

__all__ = ["all_terms", "moebius_basis", "n_terms_up_to"]


def n_terms_up_to(n: int, max_order: int) -> int:
    """Number of subsets of ``n`` players with at most ``max_order`` members (``∅`` included)."""
    return sum(comb(n, j) for j in range(min(max_order, n) + 1))


def all_terms(n: int, max_order: int) -> np.ndarray:
    """Every subset of size ``<= max_order`` in padded index form, canonical order (``∅`` first).

    Returns
    -------
    ndarray of shape (n_terms_up_to(n, max_order), max_order)
        int64, each row a subset's players ascending, padded with ``-1``.
    """
    order = min(max_order, n)
    rows = [c for r in range(order + 1) for c in combinations(range(n), r)]
    idx = np.full((len(rows), order), PAD, dtype=np.int64)
    for row, term in enumerate(rows):
        idx[row, : len(term)] = term
    return idx[canonical_order(idx)]


def moebius_basis(masks: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Design matrix ``X[q, j] = Π_{i ∈ T_j} m_{q i}`` of shape ``(n_masks, n_terms)``.

    Parameters
    ----------
    masks : ndarray of shape (n_masks, n_players)
        Boolean masks (True = part kept).
    idx : ndarray of shape (n_terms, width)
        Terms in padded index form; a row of padding only is ``∅`` (an all-ones column).
    """
    n = masks.shape[1]
    ext = np.ones((masks.shape[0], n + 1), dtype=bool)
    ext[:, :n] = masks
    safe = np.where(idx < 0, n, idx)
    if safe.shape[1] == 0:
        return np.ones((masks.shape[0], safe.shape[0]))
    return np.asarray(ext[:, safe].all(axis=2), dtype=np.float64)
