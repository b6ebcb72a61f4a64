"""Scores of predicted feature-norm vectors: F1@k, per-concept Spearman ρ, neighbourhood accuracy.

All functions take ``predicted`` and ``gold`` of shape (n_test, n_features) and return the mean
over test concepts (concepts where the score is undefined are skipped; NaN if none is left).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

__all__ = ["METRICS", "f1_at_k", "neighbourhood_accuracy", "spearman_rows"]

#: Metric names in table order.
METRICS = ("f1@10", "spearman", "na@10")

#: Largest share of non-zero gold cells for which NA@k ranks through a sparse product.
_SPARSE_DENSITY = 0.1

#: k of F1@k and NA@k used in the tables (the literature's value).
TOP_K = 10


def f1_at_k(predicted: np.ndarray, gold: np.ndarray, k: int = TOP_K) -> float:
    r"""Mean F1 of the k highest predicted features against the gold features.

    Notes
    -----
    For a concept with gold feature set :math:`G = \{f : y_f \neq 0\}` and the set :math:`P` of
    its :math:`k' = \min(k, m)` highest predictions,
    :math:`\mathrm{prec} = |P \cap G| / k'`, :math:`\mathrm{rec} = |P \cap G| / |G|`,
    :math:`F_1 = 2\,\mathrm{prec}\,\mathrm{rec} / (\mathrm{prec} + \mathrm{rec})` (0 when
    :math:`P \cap G = \emptyset`). Concepts with :math:`G = \emptyset` are skipped.
    """
    k = min(k, predicted.shape[1])
    top = np.argpartition(-predicted, k - 1, axis=1)[:, :k]
    relevant = gold != 0
    hits = np.take_along_axis(relevant, top, axis=1).sum(axis=1)
    n_gold = relevant.sum(axis=1)
    keep = n_gold > 0
    if not keep.any():
        return float("nan")
    hits, n_gold = hits[keep], n_gold[keep]
    f1 = np.where(hits > 0, 2 * hits / (k + n_gold), 0.0)
    return float(f1.mean())


def spearman_rows(predicted: np.ndarray, gold: np.ndarray) -> float:
    r"""Mean over concepts of Spearman's ρ between predicted and gold feature vectors.

    ρ is the Pearson correlation of the average ranks (ties share a rank); concepts whose
    predicted or gold vector is constant have no ρ and are skipped.
    """
    rp = rankdata(predicted, axis=1)
    rg = _sparse_ranks(gold) if _sparse_counts(gold) else rankdata(gold, axis=1)
    rp = rp - rp.mean(axis=1, keepdims=True)
    rg = rg - rg.mean(axis=1, keepdims=True)
    denom = np.sqrt((rp**2).sum(axis=1) * (rg**2).sum(axis=1))
    keep = denom > 0
    if not keep.any():
        return float("nan")
    return float(((rp * rg).sum(axis=1)[keep] / denom[keep]).mean())


def _sparse_counts(gold: np.ndarray) -> bool:
    """Production counts: non-negative and mostly zero (ranks then come from the non-zeros)."""
    return bool(np.count_nonzero(gold) <= _SPARSE_DENSITY * gold.size and (gold >= 0).all())


def _sparse_ranks(gold: np.ndarray) -> np.ndarray:
    """Average ranks per row of a non-negative sparse matrix (= ``rankdata(gold, axis=1)``).

    The z zeros of a row tie at rank (z + 1) / 2; the non-zeros rank among themselves after
    them. Sorting only the non-zeros is what makes McRae / Buchanan scoring cheap.
    """
    zeros = (gold == 0).sum(axis=1)
    ranks = np.repeat(((zeros + 1) / 2.0)[:, None], gold.shape[1], axis=1)
    for row in np.flatnonzero(zeros < gold.shape[1]):
        cols = np.flatnonzero(gold[row])
        ranks[row, cols] = rankdata(gold[row, cols]) + zeros[row]
    return ranks


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix, dtype=float), where=norms > 0)


def neighbourhood_accuracy(
    predicted: np.ndarray, gold_all: np.ndarray, test_index: np.ndarray, k: int = TOP_K
) -> float:
    r"""Share of test concepts whose own gold vector is among the k nearest to their prediction.

    Parameters
    ----------
    predicted : ndarray of shape (n_test, n_features)
    gold_all : ndarray of shape (n_concepts, n_features)
        Gold vectors of *all* concepts (training and test), the candidates ranked.
    test_index : ndarray of shape (n_test,)
        Row of ``gold_all`` that belongs to each prediction.

    Notes
    -----
    Neighbour score of Derby et al. (2019): candidates are ranked by cosine similarity to the
    prediction; a hit when fewer than k candidates are strictly more similar than the concept's
    own gold vector. Chance level is :math:`k / n_{\mathrm{concepts}}`.
    """
    gold = _unit_rows(gold_all)
    if np.count_nonzero(gold) <= _SPARSE_DENSITY * gold.size:  # McRae / Buchanan: sparse
        from scipy import sparse

        sims = np.asarray((sparse.csr_matrix(gold) @ _unit_rows(predicted).T).T)
    else:
        sims = _unit_rows(predicted) @ gold.T
    own = sims[np.arange(test_index.size), test_index]
    better = (sims > own[:, None]).sum(axis=1)
    return float((better < k).mean())
