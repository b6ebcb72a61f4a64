"""Scores of predicted feature-norm vectors: F1@k, per-concept Spearman ρ, neighbourhood accuracy.

All functions take ``predicted`` and ``gold`` of shape (n_test, n_features) and return the mean
over test concepts (concepts where the score is undefined are skipped; NaN if none is left).
``gold`` may also be a SciPy sparse matrix (the audit keeps production norms as CSR).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import rankdata

__all__ = ["METRICS", "f1_at_k", "neighbourhood_accuracy", "spearman_rows"]

#: Metric names in table order.
METRICS = ("f1@10", "spearman", "na@10")

#: Largest share of non-zero gold cells for which NA@k ranks through a sparse product.
_SPARSE_DENSITY = 0.1

#: k of F1@k and NA@k used in the tables (the literature's value).
TOP_K = 10

#: Predicted values of a row closer than this fraction of the row's largest magnitude rank as
#: ties (F1@k, Spearman): float noise must not order them.
_TIE_RTOL = 1e-9

#: Cosine similarities closer than this tie (NA@k): a neighbour must be more similar by more.
_COSINE_TIE = 1e-9


def f1_at_k(predicted: np.ndarray, gold: Any, k: int = TOP_K) -> float:
    r"""Mean F1 of the k highest predicted features against the gold features.

    Notes
    -----
    For a concept with gold feature set :math:`G = \{f : y_f \neq 0\}` and the set :math:`P` of
    its :math:`k' = \min(k, m)` highest predictions,
    :math:`\mathrm{prec} = |P \cap G| / k'`, :math:`\mathrm{rec} = |P \cap G| / |G|`,
    :math:`F_1 = 2\,\mathrm{prec}\,\mathrm{rec} / (\mathrm{prec} + \mathrm{rec})` (0 when
    :math:`P \cap G = \emptyset`). Concepts with :math:`G = \emptyset` are skipped.

    When predictions tie across the k-th place (within ``1e-9`` of the row's largest
    magnitude, :func:`_merge_near_ties`), :math:`|P \cap G|` is its expectation over the ways
    to break the tie: the :math:`s` free places of :math:`P` among :math:`t` tied features, of
    which :math:`g` are gold, add :math:`s g / t` hits. F1 is linear in the hits, so this is
    the mean F1 over every tie-break, and float noise in a tied row cannot change it.
    """
    k = min(k, predicted.shape[1])
    predicted = _merge_near_ties(np.asarray(predicted, dtype=np.float64))
    kth = -np.partition(-predicted, k - 1, axis=1)[:, k - 1 : k]
    above, tied = predicted > kth, predicted == kth
    relevant = (gold.toarray() if _is_sparse_matrix(gold) else gold) != 0
    free = k - above.sum(axis=1)
    hits = (above & relevant).sum(axis=1) + free * (tied & relevant).sum(axis=1) / np.maximum(
        tied.sum(axis=1), 1
    )
    n_gold = relevant.sum(axis=1)
    keep = n_gold > 0
    if not keep.any():
        return float("nan")
    hits, n_gold = hits[keep], n_gold[keep]
    return float((2 * hits / (k + n_gold)).mean())


def spearman_rows(predicted: np.ndarray, gold: Any) -> float:
    r"""Mean over concepts of Spearman's ρ between predicted and gold feature vectors.

    ρ is the Pearson correlation of the average ranks (ties share a rank); concepts whose
    predicted or gold vector is constant have no ρ and are skipped. ``gold`` may be a SciPy
    sparse matrix.

    Notes
    -----
    Production counts (non-negative, at most 10 % non-zero: McRae, Buchanan) are scored
    without ranking whole rows of gold. With :math:`S` the gold non-zeros of a row,
    :math:`z = m - |S|` its zeros (tied at rank :math:`(z + 1)/2`) and centred predicted
    ranks :math:`\tilde r_j = r_j - (m + 1)/2` (which sum to zero),

    .. math::

        \sum_j \tilde r_j \tilde g_j = \sum_{j \in S} \tilde r_j \bigl(g_j - (z + 1)/2\bigr),
        \qquad \sum_j \tilde r_j^2 = \frac{m^3 - m - \sum_{\text{ties}} (t^3 - t)}{12},

    so only the predicted ranks at :math:`S` (two binary searches in the sorted row) and the
    sizes t of the predicted ties are needed (:func:`_spearman_sparse`).

    Neighbours in a sorted predicted row closer than ``1e-9`` times the row's largest
    magnitude count as tied (:func:`_merge_near_ties`): a feature that no training concept has
    is predicted as exactly 0 by one solver and as ±1e-17 by another, and that noise must not
    rank it.
    """
    predicted = _merge_near_ties(np.asarray(predicted, dtype=np.float64))
    if _is_sparse_matrix(gold):
        if gold.nnz == 0 or gold.data.min() >= 0:
            return _spearman_sparse(predicted, gold)
        gold = gold.toarray()  # negative values: zeros are not the lowest rank
    if _sparse_counts(gold):
        return _spearman_sparse(predicted, _csr(gold))
    rp = rankdata(predicted, axis=1)
    rg = rankdata(gold, axis=1)
    rp = rp - rp.mean(axis=1, keepdims=True)
    rg = rg - rg.mean(axis=1, keepdims=True)
    denom = np.sqrt((rp**2).sum(axis=1) * (rg**2).sum(axis=1))
    keep = denom > 0
    if not keep.any():
        return float("nan")
    return float(((rp * rg).sum(axis=1)[keep] / denom[keep]).mean())


def _merge_near_ties(predicted: np.ndarray) -> np.ndarray:
    """Each row with every run of sorted neighbours closer than ``_TIE_RTOL · max|row|`` set
    to the run's smallest value (a tie)."""
    if predicted.size == 0:
        return predicted
    order = np.argsort(predicted, axis=1, kind="stable")
    ordered = np.take_along_axis(predicted, order, axis=1)
    scale = np.maximum(np.abs(ordered[:, :1]), np.abs(ordered[:, -1:]))
    starts = np.ones(ordered.shape, dtype=bool)
    starts[:, 1:] = ~(np.diff(ordered, axis=1) <= _TIE_RTOL * scale)  # NaN: no merging
    run_start = np.maximum.accumulate(np.where(starts, np.arange(ordered.shape[1]), 0), axis=1)
    merged = np.empty_like(predicted)
    np.put_along_axis(merged, order, np.take_along_axis(ordered, run_start, axis=1), axis=1)
    return merged


def _is_sparse_matrix(matrix: Any) -> bool:
    return hasattr(matrix, "tocsr")


def _csr(matrix: Any) -> Any:
    from scipy import sparse

    return sparse.csr_matrix(matrix)


def _sparse_counts(gold: np.ndarray) -> bool:
    """Production counts: non-negative and mostly zero (ranks then come from the non-zeros)."""
    return bool(np.count_nonzero(gold) <= _SPARSE_DENSITY * gold.size and (gold >= 0).all())


def _spearman_sparse(predicted: np.ndarray, gold: Any) -> float:
    """:func:`spearman_rows` for a CSR ``gold`` of non-negative counts (formula in its Notes)."""
    n, m = predicted.shape
    gold = _csr(gold).astype(np.float64)  # a copy: canonical form below
    gold.eliminate_zeros()
    gold.sort_indices()
    counts = np.diff(gold.indptr)
    rows = np.repeat(np.arange(n), counts)
    zeros = m - counts
    # gold ranks of the non-zeros: z + their average rank among the row's non-zeros
    ranked = _average_ranks(rows, gold.data) + zeros[rows]
    # predicted ranks at the gold non-zeros, and the tie sizes of every predicted row
    ordered = np.sort(predicted, axis=1)
    at = predicted[rows, gold.indices]
    rp = np.empty(gold.nnz)
    bounds = gold.indptr.tolist()
    for i in np.flatnonzero(counts).tolist():
        part = slice(bounds[i], bounds[i + 1])
        low = ordered[i].searchsorted(at[part], side="left")
        high = ordered[i].searchsorted(at[part], side="right")
        rp[part] = (low + high + 1) / 2.0
    # ties: runs of equal neighbours in the sorted rows (a run of L pairs = L + 1 tied values)
    equal = np.flatnonzero(ordered[:, 1:] == ordered[:, :-1])
    ties: np.ndarray = np.zeros(n)
    if equal.size:
        row = equal // (m - 1)
        new_run = np.ones(equal.size, dtype=bool)
        new_run[1:] = (np.diff(equal) != 1) | (row[1:] != row[:-1])
        sizes = np.bincount(np.cumsum(new_run) - 1).astype(np.float64) + 1.0
        ties = np.bincount(row[new_run], weights=sizes**3 - sizes, minlength=n)
    var_p = (float(m) ** 3 - m - ties) / 12.0
    centre = (m + 1) / 2.0
    numer = np.bincount(
        rows, weights=(rp - centre) * (ranked - (zeros[rows] + 1) / 2.0), minlength=n
    )
    var_g = zeros * ((zeros + 1) / 2.0 - centre) ** 2 + np.bincount(
        rows, weights=(ranked - centre) ** 2, minlength=n
    )
    denom = np.sqrt(var_p * var_g)
    keep = denom > 0
    if not keep.any():
        return float("nan")
    return float((numer[keep] / denom[keep]).mean())


def _average_ranks(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Average rank (1-based, ties averaged) of each value among the values of its row."""
    if values.size == 0:
        return np.zeros(0)
    order = np.lexsort((values, rows))
    r, v = rows[order], values[order]
    new_row = np.ones(r.size, dtype=bool)
    new_row[1:] = r[1:] != r[:-1]
    row_start = np.maximum.accumulate(np.where(new_row, np.arange(r.size), 0))
    position = np.arange(r.size) - row_start + 1.0
    new_tie = new_row.copy()
    new_tie[1:] |= v[1:] != v[:-1]
    tie = np.cumsum(new_tie) - 1
    mean_position = np.bincount(tie, weights=position) / np.bincount(tie)
    out = np.empty(values.size)
    out[order] = mean_position[tie]
    return out


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix, dtype=float), where=norms > 0)


def neighbourhood_accuracy(
    predicted: np.ndarray, gold_all: Any, test_index: np.ndarray, k: int = TOP_K
) -> float:
    r"""Share of test concepts whose own gold vector is among the k nearest to their prediction.

    Parameters
    ----------
    predicted : ndarray of shape (n_test, n_features)
    gold_all : ndarray or sparse matrix of shape (n_concepts, n_features)
        Gold vectors of *all* concepts (training and test), the candidates ranked.
    test_index : ndarray of shape (n_test,)
        Row of ``gold_all`` that belongs to each prediction.

    Notes
    -----
    Neighbour score of Derby et al. (2019): candidates are ranked by cosine similarity to the
    prediction; a hit when fewer than k candidates are strictly more similar than the concept's
    own gold vector (by more than ``1e-9``: the sparse and dense products differ in the last
    bits, and that must not decide a hit). Chance level is :math:`k / n_{\mathrm{concepts}}`.
    """
    if _is_sparse_matrix(gold_all) or np.count_nonzero(gold_all) <= _SPARSE_DENSITY * gold_all.size:
        gold = _csr(gold_all).astype(np.float64)  # McRae / Buchanan: a sparse product
        rows = np.repeat(np.arange(gold.shape[0]), np.diff(gold.indptr))
        lengths = np.sqrt(np.bincount(rows, weights=gold.data**2, minlength=gold.shape[0]))
        gold.data /= lengths[rows]
        sims = np.asarray((gold @ _unit_rows(predicted).T).T)
    else:
        sims = _unit_rows(predicted) @ _unit_rows(gold_all).T
    own = sims[np.arange(test_index.size), test_index]
    better = (sims > own[:, None] + _COSINE_TIE).sum(axis=1)
    return float((better < k).mean())
