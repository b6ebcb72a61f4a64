"""Sparse sets of subsets ("terms") as padded index arrays, and vectorised operations on them.

A set of ``k`` terms over ``n`` players is stored as ``idx``: int64 ``(k, width)`` holding each
term's players in increasing order, padded on the right with ``-1``. This is compact for large
``n`` (a term of order 3 costs 3 integers, not ``n`` bytes) and lets every conversion run as
array operations: enumerating the ``2^|T|`` subsets of every term costs
``O(sum_T 2^|T|)``, linear in the number of terms.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "aggregate",
    "canonical_order",
    "dense_to_terms",
    "expand_subsets",
    "term_orders",
    "terms_to_dense",
    "terms_to_tuples",
    "tuples_to_terms",
]

PAD = -1


def term_orders(idx: np.ndarray) -> np.ndarray:
    """Number of players in each term, ``(k,)`` int64."""
    return (idx >= 0).sum(axis=1).astype(np.int64)


def tuples_to_terms(terms: list[tuple[int, ...]] | tuple[tuple[int, ...], ...]) -> np.ndarray:
    """Pack tuples of player indices into a padded, row-sorted ``(k, width)`` array."""
    width = max((len(t) for t in terms), default=0)
    idx = np.full((len(terms), width), PAD, dtype=np.int64)
    for row, term in enumerate(terms):
        players = sorted(int(i) for i in term)
        if len(set(players)) != len(players):
            msg = f"term {tuple(term)} lists a player twice"
            raise ValueError(msg)
        idx[row, : len(players)] = players
    return idx


def terms_to_tuples(idx: np.ndarray) -> list[tuple[int, ...]]:
    """Inverse of :func:`tuples_to_terms`."""
    return [tuple(int(i) for i in row if i >= 0) for row in idx]


def dense_to_terms(support: np.ndarray) -> np.ndarray:
    """Convert a ``(k, n)`` 0/1 support matrix into padded index form."""
    support = np.asarray(support).astype(bool)
    orders = support.sum(axis=1)
    width = int(orders.max(initial=0))
    idx = np.full((support.shape[0], width), PAD, dtype=np.int64)
    rows, cols = np.nonzero(support)  # row-major: columns ascending within each row
    starts = np.concatenate([[0], np.cumsum(orders)[:-1]]) if len(orders) else orders
    pos = np.arange(rows.size) - np.repeat(starts, orders)
    idx[rows, pos] = cols
    return idx


def terms_to_dense(idx: np.ndarray, n: int) -> np.ndarray:
    """Convert padded index form into a ``(k, n)`` uint8 support matrix."""
    support = np.zeros((idx.shape[0], n), dtype=np.uint8)
    rows, pos = np.nonzero(idx >= 0)
    support[rows, idx[rows, pos]] = 1
    return support


def _compact(idx: np.ndarray) -> np.ndarray:
    """Move padding to the right of each row, keeping players sorted."""
    big = np.iinfo(np.int64).max
    out = np.where(idx < 0, big, idx)
    out.sort(axis=1)
    out[out == big] = PAD
    return out


def canonical_order(idx: np.ndarray) -> np.ndarray:
    """Permutation that sorts terms by (order, players) — the order every result uses."""
    if idx.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    keys = [idx[:, j] for j in range(idx.shape[1] - 1, -1, -1)]
    return np.lexsort([*keys, term_orders(idx)])


def expand_subsets(
    idx: np.ndarray, min_size: int = 0, max_size: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Enumerate every subset ``S ⊆ T`` of every term ``T`` with ``min_size <= |S| <= max_size``.

    Returns
    -------
    parent : ndarray of shape (q,)
        Row of ``idx`` each subset comes from.
    subsets : ndarray of shape (q, width)
        The subsets in padded index form (same width as ``idx``).
    """
    orders = term_orders(idx)
    width = idx.shape[1]
    parents, subsets = [], []
    for r in np.unique(orders):
        rows = np.flatnonzero(orders == r)
        codes = np.arange(2**r, dtype=np.int64)
        pick = ((codes[:, None] >> np.arange(r)) & 1).astype(bool)  # (2^r, r)
        sizes = pick.sum(axis=1)
        keep = sizes >= min_size
        if max_size is not None:
            keep &= sizes <= max_size
        pick = pick[keep]
        if pick.shape[0] == 0:
            continue
        base = idx[rows, :r]  # (k_r, r)
        sub = np.where(pick[None, :, :], base[:, None, :], PAD)  # (k_r, c, r)
        padded = np.full((rows.size * pick.shape[0], width), PAD, dtype=np.int64)
        padded[:, :r] = sub.reshape(rows.size * pick.shape[0], r)
        parents.append(np.repeat(rows, pick.shape[0]))
        subsets.append(_compact(padded))
    if not parents:
        return np.zeros(0, dtype=np.int64), np.zeros((0, width), dtype=np.int64)
    return np.concatenate(parents), np.concatenate(subsets)


def aggregate(
    idx: np.ndarray, values: np.ndarray, atol: float = 0.0, rtol: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Sum ``values`` of identical terms; canonical order.

    A sum ``v`` is dropped when ``|v| <= atol`` or ``|v| <= rtol · Σ|values|`` over its own
    contributions (a cancellation down to round-off, whatever the scale of the values).
    """
    if idx.shape[0] == 0:
        return idx.reshape(0, 0), np.zeros(0)
    uniq, inverse = np.unique(idx, axis=0, return_inverse=True)
    sums = np.zeros(uniq.shape[0])
    np.add.at(sums, inverse.reshape(-1), values)
    keep = np.abs(sums) > atol
    if rtol > 0:
        mass = np.zeros(uniq.shape[0])
        np.add.at(mass, inverse.reshape(-1), np.abs(values))
        keep &= np.abs(sums) > rtol * mass
    uniq, sums = uniq[keep], sums[keep]
    width = int(term_orders(uniq).max(initial=0))
    uniq = uniq[:, :width]
    order = canonical_order(uniq)
    return uniq[order], sums[order]
