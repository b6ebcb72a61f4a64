"""Interaction indices in closed form from sparse Möbius terms.

Each Möbius term ``S`` (dividend ``a(S)``, ``s = |S|``) is distributed onto target sets
``T ⊆ S`` (``t = |T|``) with a weight that depends only on ``s``, ``t`` and the order ``k``:

======  ==========================  ==========================================================
index   targets                     weight of ``a(S)`` on ``T``
======  ==========================  ==========================================================
SV      ``t = 1``                   ``1/s``
BV      ``t = 1``                   ``2^{-(s-1)}``
SII     ``1 <= t <= k``             ``1/(s-t+1)``
BII     ``1 <= t <= k``             ``2^{-(s-t)}``
STII    ``s < k``: ``T = S``        ``1``;  ``s >= k``, ``t = k``: ``1/binom(s, k)``
FSII    ``s <= k``: ``T = S``       ``1``;  ``s > k``, ``1 <= t <= k``:
                                    ``(-1)^{k-t} t/(k+t) binom(k,t) binom(s-1,k)/binom(s+k-1,k+t)``
FBII    ``s <= k``: ``T = S``       ``1``;  ``s > k``, ``0 <= t <= k``:
                                    ``(-1)^{k-t} 2^{-(s-t)} binom(s-t-1, k-t)``
k-SII   ``1 <= t <= k``             ``Σ_{T ⊆ S' ⊆ S, |S'| <= k} B_{|S'|-t} / (s-|S'|+1)``
======  ==========================  ==========================================================

The empty set follows the published definitions (Grabisch & Roubens 1999, as shapiq does):
SII(∅) ``= Σ_S a(S)/(s+1)``; BII(∅) and BV(∅) ``= Σ_S a(S) 2^{-s}`` (the mean of ``f`` over
all masks); FBII(∅) is the regression intercept (t = 0 row); SV, STII, FSII and k-SII report
``f(∅) = a(∅)``. Cost: ``O(Σ_S Σ_{t<=k} binom(s, t))``, linear in the terms.

References
----------
Grabisch, Marichal & Roubens (2000); Sundararajan et al., "The Shapley Taylor interaction
index", ICML 2020; Tsai, Yeh & Ravikumar, "Faith-Shap", JMLR 2023; Bord et al. (k-SII).
"""

from __future__ import annotations

import numpy as np

from ablatio.transforms.terms import aggregate, expand_subsets, term_orders

__all__ = ["INDICES", "moebius_to_index"]

#: Names accepted by :func:`moebius_to_index`.
INDICES = ("sv", "bv", "sii", "bii", "stii", "fsii", "fbii", "ksii")


def _weights(index: str, s: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    """Weight of a dividend of size ``s`` on a target of size ``t`` (0 where not a target)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _raw_weights(index, s, t, k)


def _raw_weights(index: str, s: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    from scipy.special import comb  # lazy: scipy is not imported by ``import ablatio``

    s = s.astype(np.float64)
    t = t.astype(np.float64)
    low = s <= k if index in ("fsii", "fbii") else s < k
    same = s == t
    if index == "sv":
        return np.where(t == 1, 1.0 / np.maximum(s, 1), 0.0)
    if index == "bv":
        return np.where(t == 1, 2.0 ** (1 - s), 0.0)
    if index == "sii":
        return np.where((t >= 1) & (t <= k), 1.0 / (s - t + 1), 0.0)
    if index == "bii":
        return np.where((t >= 1) & (t <= k), 2.0 ** (t - s), 0.0)
    if index == "stii":
        high = np.where(t == k, 1.0 / comb(s, k), 0.0)
        return np.where(low, same.astype(float), high)
    if index == "fsii":
        high = (
            (-1.0) ** (k - t) * t / (k + t) * comb(k, t) * comb(s - 1, k) / comb(s + k - 1, k + t)
        )
        high = np.where((t >= 1) & (t <= k), high, 0.0)
        return np.where(low, same.astype(float), high)
    if index == "fbii":
        high = (-1.0) ** (k - t) * 2.0 ** (t - s) * comb(s - t - 1, k - t)
        high = np.where(t <= k, high, 0.0)
        return np.where(low, same.astype(float), high)
    msg = f"unknown index {index!r}; choose one of {INDICES}"
    raise ValueError(msg)


def _distribute(
    idx: np.ndarray, values: np.ndarray, index: str, k: int, max_target: int
) -> tuple[np.ndarray, np.ndarray]:
    parent, sub = expand_subsets(idx, max_size=max_target)
    s = term_orders(idx)[parent]
    t = term_orders(sub)
    w = _weights(index, s, t, k)
    keep = w != 0
    return aggregate(sub[keep], values[parent][keep] * w[keep])


def _with_empty(
    idx: np.ndarray, values: np.ndarray, empty_value: float
) -> tuple[np.ndarray, np.ndarray]:
    """Prepend (or overwrite) the empty-set entry."""
    orders = term_orders(idx)
    rest = orders > 0
    width = max(idx.shape[1], 0)
    empty = np.full((1, width), -1, dtype=np.int64)
    out_idx = np.concatenate([empty, idx[rest]])
    out_val = np.concatenate([[empty_value], values[rest]])
    return out_idx, out_val


def moebius_to_index(
    idx: np.ndarray, dividends: np.ndarray, index: str, order: int
) -> tuple[np.ndarray, np.ndarray]:
    """Index values (terms in padded form, values) of order ``<= order`` from Möbius terms.

    Parameters
    ----------
    idx : ndarray of shape (n_terms, width)
        Möbius terms in padded index form.
    dividends : ndarray of shape (n_terms,)
        Their Möbius coefficients ``a(S)``.
    index : {"sv", "bv", "sii", "bii", "stii", "fsii", "fbii", "ksii"}
        Which index to compute.
    order : int
        Explanation order ``k`` (1 for SV and BV).
    """
    if index not in INDICES:
        msg = f"unknown index {index!r}; choose one of {INDICES}"
        raise ValueError(msg)
    orders = term_orders(idx).astype(np.float64)
    if index == "sii":
        empty_value = float(np.sum(dividends / (orders + 1)))
    elif index in ("bii", "bv"):
        empty_value = float(np.sum(dividends * 2.0**-orders))
    else:
        empty_value = float(dividends[orders == 0].sum())
    if index == "ksii":
        sii_idx, sii_val = _distribute(idx, dividends, "sii", order, order)
        from scipy.special import bernoulli

        bern = bernoulli(order)
        parent, sub = expand_subsets(sii_idx, min_size=1)
        gap = term_orders(sii_idx)[parent] - term_orders(sub)
        out_idx, out_val = aggregate(sub, sii_val[parent] * bern[gap])
        return _with_empty(out_idx, out_val, empty_value)
    max_target = 1 if index in ("sv", "bv") else order
    out_idx, out_val = _distribute(idx, dividends, index, order, max_target)
    if index == "fbii":
        has_empty = term_orders(out_idx) == 0
        intercept = float(out_val[has_empty].sum()) if has_empty.any() else 0.0
        return _with_empty(out_idx, out_val, intercept)
    return _with_empty(out_idx, out_val, empty_value)
