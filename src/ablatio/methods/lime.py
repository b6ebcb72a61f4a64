"""``LIME``: a kernel-weighted (optionally sparse) linear surrogate fitted on local ablations."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ablatio.designs.local import lime_kernel, lime_masks
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods._common import first_order_surrogate
from ablatio.methods.base import Interval, Method, Options
from ablatio.transforms.solve import least_squares

__all__ = ["LIME"]


class LIME(Method):
    """LIME attributions: ridge regression on masks, weighted by distance to the full input.

    Parameters
    ----------
    budget : int, optional
        Distinct ablations (at least ``n + 1``, the intercept and one slope per part).
        ``None`` = the common default (``Method.default_budget``: all ``2^n`` masks up to 4096).
    max_order : {1, None}, default=None
        LIME fits a linear surrogate.
    kernel_width : float, default=25.0
        Width ``w`` of LIME's exponential kernel on the scaled cosine distance.
    alpha : float, default=1.0
        Ridge penalty on the slopes (the intercept is not penalised), as ``Ridge(alpha=1)``.
    n_features : int, optional
        Keep only the ``n_features`` parts with the largest slopes of the full fit and refit on
        them (LIME's ``"highest_weights"`` selection); ``None`` keeps every part.
    random_state : int, Generator or None
        Seed of the mask draws.

    Attributes
    ----------
    interactions_ : Interactions
        Möbius surrogate ``b + Σ_i c_i m_i`` (intercept and slopes of the weighted fit).
    n_queries_ : int
    fit_time_ : float

    Notes
    -----
    With LIME's masks ``z`` (the full input, then masks removing ``r ~ U{1..n}`` random parts;
    :mod:`ablatio.designs.local`) and kernel ``π(z)``:

    .. math::

        \\min_{b, c} \\sum_z \\pi(z) \\big(f(z) - b - c^\\top z\\big)^2 + \\alpha \\lVert c
        \\rVert^2.

    References
    ----------
    Ribeiro, Singh & Guestrin, "Why should I trust you?", KDD 2016.

    Examples
    --------
    >>> from ablatio import LIME
    >>> from ablatio.games.synthetic import sparse_and_game
    >>> game = sparse_and_game(6, n_terms=4, max_order=1, random_state=0)
    >>> est = LIME(budget=40, alpha=0.0, random_state=0).fit(game)
    >>> est.interactions_.allclose(game.true_interactions)
    True
    """

    name: ClassVar[str] = "lime"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "budget": [None, Interval(int, 1, None)],
        "max_order": [None, Options((1,))],
        "kernel_width": [Interval(float, float(np.finfo(np.float64).tiny), None)],
        "alpha": [Interval(float, 0.0, None)],
        "n_features": [None, Interval(int, 1, None)],
        "random_state": ["random_state"],
    }
    _check_tags: ClassVar[dict[str, Any]] = {
        "exact": "additive",
        "exact_params": {"alpha": 0.0},
    }

    def __init__(
        self,
        *,
        budget: int | None = None,
        max_order: int | None = None,
        kernel_width: float = 25.0,
        alpha: float = 1.0,
        n_features: int | None = None,
        random_state: Any = None,
    ) -> None:
        self.budget = budget
        self.max_order = max_order
        self.kernel_width = kernel_width
        self.alpha = alpha
        self.n_features = n_features
        self.random_state = random_state

    def min_budget(self, n_players: int) -> int:
        return n_players + 1

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        n = game.n_players
        budget = self.budget_
        masks, counts = lime_masks(n, budget, rng)
        values = game(masks)
        weights = counts * lime_kernel(masks, self.kernel_width)
        beta = self._ridge(masks, values, weights)
        if self.n_features is not None and self.n_features < n:
            keep = np.sort(np.argsort(-np.abs(beta[1:]), kind="stable")[: self.n_features])
            selected = self._ridge(masks[:, keep], values, weights)
            beta = np.zeros(n + 1)
            beta[0] = selected[0]
            beta[1 + keep] = selected[1:]
        return first_order_surrogate(float(beta[0]), beta[1:])

    def _ridge(self, masks: np.ndarray, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        X = np.hstack([np.ones((masks.shape[0], 1)), masks.astype(np.float64)])
        penalty = np.full(X.shape[1], float(self.alpha))
        penalty[0] = 0.0
        return least_squares(X, values, weights=weights, ridge=penalty)
