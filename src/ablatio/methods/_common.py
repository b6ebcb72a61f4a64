"""Helpers shared by the baseline methods: default budgets and first-order surrogates."""

from __future__ import annotations

import numpy as np

from ablatio.exceptions import ParameterError
from ablatio.interactions import Interactions
from ablatio.transforms.terms import PAD

__all__ = ["MAX_FULL_PLAYERS", "first_order_surrogate", "resolve_budget"]

#: Largest ``n`` for which ``budget=None`` means "all ``2^n`` masks" (65,536 ablations).
MAX_FULL_PLAYERS = 16


def resolve_budget(budget: int | None, n: int, method: str) -> int:
    """``budget``, or ``2^n`` when it is None and ``n`` is small enough."""
    if budget is not None:
        return budget
    if n > MAX_FULL_PLAYERS:
        msg = (
            f"{method}: budget=None means all 2^n ablations, too many for n == {n} > "
            f"{MAX_FULL_PLAYERS}; pass budget=<number of ablations>"
        )
        raise ParameterError(msg)
    return 2**n


def first_order_surrogate(intercept: float, values: np.ndarray) -> Interactions:
    """The Möbius surrogate ``f̂(m) = intercept + Σ_i values_i m_i`` as interactions."""
    n = values.shape[0]
    idx = np.concatenate([[[PAD]], np.arange(n)[:, None]]).astype(np.int64)
    coef = np.concatenate([[intercept], values])
    return Interactions._build(idx, coef, n, "moebius")
