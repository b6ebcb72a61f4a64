"""Pick the best registered explanation method; fall back to a pairwise regression.

SPEX / ProxySPEX are preferred when registered in ``ablatio.methods.METHODS``. If none of the
sparse methods is available (only ``exact``, which cannot enumerate 2^64 masks), the examples
fit a second-order Möbius model by ridge least squares on Bernoulli masks instead.
"""

from __future__ import annotations

import itertools

import numpy as np

import ablatio
from ablatio.designs.random import bernoulli_masks
from ablatio.methods import METHODS
from ablatio.transforms.solve import least_squares

#: Fallback order: first registered name wins.
PREFERRED = ("proxyspex", "spex", "faith_banzhaf", "kernelshap")
FALLBACK = "pairwise-regression"
#: Ridge penalty of the fallback regression.
RIDGE = 1e-3


def choose_method(requested: str | None) -> str:
    """The requested method, else the first registered one of PREFERRED, else the fallback."""
    if requested:
        return requested
    return next((name for name in PREFERRED if name in METHODS), FALLBACK)


def pairwise_regression(
    game, budget: int, rng: np.random.Generator, p: float
) -> ablatio.Interactions:
    """Möbius terms of order <= 2 fitted by ridge least squares on ``budget`` masks."""
    n = game.n_players
    masks = bernoulli_masks(n, budget, rng, p)
    masks[0] = True  # include the full model
    values = game(masks)
    pairs = list(itertools.combinations(range(n), 2))
    x = masks.astype(np.float64)
    design = np.hstack(
        [np.ones((budget, 1)), x, np.stack([x[:, i] * x[:, j] for i, j in pairs], axis=1)]
    )
    coef = least_squares(design, values, ridge=RIDGE)
    terms = [(), *((i,) for i in range(n)), *pairs]
    return ablatio.Interactions(terms, coef, n_players=n, feature_names=game.feature_names)


def explain(target, method: str, budget: int, seed: int, keep_probability: float = 0.5):
    """``(interactions, game)`` for the target with the chosen method."""
    game = target if isinstance(target, ablatio.Game) else ablatio.Game(target)
    if method == FALLBACK:
        rng = np.random.default_rng(seed)
        return pairwise_regression(game, budget, rng, keep_probability), game
    expl = ablatio.explain(game, method=method, budget=budget, max_order=2, random_state=seed)
    return expl.interactions, game
