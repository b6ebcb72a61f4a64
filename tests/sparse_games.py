"""Sparse additive games with fresh test masks (test helper)."""

from __future__ import annotations

import numpy as np


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    """R² of ``pred`` for ``y``."""
    return float(1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))


def sparse_additive(n: int, q: int, k: int, seed: int):
    """``k`` of ``n`` parts matter (a lexicon over a long text); noise of a tenth of the sd."""
    rng = np.random.default_rng(seed)
    slopes = np.zeros(n)
    slopes[rng.choice(n, k, replace=False)] = rng.normal(size=k)
    masks, test = rng.random((q, n)) < 0.5, rng.random((3000, n)) < 0.5
    noise = 0.1 * np.sqrt(k / 4) * rng.normal(size=q)
    return slopes, masks, 2.0 + masks @ slopes + noise, test, 2.0 + test @ slopes
