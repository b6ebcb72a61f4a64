"""``LIME``: a kernel-weighted (optionally sparse) linear surrogate fitted on local ablations."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ablatio._metrics import weighted_r2_with_se
from ablatio.designs.local import lime_kernel, lime_masks, uniform_weights
from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods._common import first_order_surrogate
from ablatio.methods.base import Interval, Method, Options
from ablatio.transforms.solve import least_squares, ridge_loo

__all__ = ["LIME"]

#: Kernel widths tried when ``kernel_width`` is None (LIME's 25 first; distances lie in
#: ``[0, 100]`` whatever ``n``, so 400 is close to unweighted).
KERNEL_WIDTHS = (25.0, 50.0, 100.0, 400.0)


class LIME(Method):
    """LIME attributions: ridge regression on masks, weighted by distance to the full input.

    Parameters
    ----------
    budget : int, optional
        Distinct ablations (at least ``n + 1`` with ``alpha=0``, the intercept and one slope
        per part; any budget from 3 with a penalty). ``None`` = the common default
        (``Method.default_budget``: all ``2^n`` masks up to n = 12, else 5000).
    max_order : {1, None}, default=None
        LIME fits a linear surrogate.
    kernel_width : float, optional
        Width ``w`` of LIME's exponential kernel on the scaled cosine distance. ``None``
        chooses it from ``KERNEL_WIDTHS`` (together with the penalty) by leave-one-out error
        over the drawn masks; LIME's own default is ``25.0``.
    alpha : float, optional
        Ridge penalty on the slopes (the intercept is not penalised), as ``Ridge(alpha=...)``
        (LIME uses 1.0). ``None`` chooses it by exact leave-one-out on standardised columns
        (:func:`~ablatio.transforms.solve.ridge_loo`), so it scales with ``n``, the kernel
        weights and the outputs: a fixed ``alpha=1`` is almost no penalty on kernel-weighted
        outputs of standard deviation 0.04, and too few masks for ``n`` slopes then overfit.
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
    kernel_width_, alpha_ : float
        Kernel width and penalty used (``alpha_`` on standardised columns when chosen).
    holdout_r2_, holdout_r2_se_ : float
        R² on uniform masks, estimated from the leave-one-out residuals of the draws
        reweighted to the uniform distribution (:func:`~ablatio.designs.local.uniform_weights`,
        :func:`~ablatio._metrics.weighted_r2_with_se`): the figure every other method reports
        and ``ablatio.faithfulness`` measures. Few draws resemble uniform masks at large ``n``,
        so its standard error is wide there; ``nan`` when ``alpha`` is fixed or too few
        draws carry weight.
    loo_r2_ : float
        Leave-one-out R² over LIME's own draws (masks from near-full to near-empty), which
        chose ``kernel_width_`` and ``alpha_``: not a figure for uniform masks (0.54 where
        the uniform R² was −20, MiniLM over a 1000-word document).

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
        "kernel_width": [None, Interval(float, float(np.finfo(np.float64).tiny), None)],
        "alpha": [None, Interval(float, 0.0, None)],
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
        kernel_width: float | None = None,
        alpha: float | None = None,
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
        return n_players + 1 if self.alpha == 0 else min(n_players + 1, 3)

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        n = game.n_players
        budget = self.budget_
        masks, counts = lime_masks(n, budget, rng)
        values = game(masks)
        widths = KERNEL_WIDTHS if self.kernel_width is None else (self.kernel_width,)
        fits = [
            (width, *self._ridge(masks, values, counts * lime_kernel(masks, width), counts))
            for width in widths
        ]
        width, r2, alpha, beta, loo = max(
            fits, key=lambda fit: fit[1] if np.isfinite(fit[1]) else 0
        )
        self.kernel_width_, self.loo_r2_, self.alpha_ = float(width), r2, alpha
        if self.n_features is not None and self.n_features < n:
            keep = np.sort(np.argsort(-np.abs(beta[1:]), kind="stable")[: self.n_features])
            weights = counts * lime_kernel(masks, width)
            self.loo_r2_, _, selected, loo = self._ridge(masks[:, keep], values, weights, counts)
            beta = np.zeros(n + 1)
            beta[0] = selected[0]
            beta[1 + keep] = selected[1:]
        if np.all(np.isfinite(loo)):  # each draw predicted by the fit without it
            uniform = counts * uniform_weights(masks)
            self.holdout_r2_, self.holdout_r2_se_ = weighted_r2_with_se(
                values, values - loo, uniform
            )
        return first_order_surrogate(float(beta[0]), beta[1:])

    def _ridge(
        self, masks: np.ndarray, values: np.ndarray, weights: np.ndarray, counts: np.ndarray
    ) -> tuple[float, float, np.ndarray, np.ndarray]:
        """(leave-one-out R² over the draws, penalty, [intercept, slopes], leave-one-out
        residuals) of the weighted ridge fit; no leave-one-out (nan) with a fixed penalty."""
        X = masks.astype(np.float64)
        if self.alpha is None:
            fit = ridge_loo(X, values, weights=weights, score_weights=counts)
            coef = np.concatenate([[fit.intercept], fit.coef])
            return fit.loo_r2, fit.alpha, coef, fit.loo_residuals
        X = np.hstack([np.ones((masks.shape[0], 1)), X])
        penalty = np.full(X.shape[1], float(self.alpha))
        penalty[0] = 0.0
        beta = least_squares(X, values, weights=weights, ridge=penalty)
        return float("nan"), float(self.alpha), beta, np.full(values.size, np.nan)
