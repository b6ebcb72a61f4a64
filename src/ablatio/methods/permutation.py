"""``PermutationShapley``: Shapley values as averaged marginal contributions along permutations."""

from __future__ import annotations

from math import factorial
from typing import Any, ClassVar

import numpy as np

from ablatio.games.game import Game
from ablatio.interactions import Interactions
from ablatio.methods._common import first_order_surrogate
from ablatio.methods.base import Interval, Method, Options
from ablatio.methods.exact import all_masks

__all__ = ["PermutationShapley"]


class PermutationShapley(Method):
    """Shapley values by permutation sampling.

    Parameters
    ----------
    budget : int, optional
        Distinct ablations (at least ``n + 1``: ``∅``, ``N`` and one permutation's ``n - 1``
        proper prefixes).
        ``None`` = the common default (``Method.default_budget``: all ``2^n`` masks up to 4096).
    max_order : {1, None}, default=None
        Shapley values are first-order.
    random_state : int, Generator or None
        Seed of the permutations.

    Attributes
    ----------
    interactions_ : Interactions
        Möbius surrogate ``f(∅) + Σ_i φ_i m_i``.
    n_permutations_ : int
        Permutations averaged (0 when the budget covers all ``2^n`` coalitions).
    n_queries_ : int
    fit_time_ : float

    Notes
    -----
    For a uniformly random order ``π`` and ``P_i^π`` the players before ``i``,

    .. math::

        \\phi_i = \\mathbb{E}_\\pi\\big[f(P_i^\\pi \\cup \\{i\\}) - f(P_i^\\pi)\\big].

    Permutations are drawn until the next one would need more distinct prefixes than the
    budget leaves (prefixes already seen are free). When the budget covers all ``2^n``
    coalitions the expectation over all ``n!`` orders is taken exactly: the coalition ``S ∌ i``
    precedes ``i`` in a fraction ``|S|!(n-|S|-1)!/n!`` of them.

    References
    ----------
    Castro, Gómez & Tejada, "Polynomial calculation of the Shapley value based on sampling",
    Computers & Operations Research 2009.

    Examples
    --------
    >>> from ablatio import PermutationShapley
    >>> from ablatio.games.synthetic import sparse_and_game
    >>> game = sparse_and_game(5, n_terms=4, max_order=2, random_state=0)
    >>> est = PermutationShapley(budget=20, random_state=0).fit(game)
    >>> est.n_queries_ <= 20
    True
    """

    name: ClassVar[str] = "permutation"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "budget": [None, Interval(int, 1, None)],
        "max_order": [None, Options((1,))],
        "random_state": ["random_state"],
    }
    _check_tags: ClassVar[dict[str, Any]] = {"exact": "additive", "exact_budget": "min"}

    def __init__(
        self, *, budget: int | None = None, max_order: int | None = None, random_state: Any = None
    ) -> None:
        self.budget = budget
        self.max_order = max_order
        self.random_state = random_state

    def min_budget(self, n_players: int) -> int:
        return n_players + 1

    def _fit(self, game: Game, rng: np.random.Generator) -> Interactions:
        n = game.n_players
        budget = self.budget_
        if budget >= 2**n:
            self.n_permutations_ = 0
            return _all_orders(game)
        ranks = _draw_permutations(n, budget, rng)
        self.n_permutations_ = ranks.shape[0]
        steps = np.arange(n + 1)
        prefixes = ranks[:, None, :] < steps[None, :, None]  # (P, n + 1, n)
        values = game(prefixes.reshape(-1, n)).reshape(ranks.shape[0], n + 1)
        # the player at position j of a permutation has rank j: gains ordered by rank
        gains = np.diff(values, axis=1)  # (P, n)
        phi = np.take_along_axis(gains, ranks, axis=1).mean(axis=0)
        return first_order_surrogate(float(values[0, 0]), phi)


def _draw_permutations(n: int, budget: int, rng: np.random.Generator) -> np.ndarray:
    """Ranks ``(P, n)`` of permutations drawn while their prefixes fit in the budget."""
    seen = {np.packbits(np.zeros(n, bool)).tobytes(), np.packbits(np.ones(n, bool)).tobytes()}
    accepted: list[np.ndarray] = []
    steps = np.arange(1, n)
    batch = max(1, budget // max(n - 1, 1))
    while True:
        orders = rng.permuted(np.tile(np.arange(n), (batch, 1)), axis=1)
        ranks = np.argsort(orders, axis=1)
        keys = np.packbits(ranks[:, None, :] < steps[None, :, None], axis=2)
        for row in range(batch):
            new = {k.tobytes() for k in keys[row]} - seen
            if len(seen) + len(new) > budget:
                return np.array(accepted).reshape(-1, n)
            seen |= new
            accepted.append(ranks[row])


def _all_orders(game: Game) -> Interactions:
    """Exact Shapley values from all ``2^n`` coalitions (the mean over every permutation)."""
    n = game.n_players
    masks = all_masks(n)
    values = game(masks)
    sizes = masks.sum(axis=1)
    weight = np.array([factorial(s) * factorial(n - s - 1) for s in range(n)]) / factorial(n)
    phi = np.empty(n)
    for i in range(n):
        without = np.flatnonzero(~masks[:, i])
        phi[i] = np.sum(weight[sizes[without]] * (values[without + (1 << i)] - values[without]))
    return first_order_surrogate(float(values[0]), phi)
