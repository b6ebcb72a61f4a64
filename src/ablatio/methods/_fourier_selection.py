"""Choosing a sparse Fourier support from real samples: CV over nested supports, and growth.

Used by ProxySPEX (and by any method that has a ranked list of candidate parities):

* :func:`parity_columns` builds the design ``Φ[q, T] = (-1)^{|m_q ∩ T|}``;
* :func:`cv_prefix` scores every prefix of a ranked candidate list by K-fold cross-validated
  least squares (one Cholesky factor per fold from one shared Gram matrix, :func:`_fold_mse`;
  one QR per fold where that is ill-conditioned) and
  picks the smallest prefix within one standard error of the best (the "one-SE rule"), so the
  cut-off adapts to the budget and the noise instead of a fixed energy fraction;
* :func:`grow_terms` proposes children ``T ∪ {j}`` of selected terms whose parity correlates
  with the current residual beyond the multiple-testing noise level — the hierarchical prior
  (an important interaction comes with important subsets) used to find what the proxy missed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ablatio._metrics import r2_from_sums, r2_score
from ablatio.transforms.fourier import fourier_transform
from ablatio.transforms.solve import least_squares_path, one_blas_thread
from ablatio.transforms.terms import PAD, term_orders, tuples_to_terms

__all__ = [
    "PrefixChoice",
    "cv_prefix",
    "enumerated_spectrum",
    "grow_terms",
    "parity_columns",
    "prefix_sizes",
]

#: Prefix lengths up to this value are all tried; above it they grow geometrically.
_DENSE_SIZES = 128
#: Ratio between consecutive prefix lengths above ``_DENSE_SIZES``.
_SIZE_GROWTH = 1.05


def parity_columns(masks: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Design matrix ``(n_masks, n_terms)`` of parities ``(-1)^{|m ∩ T|}`` (∅ gives ones)."""
    q, n = masks.shape
    if idx.shape[0] == 0:
        return np.zeros((q, 0))
    ext = np.zeros((q, n + 1), dtype=np.uint8)
    ext[:, :n] = masks
    gathered = ext[:, np.where(idx < 0, n, idx)]  # (q, k, width); padding reads column n = 0
    return 1.0 - 2.0 * (gathered.sum(axis=2, dtype=np.int64) & 1)


def prefix_sizes(k_max: int) -> np.ndarray:
    """Prefix lengths tried: ``1..128`` then growing by 5 % up to ``k_max``."""
    sizes = list(range(1, min(k_max, _DENSE_SIZES) + 1))
    while sizes and sizes[-1] < k_max:
        sizes.append(min(k_max, max(sizes[-1] + 1, int(sizes[-1] * _SIZE_GROWTH))))
    return np.asarray(sizes, dtype=np.int64)


@dataclass(frozen=True)
class PrefixChoice:
    """Result of :func:`cv_prefix`.

    Attributes
    ----------
    size : int
        Chosen number of leading columns.
    cv_r2 : float
        Cross-validated R² of the chosen prefix, ``1 - MSE_cv / var(y)``.
    best_cv_r2 : float
        Best cross-validated R² over all prefixes tried.
    """

    size: int
    cv_r2: float
    best_cv_r2: float


@one_blas_thread
def cv_prefix(
    design: np.ndarray,
    y: np.ndarray,
    *,
    n_folds: int,
    max_column_ratio: float,
    rng: np.random.Generator,
) -> PrefixChoice:
    """Choose how many leading columns of ``design`` to keep, by K-fold CV.

    Column 0 (the constant) is always kept. Prefixes are limited to
    ``max_column_ratio × (training rows)`` columns so every fit is well determined.
    """
    q, k_all = design.shape
    folds = np.array_split(rng.permutation(q), n_folds)
    train_rows = q - max(len(f) for f in folds)
    k_max = max(1, min(k_all, int(max_column_ratio * train_rows)))
    sizes = prefix_sizes(k_max)
    X = np.ascontiguousarray(design[:, :k_max], dtype=np.float64)
    gram, moment = X.T @ X, X.T @ y
    fold_mse = np.zeros((n_folds, sizes.size))
    for f, test in enumerate(folds):
        held = X[test]
        mse = _fold_mse(gram - held.T @ held, moment - held.T @ y[test], held, y[test], sizes)
        if mse is None:  # ill-conditioned: the prefix path of one QR of the training rows
            train = np.setdiff1d(np.arange(q), test, assume_unique=True)
            path = least_squares_path(X[train], y[train], sizes)
            mse = np.array(
                [
                    np.mean((y[test] - held[:, :k] @ beta) ** 2)
                    for k, beta in zip(sizes, path, strict=True)
                ]
            )
        fold_mse[f] = mse
    weights = np.array([len(f) for f in folds], dtype=np.float64) / q
    mse = weights @ fold_mse
    se = np.sqrt(weights @ (fold_mse - mse) ** 2 / max(n_folds - 1, 1))
    best = int(np.argmin(mse))
    chosen = int(np.flatnonzero(mse <= mse[best] + se[best])[0])
    var, mean_sq = float(np.var(y)), float(np.mean(y**2))
    return PrefixChoice(
        int(sizes[chosen]),
        r2_from_sums(float(mse[chosen]), var, mean_sq),
        r2_from_sums(float(mse[best]), var, mean_sq),
    )


#: The Gram path of :func:`_fold_mse` is used when every Cholesky pivot exceeds this fraction
#: of the largest (its errors grow with the square of the conditioning; below it, QR).
_GRAM_PIVOT_RTOL = 1e-4


def _fold_mse(
    gram: np.ndarray, moment: np.ndarray, held: np.ndarray, y_held: np.ndarray, sizes: np.ndarray
) -> np.ndarray | None:
    """Held-out mean squared error of the least-squares fit on every prefix in ``sizes``.

    With the training rows' ``XᵀX = L Lᵀ`` (Cholesky; ``Lᵀ`` is the ``R`` of their QR, and its
    leading ``k × k`` block factors the first ``k`` columns) and ``z = L⁻¹ Xᵀy``, the prefix
    fit is ``β_k = L_k⁻ᵀ z_k``, so the held-out rows' predictions ``X_h[:, :k] β_k`` are the
    running sums over columns of ``(X_h L⁻ᵀ) ∘ z``: every prefix at the cost of one factor and
    one triangular solve. The training Gram matrix is the full one minus the held-out rows'
    (a fold costs its own rows, not a new factorisation of the rest). None when a pivot is
    below ``_GRAM_PIVOT_RTOL`` of the largest.
    """
    import scipy.linalg

    try:
        factor = scipy.linalg.cholesky(gram, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return None
    pivots = np.abs(np.diag(factor))
    if pivots.size and pivots.min() <= _GRAM_PIVOT_RTOL * pivots.max():
        return None
    z = scipy.linalg.solve_triangular(factor, moment, lower=True, check_finite=False)
    whitened = scipy.linalg.solve_triangular(factor, held.T, lower=True, check_finite=False)
    predictions = np.cumsum(whitened.T * z, axis=1)[:, sizes - 1]
    return np.mean((y_held[:, None] - predictions) ** 2, axis=0)


def grow_terms(
    masks: np.ndarray,
    residual: np.ndarray,
    parents: np.ndarray,
    *,
    max_order: int,
    max_new: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Children ``T ∪ {j}`` of ``parents`` whose parity correlates with ``residual``.

    The score of a child is ``|mean_q r_q χ_{T∪{j}}(m_q)|``; under pure noise it is about
    ``σ_r/√q``, so children scoring above ``z σ_r/√q`` with ``z = √(2 ln N)`` (``N`` the number
    of children tested, the Gaussian maximum) are returned, best first, at most ``max_new``.

    Returns
    -------
    terms : ndarray of shape (k, width)
        New terms in padded index form (possibly duplicates of existing terms).
    scores : ndarray of shape (k,)
    """
    q, n = masks.shape
    orders = term_orders(parents)
    growable = np.flatnonzero(orders < max_order)
    if growable.size == 0 or max_new <= 0:
        return np.zeros((0, max(parents.shape[1], 1)), dtype=np.int64), np.zeros(0)
    signs = 1.0 - 2.0 * masks  # (q, n)
    weighted = parity_columns(masks, parents[growable]) * residual[:, None]  # (q, g)
    scores = np.abs(weighted.T @ signs) / q  # (g, n): child T ∪ {j}
    member = np.zeros((growable.size, n), dtype=bool)
    rows, pos = np.nonzero(parents[growable] >= 0)
    member[rows, parents[growable][rows, pos]] = True
    scores[member] = 0.0  # j ∈ T gives T \ {j}, not a child
    sigma = float(np.sqrt(np.mean(residual**2)))
    z = np.sqrt(2.0 * np.log(max(int((~member).sum()), 2)))
    flat = np.flatnonzero(scores.reshape(-1) > z * sigma / np.sqrt(q))
    flat = flat[np.argsort(-scores.reshape(-1)[flat], kind="stable")][:max_new]
    parent_rows, new_players = np.divmod(flat, n)
    base = parents[growable][parent_rows]
    width = max(base.shape[1], int(orders[growable].max()) + 1)
    big = np.iinfo(np.int64).max
    terms = np.full((flat.size, width), big, dtype=np.int64)
    terms[:, : base.shape[1]] = np.where(base < 0, big, base)
    terms[np.arange(flat.size), term_orders(base)] = new_players
    terms.sort(axis=1)
    terms[terms == big] = PAD
    return terms, scores.reshape(-1)[flat]


def enumerated_spectrum(
    X: np.ndarray, y: np.ndarray, max_order: int
) -> tuple[list[tuple[int, ...]], np.ndarray, float]:
    """Fourier terms of order ``<= max_order`` from all ``2^n`` masks, and their exact R².

    The truncated spectrum is the best order-limited approximation in mean squared error over
    uniform masks, so no selection is needed.
    """
    n = X.shape[1]
    values = np.zeros(2**n)
    values[X.astype(np.int64) @ (1 << np.arange(n, dtype=np.int64))] = y
    spectrum = fourier_transform(values)
    codes = np.arange(2**n, dtype=np.int64)
    bits = (codes[:, None] >> np.arange(n)) & 1
    keep = (bits.sum(axis=1) <= max_order) & ((np.abs(spectrum) > 0) | (codes == 0))
    terms = [tuple(int(i) for i in np.flatnonzero(bits[c])) for c in codes[keep]]
    fitted = parity_columns(X, tuples_to_terms(terms)) @ spectrum[keep]
    return terms, spectrum[keep], r2_score(y, fitted)
