"""Helpers shared by the baseline methods: first-order surrogates."""

from __future__ import annotations

import numpy as np

from ablatio.interactions import Interactions
from ablatio.transforms.terms import PAD

__all__ = ["first_order_surrogate"]


def first_order_surrogate(intercept: float, values: np.ndarray) -> Interactions:
    """The Möbius surrogate ``f̂(m) = intercept + Σ_i values_i m_i`` as interactions."""
    n = values.shape[0]
    idx = np.concatenate([[[PAD]], np.arange(n)[:, None]]).astype(np.int64)
    coef = np.concatenate([[intercept], values])
    return Interactions._build(idx, coef, n, "moebius")
