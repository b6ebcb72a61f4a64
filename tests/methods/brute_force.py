"""Extra brute-force helpers for the baseline tests (the index definitions are in
``tests/brute.py``)."""

from __future__ import annotations

from itertools import permutations

import numpy as np


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


def max_gap(a: dict, b: dict) -> float:
    """Largest coefficient difference between two {term: value} dicts (missing = 0)."""
    return max(abs(a.get(t, 0.0) - b.get(t, 0.0)) for t in set(a) | set(b))
