"""Index definitions computed by brute force (independent of ablatio's transforms and solver)."""

from __future__ import annotations

from itertools import combinations, permutations
from math import comb

import numpy as np


def masks_of(n: int) -> np.ndarray:
    """All 2^n masks, row x keeping player i iff bit i of x is set."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)


def shapley_by_permutations(fn, n: int) -> np.ndarray:
    """φ_i = mean over all n! orders of f(P ∪ i) − f(P)."""
    phi = np.zeros(n)
    orders = list(permutations(range(n)))
    for order in orders:
        mask = np.zeros(n, dtype=bool)
        before = fn(mask[None])[0]
        for player in order:
            mask[player] = True
            after = fn(mask[None])[0]
            phi[player] += after - before
            before = after
    return phi / len(orders)


def banzhaf_by_definition(fn, n: int) -> np.ndarray:
    """β_i = 2^{-(n-1)} Σ_{S ∌ i} f(S ∪ i) − f(S)."""
    masks = masks_of(n)
    values = fn(masks)
    beta = np.zeros(n)
    for i in range(n):
        without = ~masks[:, i]
        beta[i] = (values[np.flatnonzero(without) + (1 << i)] - values[without]).sum()
    return beta / 2 ** (n - 1)


def _basis(masks: np.ndarray, k: int) -> tuple[list[tuple[int, ...]], np.ndarray]:
    n = masks.shape[1]
    terms = [t for r in range(k + 1) for t in combinations(range(n), r)]
    X = np.array([[all(m[list(t)]) for t in terms] for m in masks], dtype=float)
    return terms, X


def faith_shap_by_kkt(fn, n: int, k: int) -> dict[tuple[int, ...], float]:
    """Faith-Shap: Shapley-kernel WLS over all inner coalitions s.t. fits at ∅ and N exact."""
    masks = masks_of(n)
    y = fn(masks)
    terms, X = _basis(masks, k)
    sizes = masks.sum(axis=1)
    inner = (sizes > 0) & (sizes < n)
    mu = np.array([(n - 1) / (comb(n, s) * s * (n - s)) if 0 < s < n else 0.0 for s in sizes])
    A = X[~inner]
    p = X.shape[1]
    gram = 2 * X[inner].T @ (mu[inner, None] * X[inner])
    kkt = np.block([[gram, A.T], [A, np.zeros((A.shape[0], A.shape[0]))]])
    rhs = np.concatenate([2 * X[inner].T @ (mu[inner] * y[inner]), y[~inner]])
    sol = np.linalg.solve(kkt, rhs)
    return dict(zip(terms, sol[:p], strict=True))


def faith_banzhaf_by_lstsq(fn, n: int, k: int) -> dict[tuple[int, ...], float]:
    """Faith-Banzhaf: unweighted least squares of order k over all 2^n masks."""
    masks = masks_of(n)
    terms, X = _basis(masks, k)
    sol = np.linalg.lstsq(X, fn(masks), rcond=None)[0]
    return dict(zip(terms, sol, strict=True))


def max_gap(a: dict, b: dict) -> float:
    """Largest coefficient difference between two {term: value} dicts (missing = 0)."""
    return max(abs(a.get(t, 0.0) - b.get(t, 0.0)) for t in set(a) | set(b))
