"""Brute-force oracles straight from the definitions, for n <= 10 (test helper)."""

from __future__ import annotations

import itertools
from math import comb, factorial

import numpy as np

from ablatio.methods.exact import all_masks


def table(fn, n: int) -> np.ndarray:
    """Values of ``fn`` on all masks, indexed by the integer with bit i = player i."""
    return np.asarray(fn(all_masks(n)), dtype=np.float64)


def code(subset) -> int:
    return sum(1 << i for i in subset)


def discrete_derivative(values: np.ndarray, T, S) -> float:
    """Δ_T f(S) = Σ_{L ⊆ T} (-1)^{|T|-|L|} f(S ∪ L)."""
    total = 0.0
    for r in range(len(T) + 1):
        for L in itertools.combinations(T, r):
            total += (-1) ** (len(T) - r) * values[code(S) | code(L)]
    return total


def rest_subsets(n: int, T):
    others = [i for i in range(n) if i not in T]
    for r in range(len(others) + 1):
        yield from itertools.combinations(others, r)


def moebius(values: np.ndarray, n: int) -> dict:
    out = {}
    for r in range(n + 1):
        for T in itertools.combinations(range(n), r):
            out[T] = discrete_derivative(values, T, ())
    return out


def fourier(values: np.ndarray, n: int) -> dict:
    masks = all_masks(n)
    out = {}
    for r in range(n + 1):
        for T in itertools.combinations(range(n), r):
            chi = (-1.0) ** masks[:, list(T)].sum(axis=1)
            out[T] = float(values @ chi) / 2**n
    return out


def shapley(values: np.ndarray, n: int) -> np.ndarray:
    phi = np.zeros(n)
    for i in range(n):
        for S in rest_subsets(n, (i,)):
            w = factorial(len(S)) * factorial(n - len(S) - 1) / factorial(n)
            phi[i] += w * (values[code(S) | (1 << i)] - values[code(S)])
    return phi


def banzhaf(values: np.ndarray, n: int) -> np.ndarray:
    return np.array(
        [
            sum(values[code(S) | (1 << i)] - values[code(S)] for S in rest_subsets(n, (i,)))
            / 2 ** (n - 1)
            for i in range(n)
        ]
    )


def sii(values: np.ndarray, n: int, T) -> float:
    t = len(T)
    return sum(
        factorial(n - t - len(S))
        * factorial(len(S))
        / factorial(n - t + 1)
        * discrete_derivative(values, T, S)
        for S in rest_subsets(n, T)
    )


def bii(values: np.ndarray, n: int, T) -> float:
    return sum(discrete_derivative(values, T, S) for S in rest_subsets(n, T)) / 2 ** (n - len(T))


def stii(values: np.ndarray, n: int, T, k: int) -> float:
    if len(T) < k:
        return discrete_derivative(values, T, ())
    return (
        k
        / n
        * sum(discrete_derivative(values, T, S) / comb(n - 1, len(S)) for S in rest_subsets(n, T))
    )


def _basis(n: int, k: int):
    terms = [T for r in range(k + 1) for T in itertools.combinations(range(n), r)]
    masks = all_masks(n)
    X = np.stack([masks[:, list(T)].all(axis=1) for T in terms], axis=1).astype(float)
    return terms, X


def fbii(values: np.ndarray, n: int, k: int) -> dict:
    """Faith-Banzhaf: unweighted least squares over all masks, basis [T ⊆ S], |T| <= k."""
    terms, X = _basis(n, k)
    beta, *_ = np.linalg.lstsq(X, values, rcond=None)
    return dict(zip(terms, beta, strict=True))


def fsii(values: np.ndarray, n: int, k: int) -> dict:
    """Faith-Shap: Shapley-kernel weighted LS with f(∅), f(N) matched exactly (KKT)."""
    terms, X = _basis(n, k)
    sizes = all_masks(n).sum(axis=1)
    inner = (sizes > 0) & (sizes < n)
    w = np.zeros(2**n)
    s = sizes[inner]
    w[inner] = (n - 1) / (np.array([comb(n, int(v)) for v in s]) * s * (n - s))
    A = X[~inner]
    b = values[~inner]
    Xw = X[inner] * np.sqrt(w[inner])[:, None]
    yw = values[inner] * np.sqrt(w[inner])
    p = X.shape[1]
    kkt = np.block([[2 * Xw.T @ Xw, A.T], [A, np.zeros((A.shape[0], A.shape[0]))]])
    sol = np.linalg.lstsq(kkt, np.concatenate([2 * Xw.T @ yw, b]), rcond=None)[0]
    return dict(zip(terms, sol[:p], strict=True))
