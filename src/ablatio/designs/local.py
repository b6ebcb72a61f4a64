"""LIME's local design: masks that remove a uniformly drawn number of parts, and its kernel.

Row 0 keeps every part; every other draw removes ``r ~ U{1, …, n}`` parts chosen uniformly
without replacement (``LimeTextExplainer``). A mask keeping ``|z|`` of ``n`` parts lies at
cosine distance ``1 - sqrt(|z| / n)`` from the full input; LIME scales it by 100 and weighs
the sample with

.. math::

    \\pi(z) = \\sqrt{\\exp(-D(z)^2 / w^2)}, \\qquad D(z) = 100 \\, (1 - \\sqrt{|z| / n}),

with kernel width ``w = 25`` by default.

References
----------
Ribeiro, Singh & Guestrin, "Why should I trust you?", KDD 2016 (marcotcr/lime).
"""

from __future__ import annotations

import numpy as np

from ablatio.designs.distinct import DrawCounts
from ablatio.designs.kernel import MAX_DRAW_FACTOR

__all__ = ["LIME_DISTANCE_SCALE", "lime_kernel", "lime_masks", "uniform_weights"]

#: LIME multiplies the cosine distance by 100 before applying the kernel.
LIME_DISTANCE_SCALE = 100.0


def lime_masks(n: int, budget: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``budget`` distinct LIME masks and how often each was drawn.

    Draws continue until ``budget`` distinct masks are found (or all ``2^n`` exist, or
    ``MAX_DRAW_FACTOR · budget`` draws were made); repeated draws raise a mask's count, which
    acts as a sample weight, so the fit equals LIME's on the full list of draws.

    Returns
    -------
    masks : ndarray of shape (n_masks, n)
        Distinct bool masks, the full input first.
    counts : ndarray of shape (n_masks,)
        Number of draws of each mask.
    """
    target = min(budget, 2**n)
    tally = DrawCounts(n, target, MAX_DRAW_FACTOR * target)
    tally.add(np.ones((1, n), dtype=bool))
    batch = max(target, 8)
    while tally.wanting:
        removed = rng.integers(1, n + 1, size=batch)
        ranks = rng.random((batch, n)).argsort(axis=1).argsort(axis=1)
        tally.add(ranks >= removed[:, None])
    return tally.result()


def lime_kernel(masks: np.ndarray, kernel_width: float) -> np.ndarray:
    """LIME's sample weights ``π(z)`` of shape ``(n_masks,)`` (see the module notes)."""
    n = masks.shape[1]
    distance = LIME_DISTANCE_SCALE * (1.0 - np.sqrt(masks.sum(axis=1) / n))
    return np.sqrt(np.exp(-(distance**2) / kernel_width**2))


def uniform_weights(masks: np.ndarray) -> np.ndarray:
    """Importance weights that turn LIME's draws into uniform masks.

    A draw keeps ``k = n - r`` parts with ``r ~ U{1, …, n}``, so ``P(k) = 1/n`` for
    ``k < n``, and the parts kept are a uniform ``k``-subset; a uniform mask keeps
    ``k ~ Binomial(n, 1/2)`` parts, also a uniform ``k``-subset. The ratio of the two densities
    is ``w(k) = n · C(n, k) / 2^n`` (computed in logs). The full input (row 0, not a draw)
    gets 0. At n = 1000 only draws keeping 450–550 parts carry weight, so a few hundred
    draws leave an effective sample of a few dozen.
    """
    from scipy.special import gammaln  # not at import time: ``import ablatio`` stays light

    masks = np.asarray(masks, dtype=bool)
    n = masks.shape[1]
    kept = masks.sum(axis=1)
    log_w = np.log(n) + gammaln(n + 1) - gammaln(kept + 1) - gammaln(n - kept + 1) - n * np.log(2)
    return np.where(kept < n, np.exp(log_w), 0.0)
