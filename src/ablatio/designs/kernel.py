"""Coalition designs drawn by size: Shapley-kernel and uniform size weights, border enumeration
and paired (complement) sampling, with importance weights for unbiased weighted regressions.

A design spends a budget of *distinct* coalitions. Sizes named in ``required_sizes`` are
enumerated first. Then, while some size ``s`` (with its mirror ``n - s`` when pairing) would
be drawn at least as often as it has coalitions, ``budget_left · p_s >= binom(n, s)``, it is
enumerated too and the size distribution renormalised ("border trick"). The remaining budget is
filled by drawing a size ``s ~ p`` and then ``s`` players uniformly, optionally followed by the
complement. Each sampled coalition ``S`` gets the importance weight

.. math::

    \\mathrm{adj}(S) = \\frac{\\mathrm{count}(S) \\binom{n}{|S|}}{n_{\\mathrm{draws}} \\, p_{|S|}},

and every enumerated one ``adj = 1``, so ``Σ_S adj(S) μ(S) g(S)`` estimates
``Σ_{all S} μ(S) g(S)`` without bias; weights are kept in log space (``log binom`` through
``gammaln``) so that ``n`` in the thousands does not overflow. A budget of ``2^n`` enumerates
every coalition.

References
----------
Lundberg & Lee, "A unified approach to interpreting model predictions", NeurIPS 2017;
Covert & Lee, "Improving KernelSHAP", AISTATS 2021 (paired sampling); Fumagalli et al.,
"KernelSHAP-IQ", ICML 2024 (border trick).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

from ablatio.designs.distinct import DrawCounts
from ablatio.exceptions import BudgetTooSmallError, ParameterError

__all__ = [
    "BORDER_RTOL",
    "MAX_DRAW_FACTOR",
    "CoalitionDesign",
    "log_binom",
    "log_shapley_kernel",
    "sample_coalitions",
    "shapley_size_weights",
    "uniform_size_weights",
]

#: Draws stop after ``MAX_DRAW_FACTOR · budget`` even if the budget is not spent (guards
#: against collecting the last few coalitions of a nearly exhausted size forever).
MAX_DRAW_FACTOR = 100

#: Relative slack of the border test ``budget_left · p_s >= binom(n, s)``, so that rounding in
#: the size weights never leaves an exactly affordable size to sampling.
BORDER_RTOL = 1e-9


def log_binom(n: int, s: np.ndarray) -> np.ndarray:
    """``log binom(n, s)`` elementwise (float64)."""
    s = np.asarray(s, dtype=np.float64)
    from scipy.special import gammaln  # lazy: scipy is not imported by ``import ablatio``

    return gammaln(n + 1.0) - gammaln(s + 1.0) - gammaln(n - s + 1.0)


def shapley_size_weights(n: int, order: int = 1) -> np.ndarray:
    """Size distribution ``p_s ∝ 1/(s(n-s))`` on ``order <= s <= n - order`` (0 elsewhere).

    This is the Shapley kernel summed over the coalitions of each size; sizes outside the range
    are the border sizes a Faith-Shap fit of order ``order`` enumerates.
    """
    s = np.arange(n + 1, dtype=np.float64)
    inside = (s >= order) & (s <= n - order) & (s > 0) & (s < n)
    w = np.zeros(n + 1)
    w[inside] = 1.0 / (s[inside] * (n - s[inside]))
    total = w.sum()
    return w / total if total > 0 else w


def uniform_size_weights(n: int) -> np.ndarray:
    """Size distribution of a uniform random mask, ``binom(n, s) / 2^n``."""
    return np.exp(log_binom(n, np.arange(n + 1)) - n * np.log(2.0))


def log_shapley_kernel(n: int) -> np.ndarray:
    """``log μ(s)`` with ``μ(s) = 1 / ((n-1) binom(n-2, s-1))`` for ``0 < s < n``.

    ``μ`` is the Shapley kernel ``(n-1) / (binom(n, s) s (n-s))`` up to a constant. Sizes
    ``0`` and ``n`` (infinite weight, handled as constraints) get ``-inf``.
    """
    out = np.full(n + 1, -np.inf)
    if n >= 2:
        s = np.arange(1, n)
        out[1:n] = -np.log(n - 1.0) - log_binom(n - 2, s - 1)
    return out


@dataclass(frozen=True)
class CoalitionDesign:
    """Distinct coalitions and their importance weights.

    Attributes
    ----------
    masks : ndarray of shape (n_masks, n_players)
        Distinct bool masks: enumerated sizes first (by size), then sampled ones in draw order.
    log_adjustment : ndarray of shape (n_masks,)
        ``log adj(S)`` (0 for enumerated coalitions).
    sampled : ndarray of shape (n_masks,)
        True for coalitions drawn at random, False for enumerated ones.
    """

    masks: np.ndarray
    log_adjustment: np.ndarray
    sampled: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        """Coalition sizes ``(n_masks,)``."""
        return self.masks.sum(axis=1)

    @property
    def exhaustive(self) -> bool:
        """Whether every one of the ``2^n`` coalitions is in the design."""
        return not self.sampled.any() and self.masks.shape[0] == 2 ** self.masks.shape[1]

    def weights(self, log_kernel: np.ndarray | None = None) -> np.ndarray:
        """Regression weights ``μ(|S|) adj(S)``, scaled so that the largest is 1.

        Parameters
        ----------
        log_kernel : ndarray of shape (n_players + 1,), optional
            ``log μ(s)`` per size (default: constant kernel). ``-inf`` gives weight 0.
        """
        log_w = self.log_adjustment.copy()
        if log_kernel is not None:
            log_w = log_w + log_kernel[self.sizes]
        finite = np.isfinite(log_w)
        if not finite.any():
            return np.zeros_like(log_w)
        return np.where(finite, np.exp(log_w - log_w[finite].max()), 0.0)


def _size_masks(n: int, s: int) -> np.ndarray:
    rows = list(combinations(range(n), s))
    masks = np.zeros((len(rows), n), dtype=bool)
    if s:
        masks[np.arange(len(rows))[:, None], np.array(rows, dtype=np.int64)] = True
    return masks


def _mirror(sizes: Iterable[int], n: int, pairing: bool) -> set[int]:
    return {t for s in sizes for t in ((s, n - s) if pairing else (s,))}


def _borders(
    n: int, budget: int, p: np.ndarray, required: set[int], pairing: bool
) -> tuple[set[int], int]:
    """Sizes to enumerate and the budget left for sampling."""
    cost = sum(comb(n, s) for s in required)
    if cost > budget:
        msg = f"budget={budget} < {cost} coalitions of the enumerated sizes {sorted(required)}"
        raise BudgetTooSmallError(msg, minimum=cost)
    enumerated, left = set(required), budget - cost
    changed = True
    while changed:
        changed = False
        free = [s for s in range(n + 1) if s not in enumerated and p[s] > 0]
        total = sum(p[s] for s in free)
        for s in sorted(free, key=lambda s: (min(s, n - s), s)):
            group = _mirror([s], n, pairing) - enumerated
            need = sum(comb(n, t) for t in group)
            if need > left:  # sizes are visited by growing binom(n, s): none fits after this
                break
            share = sum(p[t] for t in group) / total
            if left * share >= need * (1.0 - BORDER_RTOL):
                enumerated |= group
                left -= need
                changed = True
                break
    return enumerated, left


def sample_coalitions(
    n: int,
    budget: int,
    size_weights: np.ndarray,
    rng: np.random.Generator,
    *,
    pairing: bool = True,
    required_sizes: Iterable[int] = (),
) -> CoalitionDesign:
    """At most ``budget`` distinct coalitions drawn by size (see the module notes).

    Parameters
    ----------
    n : int
        Number of players.
    budget : int
        Distinct coalitions to return (fewer only if all ``2^n`` fit, or the draw cap hits).
    size_weights : ndarray of shape (n + 1,)
        Non-negative sampling weights per size; must be symmetric (``w_s = w_{n-s}``) when
        ``pairing``.
    rng : numpy.random.Generator
        Source of every random draw.
    pairing : bool, default=True
        Follow every drawn coalition by its complement (antithetic sampling).
    required_sizes : iterable of int
        Sizes always enumerated (e.g. ``0`` and ``n``).
    """
    p = np.asarray(size_weights, dtype=np.float64)
    if p.shape != (n + 1,) or np.any(p < 0):
        msg = f"size_weights must be {n + 1} non-negative numbers, got shape {p.shape}"
        raise ParameterError(msg)
    if pairing and not np.allclose(p, p[::-1]):
        msg = "pairing=True needs symmetric size_weights (w_s == w_(n-s))"
        raise ParameterError(msg)
    enumerated, left = _borders(n, budget, p, set(required_sizes), pairing)
    parts = [_size_masks(n, s) for s in sorted(enumerated)]
    fixed = np.concatenate(parts) if parts else np.zeros((0, n), dtype=bool)
    free = np.array([s for s in range(n + 1) if s not in enumerated and p[s] > 0], dtype=int)
    drawn = np.zeros((0, n), dtype=bool)
    log_adj = np.zeros(0)
    if left > 0 and free.size:
        probs = p[free] / p[free].sum()
        drawn, counts, n_draws = _draw(n, left, free, probs, rng, pairing)
        size_prob = np.zeros(n + 1)
        size_prob[free] = probs
        sizes = drawn.sum(axis=1)
        log_adj = np.log(counts) - np.log(n_draws) - np.log(size_prob[sizes]) + log_binom(n, sizes)
    return CoalitionDesign(
        masks=np.concatenate([fixed, drawn]),
        log_adjustment=np.concatenate([np.zeros(fixed.shape[0]), log_adj]),
        sampled=np.concatenate([np.zeros(fixed.shape[0], bool), np.ones(drawn.shape[0], bool)]),
    )


def _draw(
    n: int,
    target: int,
    sizes: np.ndarray,
    probs: np.ndarray,
    rng: np.random.Generator,
    pairing: bool,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Draw until ``target`` distinct coalitions; return them, their counts and the draws."""
    tally = DrawCounts(n, target, MAX_DRAW_FACTOR * target)
    batch = max(target, 8)
    while tally.wanting:
        s = rng.choice(sizes, size=batch, p=probs)
        ranks = rng.random((batch, n)).argsort(axis=1).argsort(axis=1)
        masks = ranks < s[:, None]
        if pairing:
            masks = np.stack([masks, ~masks], axis=1).reshape(-1, n)
        tally.add(masks)
    return (*tally.result(), tally.draws)
